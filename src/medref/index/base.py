"""Index backends: the small protocols every lexical and dense backend implements.

A backend is one file (``lexical_tantivy.py``, ``lexical_fts5.py``, ``dense_usearch.py`` ...)
and is created by name through :mod:`medref.index.factory`. Indexes live in a folder
next to the store (``Settings.index_dir``) and are kept in sync with the store's
``passage_changes`` log (see :mod:`medref.index.sync`).

Passage ids here are the store's integer passage ids (``passages.id``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np


@dataclass(frozen=True, slots=True)
class IndexedPassage:
    """What an index needs to know about one passage."""

    id: int
    text: str
    title: str = ""
    section: str = ""
    kind: str = ""  # document SourceKind value, for filters
    is_current: bool = True


@dataclass(frozen=True, slots=True)
class Hit:
    id: int
    score: float


@dataclass(slots=True)
class LexicalQuery:
    """A bag of weighted terms. ``terms`` are plain words or phrases (never query syntax).

    ``required`` (optional) lists phrases of which at least one should match for a
    passage to count; backends may use it only for boosting.
    """

    terms: list[tuple[str, float]]
    kinds: tuple[str, ...] = ()
    phrases: list[tuple[str, float]] = field(default_factory=list)


@runtime_checkable
class LexicalIndex(Protocol):
    name: str
    path: Path

    def add(self, passages: Sequence[IndexedPassage]) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def commit(self, watermark: int) -> None:
        """Make changes durable and remember the last applied change sequence number."""

    @property
    def watermark(self) -> int: ...

    def count(self) -> int: ...

    def search(self, query: LexicalQuery, k: int) -> list[Hit]: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...


@runtime_checkable
class DenseIndex(Protocol):
    name: str
    path: Path
    dim: int

    def add(self, ids: Sequence[int], vectors: np.ndarray) -> None: ...

    def remove(self, ids: Sequence[int]) -> None: ...

    def commit(self, watermark: int) -> None: ...

    @property
    def watermark(self) -> int: ...

    def count(self) -> int: ...

    def search(self, vector: np.ndarray, k: int) -> list[Hit]: ...

    def clear(self) -> None: ...

    def close(self) -> None: ...
