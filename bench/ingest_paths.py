"""Parts of bench/ingest.py: the lxml + COPY floor, and the CLI against the API.

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


def floor_and_cli_text(floor: dict[str, Any], paths: dict[str, Any]) -> str:
    parts = []
    if floor:
        parts.append(
            f"Floor on the same 20k MEDLINE file, plain lxml + COPY into two bare PostgreSQL tables: "
            f"{floor['records']} records, {floor['passages']} passages in {floor['seconds']} s, "
            f"**{floor['records_per_s']} records/s** (no medref parsing, checks or publish step).\n\n"
        )
    docs = paths["documents"]
    parts.append(
        f"CLI against API on {paths['file']} ({docs} records, SQLite, dense index off so only the "
        "ingest path differs):\n\n"
        + md_table(
            ["path", "seconds", "records/s"],
            [
                ["API: ingest_paths", paths["api_s"], round(docs / paths["api_s"])],
                ["API + sync_after_ingest", paths["api_index_s"], round(docs / paths["api_index_s"])],
                ["CLI: medref ingest -q (child process)", paths["cli_s"], round(docs / paths["cli_s"])],
            ],
        )
        + "\n\nWith the dense index on, the CLI's extra time is the embedding of every new passage "
        "by sync_after_ingest (measured in 'Batch embedding on workers'); the CLI itself adds "
        "start-up only."
    )
    return "".join(parts)
