"""Exact dense search in plain numpy: the backend that needs no optional package.

Vectors are stored compactly in the index folder and memory-mapped when the index opens:

* ``int8`` (default): each row is scaled so its largest component is ±127 and rounded; a
  per-row factor ``1 / ||row||`` (float32) turns the integer dot product back into a cosine.
  A quarter of float32's size, and scores stay within about 0.005 of the float cosine.
* ``float16``: half of float32's size, scores within about 0.001.

Files (``<gen>`` is a generation number that changes on every rewrite)::

    numpy-meta.json          {"format", "dim", "dtype", "generation", "count", "watermark"}
    numpy-ids-<gen>.npy      int64 passage ids, sorted ascending
    numpy-vectors-<gen>.npy  int8 or float16 rows, one per id
    numpy-scales-<gen>.npy   float32 per-row factors (int8 only)

``commit`` writes the live rows (tombstoned ones dropped) as a new generation, then replaces
``numpy-meta.json`` atomically, so a crash leaves either the old or the new index.  Changes
made since the last commit are searchable at once but held in memory.

Search is exact (every row is scored), in chunks of ``chunk_rows`` rows so the extra memory
a query needs is bounded.  Its cost grows linearly with the number of rows: a few ms per
10k rows on one core, which is fine up to roughly 200k vectors (see ``bench/dense_index.py``);
larger collections should use :mod:`medref.index.dense_usearch`.

The helpers :func:`check_vectors`, :func:`check_ids` and :func:`write_json_atomic` are
shared with the other dense backends.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from medref.errors import ConfigError, IndexNotReadyError, InputError
from medref.index.base import Hit

FORMAT = 1
META = "numpy-meta.json"
DTYPES = {"int8": np.int8, "float16": np.float16}
_GEN_FILE = re.compile(r"^numpy-(ids|vectors|scales)-(\d+)\.npy$")


# ------------------------------------------------------------------ shared helpers
class VectorInputError(InputError, ValueError):
    """A vector or id given to a dense index is malformed (wrong shape, NaN, negative id)."""


def check_vectors(vectors: Any, dim: int, *, what: str = "vectors") -> np.ndarray:
    """``vectors`` as a C-contiguous float32 array of shape ``(n, dim)``, rows of unit length.

    A single vector of shape ``(dim,)`` becomes one row.  Raises :class:`VectorInputError` for the
    wrong shape, NaN / infinite values or rows of zero length.
    """
    try:
        arr = np.asarray(vectors, dtype=np.float32)
    except (TypeError, ValueError) as exc:
        raise VectorInputError(f"{what} must be an array of numbers: {exc}") from None
    if arr.ndim == 1:
        arr = arr[None, :]
    if arr.ndim != 2 or arr.shape[1] != dim:
        raise VectorInputError(
            f"{what} must have {dim} dimensions, got an array of shape {np.shape(vectors)}"
        )
    finite = np.isfinite(arr).all(axis=1)
    if not finite.all():
        raise VectorInputError(f"{what}: row {int(np.argmin(finite))} contains NaN or infinite values")
    norms = np.linalg.norm(arr, axis=1)
    if arr.shape[0] and norms.min() == 0.0:
        raise VectorInputError(f"{what}: row {int(np.argmin(norms))} is all zeros (cosine is undefined)")
    return np.ascontiguousarray(arr / norms[:, None], dtype=np.float32)


def check_ids(ids: Sequence[int] | np.ndarray, n: int | None = None) -> np.ndarray:
    """Passage ids as int64; they must be non-negative and, when ``n`` is given, ``n`` of them."""
    arr = np.asarray(ids)
    if arr.size == 0:
        arr = arr.astype(np.int64)
    if arr.ndim != 1 or not np.issubdtype(arr.dtype, np.integer):
        raise VectorInputError(
            f"passage ids must be a flat sequence of integers, got {arr.dtype} of shape {arr.shape}"
        )
    arr = arr.astype(np.int64, copy=False)
    if arr.size and arr.min() < 0:
        raise VectorInputError(f"passage ids must be non-negative, got {int(arr.min())}")
    if n is not None and arr.shape[0] != n:
        raise VectorInputError(f"got {arr.shape[0]} ids for {n} vectors")
    return arr


def last_occurrence(ids: np.ndarray) -> np.ndarray:
    """Positions that keep only the last occurrence of each id (later rows win in an upsert)."""
    _, first_in_reversed = np.unique(ids[::-1], return_index=True)
    return np.sort(len(ids) - 1 - first_in_reversed)


def write_json_atomic(path: Path, data: dict[str, Any]) -> None:
    """Write ``data`` to ``path`` durably: temp file in the same folder, fsync, os.replace."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w") as f:
            json.dump(data, f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # some platforms cannot open folders
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def read_meta(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        raise IndexNotReadyError(
            f"{path} is unreadable ({exc}); rebuild it with: medref index rebuild"
        ) from exc
    if not isinstance(data, dict):
        raise IndexNotReadyError(f"{path} is not an index description; rebuild it with: medref index rebuild")
    return data


def top_k(scores: np.ndarray, ids: np.ndarray, k: int) -> list[Hit]:
    """The ``k`` best (score, id) pairs, best first; ties go to the smaller id."""
    if k <= 0 or scores.size == 0:
        return []
    if k < scores.size:
        part = np.argpartition(-scores, k - 1)[:k]
        scores, ids = scores[part], ids[part]
    order = np.lexsort((ids, -scores))
    return [Hit(id=int(ids[i]), score=float(scores[i])) for i in order]


# ------------------------------------------------------------------ the index
def _quantise(rows: np.ndarray, dtype: str) -> tuple[np.ndarray, np.ndarray | None]:
    if dtype == "float16":
        return rows.astype(np.float16), None
    peak = np.abs(rows).max(axis=1, keepdims=True)
    q = np.rint(rows * (127.0 / peak)).astype(np.int8)
    norms = np.linalg.norm(q.astype(np.float32), axis=1)
    return q, (1.0 / norms).astype(np.float32)


def targets_kinds(dtype: str) -> tuple[str, ...]:
    return ("vectors", "scales") if dtype == "int8" else ("vectors",)


class NumpyDenseIndex:
    """Exact cosine search over int8 or float16 rows (see the module docstring).

    Options: ``dtype`` ("int8" or "float16"; fixed when the index is created) and
    ``chunk_rows`` (rows scored per step of a search, default 1024: one step's float32
    buffer stays in cache, and OpenBLAS does not start threads for it, which on a small
    machine can make a search many times slower).
    """

    name = "numpy"

    def __init__(self, path: Path, *, dim: int = 384, create: bool = True, **opts: Any) -> None:
        unknown = set(opts) - {"dtype", "chunk_rows"}
        if unknown:
            raise ConfigError(
                f"unknown option(s) for the numpy dense index: {', '.join(sorted(unknown))}"
                " (known: dtype, chunk_rows)"
            )
        if dim < 1:
            raise ConfigError(f"dense index dim must be positive, not {dim}")
        self.path = Path(path)
        self.dim = dim
        self.chunk_rows = int(opts.get("chunk_rows", 1024))
        if self.chunk_rows < 1:
            raise ConfigError(f"chunk_rows must be positive, not {self.chunk_rows}")
        self._lock = threading.RLock()
        self._closed = False
        meta = read_meta(self.path / META)
        if meta is None:
            if not create:
                raise IndexNotReadyError(
                    f"no dense index at {self.path}; build it with: medref index rebuild"
                )
            dtype = str(opts.get("dtype", "int8"))
            meta = {"format": FORMAT, "dim": dim, "dtype": dtype, "generation": 0, "count": 0, "watermark": 0}
        else:
            if meta.get("format") != FORMAT or meta.get("dim") != dim:
                raise IndexNotReadyError(
                    f"the dense index at {self.path} was built for {meta.get('dim')} dimensions "
                    f"(format {meta.get('format')}), not {dim}; rebuild it with: medref index rebuild"
                )
            if "dtype" in opts and opts["dtype"] != meta["dtype"]:
                raise ConfigError(
                    f"the dense index at {self.path} stores {meta['dtype']}, not {opts['dtype']}"
                )
            dtype = str(meta["dtype"])
        if dtype not in DTYPES:
            raise ConfigError(f"numpy dense index dtype must be one of {sorted(DTYPES)}, not {dtype!r}")
        self.dtype = dtype
        self._meta = meta
        try:
            self._load()
        except IndexNotReadyError:
            # Another process may have committed (dropping our generation) since we read the meta.
            fresh = read_meta(self.path / META)
            if fresh is None or fresh == meta:
                raise
            self._meta = fresh
            self._load()

    # -------------------------------------------------------------- state
    def _file(self, kind: str, gen: int) -> Path:
        return self.path / f"numpy-{kind}-{gen:06d}.npy"

    def _load(self) -> None:
        """(Re)open the committed generation; forget uncommitted changes."""
        gen, n = int(self._meta["generation"]), int(self._meta["count"])
        if n:
            try:
                ids = np.load(self._file("ids", gen), mmap_mode="r")
                vecs = np.load(self._file("vectors", gen), mmap_mode="r")
                scales = np.load(self._file("scales", gen), mmap_mode="r") if self.dtype == "int8" else None
            except (OSError, ValueError) as exc:
                raise IndexNotReadyError(
                    f"the dense index at {self.path} is damaged ({exc}); "
                    "rebuild it with: medref index rebuild"
                ) from exc
            if (
                ids.shape != (n,)
                or vecs.shape != (n, self.dim)
                or (scales is not None and scales.shape != (n,))
            ):
                raise IndexNotReadyError(
                    f"the dense index files at {self.path} disagree with {META}; "
                    "rebuild it with: medref index rebuild"
                )
        else:
            ids = np.zeros(0, np.int64)
            vecs = np.zeros((0, self.dim), DTYPES[self.dtype])
            scales = np.zeros(0, np.float32) if self.dtype == "int8" else None
        self._base_ids, self._base_vecs, self._base_scales = ids, vecs, scales
        self._n_base = n
        # Rows n_base.. live in growable in-memory buffers.
        self._buf_ids = np.zeros(0, np.int64)
        self._buf_vecs = np.zeros((0, self.dim), DTYPES[self.dtype])
        self._buf_scales = np.zeros(0, np.float32)
        self._n_buf = 0
        self._alive = np.ones(n, dtype=bool)
        # Live ids, sorted, with the row that holds each (base files are sorted by id).
        self._sorted_ids = np.array(ids, dtype=np.int64)
        self._sorted_rows = np.arange(n, dtype=np.int64)
        self._dirty = False

    def _check_open(self) -> None:
        if self._closed:
            raise IndexNotReadyError(f"the dense index at {self.path} is closed")

    def _locate(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """For each id: its position in the sorted arrays and whether it is present."""
        pos = np.searchsorted(self._sorted_ids, ids)
        found = np.zeros(len(ids), dtype=bool)
        inside = pos < len(self._sorted_ids)
        found[inside] = self._sorted_ids[pos[inside]] == ids[inside]
        return pos, found

    def _grow(self, extra: int) -> None:
        need = self._n_buf + extra
        if need <= len(self._buf_ids):
            return
        cap = max(need, 2 * len(self._buf_ids), 1024)
        for name in ("_buf_ids", "_buf_vecs", "_buf_scales"):
            old = getattr(self, name)
            new = np.zeros((cap, *old.shape[1:]), old.dtype)
            new[: self._n_buf] = old[: self._n_buf]
            setattr(self, name, new)
        alive = np.zeros(self._n_base + cap, dtype=bool)
        alive[: len(self._alive)] = self._alive
        self._alive = alive

    # -------------------------------------------------------------- protocol
    def add(self, ids: Sequence[int] | np.ndarray, vectors: np.ndarray) -> None:
        """Insert or replace (upsert) one vector per id."""
        rows = check_vectors(vectors, self.dim)
        keys = check_ids(ids, rows.shape[0])
        if not len(keys):
            return
        keep = last_occurrence(keys)
        keys, rows = keys[keep], rows[keep]
        q, scales = _quantise(rows, self.dtype)
        with self._lock:
            self._check_open()
            self._grow(len(keys))
            start = self._n_buf
            new_rows = self._n_base + start + np.arange(len(keys), dtype=np.int64)
            self._buf_ids[start : start + len(keys)] = keys
            self._buf_vecs[start : start + len(keys)] = q
            if scales is not None:
                self._buf_scales[start : start + len(keys)] = scales
            self._n_buf += len(keys)
            self._alive[new_rows] = True
            order = np.argsort(keys, kind="stable")
            keys, new_rows = keys[order], new_rows[order]
            pos, found = self._locate(keys)
            self._alive[self._sorted_rows[pos[found]]] = False  # the replaced rows
            self._sorted_rows[pos[found]] = new_rows[found]
            self._sorted_ids = np.insert(self._sorted_ids, pos[~found], keys[~found])
            self._sorted_rows = np.insert(self._sorted_rows, pos[~found], new_rows[~found])
            self._dirty = True

    def remove(self, ids: Sequence[int] | np.ndarray) -> None:
        """Tombstone these ids (unknown ids are ignored); dropped from disk on commit."""
        keys = np.unique(check_ids(ids))
        with self._lock:
            self._check_open()
            if not len(keys) or not len(self._sorted_ids):
                return
            pos, found = self._locate(keys)
            if not found.any():
                return
            self._alive[self._sorted_rows[pos[found]]] = False
            self._sorted_ids = np.delete(self._sorted_ids, pos[found])
            self._sorted_rows = np.delete(self._sorted_rows, pos[found])
            self._dirty = True

    def _rows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray | None]:
        """Vectors and scales of the given (sorted) row numbers, from base and buffer."""
        split = int(np.searchsorted(rows, self._n_base))
        base, buf = rows[:split], rows[split:] - self._n_base
        vecs = np.concatenate([self._base_vecs[base], self._buf_vecs[buf]])
        if self.dtype != "int8":
            return vecs, None
        assert self._base_scales is not None
        return vecs, np.concatenate([self._base_scales[base], self._buf_scales[buf]])

    def commit(self, watermark: int) -> None:
        """Write live rows as a new generation (when anything changed), then the watermark."""
        with self._lock:
            self._check_open()
            self.path.mkdir(parents=True, exist_ok=True)
            meta = dict(self._meta, watermark=int(watermark))
            if self._dirty:
                gen = int(self._meta["generation"]) + 1
                n = len(self._sorted_ids)
                if n:
                    self._write_generation(gen)
                meta.update(generation=gen, count=n)
            write_json_atomic(self.path / META, meta)
            self._meta = meta
            if self._dirty:
                self._load()
                self._drop_old_generations()

    def _write_generation(self, gen: int) -> None:
        n, step = len(self._sorted_ids), 65536
        np.save(self._file("ids", gen), self._sorted_ids)
        targets = {
            "vectors": np.lib.format.open_memmap(
                self._file("vectors", gen), mode="w+", dtype=DTYPES[self.dtype], shape=(n, self.dim)
            )
        }
        if self.dtype == "int8":
            targets["scales"] = np.lib.format.open_memmap(
                self._file("scales", gen), mode="w+", dtype=np.float32, shape=(n,)
            )
        for start in range(0, n, step):
            rows = self._sorted_rows[start : start + step]
            order = np.argsort(rows, kind="stable")
            vecs, scales = self._rows(rows[order])
            back = np.empty_like(order)
            back[order] = np.arange(len(order))
            targets["vectors"][start : start + len(rows)] = vecs[back]
            if scales is not None:
                targets["scales"][start : start + len(rows)] = scales[back]
        for arr in targets.values():
            arr.flush()
        targets.clear()  # closes the maps
        for kind in ("ids", *targets_kinds(self.dtype)):
            with open(self._file(kind, gen), "rb+") as f:
                os.fsync(f.fileno())

    def _drop_old_generations(self) -> None:
        """Delete files of generations other than the current one (also crash leftovers)."""
        current = int(self._meta["generation"])
        for f in self.path.iterdir():
            m = _GEN_FILE.match(f.name)
            if m and int(m.group(2)) != current:
                with contextlib.suppress(OSError):  # still mapped (Windows): the next commit retries
                    f.unlink(missing_ok=True)

    @property
    def watermark(self) -> int:
        return int(self._meta["watermark"])

    def count(self) -> int:
        return len(self._sorted_ids)

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        """The ``k`` ids most similar to ``vector``, score = cosine similarity, best first."""
        query = check_vectors(vector, self.dim, what="query vector")
        if query.shape[0] != 1:
            raise VectorInputError(f"search takes one query vector, got {query.shape[0]}")
        q = query[0]
        with self._lock:  # a consistent snapshot; the scoring below runs without the lock
            self._check_open()
            if k <= 0 or not len(self._sorted_ids):
                return []
            int8 = self.dtype == "int8"
            parts = [(self._base_vecs, self._base_scales if int8 else None, self._base_ids, 0)]
            if self._n_buf:
                parts.append(
                    (
                        self._buf_vecs[: self._n_buf],
                        self._buf_scales[: self._n_buf] if int8 else None,
                        self._buf_ids[: self._n_buf],
                        self._n_base,
                    )
                )
            alive = self._alive[: self._n_base + self._n_buf].copy()
        n_rows = len(alive)
        scores = np.empty(n_rows, dtype=np.float32)
        step = self.chunk_rows
        buf = np.empty((min(step, n_rows), self.dim), dtype=np.float32)
        for vecs, scales, ids, offset in parts:
            for start in range(0, len(ids), step):
                stop = min(start + step, len(ids))
                out = scores[offset + start : offset + stop]
                # Widen one small chunk into a reused float32 buffer, then one small BLAS
                # matrix-vector product (small enough that OpenBLAS stays single-threaded).
                chunk = buf[: stop - start]
                np.copyto(chunk, vecs[start:stop], casting="unsafe")
                np.dot(chunk, q, out=out)
                if scales is not None:
                    out *= scales[start:stop]
        scores[~alive] = -np.inf
        k = min(k, int(alive.sum()))
        rows = np.argpartition(-scores, k - 1)[:k] if k < n_rows else np.arange(n_rows)
        rows = rows[alive[rows]]
        hit_ids = np.empty(len(rows), dtype=np.int64)
        n_base = parts[1][3] if len(parts) > 1 else n_rows
        in_base = rows < n_base
        hit_ids[in_base] = parts[0][2][rows[in_base]]
        if len(parts) > 1:
            hit_ids[~in_base] = parts[1][2][rows[~in_base] - n_base]
        return top_k(scores[rows], hit_ids, k)

    def clear(self) -> None:
        """Remove every vector and reset the watermark to 0, durably and at once."""
        with self._lock:
            self._check_open()
            if self.path.is_dir():
                self._meta = dict(
                    self._meta, generation=int(self._meta["generation"]) + 1, count=0, watermark=0
                )
                write_json_atomic(self.path / META, self._meta)
                self._load()
                self._drop_old_generations()
            else:
                self._meta = dict(self._meta, count=0, watermark=0)
                self._load()

    def close(self) -> None:
        """Forget uncommitted changes and release the memory maps."""
        with self._lock:
            self._closed = True
            self._base_ids = self._base_vecs = np.zeros(0)
            self._base_scales = None
            self._sorted_ids = np.zeros(0, np.int64)
