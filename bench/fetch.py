"""Fetch throughput at the public services' rate limits, and the kill-and-resume check.

    python -m bench.fetch [--no-write] [--total 5000]

Runs the real fetchers against the local fake servers of ``tests/ingest/fetch/fakes.py``
(real HTTP on 127.0.0.1, invented records; nothing leaves the machine), so the figures show
what the rate limits allow plus medref's own overhead, not NCBI's or ClinicalTrials.gov's
response times. Measured:

- PubMed search (esearch + efetch batches of 500) at 3 requests/s (no API key) and 10/s (key),
  and with no limit (the local ceiling);
- ClinicalTrials.gov pages of 100 studies at the default 4 requests/s;
- resume: a PubMed fetch stopped after 3 of its batch files, then run again; counts the
  articles on disk, duplicates, missing ones and the efetch requests the second run made.
"""

from __future__ import annotations

import argparse
import contextlib
import gzip
import re
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tests.ingest.fetch.fakes import Ctgov, Eutils, ReleaseFiles, serve

from bench.report import save_json, write_section
from medref.ingest.fetch.base import HttpClient, RetryPolicy, StopAfter
from medref.ingest.fetch.ctgov import CtgovFetcher
from medref.ingest.fetch.pubmed import PubMedFetcher

PMID = re.compile(rb"<PMID[^>]*>(\d+)</PMID>")


def _client(rate: float) -> HttpClient:
    return HttpClient(rate=rate, policy=RetryPolicy(retries=2, backoff_s=0.05), timeout_s=30)


def pubmed_run(total: int, rate: float, key: str | None, folder: Path) -> dict[str, Any]:
    with serve(Eutils(total=total)) as srv, _client(rate) as client:
        fetcher = PubMedFetcher(client, folder, eutils_url=srv.url, api_key=key, batch_size=500)
        t0 = time.perf_counter()
        report = fetcher.search("bench")
        seconds = time.perf_counter() - t0
    return {
        "rate_limit": rate,
        "records": report.records,
        "requests": report.requests,
        "seconds": round(seconds, 2),
        "records_per_s": round(report.records / seconds, 1),
        "requests_per_s": round(report.requests / seconds, 2),
    }


def files_run(count: int, rate: float, folder: Path) -> dict[str, Any]:
    """MEDLINE release files: listing, then an .md5 and a streamed, hashed download per file."""
    with serve(ReleaseFiles(count=count, per_file=200)) as srv, _client(rate) as client:
        fetcher = PubMedFetcher(client, folder, files_url=srv.url)
        t0 = time.perf_counter()
        report = fetcher.files("baseline")
        seconds = time.perf_counter() - t0
    return {
        "rate_limit": rate,
        "records": report.records,
        "requests": report.requests,
        "seconds": round(seconds, 2),
        "records_per_s": round(report.records / seconds, 2),
    }


def ctgov_run(total: int, rate: float, folder: Path) -> dict[str, Any]:
    with serve(Ctgov(total=total)) as srv, _client(rate) as client:
        fetcher = CtgovFetcher(client, folder, base_url=f"{srv.url}/api/v2", page_size=100)
        t0 = time.perf_counter()
        report = fetcher.fetch(condition="bench")
        seconds = time.perf_counter() - t0
    return {
        "rate_limit": rate,
        "records": report.records,
        "requests": report.requests,
        "seconds": round(seconds, 2),
        "records_per_s": round(report.records / seconds, 1),
    }


def resume_check(total: int, folder: Path) -> dict[str, Any]:
    landed = 0

    def stop(_path: Path) -> None:
        nonlocal landed
        landed += 1
        if landed == 3:
            raise StopAfter

    eutils = Eutils(total=total)
    with serve(eutils) as srv, _client(1000) as client:
        fetcher = PubMedFetcher(client, folder, eutils_url=srv.url, batch_size=500, after_file=stop)
        with contextlib.suppress(StopAfter):
            fetcher.search("resume")
        first = len(srv.paths("/efetch"))
        fetcher.after_file = None
        report = fetcher.search("resume")
        second = len(srv.paths("/efetch")) - first
    got: list[int] = []
    for f in sorted(report.folder.glob("*.xml")):
        data = f.read_bytes()
        got += [int(x) for x in PMID.findall(gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data)]
    batches = -(-total // 500)
    return {
        "articles": total,
        "batches": batches,
        "efetch_before_kill": first,
        "efetch_after_resume": second,
        "refetched": first + second - batches,
        "on_disk": len(got),
        "duplicates": len(got) - len(set(got)),
        "missing": len(set(eutils.pmids()) - set(got)),
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--total", type=int, default=5000, help="articles the fake PubMed search finds")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        runs = {
            "pubmed_no_key": pubmed_run(args.total, 3.0, None, root / "a"),
            "pubmed_key": pubmed_run(args.total, 10.0, "good-key", root / "b"),
            "pubmed_unlimited": pubmed_run(args.total, 10_000.0, None, root / "c"),
            "ctgov": ctgov_run(1000, 4.0, root / "d"),
            "medline_files": files_run(10, 3.0, root / "f"),
        }
        resume = resume_check(args.total, root / "e")
    data = {"runs": runs, "resume": resume}
    save_json("fetch", data)
    rows = "\n".join(
        f"| {name} | {r['rate_limit']:g} | {r['records']:,} | {r['requests']} | {r['seconds']} | {r['records_per_s']:,} |"
        for name, r in runs.items()
    )
    body = f"""## Fetching public data (`medref fetch`)

Real fetchers, real HTTP on 127.0.0.1 against the fake servers of `tests/ingest/fetch/fakes.py`
(invented records, no internet): the figures are what the rate limits allow plus medref's own
overhead, not the public services' response times. PubMed: esearch + efetch batches of 500
({args.total:,} articles); ClinicalTrials.gov: pages of 100 studies; MEDLINE files: records are
files (after one listing request, each file is its `.md5` plus a streamed, hashed download).
The unlimited row is the local ceiling and varies with the load of this shared 2-core machine.

| run | limit (requests/s) | records | requests | seconds | records/s |
|---|---:|---:|---:|---:|---:|
{rows}

Resume check (PubMed, {resume["batches"]} batch files, stopped after 3 files, then run again):
{resume["efetch_before_kill"]} efetch requests before the stop and {resume["efetch_after_resume"]} after
(refetched: {resume["refetched"]}); on disk {resume["on_disk"]:,} articles for {resume["articles"]:,} found,
{resume["duplicates"]} duplicates, {resume["missing"]} missing.
"""
    print(body)
    if not args.no_write:
        write_section("fetch", body, command="python -m bench.fetch")
    ok = resume["duplicates"] == 0 and resume["missing"] == 0 and resume["refetched"] == 0
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
