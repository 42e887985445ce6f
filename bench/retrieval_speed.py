"""Retrieval speed and memory at 10k, 100k and 1M passages.

    python -m bench.retrieval_speed --sizes 10000,100000,1000000

For each size: a fresh SQLite store filled with real-format MEDLINE records (PubMedQA
abstracts repeated with new PMIDs), the lexical index built from it (timed), the dense
index filled (timed), then 200 real PubMedQA questions run through the full Retriever:
lexical only, and hybrid (query embedding + lexical + dense + fusion + store lookup + rerank).

Dense vectors: the first ``--embed`` passages are embedded for real with all-MiniLM-L6-v2;
the rest are copies of those real vectors with small gaussian noise, renormalised, because
embedding 1M passages takes hours on 2 cores (embedding throughput is reported separately).
"""

from __future__ import annotations

import argparse
import gc
import json
import resource
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.make_medline import make
from bench.report import SHARED, md_table, save_json, write_section
from medref.index.sync import open_indexes, store_watermark
from medref.ingest.pipeline import ingest_paths
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import passages

PASSAGES_PER_RECORD = 5.36  # measured: title + labelled parts + conclusion per generated record


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def pct(values: list[float], q: float) -> float:
    return float(np.percentile(np.array(values), q))


def build_scaled(size: int, tmp: Path, *, embed_n: int) -> tuple[Any, Store, dict[str, Any]]:
    """A store of about ``size`` passages with lexical and dense indexes; returns timings too."""
    settings = load_settings(data_dir=tmp, index={"dense": "off"})
    store = Store.open(settings.url)
    xml = tmp / "records.xml"
    records = make(xml, records=int(size / PASSAGES_PER_RECORD) + 1)
    t0 = time.perf_counter()
    report = ingest_paths(store, [xml], fmt="pubmed")
    ingest_s = time.perf_counter() - t0
    xml.unlink()
    n_pass = report.total("passages")

    # lexical build
    indexes = open_indexes(settings)
    from medref.index.sync import sync

    t0 = time.perf_counter()
    sync(store, indexes)
    lexical_s = time.perf_counter() - t0
    indexes.close()

    # dense build: real vectors for a sample, perturbed copies for the rest
    from medref.index.embed import get_embedder
    from medref.index.factory import make_dense

    embedder = get_embedder("minilm-onnx")
    with read_tx(store.engine) as conn:
        rows = conn.execute(
            __import__("sqlalchemy").select(passages.c.id, passages.c.text).order_by(passages.c.id)
        ).all()
    ids = [r.id for r in rows]
    t0 = time.perf_counter()
    sample = embedder.embed([r.text for r in rows[:embed_n]])
    embed_s = time.perf_counter() - t0
    del rows
    gc.collect()
    dense_settings = load_settings(data_dir=tmp, index={"dense": "usearch"})
    dense = make_dense("usearch", dense_settings.index_dir / "dense", dim=embedder.dim)
    (dense_settings.index_dir / "dense").mkdir(parents=True, exist_ok=True)
    (dense_settings.index_dir / "dense" / "backend.json").write_text(json.dumps({"backend": "usearch"}))
    rng = np.random.default_rng(7)
    t0 = time.perf_counter()
    chunk = 50_000
    for i in range(0, len(ids), chunk):
        part = ids[i : i + chunk]
        base = sample[rng.integers(0, len(sample), size=len(part))]
        vecs = base + rng.normal(scale=0.05, size=base.shape).astype(np.float32)
        vecs /= np.linalg.norm(vecs, axis=1, keepdims=True)
        dense.add(part, vecs.astype(np.float32))
    dense.commit(store_watermark(store))
    dense_s = time.perf_counter() - t0
    dense.close()
    info = {
        "passages": n_pass,
        "records": records,
        "ingest_passages_per_s": round(n_pass / ingest_s),
        "lexical_build_passages_per_s": round(n_pass / lexical_s),
        "embed_passages_per_s": round(embed_n / embed_s, 1),
        "dense_build_vectors_per_s": round(n_pass / dense_s),
    }
    return dense_settings, store, info


def run(size: int, *, embed_n: int, n_queries: int, tmp: Path) -> dict[str, Any]:
    dense_settings, store, info = build_scaled(size, tmp, embed_n=embed_n)

    # queries through the real Retriever
    questions = [
        v["QUESTION"] for v in json.loads((SHARED / "pubmedqa" / "pqal_dev.json").read_text()).values()
    ]
    questions = questions[:n_queries]
    retriever = Retriever.open(dense_settings, store=store)
    retriever.lexicon = Lexicon.load(None)
    for q in questions[:10]:  # warm caches
        retriever.search(q, k=10)
    lex_ms: list[float] = []
    hyb_ms: list[float] = []
    for q in questions:
        t = time.perf_counter()
        retriever.search(q, k=10, dense=False)
        lex_ms.append((time.perf_counter() - t) * 1000)
        t = time.perf_counter()
        retriever.search(q, k=10)
        hyb_ms.append((time.perf_counter() - t) * 1000)
    # the lexical index alone (no store lookup, no rerank)
    from medref.index.base import LexicalQuery
    from medref.retrieve.query import analyze

    raw_ms: list[float] = []
    for q in questions:
        a = analyze(q, retriever.lexicon)
        lq = LexicalQuery(terms=[(t, 1.0) for t in a.terms])
        t = time.perf_counter()
        retriever.indexes.lexical.search(lq, 100)
        raw_ms.append((time.perf_counter() - t) * 1000)
    retriever.close()
    store.close()
    return {
        **info,
        "lexical_index_p50_ms": round(statistics.median(raw_ms), 2),
        "lexical_search_p50_ms": round(statistics.median(lex_ms), 1),
        "lexical_search_p95_ms": round(pct(lex_ms, 95), 1),
        "hybrid_search_p50_ms": round(statistics.median(hyb_ms), 1),
        "hybrid_search_p95_ms": round(pct(hyb_ms, 95), 1),
        "peak_rss_mb": round(rss_mb()),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--embed", type=int, default=2000, help="passages embedded for real")
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()
    results = []
    for size in [int(s) for s in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory() as td:
            r = run(size, embed_n=args.embed, n_queries=args.queries, tmp=Path(td))
        r["target"] = size
        results.append(r)
        print(json.dumps(r), flush=True)
    save_json("retrieval_speed", results)
    rows = [
        [
            f"{r['passages']:,}",
            r["ingest_passages_per_s"],
            r["lexical_build_passages_per_s"],
            r["dense_build_vectors_per_s"],
            r["lexical_index_p50_ms"],
            f"{r['lexical_search_p50_ms']} / {r['lexical_search_p95_ms']}",
            f"{r['hybrid_search_p50_ms']} / {r['hybrid_search_p95_ms']}",
            r["peak_rss_mb"],
        ]
        for r in results
    ]
    body = (
        "## Retrieval speed and memory\n\n"
        "Full `Retriever.search` (k=10) over a SQLite store, tantivy lexical index and usearch "
        "HNSW dense index, 200 real PubMedQA questions, one process on 2 cores. "
        "Passages are real-format MEDLINE records (PubMedQA abstracts repeated with new PMIDs). "
        f"Dense vectors: {args.embed} passages embedded for real with all-MiniLM-L6-v2 int8 ONNX, "
        "the rest perturbed copies of those (embedding 1M passages would take hours on 2 cores; "
        "the embedding rate column is the real one).\n\n"
        + md_table(
            [
                "passages",
                "ingest passages/s",
                "lexical build passages/s",
                "dense add vectors/s",
                "lexical index p50 ms",
                "lexical search p50/p95 ms",
                "hybrid search p50/p95 ms",
                "peak RSS MB",
            ],
            rows,
        )
        + "\n\nReal embedding rate: "
        + ", ".join(f"{r['embed_passages_per_s']} passages/s" for r in results[:1])
        + ".\n\nGoals: lexical query p50 under 20 ms and hybrid p50 under 60 ms at 1M passages; "
        "lexical index build at least 5,000 passages/s."
    )
    write_section("retrieval-speed", body, command=f"python -m bench.retrieval_speed --sizes {args.sizes}")


if __name__ == "__main__":
    main()
