"""Which dense backend suits a collection of a given size (measured by ``bench/dense_index.py``)."""

from __future__ import annotations

#: Below this many vectors exact numpy search is fast enough (a few ms); above it, usearch HNSW.
NUMPY_MAX_VECTORS = 50_000


def choose_dense_backend(n_vectors: int) -> str:
    """'numpy' (exact, no extra needed) below NUMPY_MAX_VECTORS vectors, else 'usearch' (HNSW)."""
    return "numpy" if n_vectors < NUMPY_MAX_VECTORS else "usearch"
