"""DailyMed fetcher against a local web-services server."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.ingest.fetch.base import FetchError, StopAfter
from medref.ingest.fetch.dailymed import DailyMedFetcher, spl_xml_from_zip
from medref.ingest.registry import detect_format
from tests.ingest.fetch.fakes import DailyMed, serve

A = "aaaaaaaa-0000-4000-8000-000000000001"
B = "bbbbbbbb-0000-4000-8000-000000000002"
C = "cccccccc-0000-4000-8000-000000000003"


def fake() -> DailyMed:
    return DailyMed(sets={A: 3, B: 1, C: 2}, names={"examplumab": [A, B, C]})


def test_name_search_pages_and_fetches_every_version(tmp_path: Path, make_client) -> None:
    with serve(fake()) as srv, make_client() as client:
        report = DailyMedFetcher(client, tmp_path, base_url=f"{srv.url}/dailymed").fetch(name="Examplumab")
        pages = [s.query["page"] for s in srv.paths("/dailymed/services/v2/spls.json")]
    assert pages == ["1", "2"]  # 3 sets at 2 a page
    names = sorted(p.relative_to(tmp_path).as_posix() for p in report.files())
    assert names == sorted(
        [f"{A}/{A}_v000{v}.xml" for v in (1, 2, 3)]
        + [f"{B}/{B}_v0001.xml"]
        + [f"{C}/{C}_v000{v}.xml" for v in (1, 2)]
    )
    assert report.records == 6 and not report.errors
    sample = tmp_path / A / f"{A}_v0002.xml"
    assert detect_format(sample) == "spl" and b'<versionNumber value="2"/>' in sample.read_bytes()


def test_latest_only_and_bad_set_ids(tmp_path: Path, make_client) -> None:
    with serve(fake()) as srv, make_client() as client:
        fetcher = DailyMedFetcher(client, tmp_path, base_url=f"{srv.url}/dailymed", latest_only=True)
        report = fetcher.fetch(setids=[A])
        with pytest.raises(FetchError, match="not a DailyMed set id: nope"):
            fetcher.fetch(setids=["nope"])
    assert [p.name for p in report.written] == [f"{A}_v0003.xml"]


def test_an_unknown_set_is_reported_and_the_others_go_on(tmp_path: Path, make_client) -> None:
    missing = "dddddddd-0000-4000-8000-000000000004"
    with serve(fake()) as srv, make_client() as client:
        report = DailyMedFetcher(client, tmp_path, base_url=f"{srv.url}/dailymed").fetch(setids=[missing, B])
    assert len(report.errors) == 1 and missing in report.errors[0] and "HTTP 404" in report.errors[0]
    assert [p.name for p in report.written] == [f"{B}_v0001.xml"]


def test_killed_fetch_resumes_without_refetching(tmp_path: Path, make_client) -> None:
    count = 0

    def stop(_path: Path) -> None:
        nonlocal count
        count += 1
        if count == 4:
            raise StopAfter

    with serve(fake()) as srv, make_client() as client:
        fetcher = DailyMedFetcher(client, tmp_path, base_url=f"{srv.url}/dailymed", after_file=stop)
        with pytest.raises(StopAfter):
            fetcher.fetch(name="examplumab")
        fetcher.after_file = None
        report = fetcher.fetch(name="examplumab")
        zips = [(s.query["setId"], s.query["version"]) for s in srv.paths("/dailymed/downloadzipfile.cfm")]
    assert len(zips) == len(set(zips)) == 6  # every version downloaded exactly once
    assert report.skipped == 4 and len(report.written) == 2 and len(report.files()) == 6


def test_zip_without_xml_is_refused() -> None:
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("picture.jpg", b"x")
    with pytest.raises(FetchError, match="holds no XML"):
        spl_xml_from_zip(buf.getvalue(), "set X")
    with pytest.raises(FetchError, match="not a zip"):
        spl_xml_from_zip(b"<html>error page</html>", "set X")


def test_an_address_serving_only_the_current_label_is_noticed(tmp_path: Path, make_client) -> None:
    server = DailyMed(sets={A: 3}, only_current=True)
    with serve(server) as srv, make_client() as client:
        fetcher = DailyMedFetcher(client, tmp_path, base_url=f"{srv.url}/dailymed")
        report = fetcher.fetch(setids=[A])
        zips = [s.query["version"] for s in srv.paths("/dailymed/downloadzipfile.cfm")]
        again = fetcher.fetch(setids=[A])
        assert len(srv.paths("/dailymed/downloadzipfile.cfm")) == 2  # the re-run downloads nothing
    assert zips == ["3", "2"]  # newest first; version 1 is not asked for once it is clear
    assert [p.name for p in report.files()] == [f"{A}_v0003.xml"] and not report.errors
    assert len(report.notes) == 1 and "versions 1, 2 are not downloadable" in report.notes[0]
    assert again.skipped == 3 and again.written == []


def test_a_substituted_version_is_named_by_its_content(tmp_path: Path, make_client) -> None:
    server = DailyMed(sets={A: 3}, only_current=True)
    with serve(server) as srv, make_client() as client:
        fetcher = DailyMedFetcher(client, tmp_path, base_url=f"{srv.url}/dailymed")
        fetcher.fetch(setids=[A])
        server.sets[A] = 4  # a new version appears; history now lists 1-4
        report = fetcher.fetch(setids=[A])
        zips = [s.query["version"] for s in srv.paths("/dailymed/downloadzipfile.cfm")]
        again = fetcher.fetch(setids=[A])
        assert len(srv.paths("/dailymed/downloadzipfile.cfm")) == 3  # the re-run downloads nothing
    assert zips == ["3", "2", "4"]
    assert sorted(p.name for p in report.files()) == [f"{A}_v0003.xml", f"{A}_v0004.xml"]
    assert again.skipped == 4 and again.written == []
