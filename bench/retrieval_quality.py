"""Retrieval quality on real benchmark questions: BM25 alone, dense alone, hybrid, the default.

    python -m bench.retrieval_quality                       # full run (embeds ~14k passages)
    python -m bench.retrieval_quality --limit-questions 40  # quick run on a small corpus
    python -m bench.retrieval_quality --lexicon path/to/lexicon.jsonl.gz

BioASQ task b (Task 7B-9B golden): the corpus is every gold snippet, grouped into one document
per PMID (:func:`medref.ingest.benchmarks.bioasq_documents`), in a fresh SQLite store with a
tantivy and a dense index (all-MiniLM-L6-v2 on onnxruntime). Each question retrieves 100
passages; they are mapped to their document's PMID and deduplicated (first occurrence wins),
and the first 10 documents are scored against the question's gold PMIDs: recall@10, nDCG@10
(binary gains) and MRR@10. Gold PMIDs with no snippet (no document in the corpus) are dropped;
a question left with none is skipped.

Configurations: ``bm25 raw`` (the lexical index on the question's content words, no rerank),
``bm25`` (``Retriever.search(dense=False, expand=False)``), ``bm25 + expansion``, ``dense raw``
(the dense index on the question's embedding), ``dense + rerank`` (the Retriever with lexical
weight 0), ``hybrid`` (no expansion), ``default`` (``Retriever.search(q)``, the shipped settings)
and ``default, no rerank`` (every RerankWeights at 0).

A grid (135 settings) over expansion weight, rrf_k, dense weight and directness bonus is run on
Task7B (tune); the best few by tune nDCG@10 are also run on Task8B+9B (held out, test). A fixed
list of one- or two-change variants of the shipped setting (``VARIANTS``) is run on every
question and on PubMedQA, so a proposed default can be read off with its held-out number.

PubMedQA dev (500 items): the corpus is the 500 abstracts, the queries their questions;
top-1 / top-5 = the question's own abstract is the first / among the first five documents.

The lexicon is ``--lexicon`` when given, else one built from the shared DrugBank + MeSH files
into the work folder, else the small built-in one; the output names it. Indexes and the query
embeddings are reused across configurations (memoised wrappers), so only the fusion and the
rerank are recomputed. ``--limit-questions N`` keeps N questions per BioASQ task and N PubMedQA
items, and builds the corpora from those only (quick, and not comparable with a full run).
Results: bench/out/retrieval_quality.json and the docs/benchmarks.md section "retrieval-quality".
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import itertools
import json
import math
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

import medref.retrieve.retriever as retriever_module
from bench.report import SHARED, md_table, save_json, write_section
from medref.errors import MedrefError
from medref.index.base import Hit, LexicalQuery
from medref.index.sync import IndexSet, check_fresh, open_indexes, store_watermark, sync
from medref.ingest.benchmarks import bioasq_documents, load_bioasq, load_pubmedqa, pubmedqa_documents
from medref.models import Document
from medref.retrieve.lexicon import Lexicon, build_default
from medref.retrieve.query import analyze
from medref.retrieve.rerank import RerankWeights
from medref.retrieve.retriever import Retriever, clean_query
from medref.settings import load_settings
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import documents, passages

K_PASSAGES = 100  # the most that keeps the shipped candidate count (max(candidates=100, k))
CUT = 10
TASKS = ("Task7BGoldenEnriched", "Task8BGoldenEnriched", "Task9BGoldenEnriched")
TUNE = {"Task7BGoldenEnriched"}
TOP = 8  # grid settings also run on the test split
NO_RERANK = RerankWeights(evidence_role=0, evidence_other=0, direct=0, superseded=0, recency=0)
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

    def _directness(self, text: str, title: str, key: Sequence[Any], *more: Any) -> tuple[list[str], str | None]:
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
    pmid_of: dict[int, str]
    stats: dict[str, Any]


class TimedEmbedder(_Memo):
    seconds = 0.0
    texts = 0

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        t0 = time.perf_counter()
        out = self.inner.embed(texts, batch_size=batch_size)
        self.seconds += time.perf_counter() - t0
        self.texts += len(texts)
        return np.asarray(out)


def build_corpus(name: str, docs: Callable[[], Iterable[Document]], root: Path, *,
                 dense: str, lexicon: Lexicon) -> Corpus:
    """A store + indexes in ``root/name`` (reused when a previous run completed them there)."""
    folder = root / name
    # onnxruntime must be loaded before usearch: the other order crashes the process (segfault)
    # on the first embed; "auto" happens to import it first, an explicit "usearch" does not.
    import onnxruntime  # noqa: F401

    settings = load_settings(data_dir=folder, index={"dense": dense, "embedder": "minilm-onnx"})
    store = Store.open(settings.url)
    done = folder / "build.json"
    indexes = None
    if done.exists() and store_watermark(store) > 0:
        try:
            indexes = open_indexes(settings, create=False)
            stats = {**json.loads(done.read_text()), "reused": True}
        except MedrefError as exc:  # e.g. an index format changed since: build again
            log(f"cannot reuse {folder} ({exc}); building it again")
            store.close()
            shutil.rmtree(folder)
            store = Store.open(settings.url)
    if indexes is None:
        t0 = time.perf_counter()
        res = store.write_file(docs(), path=name, fmt=name)
        store_s = time.perf_counter() - t0
        indexes = open_indexes(settings)
        if indexes.dense is None:
            raise SystemExit(f"dense search is unavailable: {'; '.join(indexes.notes)}")
        timer = TimedEmbedder(indexes.embedder)
        indexes.embedder = timer
        t0 = time.perf_counter()
        sync(store, indexes)
        index_s = time.perf_counter() - t0
        indexes.embedder = timer.inner
        stats = {
            "documents": res.documents, "passages": res.passages, "store_s": round(store_s, 1),
            "index_s": round(index_s, 1), "embed_s": round(timer.seconds, 1),
            "embed_passages_per_s": round(timer.texts / timer.seconds, 1) if timer.seconds else None,
        }
        done.write_text(json.dumps(stats))
    if check_fresh(store, indexes):
        raise SystemExit(f"the {name} index is behind its store; delete {folder} and run again")
    stats["lexical_backend"] = indexes.lexical.name
    stats["dense_backend"] = indexes.dense.name if indexes.dense is not None else None
    with read_tx(store.engine) as conn:
        rows = conn.execute(select(passages.c.id, documents.c.pmid).join(
            documents, documents.c.id == passages.c.document_id)).all()
    # The store does not change from here on: skip the per-search freshness query (a SQL round trip).
    retriever_module.check_fresh = lambda _store, _indexes: 0
    memo_set = IndexSet(lexical=MemoLexical(indexes.lexical), dense=MemoDense(indexes.dense),
                        embedder=MemoEmbedder(indexes.embedder), notes=indexes.notes)
    r = BenchRetriever(store=MemoStore(store), indexes=memo_set, lexicon=lexicon,
                       settings=settings.retrieval)
    return Corpus(name, r, {int(i): str(p) for i, p in rows}, stats)


# ------------------------------------------------------------------ configurations
@dataclass(frozen=True)
class Config:
    name: str
    mode: str = "retriever"  # or "bm25-raw", "dense-raw"
    dense: bool = True
    expand: bool = True
    expansion_weight: float = SHIPPED_EXPANSION
    rrf_k: int = 60
    lexical_weight: float = 1.0
    dense_weight: float = 1.0
    direct: float | None = None  # None: the shipped RerankWeights
    rerank: bool = True

    def describe(self) -> dict[str, Any]:
        if self.mode != "retriever":
            return {"mode": self.mode}
        d = RerankWeights().direct if self.direct is None else self.direct
        return {"dense": self.dense, "expand": self.expand,
                "expansion_weight": self.expansion_weight if self.expand else None,
                "rrf_k": self.rrf_k, "lexical_weight": self.lexical_weight,
                "dense_weight": self.dense_weight, "direct_bonus": d if self.rerank else 0.0,
                "rerank": self.rerank}


BASELINES = [
    Config("bm25 raw (lexical index, no rerank)", mode="bm25-raw"),
    Config("bm25 (Retriever dense=False, expand=False)", dense=False, expand=False),
    Config("bm25 + expansion (dense=False)", dense=False),
    Config("dense raw (dense index)", mode="dense-raw"),
    Config("dense + rerank (Retriever, lexical_weight=0)", expand=False, lexical_weight=0.0),
    Config("hybrid (expand=False)", expand=False),
    Config("default (Retriever.search(q))"),
    Config("default, no rerank (RerankWeights all 0)", rerank=False),
]
BM25, HYBRID, DEFAULT = BASELINES[1].name, BASELINES[5].name, BASELINES[6].name


def setting(exp: float | None, rrf_k: int, dw: float, direct: float) -> Config:
    """Expansion weight (None: off), rrf_k, dense weight (lexical 1.0), directness bonus."""
    return Config(f"expand={exp or 'off'} rrf_k={rrf_k} dense_w={dw} direct={direct}", expand=exp is not None,
                  expansion_weight=exp or SHIPPED_EXPANSION, rrf_k=rrf_k, dense_weight=dw, direct=direct)


def grid() -> list[Config]:
    return [setting(*p) for p in itertools.product((None, 0.3, 0.6), (10, 30, 60), (0.5, 1.0, 1.5, 2.0, 3.0),
                                                   (0.0, 0.1, 0.2))]


_SHIP = (SHIPPED_EXPANSION, 60, 1.0, RerankWeights().direct)
#: The shipped setting and one or two changes to it: run on every question and on PubMedQA.
VARIANTS = [setting(*p) for p in [
    _SHIP, (0.6, 60, 1.5, 0.2), (0.6, 60, 2.0, 0.2), (0.6, 60, 3.0, 0.2), (0.3, 60, 1.0, 0.2),
    (None, 60, 1.0, 0.2), (0.6, 10, 1.0, 0.2), (0.6, 30, 1.0, 0.2), (0.6, 60, 1.0, 0.1), (0.6, 60, 1.0, 0.0),
    (0.3, 60, 2.0, 0.2), (None, 60, 2.0, 0.2), (0.3, 30, 2.0, 0.2), (0.3, 10, 2.0, 0.2),
]]


def ranked_pmids(c: Corpus, cfg: Config, question: str) -> list[str]:
    """Distinct PMIDs in rank order from the first K_PASSAGES passages."""
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
        return list(dict.fromkeys(h.document.pmid for h in hits if h.document.pmid))
    return list(dict.fromkeys(c.pmid_of[i] for i in ids if i in c.pmid_of))


def run_config(c: Corpus, cfg: Config, questions: Sequence[str]) -> list[list[str]]:
    gc.collect()
    gc.freeze()  # the memoised hits stay alive: keep the collector from rescanning them
    r = c.retriever
    saved = (r.settings, r.weights, retriever_module.EXPANSION_WEIGHT)
    r.settings = r.settings.model_copy(update={
        "rrf_k": cfg.rrf_k, "lexical_weight": cfg.lexical_weight, "dense_weight": cfg.dense_weight})
    r.weights = NO_RERANK if not cfg.rerank else (
        RerankWeights() if cfg.direct is None else replace(RerankWeights(), direct=cfg.direct))
    retriever_module.EXPANSION_WEIGHT = cfg.expansion_weight
    try:
        return [ranked_pmids(c, cfg, q) for q in questions]
    finally:
        r.settings, r.weights, retriever_module.EXPANSION_WEIGHT = saved


# ------------------------------------------------------------------ metrics
def doc_metrics(ranked: list[str], gold: set[str]) -> dict[str, float]:
    top = ranked[:CUT]
    gains = [1.0 if p in gold else 0.0 for p in top]
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    idcg = sum(1 / math.log2(i + 2) for i in range(min(len(gold), CUT)))
    first = next((i for i, g in enumerate(gains) if g), None)
    return {"recall": sum(gains) / len(gold), "ndcg": dcg / idcg, "mrr": 0.0 if first is None else 1 / (first + 1),
            "short": float(len(top) < CUT)}


def mean_of(rows: list[dict[str, float]]) -> dict[str, float]:
    keys = ("recall", "ndcg", "mrr", "short")
    return {k: round(statistics.fmean(r[k] for r in rows), 4) if rows else 0.0 for k in keys} | {"n": len(rows)}


@dataclass
class BioQ:
    id: str
    body: str
    type: str
    task: str
    gold: set[str]


def eval_bioasq(c: Corpus, cfg: Config, qs: list[BioQ]) -> tuple[dict[str, Any], list[dict[str, float]]]:
    t0 = time.perf_counter()
    per = [doc_metrics(rk, q.gold) for rk, q in zip(run_config(c, cfg, [q.body for q in qs]), qs, strict=True)]
    splits = {"all": per, "tune": [m for m, q in zip(per, qs, strict=True) if q.task in TUNE],
              "test": [m for m, q in zip(per, qs, strict=True) if q.task not in TUNE]}
    out = {s: mean_of(v) for s, v in splits.items()} | {"config": cfg.describe(),
                                                        "seconds": round(time.perf_counter() - t0, 1)}
    return out, per


def eval_pubmedqa(c: Corpus, cfg: Config, items: list[tuple[str, str]]) -> dict[str, Any]:
    ranked = run_config(c, cfg, [q for _, q in items])
    hits1 = [rk[:1].count(p) for (p, _), rk in zip(items, ranked, strict=True)]
    hits5 = [int(p in rk[:5]) for (p, _), rk in zip(items, ranked, strict=True)]
    return {"n": len(items), "top1": round(statistics.fmean(hits1), 4), "top5": round(statistics.fmean(hits5), 4),
            "config": cfg.describe()}


def loss_analysis(c: Corpus, qs: list[BioQ], base: list[dict[str, float]], default: list[dict[str, float]],
                  n: int = 8) -> dict[str, Any]:
    """Where the default loses to ``base`` (labelled "bm25"): by question type, by expansion, and
    the questions it loses most on."""
    lex = c.retriever.lexicon
    rows: list[dict[str, Any]] = []
    for q, b, d in zip(qs, base, default, strict=True):
        a = analyze(q.body, lex)
        rows.append({"id": q.id, "type": q.type, "question": q.body, "bm25": round(b["ndcg"], 3),
                     "default": round(d["ndcg"], 3), "delta": round(d["ndcg"] - b["ndcg"], 3),
                     "key_entities": [k.preferred for k in a.key_entities],
                     "expansions": sum(len(v) for v in a.expansions.values())})

    def group(key: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for g in sorted({key(r) for r in rows}):
            sel = [r for r in rows if key(r) == g]
            out[g] = {"n": len(sel), "bm25": round(statistics.fmean(r["bm25"] for r in sel), 4),
                      "default": round(statistics.fmean(r["default"] for r in sel), 4)}
        return out

    return {"by_type": group(lambda r: r["type"]),
            "by_expansion": group(lambda r: "expanded" if r["expansions"] else "not expanded"),
            "by_key_entity": group(lambda r: "has key entity" if r["key_entities"] else "no key entity"),
            "wins": sum(r["delta"] > 0 for r in rows), "losses": sum(r["delta"] < 0 for r in rows),
            "worst": sorted(rows, key=lambda r: r["delta"])[:n], "best": sorted(rows, key=lambda r: -r["delta"])[:n]}


# ------------------------------------------------------------------ main
def pick_lexicon(arg: Path | None, root: Path) -> tuple[Lexicon, str]:
    if arg is not None:
        lex = Lexicon.load(arg)
        if lex.is_builtin:
            raise SystemExit(f"--lexicon {arg} does not exist")
        return lex, f"{arg} (given with --lexicon)"
    if (SHARED / "drugbank").is_dir() and (SHARED / "mesh").is_dir():
        path = root / "lexicon.jsonl.gz"
        if not path.exists():
            t0 = time.perf_counter()
            build_default(SHARED, path)
            log(f"lexicon built in {time.perf_counter() - t0:.1f} s")
        return Lexicon.load(path), f"DrugBank + MeSH + built-in, built from {SHARED} by build_default"
    return Lexicon.load(None), "built-in curated lexicon only (no DrugBank/MeSH data found)"


def code_fingerprint() -> str:
    """A short hash of the retrieval code measured (the source changes often)."""
    h = hashlib.sha256()
    for name in ("retrieve/retriever.py", "retrieve/query.py", "retrieve/rerank.py", "index/fusion.py",
                 "index/lexical_tantivy.py", "index/textnorm.py"):
        h.update((Path(retriever_module.__file__).parents[1] / name).read_bytes())
    return h.hexdigest()[:12]


def bioasq_questions(limit: int | None) -> tuple[list[Any], list[BioQ]]:
    raw = []
    for task in TASKS:
        qs = load_bioasq(SHARED / "bioasq" / task)
        raw.extend(qs[:limit] if limit else qs)
    return raw, [BioQ(q.id, q.body, q.type, Path(q.source).parent.name, set(q.documents)) for q in raw]


def fmt(x: float) -> str:
    return f"{100 * x:.1f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--limit-questions", type=int, default=None, help="N questions per BioASQ task and PubMedQA")
    ap.add_argument("--lexicon", type=Path, default=None, help="a built lexicon.jsonl.gz")
    ap.add_argument("--dense", default="auto", help="dense backend: auto (the default: usearch), usearch, numpy")
    ap.add_argument("--workdir", type=Path, default=None, help="keep stores/indexes here (reused next time)")
    ap.add_argument("--no-grid", action="store_true", help="skip the tuning grid")
    ap.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = ap.parse_args(argv)
    tmp = None
    if args.workdir is None:
        tmp = tempfile.TemporaryDirectory(prefix="medref-rq-")
        root = Path(tmp.name)
    else:
        root = args.workdir
        root.mkdir(parents=True, exist_ok=True)
    try:
        result = run(args, root)
    finally:
        if tmp is not None:
            tmp.cleanup()
    save_json("retrieval_quality", result)
    md = markdown(result)
    print(md)
    if not args.no_doc:
        write_section("retrieval-quality", md, command="python -m bench.retrieval_quality")


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    limit = args.limit_questions
    code = code_fingerprint()
    lexicon, lexicon_note = pick_lexicon(args.lexicon, root)
    log(f"lexicon: {lexicon_note} ({len(lexicon)} concepts)")
    raw, qs = bioasq_questions(limit)
    tag = f"-limit{limit}" if limit else ""
    bio = build_corpus(f"bioasq{tag}", lambda: bioasq_documents(raw), root, dense=args.dense, lexicon=lexicon)
    log(f"bioasq corpus: {bio.stats}")
    in_corpus = set(bio.pmid_of.values())
    for q in qs:
        q.gold &= in_corpus
    skipped = sum(1 for q in qs if not q.gold)
    qs = [q for q in qs if q.gold]
    t0 = time.perf_counter()
    bio.retriever.indexes.embedder.embed([clean_query(q.body, max_chars=2000)[0] for q in qs])
    q_embed_s = time.perf_counter() - t0
    log(f"{len(qs)} questions ({skipped} without gold documents skipped); embedded in {q_embed_s:.1f} s")

    bioasq: dict[str, Any] = {}
    per_q: dict[str, list[dict[str, float]]] = {}
    for cfg in BASELINES:
        bioasq[cfg.name], per_q[cfg.name] = eval_bioasq(bio, cfg, qs)
        log(f"{cfg.name}: {bioasq[cfg.name]['all']} ({bioasq[cfg.name]['seconds']} s)")
    losses = loss_analysis(bio, qs, per_q[BM25], per_q[DEFAULT])
    expansion = loss_analysis(bio, qs, per_q[HYBRID], per_q[DEFAULT])

    tuning: dict[str, Any] = {}
    best: Config | None = None
    if not args.no_grid:  # every setting on the tune split; the best few also on the test split
        configs = grid()
        tune_qs = [q for q in qs if q.task in TUNE]
        for i, cfg in enumerate(configs, 1):
            tuning[cfg.name], _ = eval_bioasq(bio, cfg, tune_qs)
            if i % 15 == 0:
                log(f"grid {i}/{len(configs)}: {cfg.name} tune {tuning[cfg.name]['tune']['ndcg']}")
        same = next(c for c in configs if c.describe() == BASELINES[6].describe())
        if tuning[same.name]["tune"] != bioasq[DEFAULT]["tune"]:
            raise SystemExit(f"grid setting {same.name} should reproduce the default exactly")
        ranked = sorted(configs, key=lambda c: (-tuning[c.name]["tune"]["ndcg"], -tuning[c.name]["tune"]["mrr"]))
        best = ranked[0]
        for cfg in ranked[:TOP]:
            tuning[cfg.name], _ = eval_bioasq(bio, cfg, qs)
        log(f"best on tune: {best.name} {tuning[best.name]}")

    pqa_items = load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")[:limit]
    pqa = build_corpus(f"pubmedqa{tag}", lambda: pubmedqa_documents(pqa_items), root, dense=args.dense,
                       lexicon=lexicon)
    log(f"pubmedqa corpus: {pqa.stats}")
    pairs = [(it.pmid, it.question) for it in pqa_items]
    pconfigs = [*BASELINES[:2], *BASELINES[3:]]
    if best is not None:
        pconfigs.append(replace(best, name=f"tuned: {best.name}"))
    pubmedqa = {cfg.name: eval_pubmedqa(pqa, cfg, pairs) for cfg in pconfigs}
    for name, v in pubmedqa.items():
        log(f"pubmedqa {name}: {v['top1']} / {v['top5']}")
    variants: dict[str, Any] = {}
    for cfg in VARIANTS:
        variants[cfg.name] = {"bioasq": eval_bioasq(bio, cfg, qs)[0], "pubmedqa": eval_pubmedqa(pqa, cfg, pairs)}
        log(f"variant {cfg.name}: test {variants[cfg.name]['bioasq']['test']['ndcg']}")

    return {
        "lexicon": lexicon_note, "lexicon_concepts": len(lexicon), "limit_questions": limit,
        "code_fingerprint": code, "code_changed_during_run": code != code_fingerprint(),
        "k_passages": K_PASSAGES, "cutoff": CUT, "tune_split": sorted(TUNE),
        "test_split": sorted(set(TASKS) - TUNE),
        "bioasq_corpus": bio.stats, "pubmedqa_corpus": pqa.stats,
        "bioasq_questions": len(qs), "bioasq_skipped_no_gold": skipped,
        "question_embed_s": round(q_embed_s, 1),
        "bioasq": bioasq, "bioasq_losses": losses, "bioasq_expansion_effect": expansion,
        "tuning": tuning, "tuned": best.name if best else None,
        "tuned_config": best.describe() if best else None, "pubmedqa": pubmedqa, "variants": variants,
    }


def pts(a: float, b: float) -> str:
    return f"{100 * (a - b):+.1f}"


def markdown(res: dict[str, Any]) -> str:
    bio, pqa, tun, var = res["bioasq"], res["pubmedqa"], res["tuning"], res["variants"]
    bs, ps = res["bioasq_corpus"], res["pubmedqa_corpus"]
    nd = {n: v["all"]["ndcg"] for n, v in bio.items()}
    lines = ["## Retrieval quality (BioASQ, PubMedQA)", ""]
    if res["limit_questions"]:
        lines += [f"**Quick run** (`--limit-questions {res['limit_questions']}`): small corpora, "
                  "not comparable with a full run.", ""]
    lines += [
        f"Lexicon: {res['lexicon']} ({res['lexicon_concepts']:,} concepts). Indexes: lexical "
        f"`{bs['lexical_backend']}`, dense `{bs['dense_backend']}` with all-MiniLM-L6-v2 (`minilm-onnx`). "
        f"Retrieval code fingerprint `{res.get('code_fingerprint')}` (see the JSON).",
        f"BioASQ corpus: {bs['documents']:,} documents / {bs['passages']:,} passages (gold snippets by PMID, "
        f"Task7B-9B), embedded in {bs['embed_s']} s ({bs['embed_passages_per_s']} passages/s; whole index "
        f"{bs['index_s']} s). PubMedQA corpus: {ps['documents']} abstracts / {ps['passages']:,} passages, "
        f"embedded in {ps['embed_s']} s ({ps['embed_passages_per_s']} passages/s).",
        f"Each query retrieves {res['k_passages']} passages, mapped to PMIDs, deduplicated, cut at "
        f"{res['cutoff']} documents. {res['bioasq_skipped_no_gold']} BioASQ questions have no gold "
        "document in the corpus and are skipped.", "",
        f"BioASQ, all {res['bioasq_questions']} questions (tune = {', '.join(res['tune_split'])}; "
        f"test = {', '.join(res['test_split'])}):", "",
    ]
    rows = [[n, v["all"]["n"], fmt(v["all"]["recall"]), fmt(v["all"]["ndcg"]), fmt(v["all"]["mrr"]),
             fmt(v["tune"]["ndcg"]), fmt(v["test"]["ndcg"])] for n, v in bio.items()]
    lines += [md_table(["config", "questions", "recall@10", "nDCG@10", "MRR@10", "nDCG@10 tune", "nDCG@10 test"],
                       rows), ""]
    d_all, d_test = nd[DEFAULT] - nd[BM25], bio[DEFAULT]["test"]["ndcg"] - bio[BM25]["test"]["ndcg"]
    lines += [f"**Default vs BM25 alone: {100 * d_all:+.1f} nDCG@10 points on all questions "
              f"({100 * d_test:+.1f} on the test split); the +3.0 goal is {'met' if d_all >= 0.03 else 'not met'}.**",
              ""]
    loss, exp = res["bioasq_losses"], res["bioasq_expansion_effect"]
    groups = loss["by_type"] | loss["by_expansion"]
    lines += ["nDCG@10 by question group, BM25 vs default:", "",
              md_table(["group", "questions", "bm25", "default", "delta"],
                       [[g, v["n"], fmt(v["bm25"]), fmt(v["default"]), pts(v["default"], v["bm25"])]
                        for g, v in groups.items()]), "",
              f"Per question the default beats BM25 on {loss['wins']} and loses on {loss['losses']}. "
              "The largest losses:", "",
              md_table(["question", "type", "bm25", "default"],
                       [[r["question"], r["type"], fmt(r["bm25"]), fmt(r["default"])]
                        for r in loss["worst"][:6] if r["delta"] < 0]),
              ""]
    e = exp["by_expansion"].get("expanded", {"n": 0, "bm25": 0.0, "default": 0.0})
    lines += [f"Expansion (default vs hybrid without it): {pts(e['default'], e['bm25'])} nDCG@10 on the "
              f"{e['n']} questions that get expansions; it helps {exp['wins']} questions and hurts "
              f"{exp['losses']}.", ""]
    if var:
        base = var[VARIANTS[0].name]
        lines += ["The shipped setting and changes to it (BioASQ on every question; PubMedQA top-1/top-5):", "",
                  md_table(["setting", "nDCG@10 tune", "nDCG@10 test", "test vs shipped", "recall@10 test",
                            "PubMedQA top-1", "top-5"],
                           [[("**shipped** " if i == 0 else "") + n, fmt(v["bioasq"]["tune"]["ndcg"]),
                             fmt(v["bioasq"]["test"]["ndcg"]),
                             pts(v["bioasq"]["test"]["ndcg"], base["bioasq"]["test"]["ndcg"]),
                             fmt(v["bioasq"]["test"]["recall"]), fmt(v["pubmedqa"]["top1"]), fmt(v["pubmedqa"]["top5"])]
                            for i, (n, v) in enumerate(var.items())]), ""]
    if res["tuned"]:
        top = sorted(tun, key=lambda n: (-tun[n]["tune"]["ndcg"], -tun[n]["tune"]["mrr"]))[:TOP]
        lines += [f"Tuning grid ({len(tun)} settings: expansion off/0.3/0.6, rrf_k 10/30/60, dense weight "
                  "0.5-3.0 with lexical 1.0, directness bonus 0/0.1/0.2), chosen on the tune split only; "
                  f"the {TOP} best on tune:", "",
                  md_table(["setting", "nDCG@10 tune", "nDCG@10 test", "recall@10 test", "MRR@10 test"],
                           [[n, fmt(tun[n]["tune"]["ndcg"]), fmt(tun[n]["test"]["ndcg"]),
                             fmt(tun[n]["test"]["recall"]), fmt(tun[n]["test"]["mrr"])] for n in top]), ""]
        t = tun[res["tuned"]]
        lines += [f"Chosen: `{res['tuned']}`: test nDCG@10 {fmt(t['test']['ndcg'])} vs BM25 "
                  f"{fmt(bio[BM25]['test']['ndcg'])} ({pts(t['test']['ndcg'], bio[BM25]['test']['ndcg'])}) "
                  f"and the default {fmt(bio[DEFAULT]['test']['ndcg'])} "
                  f"({pts(t['test']['ndcg'], bio[DEFAULT]['test']['ndcg'])}).", ""]
    lines += [f"PubMedQA dev ({next(iter(pqa.values()))['n']} questions, own abstract among "
              f"{ps['documents']}):", "",
              md_table(["config", "top-1", "top-5"], [[n, fmt(v["top1"]), fmt(v["top5"])] for n, v in pqa.items()]),
              ""]
    raw_bm25, raw_dense = BASELINES[0].name, BASELINES[3].name
    lines += [
        "What wins and loses (BioASQ nDCG@10, all questions): dense alone vs BM25 alone "
        f"{pts(nd[raw_dense], nd[raw_bm25])} (raw indexes); hybrid without expansion vs dense alone "
        f"{pts(nd[HYBRID], nd[raw_dense])}; expansion {pts(nd[DEFAULT], nd[HYBRID])}; the rerank "
        f"(directness bonus; evidence and recency bonuses are zero on this corpus) "
        f"{pts(nd[DEFAULT], nd[BASELINES[7].name])}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
