"""Parts of bench/ingest.py (the lxml + COPY floor, the CLI against the API), and the store
alone, COPY against INSERT (``python -m bench.ingest_paths``, its own section).

Floor: the same MEDLINE file read with plain lxml (PMID, title, each AbstractText as a
passage; none of medref's checks, sample sizes or suspect-passage scan) and written with COPY
into two bare tables: what the storage alone costs, the most any ingest could reach here.

CLI against API (SQLite, dense index off so only the ingest path differs): ``ingest_paths``
alone, ``ingest_paths`` + ``sync_after_ingest`` (what the CLI does after storing), and
``medref ingest -q`` in a child process (imports, settings, migrations check included).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from bench.report import md_table


def _lxml_records(xml: Path) -> Any:
    for _event, el in etree.iterparse(str(xml), tag="PubmedArticle"):
        pmid = el.findtext(".//PMID") or ""
        title = el.findtext(".//ArticleTitle") or ""
        parts = ["".join(a.itertext()) for a in el.iterfind(".//AbstractText")]
        yield pmid, title, parts
        el.clear()
        while el.getprevious() is not None:
            del el.getparent()[0]


def floor_rates(xml: Path, pg_url: Callable[[], str | None], drop: Callable[[str], None]) -> dict[str, Any]:
    """Records/s of plain lxml + COPY into PostgreSQL (empty when no server answers)."""
    import psycopg

    url = pg_url()
    if url is None or not xml.is_file():
        return {}
    schema = url.rsplit("%3D", 1)[1]
    t0 = time.perf_counter()
    n = p = 0
    with psycopg.connect("host=127.0.0.1 dbname=test user=postgres") as conn:
        conn.execute(f'SET search_path TO "{schema}"')
        conn.execute("CREATE TABLE d (id serial primary key, pmid text unique, title text)")
        conn.execute("CREATE TABLE p (id serial primary key, pmid text, ordinal int, text text)")
        with conn.cursor() as cur:
            docs: list[tuple[str, str]] = []
            rows: list[tuple[str, int, str]] = []
            for pmid, title, parts in _lxml_records(xml):
                docs.append((pmid, title))
                rows += [(pmid, i, t) for i, t in enumerate(parts)]
                if len(docs) >= 250:
                    n, p = n + len(docs), p + len(rows)
                    _copy(cur, docs, rows)
                    docs, rows = [], []
            n, p = n + len(docs), p + len(rows)
            _copy(cur, docs, rows)
        conn.commit()
    dt = time.perf_counter() - t0
    drop(url)
    return {"records": n, "passages": p, "seconds": round(dt, 2), "records_per_s": round(n / dt)}


def _copy(cur: Any, docs: list[tuple[str, str]], rows: list[tuple[str, int, str]]) -> None:
    with cur.copy("COPY d (pmid, title) FROM STDIN") as cp:
        for d in docs:
            cp.write_row(d)
    with cur.copy("COPY p (pmid, ordinal, text) FROM STDIN") as cp:
        for r in rows:
            cp.write_row(r)


def cli_vs_api(tmp: Path, data: Path, fmt: str) -> dict[str, Any]:
    """Seconds for the API, the API + index sync, and the CLI, on one file into SQLite."""
    from medref.index.sync import sync_after_ingest
    from medref.ingest.pipeline import ingest_paths
    from medref.settings import load_settings
    from medref.store.repository import Store

    settings = load_settings(data_dir=tmp / "api", index={"dense": "off"})
    store = Store.open(settings.url)
    t0 = time.perf_counter()
    report = ingest_paths(store, [data], fmt=fmt)
    api = time.perf_counter() - t0
    sync_after_ingest(store, settings)
    api_index = time.perf_counter() - t0
    store.close()
    env = dict(os.environ, MEDREF_DATA_DIR=str(tmp / "cli"), MEDREF_INDEX__DENSE="off")
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "medref.cli", "ingest", "-q", "-f", fmt, str(data)], env=env, check=True
    )
    cli = time.perf_counter() - t0
    docs = report.total("documents")
    return {
        "file": data.name,
        "documents": docs,
        "api_s": round(api, 2),
        "api_index_s": round(api_index, 2),
        "cli_s": round(cli, 2),
    }


def floor_and_cli_text(floor: dict[str, Any], paths: list[dict[str, Any]]) -> str:
    parts = []
    if floor:
        parts.append(
            f"Floor on the same 20k MEDLINE file, plain lxml + COPY into two bare PostgreSQL tables: "
            f"{floor['records']} records, {floor['passages']} passages in {floor['seconds']} s, "
            f"**{floor['records_per_s']} records/s** (no medref parsing, checks or publish step).\n\n"
        )
    rows = [
        [
            f"{p['file']} ({p['documents']} records)",
            p["api_s"],
            p["api_index_s"],
            p["cli_s"],
            f"{p['cli_s'] / p['api_s']:.2f}",
            f"{p['cli_s'] / p['api_index_s']:.2f}",
        ]
        for p in paths
    ]
    parts.append(
        "CLI against API (SQLite, dense index off so only the ingest path differs; seconds):\n\n"
        + md_table(["file", "API", "API + index sync", "CLI", "CLI / API", "CLI / (API + sync)"], rows)
        + "\n\nThe CLI stores records as the API does and then syncs the index; what it adds is a "
        "fixed start-up (a new interpreter, about 1.5 s of imports under load: Alembic, the "
        "pydantic models, SQLAlchemy), which dominates a 500-record file and vanishes on a large "
        "one. With the dense index on, the sync embeds every new passage, which then dominates "
        "(see 'Batch embedding on workers')."
    )
    return "".join(parts)


def store_only(
    xml: Path, rounds: int, pg_url: Callable[[], str | None], drop: Callable[[str], None]
) -> list[dict[str, Any]]:
    """Already-parsed records written by Store.write_file: COPY, INSERT and SQLite, interleaved."""
    from medref.ingest.registry import get_parser
    from medref.store import copy
    from medref.store.repository import Store

    items = list(get_parser("pubmed").parse(xml))
    out = []
    for _ in range(rounds):
        for path in ("postgresql COPY", "postgresql INSERT", "sqlite"):
            url = pg_url() if path != "sqlite" else f"sqlite:///{xml.with_suffix(f'.{len(out)}.sqlite')}"
            if url is None:
                continue
            copy.ENABLED = path != "postgresql INSERT"
            store = Store.open(url)
            t0, c0 = time.perf_counter(), time.process_time()
            store.write_file(items, path=str(xml), fmt="pubmed")
            dt, cpu = time.perf_counter() - t0, time.process_time() - c0
            store.close()
            copy.ENABLED = True
            if path != "sqlite":
                drop(url)
            out.append({"path": path, "records": len(items), "seconds": round(dt, 2), "client_cpu_s": round(cpu, 2),
                        "records_per_s": round(len(items) / dt), "load_avg": round(os.getloadavg()[0], 1)})  # fmt: skip
            print(out[-1], flush=True)
    return out


def main() -> None:
    """python -m bench.ingest_paths: the store-only COPY / INSERT / SQLite section."""
    import tempfile

    from bench.ingest import _drop_pg, _pg_url
    from bench.make_medline import make
    from bench.report import save_json, write_section

    with tempfile.TemporaryDirectory() as td:
        xml = Path(td) / "medline-5k.xml"
        make(xml, records=5000)
        runs = store_only(xml, 3, _pg_url, _drop_pg)
    save_json("ingest_store_only", runs)
    rows = [
        [r["path"], r["records"], r["seconds"], r["records_per_s"], r["client_cpu_s"], r["load_avg"]]
        for r in runs
    ]
    body = (
        "## Ingest: the store alone (COPY against INSERT)\n\n"
        "5,000 real-format MEDLINE records (26,830 passages), parsed once beforehand, then written by "
        "`Store.write_file` (staging, publish, change log) into a fresh store; the three paths "
        "take turns, three rounds, so the machine's load falls on all of them alike.\n\n"
        + md_table(["path", "records", "seconds", "records/s", "client CPU s", "load avg"], rows)
        + "\n\nFrom file to rows (the 'Ingest' section) the parser takes most of the time, so COPY "
        "shows there as less client CPU per record more than as wall-clock time on this shared machine. "
        "SQLite's time includes its pacing (staging.TURN_S: at least 0.1 s between two write "
        "transactions of a file, so that web writes get a turn), about 3 s of these 30 transactions."
    )
    write_section("ingest-copy", body, command="python -m bench.ingest_paths")


if __name__ == "__main__":
    main()
