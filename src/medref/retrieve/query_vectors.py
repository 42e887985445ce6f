"""Query vectors kept on disk, so a short-lived process need not start the embedding model.

Embedding one query with the ONNX model is quick, but starting the model (reading it and
optimising its graph) costs a few hundred milliseconds of CPU in every fresh ``medref``
process, a large share of a command such as ``medref monograph`` whose query is just the
drug's name. :class:`RememberedQueries` wraps an embedder and keeps the vector of each single
query it embedded in ``<data_dir>/query-vectors.bin``; a later process asking for the same
text gets the stored vector and never starts the model.

A stored vector is the model's own output for that text (float32, byte for byte), so search
results do not change. The file names the embedder it came from (its name and dimension,
and the path, size and modification time of its model and tokenizer files, plus its token
limit); a different embedder ignores and replaces it. An embedder without model files (the
hashing embedder of the tests) is used as it is. Only single-text calls, as the retriever
makes them, are remembered; at most :data:`MAX_VECTORS` texts are kept (the oldest dropped).
Reading or writing problems only mean the model is started.
"""

from __future__ import annotations

import contextlib
import logging
import marshal
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

FILE_NAME = "query-vectors.bin"
FORMAT = "medref-query-vectors/1"
MAX_VECTORS = 2000


def _file_stamp(path: Any) -> tuple[str, int, int] | None:
    if path is None:
        return None
    p = Path(path)
    st = p.stat()
    return (str(p.resolve()), st.st_size, st.st_mtime_ns)


def embedder_identity(embedder: Any) -> tuple[Any, ...] | None:
    """What decides the embedder's vectors, or None when it has no model files to name."""
    model = getattr(embedder, "model_path", None)
    if model is None:
        return None
    try:
        return (
            FORMAT,
            str(getattr(embedder, "name", type(embedder).__name__)),
            int(embedder.dim),
            _file_stamp(model),
            _file_stamp(getattr(embedder, "tokenizer_path", None)),
            getattr(embedder, "max_tokens", None),
        )
    except (OSError, TypeError, ValueError):
        return None


class RememberedQueries:
    """An embedder that answers single queries it has seen before from ``path``."""

    def __init__(self, inner: Any, path: Path) -> None:
        self.inner = inner
        self.path = Path(path)
        self.dim: int = inner.dim
        self.name: str = inner.name
        self._identity = embedder_identity(inner)
        self._vectors: dict[str, bytes] | None = None

    def __getattr__(self, attr: str) -> Any:  # anything else is the wrapped embedder's
        if attr == "inner":
            raise AttributeError(attr)
        return getattr(self.inner, attr)

    def _load(self) -> dict[str, bytes]:
        if self._vectors is None:
            self._vectors = {}
            try:
                stored = marshal.loads(self.path.read_bytes())
                if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == self._identity:
                    self._vectors = dict(stored[1])
            except FileNotFoundError:
                pass
            except (OSError, EOFError, ValueError, TypeError) as exc:
                log.debug("query vectors %s not used: %s", self.path, exc)
        return self._vectors

    def _save(self) -> None:
        vectors = self._load()
        while len(vectors) > MAX_VECTORS:
            vectors.pop(next(iter(vectors)))
        tmp: str | None = None
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.path.parent, prefix=self.path.name, suffix=".part")
            with os.fdopen(fd, "wb") as fh:
                marshal.dump((self._identity, vectors), fh)
            os.chmod(tmp, 0o644)
            os.replace(tmp, self.path)
        except OSError as exc:
            log.debug("query vectors %s not written: %s", self.path, exc)
            if tmp is not None:
                with contextlib.suppress(OSError):
                    os.unlink(tmp)

    def embed(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        texts = list(texts)
        if self._identity is None or len(texts) != 1:
            return np.asarray(self.inner.embed(texts, batch_size=batch_size))
        vectors = self._load()
        stored = vectors.get(texts[0])
        if stored is not None and len(stored) == 4 * self.dim:
            return np.frombuffer(stored, dtype=np.float32).reshape(1, self.dim).copy()
        out = np.asarray(self.inner.embed(texts, batch_size=batch_size), dtype=np.float32)
        vectors.pop(texts[0], None)
        vectors[texts[0]] = out[0].tobytes()
        self._save()
        return out


def remember_queries(indexes: Any, data_dir: Path) -> None:
    """Give ``indexes`` (an IndexSet) an embedder that remembers its queries under ``data_dir``."""
    inner = getattr(indexes, "embedder", None)
    if inner is None or isinstance(inner, RememberedQueries) or embedder_identity(inner) is None:
        return
    indexes.embedder = RememberedQueries(inner, Path(data_dir) / FILE_NAME)
