"""PubMed fetcher against a local E-utilities / release-file server."""

from __future__ import annotations

import gzip
import itertools
import re
import time
from pathlib import Path

import pytest

from medref.ingest.fetch.base import FetchError, StopAfter
from medref.ingest.fetch.pubmed import PubMedFetcher, read_pmids
from tests.ingest.fetch.fakes import Eutils, ReleaseFiles, serve

PMID = re.compile(rb"<PMID[^>]*>(\d+)</PMID>")


def pmids_in(folder: Path) -> list[int]:
    out: list[int] = []
    for f in sorted(folder.rglob("*.xml*")):
        data = gzip.decompress(f.read_bytes()) if f.suffix == ".gz" else f.read_bytes()
        out += [int(x) for x in PMID.findall(data)]
    return out


def test_search_reads_the_history_server_in_batches(tmp_path: Path, make_client) -> None:
    eutils = Eutils(total=25)
    with serve(eutils) as srv, make_client() as client:
        report = PubMedFetcher(client, tmp_path, eutils_url=srv.url, batch_size=10).search("example[tiab]")
        efetch = srv.paths("/efetch")
        esearch = srv.paths("/esearch")
    assert [s.query["retstart"] for s in efetch] == ["0", "10", "20"]
    assert all(s.query["WebEnv"] == "MCID_test_webenv_1" and s.query["query_key"] == "1" for s in efetch)
    assert esearch[0].query["usehistory"] == "y" and esearch[0].query["term"] == "example[tiab]"
    assert report.records == 25 and len(report.written) == 3
    assert sorted(pmids_in(report.folder)) == eutils.pmids()
    assert [p.name for p in report.files()] == ["batch-00001.xml", "batch-00002.xml", "batch-00003.xml"]


@pytest.mark.parametrize(("key", "rate", "total"), [(None, 3.0, 12), ("good-key", 10.0, 33)])
def test_requests_keep_to_the_rate_limit(
    tmp_path: Path, make_client, key: str | None, rate: float, total: int
) -> None:
    sent: list[float] = []
    with (
        serve(Eutils(total=total)) as srv,
        make_client(rate=rate, on_request=lambda _m, _u: sent.append(time.monotonic())) as client,
    ):
        PubMedFetcher(client, tmp_path, eutils_url=srv.url, api_key=key, batch_size=3).search("x")
        arrived = [s.at for s in srv.seen]
        keys = {s.query.get("api_key") for s in srv.seen}
    assert keys == {key}
    n = 1 + -(-total // 3)
    assert len(sent) == len(arrived) == n
    # the client never starts two requests closer than 1/rate
    assert min(b - a for a, b in itertools.pairwise(sent)) >= 1 / rate - 0.005
    # and the server sees them spread out the same way (slack for arrival jitter on a busy machine;
    # without the limiter all of them arrive within a few hundredths of a second)
    r = int(rate)
    spans = [arrived[i + r] - arrived[i] for i in range(n - r)]
    assert min(spans) >= 1.0 - 0.2, spans
    assert arrived[-1] - arrived[0] >= (n - 1) / rate - 0.1


def test_429_with_retry_after_is_waited_out_and_retried(tmp_path: Path, make_client) -> None:
    with serve(Eutils(total=3, throttle_first=1, retry_after="1")) as srv, make_client() as client:
        report = PubMedFetcher(client, tmp_path, eutils_url=srv.url).search("x")
        times = [s.at for s in srv.seen]
    assert report.records == 3
    assert len(times) == 3 and times[1] - times[0] >= 0.95  # the retry came after Retry-After


def test_retries_run_out_with_a_clear_error(tmp_path: Path, make_client) -> None:
    with serve(Eutils(throttle_first=99, retry_after="0")) as srv, make_client(retries=2) as client:
        with pytest.raises(FetchError, match=r"failed after 3 attempts: HTTP 429: API rate limit exceeded"):
            PubMedFetcher(client, tmp_path, eutils_url=srv.url).search("x")
        assert len(srv.seen) == 3


def test_a_wrong_api_key_is_a_clear_error(tmp_path: Path, make_client) -> None:
    with serve(Eutils()) as srv, make_client() as client:
        with pytest.raises(FetchError) as err:
            PubMedFetcher(client, tmp_path, eutils_url=srv.url, api_key="wrong").search("x")
        assert len(srv.seen) == 1  # a refusal is not retried
    text = str(err.value)
    assert "HTTP 400" in text and "API key invalid" in text and "MEDREF_FETCH__NCBI_API_KEY" in text
    assert "wrong" not in text.replace("api_key=***", "")  # the key itself is not echoed


def test_an_expired_history_search_is_run_again(tmp_path: Path, make_client) -> None:
    eutils = Eutils(total=30, expire_after=1)
    with serve(eutils) as srv, make_client() as client:
        report = PubMedFetcher(client, tmp_path, eutils_url=srv.url, batch_size=10).search("x")
        calls = [
            (s.path.rsplit("/", 1)[-1], s.query.get("WebEnv"), s.query.get("retstart")) for s in srv.seen
        ]
    assert calls == [
        ("esearch.fcgi", None, None),
        ("efetch.fcgi", "MCID_test_webenv_1", "0"),
        ("efetch.fcgi", "MCID_test_webenv_1", "10"),  # answered with an ERROR body
        ("esearch.fcgi", None, None),
        ("efetch.fcgi", "MCID_test_webenv_2", "10"),
        ("efetch.fcgi", "MCID_test_webenv_2", "20"),
    ]
    assert sorted(pmids_in(report.folder)) == eutils.pmids() and "searched again" in report.notes[0]


def test_search_stops_at_the_eutils_ceiling_with_a_note(tmp_path: Path, make_client) -> None:
    with serve(Eutils(total=25)) as srv, make_client() as client:
        report = PubMedFetcher(client, tmp_path, eutils_url=srv.url, batch_size=8, max_records=20).search(
            "big"
        )
        sizes = [(s.query["retstart"], s.query["retmax"]) for s in srv.paths("/efetch")]
    assert sizes == [("0", "8"), ("8", "8"), ("16", "4")]
    assert report.records == 20 and "serves only the first 20" in report.notes[0]


def test_killed_search_resumes_without_duplicates(tmp_path: Path, make_client) -> None:
    eutils = Eutils(total=47)
    landed: list[Path] = []

    def stop_after_two(path: Path) -> None:
        landed.append(path)
        if len(landed) == 2:
            raise StopAfter

    with serve(eutils) as srv, make_client() as client:
        fetcher = PubMedFetcher(
            client, tmp_path, eutils_url=srv.url, batch_size=10, after_file=stop_after_two
        )
        with pytest.raises(StopAfter):
            fetcher.search("resume me")
        first = len(srv.paths("/efetch"))
        fetcher.after_file = None
        report = fetcher.search("resume me")
        second = len(srv.paths("/efetch")) - first
    assert first == 2 and second == 3  # the two finished batches are not fetched again
    assert report.skipped == 2 and report.records == 27
    got = pmids_in(report.folder)
    assert len(got) == len(set(got)) == 47 and sorted(got) == eutils.pmids()


def test_pmid_list_is_posted_in_batches_and_bad_lines_reported(tmp_path: Path, make_client) -> None:
    listing = tmp_path / "ids.txt"
    listing.write_text("# my list\n90000003\n90000001\nnot-a-pmid\n\n90000003\n90000002\n99999999\n")
    ids, bad = read_pmids(listing)
    assert ids == ["90000003", "90000001", "90000002", "99999999"]
    assert bad == [f"{listing}:4: not a PMID: 'not-a-pmid'"]
    with serve(Eutils(total=5)) as srv, make_client() as client:
        report = PubMedFetcher(client, tmp_path / "out", eutils_url=srv.url, batch_size=2).pmids(listing)
        posts = srv.paths("/efetch")
    assert [s.method for s in posts] == ["POST", "POST"]
    assert [s.query["id"] for s in posts] == ["90000003,90000001", "90000002,99999999"]
    assert sorted(pmids_in(report.folder)) == [90000001, 90000002, 90000003]
    assert report.errors == bad and any("1 of 2 PMIDs not found" in n for n in report.notes)


def test_release_files_are_md5_checked_and_a_bad_one_refetched(tmp_path: Path, make_client) -> None:
    files = ReleaseFiles(count=3, corrupt_once={"pubmed99n0002.xml.gz"})
    with serve(files) as srv, make_client() as client:
        fetcher = PubMedFetcher(client, tmp_path, files_url=srv.url)
        report = fetcher.files("baseline")
        downloads = [s.path for s in srv.seen if s.path.endswith(".xml.gz")]
    assert downloads.count("/baseline/pubmed99n0002.xml.gz") == 2  # refused once, fetched again
    assert [p.name for p in report.written] == [files.name(i) for i in (1, 2, 3)]
    assert any("does not match" in n for n in report.notes) and not report.errors
    assert sorted(pmids_in(report.folder)) == list(range(90000001, 90000010))


def test_a_file_that_never_matches_its_md5_is_refused(tmp_path: Path, make_client) -> None:
    files = ReleaseFiles(count=2, always_corrupt={"pubmed99n0001.xml.gz"})
    with serve(files) as srv, make_client() as client:
        report = PubMedFetcher(client, tmp_path, files_url=srv.url, md5_attempts=2).files("baseline")
    assert len(report.errors) == 1 and "pubmed99n0001.xml.gz: MD5 still" in report.errors[0]
    assert not (report.folder / "pubmed99n0001.xml.gz").exists()  # nothing half-trusted is left
    assert [p.name for p in report.written] == ["pubmed99n0002.xml.gz"]


def test_release_files_resume_after_a_kill(tmp_path: Path, make_client) -> None:
    files = ReleaseFiles(count=4)

    def stop(path: Path) -> None:
        if path.name.endswith("0002.xml.gz"):
            raise StopAfter

    with serve(files) as srv, make_client() as client:
        fetcher = PubMedFetcher(client, tmp_path, files_url=srv.url, after_file=stop)
        with pytest.raises(StopAfter):
            fetcher.files("baseline")
        fetcher.after_file = None
        report = fetcher.files("baseline")
        downloads = [s.path.rsplit("/", 1)[-1] for s in srv.seen if s.path.endswith(".xml.gz")]
    assert downloads == [files.name(i) for i in (1, 2, 3, 4)]  # each file downloaded once
    assert report.skipped == 2 and len(report.written) == 2
    assert sorted(pmids_in(report.folder)) == list(range(90000001, 90000013))
    assert not list(report.folder.glob("*.part"))
