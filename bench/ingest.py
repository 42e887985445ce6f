"""Ingest speed and peak memory.

    python -m bench.ingest            # rates on real data + flat-memory check (100 MB and 1 GB)
    python -m bench.ingest --quick    # rates only, memory on a 100 MB file

Rates: documents and passages per second from file to committed rows (parse + store, no
search index), into SQLite and, when the server answers, PostgreSQL with COPY (the default)
and with the older INSERT path. Also: the floor (plain lxml + COPY, no medref parsing), and
the CLI against the API with and without the index sync (bench/ingest_paths.py). Datasets: PubMedQA dev
(500 abstracts), every BioASQ snippet grouped by PMID, the four real FDA labels, and a
generated real-format MEDLINE file (PubMedQA abstracts repeated with new PMIDs).
Memory: peak RSS of a separate `medref ingest`-equivalent process on generated MEDLINE files
of growing size; flat means the peak does not grow with the file.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from bench.ingest_paths import cli_vs_api, floor_and_cli_text, floor_rates
from bench.make_medline import make
from bench.report import OUT, SHARED, md_table, save_json, write_section
from medref.ingest.pipeline import ingest_paths
from medref.store import copy
from medref.store.repository import Store

PG = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def _pg_url() -> str | None:
    try:
        import psycopg

        schema = f"medref_bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(
            "host=127.0.0.1 dbname=test user=postgres", autocommit=True, connect_timeout=3
        ) as c:
            c.execute(f'CREATE SCHEMA "{schema}"')
        return f"{PG}?options=-csearch_path%3D{schema}"
    except Exception:
        return None


def _drop_pg(url: str) -> None:
    import psycopg

    schema = url.rsplit("%3D", 1)[1]
    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres", autocommit=True) as c:
        c.execute(f'DROP SCHEMA "{schema}" CASCADE')


def datasets(tmp: Path) -> list[tuple[str, list[Path], str | None]]:
    medline = tmp / "medline-20k.xml"
    make(medline, records=20_000)
    bioasq = sorted((SHARED / "bioasq").glob("Task*BGoldenEnriched/*.json"))
    labels = sorted((SHARED / "fda_spl").glob("*.xml"))
    return [
        ("PubMedQA dev (500 abstracts)", [SHARED / "pubmedqa" / "pqal_dev.json"], "pubmedqa"),
        ("BioASQ snippets grouped by PMID", bioasq, "bioasq"),
        ("FDA SPL labels (4 real labels)", labels, "spl"),
        ("MEDLINE XML, 20k real-format records", [medline], "pubmed"),
    ]


def measure(url: str, files: list[Path], fmt: str | None) -> dict[str, Any]:
    store = Store.open(url)
    t0 = time.perf_counter()
    c0 = time.process_time()
    report = ingest_paths(store, files, fmt=fmt)
    dt = time.perf_counter() - t0
    cpu = time.process_time() - c0
    store.close()
    if not report.ok:
        raise SystemExit(f"ingest failed: {[f.error for f in report.files if f.error]}")
    docs, passages = report.total("documents"), report.total("passages")
    return {
        "documents": docs,
        "passages": passages,
        "seconds": round(dt, 3),
        "docs_per_s": round(docs / dt),
        "passages_per_s": round(passages / dt),
        "docs_per_cpu_s": round(docs / cpu),
        "load_avg": round(os.getloadavg()[0], 1),
    }


def peak_rss_mb(xml: Path, url: str) -> float:
    code = (
        "import sys; from medref.store.repository import Store; from medref.ingest.pipeline import ingest_paths;"
        "r = ingest_paths(Store.open(sys.argv[2]), [sys.argv[1]], fmt='pubmed');"
        "sys.exit(0 if r.ok else 1)"
    )
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    proc = subprocess.run([sys.executable, "-c", code, str(xml), url], check=False)
    if proc.returncode:
        raise SystemExit("memory run failed")
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 1 GB memory run")
    ap.add_argument(
        "--rates-only", action="store_true", help="re-measure rates; keep the memory rows of the last run"
    )
    args = ap.parse_args()
    results: dict[str, Any] = {"rates": [], "memory": []}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        rows = []
        for name, files, fmt in datasets(tmp):
            for backend in ("sqlite", "postgresql COPY", "postgresql INSERT"):
                if backend == "sqlite":
                    url = f"sqlite:///{tmp / f'rate-{uuid.uuid4().hex[:6]}.sqlite'}"
                else:
                    pg = _pg_url()
                    if pg is None:
                        continue
                    url = pg
                copy.ENABLED = backend != "postgresql INSERT"
                r = measure(url, files, fmt)
                copy.ENABLED = True
                if backend != "sqlite":
                    _drop_pg(url)
                r.update(dataset=name, backend=backend)
                results["rates"].append(r)
                rows.append(
                    [
                        name,
                        backend,
                        r["documents"],
                        r["passages"],
                        r["seconds"],
                        r["docs_per_s"],
                        r["passages_per_s"],
                        r["docs_per_cpu_s"],
                        r["load_avg"],
                    ]
                )
                print(rows[-1], flush=True)
        floor = floor_rates(tmp / "medline-20k.xml", _pg_url, _drop_pg)
        paths = [
            cli_vs_api(tmp / "small", SHARED / "pubmedqa" / "pqal_dev.json", "pubmedqa"),
            cli_vs_api(tmp / "large", tmp / "medline-20k.xml", "pubmed"),
        ]
        results.update(floor=floor, cli_vs_api=paths)
        mem_rows = []
        sizes = [100] if args.quick else [100, 1024]
        previous = OUT / "ingest.json"
        if args.rates_only and previous.is_file():
            sizes = []
            results["memory"] = json.loads(previous.read_text())["memory"]
            for m in results["memory"]:
                mem_rows.append(
                    [
                        f"{m['file_mb']} MB",
                        m["records"],
                        f"{m['peak_rss_mb']:.0f} MB",
                        f"{m['seconds']:.0f} s",
                        f"{m['records'] / m['seconds']:.0f}",
                    ]
                )
        for mb in sizes:
            xml = tmp / f"medline-{mb}mb.xml"
            n = make(xml, mb=mb)
            url = f"sqlite:///{tmp / f'mem-{mb}.sqlite'}"
            t0 = time.perf_counter()
            peak = peak_rss_mb(xml, url)
            dt = time.perf_counter() - t0
            results["memory"].append(
                {"file_mb": mb, "records": n, "peak_rss_mb": round(peak, 1), "seconds": round(dt, 1)}
            )
            mem_rows.append([f"{mb} MB", n, f"{peak:.0f} MB", f"{dt:.0f} s", f"{n / dt:.0f}"])
            print(mem_rows[-1], flush=True)
            xml.unlink()
    save_json("ingest", results)
    body = (
        "## Ingest\n\nFile to committed rows (parse + store; the search index is measured separately).\n\n"
        + md_table(
            [
                "dataset",
                "store",
                "documents",
                "passages",
                "seconds",
                "docs/s",
                "passages/s",
                "docs per CPU-second",
                "load avg",
            ],
            rows,
        )
        + "\n\n'docs per CPU-second' divides by this process's CPU time: on a shared machine "
        "(load average shown; the machine has 2 cores) the wall-clock rate understates what one "
        "free core does. For PostgreSQL the server's own CPU time is not included.\n"
        + "\n\n"
        + floor_and_cli_text(floor, paths)
        + "\n\nPeak resident memory of one ingest process on generated real-format MEDLINE files "
        "(PubMedQA abstracts repeated with new PMIDs), one transaction per file, into SQLite:\n\n"
        + md_table(["file", "records", "peak RSS", "time", "records/s"], mem_rows)
        + "\n\nGoals: at least 2,000 abstracts/s into SQLite; peak memory flat and under 300 MB. "
        "PostgreSQL stages documents and passages with COPY FROM STDIN (medref.store.copy); "
        "'postgresql INSERT' is the executemany path it replaced, measured for comparison."
    )
    write_section("ingest", body, command="python -m bench.ingest")


if __name__ == "__main__":
    main()
