"""What the lexical-anchor rarity probes cost at scale (run by ``bench.retrieval_quality``).

The Retriever finds rare query terms by asking the lexical index, per query term (at most 16),
for ``limit + 1`` passages holding it, ``limit = min(anchor_rare_share x passages, 200)``
(:func:`medref.retrieve.retriever.rare_limit`). This measures them beside
the main lexical search (the question's terms, 100 hits), per question, on the synthetic
corpora of ``bench.lexical_backends`` (real BioASQ/PubMedQA passages repeated with random
suffixes), with the PubMedQA dev questions.
"""

from __future__ import annotations

import shutil
import statistics
import time
from pathlib import Path
from typing import Any

from bench.lexical_backends import _batches, base_corpus
from bench.report import md_table
from medref.index.base import LexicalQuery
from medref.index.factory import make_lexical
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.query import analyze
from medref.retrieve.retriever import MAX_ANCHOR_TERMS, PHRASING, rare_limit
from medref.settings import RetrievalSettings

WARMUP = 30


def _pct(values: list[float], q: float) -> float:
    s = sorted(values)
    return round(s[int(q * (len(s) - 1))], 2)


def _index(root: Path, backend: str, n: int) -> Any:
    folder = root / f"anchor-cost-{backend}-{n}"
    done = folder / "built"
    if not done.exists():
        if folder.exists():
            shutil.rmtree(folder)
        ix = make_lexical(backend, folder / "ix", create=True)
        for batch in _batches(n):
            ix.add(batch)
        ix.commit(n)
        ix.close()
        done.write_text("ok")
    return make_lexical(backend, folder / "ix", create=False)


def measure(root: Path, sizes: list[int], backend: str = "tantivy") -> list[dict[str, Any]]:
    share = RetrievalSettings().anchor_rare_share
    lexicon = Lexicon.load(None)
    _, questions = base_corpus()
    terms = [list(analyze(q, lexicon).terms) for q, _ in questions]
    out = []
    for n in sizes:
        t0 = time.perf_counter()
        ix = _index(root, backend, n)
        build_s = time.perf_counter() - t0
        limit = rare_limit(share, ix.count())
        main_ms: list[float] = []
        probe_ms: list[float] = []
        for i, words in enumerate(terms):
            if not words:
                continue
            t = time.perf_counter()
            ix.search(LexicalQuery(terms=[(w, 1.0) for w in words]), 100)
            m = (time.perf_counter() - t) * 1000
            t = time.perf_counter()
            for w in [w for w in words if w not in PHRASING][:MAX_ANCHOR_TERMS]:
                ix.search(LexicalQuery(terms=[(w, 1.0)]), limit + 1)
            p = (time.perf_counter() - t) * 1000
            if i >= WARMUP:
                main_ms.append(m)
                probe_ms.append(p)
        ix.close()
        out.append(
            {
                "backend": backend,
                "passages": n,
                "probe_k": limit + 1,
                "questions": len(main_ms),
                "build_or_open_s": round(build_s, 1),
                "main_p50_ms": round(statistics.median(main_ms), 2),
                "main_p95_ms": _pct(main_ms, 0.95),
                "probes_p50_ms": round(statistics.median(probe_ms), 2),
                "probes_p95_ms": _pct(probe_ms, 0.95),
            }
        )
    return out


def markdown(rows: list[dict[str, Any]]) -> list[str]:
    return [
        "Cost of the anchor rarity probes per question (PubMedQA dev questions, synthetic corpora of "
        "`bench.lexical_backends`: real passages repeated with random suffixes), beside the main lexical "
        "search of the same question; the dense search and the rerank come on top of both:",
        "",
        md_table(
            ["backend", "passages", "probe k", "main search p50 / p95 ms", "all probes p50 / p95 ms"],
            [
                [
                    r["backend"],
                    f"{r['passages']:,}",
                    r["probe_k"],
                    f"{r['main_p50_ms']} / {r['main_p95_ms']}",
                    f"{r['probes_p50_ms']} / {r['probes_p95_ms']}",
                ]
                for r in rows
            ],
        ),
        "",
    ]
