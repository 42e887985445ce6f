"""Shared machinery of the retrieval-quality benchmark: corpora with memoised indexes,
configurations of the real Retriever, and the per-question document metrics.

A :class:`Corpus` wraps a :class:`bench.dev_corpus.DevCorpus` (store + tantivy + dense index)
with memoising wrappers, so running many configurations over the same questions recomputes
only the fusion and the rerank. A :class:`Config` is the shipped :class:`RetrievalSettings`
with some values changed (its defaults *are* the shipped values), or a raw index.
"""

from __future__ import annotations

import gc
import math
import statistics
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

import medref.retrieve.retriever as retriever_module
from bench.dev_corpus import DEFAULT_CACHE, DevCorpus, open_dev_corpus
from medref.index.base import Hit, LexicalQuery
from medref.index.sync import IndexSet
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.query import analyze
from medref.retrieve.rerank import RerankWeights
from medref.retrieve.retriever import Retriever, clean_query
from medref.settings import RetrievalSettings
from medref.store.db import read_tx
from medref.store.schema import documents, passages

K_PASSAGES = 100  # the most that keeps the shipped candidate count (max(candidates=100, k))
CUT = 10
TUNE = {"Task7BGoldenEnriched"}
NO_RERANK = RerankWeights(evidence_role=0, evidence_other=0, direct=0, superseded=0, recency=0)
SHIPPED = RetrievalSettings()
SHIPPED_EXPANSION = retriever_module.EXPANSION_WEIGHT


def log(msg: str) -> None:
    print(time.strftime("%H:%M:%S"), msg, flush=True)


# ------------------------------------------------------------------ memoised wrappers
class _Memo:
    """Delegates everything to ``inner``; subclasses memoise the calls the benchmark repeats."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.memo: dict[Any, Any] = {}

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


class MemoLexical(_Memo):
    def search(self, query: LexicalQuery, k: int) -> list[Hit]:
        key = (tuple(query.terms), query.kinds, tuple(query.phrases), k)
        if key not in self.memo:
            self.memo[key] = self.inner.search(query, k)
        return list(self.memo[key])


class MemoDense(_Memo):
    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        key = (np.asarray(vector, dtype=np.float32).tobytes(), k)
        if key not in self.memo:
            self.memo[key] = self.inner.search(vector, k)
        return list(self.memo[key])


class MemoEmbedder(_Memo):
    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        missing = list(dict.fromkeys(t for t in texts if t not in self.memo))
        if missing:
            for t, v in zip(missing, self.inner.embed(missing, batch_size=batch_size), strict=True):
                self.memo[t] = v
        return np.stack([self.memo[t] for t in texts]) if texts else self.inner.embed([])


class MemoStore(_Memo):
    def passages_by_ids(self, ids: Sequence[int]) -> dict[int, Any]:
        missing = [i for i in ids if i not in self.memo]
        if missing:
            found = self.inner.passages_by_ids(missing)
            for i in missing:
                self.memo[i] = found.get(i)
        return {i: self.memo[i] for i in ids if self.memo[i] is not None}

    def short_document_texts(self, uids: Iterable[str], *, max_chars: int) -> dict[str, str]:
        wanted = list(uids)
        missing = [u for u in wanted if (u, max_chars) not in self.memo]
        if missing:
            found = self.inner.short_document_texts(missing, max_chars=max_chars)
            for u in missing:
                self.memo[u, max_chars] = found.get(u)
        return {u: self.memo[u, max_chars] for u in wanted if self.memo[u, max_chars] is not None}


@dataclass
class BenchRetriever(Retriever):
    """The real Retriever with its directness check memoised (it depends on text and entities only)."""

    direct_memo: dict[Any, tuple[list[str], str | None]] = field(default_factory=dict)

    def _directness(
        self, text: str, title: str, key: Sequence[Any], *more: Any
    ) -> tuple[list[str], str | None]:
        memo_key = (text, title, tuple(c.id for c in key), *more)
        if memo_key not in self.direct_memo:
            self.direct_memo[memo_key] = super()._directness(text, title, key, *more)
        matched, where = self.direct_memo[memo_key]
        return list(matched), where


# ------------------------------------------------------------------ corpora
@dataclass
class Corpus:
    name: str
    retriever: BenchRetriever
    uid_of: dict[int, str]  # passage id -> document uid ("pmid:..." for articles)
    stats: dict[str, Any]
    dev: DevCorpus

    def close(self) -> None:
        self.dev.close()


def recipe_folder(include: Sequence[str], sample: Mapping[str, float], limit: int | None) -> str:
    """A folder name per corpus recipe, so a recipe built once is reused by every later run."""
    parts = [s if sample.get(s, 1.0) >= 1.0 else f"{s}{round(100 * sample[s])}" for s in include]
    return "-".join(parts) + (f"-limit{limit}" if limit else "")


def open_corpus(
    root: Path,
    *,
    include: Sequence[str],
    sample: Mapping[str, float] | None = None,
    limit: int | None = None,
    dense: str = "auto",
    lexicon: Lexicon,
    cache: Path | None = DEFAULT_CACHE,
) -> Corpus:
    sample = dict(sample or {})
    name = recipe_folder(include, sample, limit)
    dev = open_dev_corpus(
        root / name, include=include, sample=sample, limit_questions=limit, dense=dense, cache=cache
    )
    with read_tx(dev.store.engine) as conn:
        rows = conn.execute(
            select(passages.c.id, documents.c.uid).join(documents, documents.c.id == passages.c.document_id)
        ).all()
    # The store does not change from here on: skip the per-search freshness query (a SQL round trip).
    retriever_module.check_fresh = lambda _store, _indexes: 0
    ix = dev.indexes
    memo_set = IndexSet(
        lexical=MemoLexical(ix.lexical),
        dense=MemoDense(ix.dense),
        embedder=MemoEmbedder(ix.embedder),
        notes=ix.notes,
    )
    r = BenchRetriever(
        store=MemoStore(dev.store), indexes=memo_set, lexicon=lexicon, settings=dev.settings.retrieval
    )
    return Corpus(name, r, {int(i): str(u) for i, u in rows}, dev.stats, dev)


# ------------------------------------------------------------------ configurations
@dataclass(frozen=True)
class Config:
    """A retrieval configuration; every default is the shipped value."""

    name: str
    mode: str = "retriever"  # or "bm25-raw", "dense-raw"
    dense: bool = True
    expand: bool = SHIPPED.expand
    expansion_weight: float = SHIPPED_EXPANSION
    rrf_k: int = SHIPPED.rrf_k
    lexical_weight: float = SHIPPED.lexical_weight
    dense_weight: float = SHIPPED.dense_weight
    anchor_top: int = SHIPPED.anchor_top
    anchor_rare_share: float = SHIPPED.anchor_rare_share
    anchor_rank_offset: int = SHIPPED.anchor_rank_offset
    direct: float | None = None  # None: the shipped RerankWeights
    rerank: bool = True

    def describe(self) -> dict[str, Any]:
        if self.mode != "retriever":
            return {"mode": self.mode}
        d = asdict(self)
        d.pop("name")
        d["direct"] = (RerankWeights().direct if self.direct is None else self.direct) if self.rerank else 0.0
        return d

    def settings_update(self) -> dict[str, Any]:
        keys = (
            "rrf_k",
            "lexical_weight",
            "dense_weight",
            "anchor_top",
            "anchor_rare_share",
            "anchor_rank_offset",
        )
        return {k: getattr(self, k) for k in keys}


def ranked_docs(c: Corpus, cfg: Config, question: str) -> list[str]:
    """Distinct document uids in rank order from the first K_PASSAGES passages (a distractor
    without a PMID, e.g. a demo drug label, takes its place in the ranking like any other)."""
    r = c.retriever
    if cfg.mode == "bm25-raw":
        text, _ = clean_query(question, max_chars=r.settings.max_query_chars)
        terms = [(t, 1.0) for t in analyze(text, r.lexicon).terms]
        ids = [h.id for h in r.indexes.lexical.search(LexicalQuery(terms=terms), K_PASSAGES)] if terms else []
    elif cfg.mode == "dense-raw":
        text, _ = clean_query(question, max_chars=r.settings.max_query_chars)
        assert r.indexes.dense is not None and r.indexes.embedder is not None
        ids = [h.id for h in r.indexes.dense.search(r.indexes.embedder.embed([text])[0], K_PASSAGES)]
    else:
        hits = r.search(question, k=K_PASSAGES, dense=cfg.dense, expand=cfg.expand).hits
        return list(dict.fromkeys(h.document.uid for h in hits))
    return list(dict.fromkeys(c.uid_of[i] for i in ids if i in c.uid_of))


def run_config(c: Corpus, cfg: Config, questions: Sequence[str]) -> list[list[str]]:
    gc.collect()
    gc.freeze()  # the memoised hits stay alive: keep the collector from rescanning them
    r = c.retriever
    saved = (r.settings, r.weights, retriever_module.EXPANSION_WEIGHT)
    r.settings = r.settings.model_copy(update=cfg.settings_update())
    r.weights = (
        NO_RERANK
        if not cfg.rerank
        else (RerankWeights() if cfg.direct is None else replace(RerankWeights(), direct=cfg.direct))
    )
    retriever_module.EXPANSION_WEIGHT = cfg.expansion_weight
    try:
        return [ranked_docs(c, cfg, q) for q in questions]
    finally:
        r.settings, r.weights, retriever_module.EXPANSION_WEIGHT = saved


# ------------------------------------------------------------------ metrics
def doc_metrics(ranked: list[str], gold: set[str]) -> dict[str, float]:
    top = ranked[:CUT]
    gains = [1.0 if p in gold else 0.0 for p in top]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold), CUT)))
    first = next((i for i, g in enumerate(gains) if g), None)
    return {
        "recall": sum(gains) / len(gold),
        "ndcg": dcg / idcg,
        "mrr": 0.0 if first is None else 1 / (first + 1),
        "short": float(len(top) < CUT),
    }


def mean_of(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("recall", "ndcg", "mrr", "short")
    return {k: round(statistics.fmean(r[k] for r in rows), 4) if rows else 0.0 for k in keys} | {
        "n": len(rows)
    }


@dataclass
class BioQ:
    id: str
    body: str
    type: str
    task: str
    gold: set[str]  # document uids ("pmid:...")

    @property
    def split(self) -> str:
        return "tune" if self.task in TUNE else "test"


@dataclass
class BioRun:
    """One configuration over BioASQ questions: means per split, per-question metrics and rankings."""

    summary: dict[str, Any]
    per: list[dict[str, float]]
    ranked: list[list[str]]


def eval_bioasq(c: Corpus, cfg: Config, qs: list[BioQ]) -> BioRun:
    t0 = time.perf_counter()
    ranked = run_config(c, cfg, [q.body for q in qs])
    per = [doc_metrics(rk, q.gold) for rk, q in zip(ranked, qs, strict=True)]
    splits = {"all": per} | {
        s: [m for m, q in zip(per, qs, strict=True) if q.split == s] for s in ("tune", "test")
    }
    out = {s: mean_of(v) for s, v in splits.items()} | {
        "config": cfg.describe(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
    return BioRun(out, per, ranked)


def versus_bm25(bm25: BioRun, other: BioRun, qs: list[BioQ]) -> dict[str, dict[str, int]]:
    """Per split: questions where BM25 alone has the higher nDCG@10 ("bm25_wins"), where ``other``
    has ("other_wins"), and "buried": BM25's first document is gold but ``other`` ranks it below
    the cut (outside the first 10 documents)."""
    out: dict[str, dict[str, int]] = {}
    for split in ("tune", "test", "all"):
        rows = [
            (b, o, rb, ro, q)
            for b, o, rb, ro, q in zip(bm25.per, other.per, bm25.ranked, other.ranked, qs, strict=True)
            if split == "all" or q.split == split
        ]
        out[split] = {
            "bm25_wins": sum(b["ndcg"] > o["ndcg"] + 1e-9 for b, o, *_ in rows),
            "other_wins": sum(o["ndcg"] > b["ndcg"] + 1e-9 for b, o, *_ in rows),
            "buried": sum(bool(rb) and rb[0] in q.gold and rb[0] not in ro[:CUT] for _, _, rb, ro, q in rows),
        }
    return out


def eval_pubmedqa(c: Corpus, cfg: Config, items: list[tuple[str, str]]) -> dict[str, Any]:
    """``items``: (document uid of the question's own abstract, question)."""
    t0 = time.perf_counter()
    ranked = run_config(c, cfg, [q for _, q in items])
    hits1 = [rk[:1].count(uid) for (uid, _), rk in zip(items, ranked, strict=True)]
    hits5 = [int(uid in rk[:5]) for (uid, _), rk in zip(items, ranked, strict=True)]
    return {
        "n": len(items),
        "top1": round(statistics.fmean(hits1), 4),
        "top5": round(statistics.fmean(hits5), 4),
        "config": cfg.describe(),
        "seconds": round(time.perf_counter() - t0, 1),
    }
