"""ClinicalTrials.gov fetcher against a local API v2 server."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medref.ingest.fetch.base import FetchError, StopAfter
from medref.ingest.fetch.ctgov import CtgovFetcher
from medref.ingest.registry import detect_format
from tests.ingest.fetch.fakes import Ctgov, serve


def ncts(folder: Path) -> list[str]:
    out: list[str] = []
    for f in sorted(folder.glob("page-*.json")):
        out += [
            s["protocolSection"]["identificationModule"]["nctId"]
            for s in json.loads(f.read_text())["studies"]
        ]
    return out


def test_pages_follow_next_page_token(tmp_path: Path, make_client) -> None:
    with serve(Ctgov(total=7)) as srv, make_client() as client:
        report = CtgovFetcher(client, tmp_path, base_url=f"{srv.url}/api/v2", page_size=3).fetch(
            condition="example condition", intervention="examplumab"
        )
        seen = srv.paths("/api/v2/studies")
    assert [s.query.get("pageToken") for s in seen] == [None, "tok-3", "tok-6"]
    assert all(s.query["query.cond"] == "example condition" and s.query["format"] == "json" for s in seen)
    assert seen[0].query["countTotal"] == "true"
    assert report.records == 7 and ncts(report.folder) == [f"NCT0999{n:04d}" for n in range(7)]
    assert detect_format(report.written[0]) == "ctgov"


def test_killed_fetch_resumes_from_the_next_token(tmp_path: Path, make_client) -> None:
    def stop(path: Path) -> None:
        if path.name == "page-00002.json":
            raise StopAfter

    with serve(Ctgov(total=10)) as srv, make_client() as client:
        fetcher = CtgovFetcher(client, tmp_path, base_url=f"{srv.url}/api/v2", page_size=3, after_file=stop)
        with pytest.raises(StopAfter):
            fetcher.fetch(query="x")
        fetcher.after_file = None
        report = fetcher.fetch(query="x")
        again = fetcher.fetch(query="x")  # complete: nothing asked
        tokens = [s.query.get("pageToken") for s in srv.seen]
    assert tokens == [None, "tok-3", "tok-6", "tok-9"]
    assert report.skipped == 2 and report.records == 4
    got = ncts(report.folder)
    assert len(got) == len(set(got)) == 10
    assert again.requests == 0 and again.skipped == 4


def test_a_refused_request_shows_the_server_message(tmp_path: Path, make_client) -> None:
    with serve(Ctgov(fail_status=400)) as srv, make_client() as client:
        with pytest.raises(FetchError, match="HTTP 400: Invalid value for query.cond"):
            CtgovFetcher(client, tmp_path, base_url=f"{srv.url}/api/v2").fetch(condition="(")
        assert len(srv.seen) == 1


def test_no_search_terms_is_an_error(tmp_path: Path, make_client) -> None:
    with make_client() as client, pytest.raises(FetchError, match="at least one of"):
        CtgovFetcher(client, tmp_path).fetch(query="  ")
