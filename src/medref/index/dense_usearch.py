"""Approximate dense search with usearch (HNSW graph), for large collections.

Needs the ``dense`` extra (``pip install 'medref[dense]'``); the import is lazy, so the core
install only fails (with :class:`~medref.errors.MissingExtraError`) when this backend is
actually opened.

Defaults, measured with ``python -m bench.dense_index`` on MiniLM-like vectors:

* ``dtype="f16"``: usearch's own int8 quantisation capped recall@10 at about 0.94 against
  exact search even with a wide search beam, while half floats reach about 0.99 for twice
  the vector memory.  ``dtype="i8"`` stays available for tight memory; its vectors are
  first scaled so their largest component is 1 (a cosine does not change under scaling,
  and it uses the whole int8 range).
* ``connectivity=16``, ``expansion_add=128`` (usearch's defaults) and
  ``expansion_search=128`` (twice usearch's 64: on unstructured random vectors 64 gave
  recall@10 of only about 0.8, 128 about 0.93; on MiniLM-like vectors it costs a fraction
  of a millisecond).  The search beam never drops below ``k``, and a search for half the
  index or more scans every vector instead (a graph walk can miss a few).

Files in the index folder::

    usearch.index        the serialised graph and vectors (usearch's save format)
    usearch-meta.json    {"format", "dim", "dtype", "connectivity", ..., "watermark"}

``commit`` saves to a temp file and ``os.replace``-s it, then writes the meta file, so a
crash leaves a consistent index whose watermark is at most behind (replaying changes is
harmless: adds are upserts and removes of absent ids are ignored).  With ``view=True`` the
saved file is memory-mapped read-only (less resident memory for read-mostly servers); the
first change loads it into memory.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medref.errors import ConfigError, IndexNotReadyError, MissingExtraError
from medref.index.base import Hit
from medref.index.dense_numpy import (
    VectorInputError,
    check_ids,
    check_vectors,
    fsync_dir,
    last_occurrence,
    read_meta,
    top_k,
    write_json_atomic,
)

FORMAT = 1
META = "usearch-meta.json"
DATA = "usearch.index"
DTYPES = ("f16", "i8")
#: Rebuild the graph on commit when more than this share of its slots are deleted ones.
COMPACT_SHARE = 0.3
_OPTIONS = {
    "dtype": "f16",
    "connectivity": 16,
    "expansion_add": 128,
    "expansion_search": 128,
    "view": False,
    "threads": 0,
}


def _usearch_index() -> Any:
    # Load onnxruntime (when installed) before usearch: in the other order, creating an ONNX
    # session after usearch has run its threaded add segfaults (seen with usearch 2.26 and
    # onnxruntime 1.31; tests/index/test_dense.py::test_usearch_then_onnx_does_not_crash).
    with contextlib.suppress(ImportError):
        import onnxruntime  # noqa: F401
    try:
        from usearch.index import Index
    except ImportError:
        raise MissingExtraError("dense search", "dense", "usearch") from None
    return Index


class UsearchDenseIndex:
    """HNSW cosine search (see the module docstring for files and defaults).

    Options: ``dtype`` ("f16" or "i8"), ``connectivity``, ``expansion_add`` (fixed when the
    index is created), ``expansion_search`` (may change on every open), ``view``
    (memory-map the saved file) and ``threads`` (for adds; 0 = all cores).
    """

    name = "usearch"

    def __init__(self, path: Path, *, dim: int = 384, create: bool = True, **opts: Any) -> None:
        unknown = set(opts) - set(_OPTIONS)
        if unknown:
            raise ConfigError(
                f"unknown option(s) for the usearch dense index: {', '.join(sorted(unknown))}"
                f" (known: {', '.join(_OPTIONS)})"
            )
        if dim < 1:
            raise ConfigError(f"dense index dim must be positive, not {dim}")
        self._Index = _usearch_index()
        self.path = Path(path)
        self.dim = dim
        self._lock = threading.RLock()
        meta = read_meta(self.path / META)
        if meta is None:
            if not create:
                raise IndexNotReadyError(
                    f"no dense index at {self.path}; build it with: medref index rebuild"
                )
            meta = {
                "format": FORMAT,
                "dim": dim,
                "watermark": 0,
                **{key: opts.get(key, _OPTIONS[key]) for key in ("dtype", "connectivity", "expansion_add")},
            }
        elif meta.get("format") != FORMAT or meta.get("dim") != dim:
            raise IndexNotReadyError(
                f"the dense index at {self.path} was built for {meta.get('dim')} dimensions "
                f"(format {meta.get('format')}), not {dim}; rebuild it with: medref index rebuild"
            )
        else:
            for key in ("dtype", "connectivity", "expansion_add"):
                if key in opts and opts[key] != meta[key]:
                    raise ConfigError(
                        f"the dense index at {self.path} was built with {key}={meta[key]!r}, "
                        f"not {opts[key]!r}; rebuild it to change that"
                    )
        if meta["dtype"] not in DTYPES:
            raise ConfigError(f"usearch dense index dtype must be one of {DTYPES}, not {meta['dtype']!r}")
        self.dtype = str(meta["dtype"])
        self.expansion_search = int(opts.get("expansion_search", _OPTIONS["expansion_search"]))
        self.threads = int(opts.get("threads", _OPTIONS["threads"]))
        self._view = bool(opts.get("view", _OPTIONS["view"]))
        self._meta = meta
        self._dirty = False
        self._closed = False
        self._index = self._open()

    # -------------------------------------------------------------- helpers
    def _new(self) -> Any:
        return self._Index(
            ndim=self.dim,
            metric="cos",
            dtype=self.dtype,
            connectivity=int(self._meta["connectivity"]),
            expansion_add=int(self._meta["expansion_add"]),
            expansion_search=self.expansion_search,
        )

    def _open(self, *, view: bool | None = None) -> Any:
        index = self._new()
        data = self.path / DATA
        if data.is_file():
            try:
                if self._view if view is None else view:
                    index.view(str(data))
                else:
                    index.load(str(data))
            except Exception as exc:  # usearch raises plain RuntimeError / ValueError
                raise IndexNotReadyError(
                    f"the dense index file {data} could not be read ({exc}); "
                    "rebuild it with: medref index rebuild"
                ) from exc
            if index.ndim != self.dim:
                raise IndexNotReadyError(
                    f"{data} holds {index.ndim}-dimension vectors, not {self.dim}; "
                    "rebuild it with: medref index rebuild"
                )
        return index

    def _prepare(self, rows: np.ndarray) -> np.ndarray:
        if self.dtype == "i8":  # use the whole int8 range; cosine is scale-invariant
            rows = rows / np.abs(rows).max(axis=1, keepdims=True)
        return np.ascontiguousarray(rows, dtype=np.float32)

    def _writable(self) -> Any:
        self._check_open()
        if self._view:  # a memory-mapped index is read-only: load it fully on the first change
            self._index = self._open(view=False)
            self._view = False
        return self._index

    def _check_open(self) -> None:
        if self._closed:
            raise IndexNotReadyError(f"the dense index at {self.path} is closed")

    # -------------------------------------------------------------- protocol
    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace (upsert: remove, then add) one vector per id."""
        rows = check_vectors(vectors, self.dim)
        keys = check_ids(ids, rows.shape[0])
        if not len(keys):
            return
        keep = last_occurrence(keys)
        keys, rows = keys[keep].astype(np.uint64), self._prepare(rows[keep])
        with self._lock:
            index = self._writable()
            present = np.asarray(index.contains(keys), dtype=bool)
            if present.any():
                index.remove(keys[present])
            index.add(keys, rows, threads=self.threads)
            self._dirty = True

    def remove(self, ids: Sequence[int] | np.ndarray) -> None:
        """Remove these ids; unknown ids are ignored."""
        keys = np.unique(check_ids(ids)).astype(np.uint64)
        if not len(keys):
            return
        with self._lock:
            self._check_open()
            present = np.asarray(self._index.contains(keys), dtype=bool)
            if present.any():
                self._writable().remove(keys[present])
                self._dirty = True

    def commit(self, watermark: int) -> None:
        """Save the graph atomically (when it changed), then the watermark."""
        with self._lock:
            self._check_open()
            self.path.mkdir(parents=True, exist_ok=True)
            if self._dirty:
                self._save()
                stats = self._Index.metadata(str(self.path / DATA)) or {}
                deleted, present = int(stats.get("count_deleted", 0)), int(stats.get("count_present", 0))
                if deleted > 1000 and deleted > COMPACT_SHARE * (deleted + present):
                    self._compact()
                    self._save()
                self._dirty = False
            meta = dict(self._meta, watermark=int(watermark))
            write_json_atomic(self.path / META, meta)
            self._meta = meta

    def _save(self) -> None:
        fd, tmp = tempfile.mkstemp(prefix=f".{DATA}.", suffix=".tmp", dir=self.path)
        os.close(fd)
        try:
            self._index.save(tmp)
            with open(tmp, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(tmp, self.path / DATA)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        fsync_dir(self.path)

    def _compact(self) -> None:
        """Rebuild the graph from its live vectors (drops the slots of removed ones)."""
        old = self._index
        keys = np.asarray(old.keys, dtype=np.uint64)
        fresh = self._new()
        for start in range(0, len(keys), 50_000):
            chunk = keys[start : start + 50_000]
            fresh.add(
                chunk, np.asarray(old.get(chunk, dtype=np.float32), dtype=np.float32), threads=self.threads
            )
        self._index = fresh

    @property
    def watermark(self) -> int:
        return int(self._meta["watermark"])

    def count(self) -> int:
        return len(self._index)

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` ids most similar to ``vector``, score = cosine similarity, best first."""
        query = check_vectors(vector, self.dim, what="query vector")
        if query.shape[0] != 1:
            raise VectorInputError(f"search takes one query vector, got {query.shape[0]}")
        self._check_open()
        index = self._index
        if k <= 0 or len(index) == 0:
            return []
        index.expansion_search = max(self.expansion_search, k)
        # Asking for half the index or more: a graph walk may miss some, a scan is as cheap.
        found = index.search(self._prepare(query)[0], k, threads=1, exact=2 * k >= len(index))
        keys = np.asarray(found.keys, dtype=np.int64)
        scores = np.clip(1.0 - np.asarray(found.distances, dtype=np.float32), -1.0, 1.0)
        return top_k(scores, keys, len(keys))

    def clear(self) -> None:
        """Remove every vector and reset the watermark to 0, durably and at once."""
        with self._lock:
            self._check_open()
            self._index = self._new()
            self._view = False
            self._dirty = False
            (self.path / DATA).unlink(missing_ok=True)
            self._meta = dict(self._meta, watermark=0)
            if self.path.is_dir():
                write_json_atomic(self.path / META, self._meta)

    def close(self) -> None:
        """Forget uncommitted changes and release the index memory."""
        with self._lock:
            self._closed = True
            self._index = self._new()
