"""The development corpus with distractors, for retrieval and answer benchmarks.

    from bench.dev_corpus import build_dev_corpus, open_dev_corpus
    build_dev_corpus(store)                                   # everything into an open store
    dev = open_dev_corpus(folder, sample={"pubmedqa": 0.5})   # store + indexes, reused next time

Sources (all development data; nothing here is a test split):

* ``bioasq``: every BioASQ Task 7B-9B golden snippet, one document per PMID (the union of its
  snippets, :func:`medref.ingest.benchmarks.bioasq_documents`): 7,808 documents.
* ``pubmedqa``: the 500 PubMedQA dev abstracts (:func:`~medref.ingest.benchmarks.pubmedqa_documents`).
* ``demo``: the bundled demo corpus (``src/medref/demo/corpus``), ingested like ``medref demo build``.

For BioASQ questions the PubMedQA abstracts and the demo corpus are distractors; for PubMedQA
questions BioASQ and the demo corpus are. ``sample`` keeps a share of a source's documents,
chosen by a hash of the document uid, so a smaller share is always a subset of a larger one
(nested distractor sizes). The demo corpus is small (a few files) and is kept whole or dropped.

Dense embedding is the slow part (~35-55 passages/s on 2 cores), so :class:`EmbeddingCache`
keeps every vector on disk, keyed by embedder name and text: a second corpus made of the same
passages (another sample, a rebuilt index) embeds nothing new.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import ROOT, SHARED
from medref.errors import MedrefError
from medref.index.sync import IndexSet, check_fresh, open_indexes, store_watermark, sync
from medref.ingest.benchmarks import (
    BioASQQuestion,
    bioasq_documents,
    load_bioasq,
    load_pubmedqa,
    pubmedqa_documents,
)
from medref.models import Document
from medref.settings import Settings, load_settings
from medref.store.repository import Store

SOURCES = ("bioasq", "pubmedqa", "demo")
BIOASQ_TASKS = ("Task7BGoldenEnriched", "Task8BGoldenEnriched", "Task9BGoldenEnriched")
DEFAULT_WORKDIR = ROOT / ".medref" / "bench"  # .medref/ is git-ignored
DEFAULT_CACHE = DEFAULT_WORKDIR / "embeddings.sqlite"


# ------------------------------------------------------------------ embedding cache
class EmbeddingCache:
    """An embedder that remembers every vector on disk (SQLite), keyed by model name + text."""

    def __init__(self, inner: Any, path: Path = DEFAULT_CACHE) -> None:
        self.inner = inner
        self.name: str = inner.name
        self.dim: int = inner.dim
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self.db = sqlite3.connect(path, timeout=120)  # other benches may share the file
        self.db.execute("CREATE TABLE IF NOT EXISTS vec (key BLOB PRIMARY KEY, v BLOB NOT NULL)")
        self.hits = self.misses = 0
        self.embed_s = 0.0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def _key(self, text: str) -> bytes:
        return hashlib.sha1(f"{self.name}\0{self.dim}\0{text}".encode()).digest()

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        keys = [self._key(t) for t in texts]
        found: dict[bytes, np.ndarray] = {}
        unique = list(dict.fromkeys(keys))
        for i in range(0, len(unique), 500):
            chunk = unique[i : i + 500]
            rows = self.db.execute(
                f"SELECT key, v FROM vec WHERE key IN ({','.join('?' * len(chunk))})", chunk
            ).fetchall()
            found.update((k, np.frombuffer(v, dtype=np.float32)) for k, v in rows)
        missing = [(k, t) for k, t in dict(zip(keys, texts, strict=True)).items() if k not in found]
        self.hits += len(texts) - len(missing)
        self.misses += len(missing)
        if missing:
            t0 = time.perf_counter()
            vectors = np.asarray(
                self.inner.embed([t for _, t in missing], batch_size=batch_size), dtype=np.float32
            )
            self.embed_s += time.perf_counter() - t0
            with self.db:
                self.db.executemany(
                    "INSERT OR REPLACE INTO vec VALUES (?, ?)",
                    [(k, v.tobytes()) for (k, _), v in zip(missing, vectors, strict=True)],
                )
            found.update((k, v) for (k, _), v in zip(missing, vectors, strict=True))
        for i, k in enumerate(keys):
            out[i] = found[k]
        return out

    def close(self) -> None:
        self.db.close()


# ------------------------------------------------------------------ sources
def bioasq_questions(limit: int | None = None, shared: Path = SHARED) -> list[BioASQQuestion]:
    """BioASQ Task 7B-9B golden questions, ``limit`` per task when given."""
    out: list[BioASQQuestion] = []
    for task in BIOASQ_TASKS:
        qs = load_bioasq(shared / "bioasq" / task)
        out.extend(qs[:limit] if limit else qs)
    return out


def keep(uid: str, share: float) -> bool:
    """Deterministic, nested sampling: a uid kept at share s is kept at every share above s."""
    if share >= 1.0:
        return True
    h = int.from_bytes(hashlib.sha256(uid.encode()).digest()[:8], "big") / 2**64
    return h < share


def _sampled(docs: Iterable[Document], share: float, counts: dict[str, int]) -> Iterator[Document]:
    for d in docs:
        counts["offered"] += 1
        if keep(d.uid, share):
            counts["kept"] += 1
            yield d


@dataclass
class CorpusReport:
    """What :func:`build_dev_corpus` stored, per source."""

    sources: dict[str, dict[str, Any]] = field(default_factory=dict)

    @property
    def documents(self) -> int:
        return sum(int(s.get("documents", 0)) for s in self.sources.values())

    @property
    def passages(self) -> int:
        return sum(int(s.get("passages", 0)) for s in self.sources.values())


def build_dev_corpus(
    store_or_settings: Store | Settings,
    *,
    include: Sequence[str] = SOURCES,
    sample: Mapping[str, float] | None = None,
    limit_questions: int | None = None,
    shared: Path = SHARED,
) -> CorpusReport:
    """Store the development corpus: the ``include``d sources, ``sample[source]`` of each (1.0 when
    absent). ``limit_questions`` keeps the documents of that many questions per BioASQ task and that
    many PubMedQA items (quick runs). Indexes are not touched: sync them afterwards."""
    unknown = set(include) - set(SOURCES)
    if unknown:
        raise ValueError(f"unknown corpus sources {sorted(unknown)}; choose from {SOURCES}")
    sample = dict(sample or {})
    store = store_or_settings if isinstance(store_or_settings, Store) else _open_store(store_or_settings)
    report = CorpusReport()
    try:
        for source in include:
            share = float(sample.get(source, 1.0))
            counts = {"offered": 0, "kept": 0}
            t0 = time.perf_counter()
            if source == "demo":
                entry = _store_demo(store, share)
            else:
                docs: Iterable[Document]
                if source == "bioasq":
                    docs = bioasq_documents(bioasq_questions(limit_questions, shared))
                else:
                    items = load_pubmedqa(shared / "pubmedqa" / "pqal_dev.json")[:limit_questions]
                    docs = pubmedqa_documents(items)
                res = store.write_file(_sampled(docs, share, counts), path=f"dev-corpus:{source}", fmt=source)
                entry = {"documents": res.documents, "passages": res.passages, "offered": counts["offered"]}
            report.sources[source] = {**entry, "share": share, "store_s": round(time.perf_counter() - t0, 1)}
    finally:
        if store is not store_or_settings:
            store.close()
    return report


def _store_demo(store: Store, share: float) -> dict[str, Any]:
    from medref.deps import demo_files
    from medref.ingest.pipeline import ingest_paths

    if share <= 0:
        return {"documents": 0, "passages": 0, "offered": len(demo_files())}
    rep = ingest_paths(store, demo_files(), options={})
    failed = [f.error for f in rep.files if f.error]
    if failed:
        raise MedrefError(f"demo corpus did not ingest: {'; '.join(str(e) for e in failed)}")
    return {"documents": rep.total("documents"), "passages": rep.total("passages"), "offered": len(rep.files)}


def _open_store(settings: Settings) -> Store:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.url)


# ------------------------------------------------------------------ store + indexes, reused
@dataclass
class DevCorpus:
    folder: Path
    settings: Settings
    store: Store
    indexes: IndexSet
    stats: dict[str, Any]

    def close(self) -> None:
        self.indexes.close()
        self.store.close()


def open_dev_corpus(
    folder: Path,
    *,
    include: Sequence[str] = SOURCES,
    sample: Mapping[str, float] | None = None,
    limit_questions: int | None = None,
    dense: str = "auto",
    cache: Path | None = DEFAULT_CACHE,
    shared: Path = SHARED,
) -> DevCorpus:
    """A store with the corpus and its lexical + dense indexes in ``folder``; reused when a previous
    call with the same recipe completed it there, rebuilt otherwise. Embeddings go through
    :class:`EmbeddingCache` at ``cache`` (``None``: no cache)."""
    # onnxruntime must be loaded before usearch: the other order crashes the process (segfault)
    # on the first embed; "auto" happens to import it first, an explicit "usearch" does not.
    import onnxruntime  # noqa: F401

    recipe = {
        "include": list(include),
        "sample": dict(sorted((sample or {}).items())),
        "limit_questions": limit_questions,
        "dense": dense,
    }
    done = folder / "build.json"
    settings = load_settings(data_dir=folder, index={"dense": dense, "embedder": "minilm-onnx"})
    if done.exists():
        saved = json.loads(done.read_text())
        if saved.get("recipe") == recipe:
            store = Store.open(settings.url)
            try:
                indexes = open_indexes(settings, create=False)
                if store_watermark(store) > 0 and not check_fresh(store, indexes):
                    _wrap(indexes, cache)
                    return DevCorpus(folder, settings, store, indexes, {**saved["stats"], "reused": True})
                indexes.close()
            except MedrefError:
                pass
            store.close()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    report = build_dev_corpus(
        settings, include=include, sample=sample, limit_questions=limit_questions, shared=shared
    )
    store = Store.open(settings.url)
    indexes = open_indexes(settings)
    if indexes.dense is None:
        raise SystemExit(f"dense search is unavailable: {'; '.join(indexes.notes)}")
    wrapped = _wrap(indexes, cache)
    t0 = time.perf_counter()
    sync(store, indexes)
    index_s = time.perf_counter() - t0
    stats: dict[str, Any] = {
        "documents": report.documents,
        "passages": report.passages,
        "sources": report.sources,
        "index_s": round(index_s, 1),
        "lexical_backend": indexes.lexical.name,
        "dense_backend": indexes.dense.name,
    }
    if isinstance(wrapped, EmbeddingCache):
        stats |= {
            "embedded_now": wrapped.misses,
            "embed_s": round(wrapped.embed_s, 1),
            "embed_passages_per_s": round(wrapped.misses / wrapped.embed_s, 1) if wrapped.embed_s else None,
        }
    done.write_text(json.dumps({"recipe": recipe, "stats": stats}, indent=1))
    return DevCorpus(folder, settings, store, indexes, stats)


def _wrap(indexes: IndexSet, cache: Path | None) -> Any:
    if (
        cache is not None
        and indexes.embedder is not None
        and not isinstance(indexes.embedder, EmbeddingCache)
    ):
        indexes.embedder = EmbeddingCache(indexes.embedder, cache)
    return indexes.embedder
