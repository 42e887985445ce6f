"""PostgreSQL index backends against the file ones: postgres vs tantivy, pgvector vs usearch.

    python -m bench.pg_backends                       # 100k passages / vectors, pgserver started here
    python -m bench.pg_backends --size 1000000        # what issue 14 asks for (hours on 2 cores)
    python -m bench.pg_backends --url postgresql://user@host/db   # a server of your own (needs pgvector)
    python -m bench.pg_backends --only lexical --doc  # and write the table into docs/postgres-backends.md

Lexical corpus and queries are bench.lexical_backends' (real PubMedQA/BioASQ passages, repeated
with real-word suffixes past their number; the 500 PubMedQA dev questions). Two query shapes:
``plain`` (each word a term of weight 1) and ``rich`` (what the retriever sends: the words, three
two-word phrases at 0.6 and a kinds filter). Dense vectors are bench.dense_index's (real MiniLM
embeddings of 8,000 passages and 1,000 questions, blended into more; 200 real questions).

Measured per backend: build (add in batches of 2,000, then the one commit; for PostgreSQL that
includes creating the indexes, counting document frequencies and VACUUM ANALYZE), query latency
p50/p95 at k=100 with 1 and with 8 concurrent clients (threads; each PostgreSQL client has its own
connection) and the throughput at 8, and quality: the top-10 overlap with the file backend
(share of its top 10 in ours), top-5 own-abstract hits for lexical, recall@10 against exact
cosine for dense. Results go to bench/out/pg_backends.json.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import ROOT, machine, md_table, save_json

DOC = ROOT / "docs" / "postgres-backends.md"
K = 100
CLIENTS = (1, 8)
WARMUP = 20


def _pgserver_url(folder: Path) -> tuple[str, Any]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import pgserver

        server = pgserver.get_server(folder, cleanup_mode="stop")
        uri = server.get_uri()
    return uri.replace("postgresql://", "postgresql+psycopg://", 1), server


def latency(search: Callable[[Any], Any], queries: Sequence[Any], clients: int) -> dict[str, float]:
    """p50/p95 (ms) of each query and queries per second, ``clients`` queries in flight at once."""

    def timed(q: Any) -> float:
        t = time.perf_counter()
        search(q)
        return (time.perf_counter() - t) * 1000

    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(timed, list(queries[:WARMUP]) * max(1, clients // 2)))  # warm every thread
        t0 = time.perf_counter()
        lat = sorted(pool.map(timed, queries))
        wall = time.perf_counter() - t0
    return {
        "p50_ms": round(statistics.median(lat), 2),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 2),
        "qps": round(len(lat) / wall, 1),
    }


def overlap(ours: list[list[int]], theirs: list[list[int]], k: int = 10) -> float:
    shares = [
        len(set(a[:k]) & set(b[:k])) / max(1, min(k, len(b))) for a, b in zip(ours, theirs, strict=True) if b
    ]
    return round(statistics.fmean(shares), 3) if shares else 0.0


def _timed_build(make: Callable[[], Any], fill: Callable[[Any], None]) -> tuple[Any, float]:
    ix = make()
    t0 = time.perf_counter()
    fill(ix)
    ix.commit(1)
    return ix, round(time.perf_counter() - t0, 1)


# ------------------------------------------------------------------ lexical
def run_lexical(n: int, url: str, work: Path, *, ts_rank: bool = True) -> list[dict[str, Any]]:
    from bench.lexical_backends import _batches, _richer, base_corpus, sources
    from medref.index.base import LexicalQuery
    from medref.index.factory import make_lexical

    _, questions = base_corpus()
    src = sources(n)
    shapes = {
        "plain": [LexicalQuery(terms=[(w, 1.0) for w in q.split()]) for q, _ in questions],
        "rich": [_richer(q) for q, _ in questions],
    }

    def fill(ix: Any) -> None:
        for batch in _batches(n):
            ix.add(batch)

    results: list[dict[str, Any]] = []
    reference: dict[str, list[list[int]]] = {}
    backends = [
        ("tantivy", lambda: make_lexical("tantivy", work / "tantivy")),
        ("postgres", lambda: make_lexical("postgres", work / "pg", url=url, fresh=True)),
    ]
    for name, make in backends:
        ix, build_s = _timed_build(make, fill)
        print(f"lexical {name}: built {n} in {build_s} s", file=sys.stderr, flush=True)
        views = [(name, ix)]
        if name == "postgres" and ts_rank:
            views.append(
                ("postgres ts_rank", make_lexical("postgres", work / "pg", url=url, scoring="ts_rank"))
            )
        for label, view in views:
            row: dict[str, Any] = {"kind": "lexical", "backend": label, "n": n, "build_s": build_s}
            for shape, queries in shapes.items():
                ids = [[h.id for h in view.search(q, K)] for q in queries]
                if label == "tantivy":
                    reference[shape] = ids
                row[f"overlap10_{shape}"] = overlap(ids, reference[shape])
                if shape == "plain":
                    hits5 = [[src[i - 1] for i in got[:5]] for got in ids]
                    row["top5"] = round(
                        statistics.fmean(w in g for g, (_, w) in zip(hits5, questions, strict=True)), 3
                    )
            for clients in CLIENTS:
                for shape in ("plain", "rich"):
                    stats = latency(lambda q, v=view: v.search(q, K), shapes[shape], clients)
                    row.update({f"{key}_{shape}_c{clients}": v for key, v in stats.items()})
            print(row, file=sys.stderr, flush=True)
            results.append(row)
            if view is not ix:
                view.close()
        if name == "postgres":
            ix.drop_all()
        ix.close()
    return results


# ------------------------------------------------------------------ dense
def run_dense(n: int, url: str, work: Path) -> list[dict[str, Any]]:
    from bench.dense_index import collection, exact_top, real_vectors
    from medref.index.factory import make_dense

    base, questions, note = real_vectors()
    queries = list(questions[:200])
    exact = exact_top(base, n, np.asarray(queries), data="mix")

    def fill(ix: Any) -> None:
        next_id = 1
        for x in collection(base, n, data="mix"):
            for start in range(0, len(x), 2000):
                part = x[start : start + 2000]
                ix.add(np.arange(next_id, next_id + len(part)), part)
                next_id += len(part)

    dim = base.shape[1]
    results: list[dict[str, Any]] = []
    reference: list[list[int]] = []
    backends = [
        ("usearch", lambda: make_dense("usearch", work / "usearch", dim=dim)),
        (
            "pgvector",
            lambda: make_dense("pgvector", work / "pgv", dim=dim, url=url, model="bench", fresh=True),
        ),
    ]
    for name, make in backends:
        ix, build_s = _timed_build(make, fill)
        print(f"dense {name}: built {n} in {build_s} s", file=sys.stderr, flush=True)
        ids = [[h.id for h in ix.search(q, K)] for q in queries]
        if name == "usearch":
            reference = ids
        row: dict[str, Any] = {
            "kind": "dense",
            "backend": name + (f" ({ix.storage})" if name == "pgvector" else ""),
            "n": n,
            "build_s": build_s,
            "overlap10_plain": overlap(ids, reference),
            "recall10": overlap(ids, [list(r + 1) for r in exact]),
            "vectors": note,
        }
        for clients in CLIENTS:
            stats = latency(lambda q, v=ix: v.search(q, K), queries, clients)
            row.update({f"{key}_plain_c{clients}": v for key, v in stats.items()})
        print(row, file=sys.stderr, flush=True)
        results.append(row)
        if name == "pgvector":
            ix.drop_all()
        ix.close()
    return results


# ------------------------------------------------------------------ report
def table(results: list[dict[str, Any]]) -> str:
    head = [
        "index",
        "backend",
        "n",
        "build s",
        "top-10 overlap",
        "p50/p95 ms, 1 client",
        "p50/p95 ms, 8 clients",
        "q/s at 8",
        "quality",
    ]
    rows = []
    for r in results:
        shape = "rich" if r["kind"] == "lexical" else "plain"
        quality = f"top-5 {r['top5']}" if r["kind"] == "lexical" else f"recall@10 {r['recall10']}"
        ov = f"{r['overlap10_plain']}" + (f" / {r['overlap10_rich']}" if "overlap10_rich" in r else "")
        c1 = f"{r[f'p50_ms_{shape}_c1']} / {r[f'p95_ms_{shape}_c1']}"
        c8 = f"{r[f'p50_ms_{shape}_c8']} / {r[f'p95_ms_{shape}_c8']}"
        rows.append(
            [r["kind"], r["backend"], f"{r['n']:,}", r["build_s"], ov, c1, c8, r[f"qps_{shape}_c8"], quality]
        )
    return md_table(head, rows)


def write_doc(results: list[dict[str, Any]], command: str) -> None:
    import re

    block = (
        f"<!-- bench:pg_backends:start -->\n{table(results)}\n\n_Command: `{command}`. "
        f"Machine: {machine()}._\n<!-- bench:pg_backends:end -->"
    )
    text = DOC.read_text()
    pattern = re.compile(r"<!-- bench:pg_backends:start -->.*?<!-- bench:pg_backends:end -->", re.S)
    DOC.write_text(
        pattern.sub(lambda _m: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    )


def merged(new: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Earlier results of other backends and sizes (bench/out/pg_backends.json) plus the new ones."""
    import json

    from bench.report import OUT

    path = OUT / "pg_backends.json"
    old = json.loads(path.read_text()).get("results", []) if path.is_file() else []
    fresh = {(r["kind"], r["backend"], r["n"]) for r in new}
    return [r for r in old if (r["kind"], r["backend"], r["n"]) not in fresh] + new


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument(
        "--url", help="SQLAlchemy/libpq URL of a PostgreSQL with pgvector (default: start pgserver)"
    )
    ap.add_argument("--only", choices=("lexical", "dense"))
    ap.add_argument("--no-ts-rank", action="store_true", help="skip the ts_rank comparison (slow at 1M)")
    ap.add_argument("--doc", action="store_true", help="write the table into docs/postgres-backends.md")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="medref-pgbench-") as tmp:
        work = Path(tmp)
        server = None
        url = args.url
        if url is None:
            (work / "pg").mkdir()
            work.chmod(0o755)
            url, server = _pgserver_url(work / "pg" / "data")
        results: list[dict[str, Any]] = []
        if args.only in (None, "lexical"):
            results += run_lexical(args.size, url, work / "lexical", ts_rank=not args.no_ts_rank)
        if args.only in (None, "dense"):
            results += run_dense(args.size, url, work / "dense")
        if server is not None:
            server.cleanup()
    results = merged(results)
    save_json("pg_backends", {"machine": machine(), "results": results})
    print(table(results))
    if args.doc:
        write_doc(results, "python -m bench.pg_backends " + " ".join(sys.argv[1:]))


if __name__ == "__main__":
    main()
