"""The command line: demo build, stats, search, ask, ingest errors, index maintenance."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from medref.cli import app

runner = CliRunner()


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDREF_INDEX__DENSE", "numpy")
    monkeypatch.setenv("MEDREF_INDEX__EMBEDDER", "hashing")
    result = runner.invoke(app, ["demo", "build"])
    assert result.exit_code == 0, result.output
    assert "16 documents" in result.output


def test_stats_json(demo: None) -> None:
    result = runner.invoke(app, ["stats", "--json"])
    data = json.loads(result.stdout)
    assert data["documents"] == 16 and data["by_kind"]["guideline"] == 1
    assert data["superseded_label_versions"] == 1


def test_search_json_explains_scores(demo: None) -> None:
    result = runner.invoke(app, ["search", "What is the role of CD40 ligand blockers?", "--json", "-k", "4"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert len(data["hits"]) == 4 and data["has_direct_evidence"]
    assert {"fused", "evidence_bonus", "directness_bonus", "final"} <= set(data["hits"][0]["scores"])
    text = runner.invoke(app, ["search", "belatacept", "--kind", "drug_label", "-k", "2"])
    assert text.exit_code == 0 and "Drug label" in text.stdout
    bad = runner.invoke(app, ["search", "x", "--kind", "nonsense"])
    assert bad.exit_code != 0


def test_ask_text_and_json(demo: None) -> None:
    text = runner.invoke(app, ["ask", "What is the role of CD40 ligand blockers?"])
    assert text.exit_code == 0, text.output
    assert "From the Guidelines" in text.stdout and "References" in text.stdout and "[1]" in text.stdout
    data = json.loads(
        runner.invoke(app, ["ask", "Is belatacept safe?", "--audience", "patient", "--json"]).stdout
    )
    assert data["audience"] == "patient" and data["id"]
    follow = runner.invoke(app, ["ask", "and in pregnancy?", "--thread", data["thread_id"], "--json"])
    assert json.loads(follow.stdout)["thread_id"] == data["thread_id"]


def test_ingest_reports_bad_files_and_exits_nonzero(demo: None, tmp_path: Path) -> None:
    bad = tmp_path / "bad.xml"
    bad.write_text("<PubmedArticleSet><PubmedArticle>")
    result = runner.invoke(app, ["ingest", str(bad), "--json"])
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert "bad.xml" in report["files"][0]["error"]
    status = json.loads(runner.invoke(app, ["index", "status", "--json"]).stdout)
    assert status["indexes"][0]["behind"] == 0


def test_index_rebuild(demo: None) -> None:
    result = runner.invoke(app, ["index", "rebuild"])
    assert result.exit_code == 0 and "indexed 151 passages" in result.stdout


def test_errors_are_one_clean_line(tmp_path: Path) -> None:
    env = {**os.environ, "MEDREF_DATA_DIR": str(tmp_path), "MEDREF_RETRIEVAL__K": "0"}
    proc = subprocess.run(
        [sys.executable, "-m", "medref.cli", "stats"], capture_output=True, text=True, env=env, check=False
    )
    assert proc.returncode == 2
    assert "retrieval.k" in proc.stderr and "Traceback" not in proc.stderr
    env = {**os.environ, "MEDREF_DATA_DIR": str(tmp_path / "empty")}
    proc = subprocess.run(
        [sys.executable, "-m", "medref.cli", "search", "belatacept"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 2 and "medref index rebuild" in proc.stderr
