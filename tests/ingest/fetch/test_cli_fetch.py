"""`medref fetch ... --ingest` end to end against local fake servers, into a temporary store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medref.cli import app
from tests.ingest.fetch.fakes import Ctgov, Eutils, serve


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDREF_FETCH__NCBI_RATE", "1000")
    monkeypatch.setenv("MEDREF_FETCH__CTGOV_RATE", "1000")
    monkeypatch.setenv("MEDREF_FETCH__BACKOFF_S", "0.01")


def stats() -> dict:
    result = CliRunner().invoke(app, ["stats", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def test_pubmed_query_with_ingest(monkeypatch: pytest.MonkeyPatch, fast: None) -> None:
    with serve(Eutils(total=12)) as srv:
        monkeypatch.setenv("MEDREF_FETCH__EUTILS_URL", srv.url)
        result = CliRunner().invoke(
            app, ["fetch", "pubmed", "--query", "example", "--batch-size", "5", "--ingest", "--json"]
        )
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 12 and len(report["written"]) == 3
    assert report["ingest"]["documents"] == 12 and report["ingest"]["failed"] == 0
    folder = Path(report["folder"])
    assert folder.parent.name == "pubmed" and folder.parent.parent == Path(stats_dir())
    assert stats()["documents"] == 12


def stats_dir() -> str:
    import os

    return os.environ["MEDREF_DATA_DIR"]


def test_ctgov_with_ingest_then_rerun_is_a_no_op(monkeypatch: pytest.MonkeyPatch, fast: None) -> None:
    with serve(Ctgov(total=5)) as srv:
        monkeypatch.setenv("MEDREF_FETCH__CTGOV_URL", f"{srv.url}/api/v2")
        args = ["fetch", "ctgov", "--condition", "example", "--page-size", "2", "--ingest", "--json"]
        first = CliRunner().invoke(app, args)
        second = CliRunner().invoke(app, args)
        requests = len(srv.seen)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    assert json.loads(first.stdout)["ingest"]["new"] == 5
    again = json.loads(second.stdout)
    assert again["requests"] == 0 and again["skipped"] == 3 and again["ingest"]["unchanged"] == 5
    assert requests == 3 and stats()["documents"] == 5


def test_wrong_key_exits_with_the_reason(monkeypatch: pytest.MonkeyPatch, fast: None) -> None:
    from medref.cli import main

    with serve(Eutils()) as srv:
        monkeypatch.setenv("MEDREF_FETCH__EUTILS_URL", srv.url)
        monkeypatch.setenv("MEDREF_FETCH__NCBI_API_KEY", "not-my-key")
        monkeypatch.setattr("sys.argv", ["medref", "fetch", "pubmed", "--query", "x", "-q"])
        with pytest.raises(SystemExit) as exit_info:
            main()
    assert exit_info.value.code == 2


def test_exactly_one_pubmed_mode() -> None:
    result = CliRunner().invoke(app, ["fetch", "pubmed", "--query", "x", "--baseline"])
    assert result.exit_code != 0 and "exactly one of" in result.output


def test_dailymed_versions_with_ingest(monkeypatch: pytest.MonkeyPatch, fast: None) -> None:
    from tests.ingest.fetch.fakes import DailyMed

    setid = "aaaaaaaa-0000-4000-8000-000000000001"
    monkeypatch.setenv("MEDREF_FETCH__DAILYMED_RATE", "1000")
    with serve(DailyMed(sets={setid: 3})) as srv:
        monkeypatch.setenv("MEDREF_FETCH__DAILYMED_URL", f"{srv.url}/dailymed")
        result = CliRunner().invoke(app, ["fetch", "dailymed", "--setid", setid, "--ingest", "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["records"] == 3 and report["ingest"]["failed"] == 0
    counts = stats()
    assert counts["superseded_label_versions"] == 2  # versions 1 and 2 kept as history of version 3
