"""A compiled copy of a lexicon file, so a fresh process loads it in a fraction of the time.

Reading ``lexicon.jsonl.gz`` means decoding ~25,000 JSON concepts and normalising ~100,000
surface forms into the n-gram index, about a second on one core. The result of that work (the
index, the class links and each concept's fields) is kept beside the file by
:mod:`medref.compiled`; later loads read it back and make each
:class:`~medref.retrieve.lexicon.Concept` only when it is first asked for.

The copy is used only while it matches the lexicon file (size and modification time), the
Python version and the code that builds the index (``lexicon.py``, ``lexnorm.py`` and this
module); anything else falls back to reading the lexicon file itself.
"""

from __future__ import annotations

import dataclasses
import marshal
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

from medref import compiled
from medref.compiled import cache_path, no_gc

if TYPE_CHECKING:
    from medref.retrieve.lexicon import Concept

__all__ = ["LazyConcepts", "cache_path", "no_gc", "read", "write"]

TAG = "medref-lexicon-compiled/1"


def _code() -> tuple[str, ...]:
    from medref.retrieve import lexicon, lexnorm

    return tuple(str(m.__file__) for m in (lexicon, lexnorm, sys.modules[__name__]))


class LazyConcepts(Sequence["Concept"]):
    """The concepts of a compiled lexicon, each made from its marshalled fields when first used."""

    def __init__(self, rows: list[bytes]) -> None:
        self._rows = rows
        self._made: list[Concept | None] = [None] * len(rows)

    def __len__(self) -> int:
        return len(self._rows)

    @overload
    def __getitem__(self, i: int) -> Concept: ...

    @overload
    def __getitem__(self, i: slice) -> list[Concept]: ...

    def __getitem__(self, i: int | slice) -> Concept | list[Concept]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self._rows)))]
        got = self._made[i]
        if got is None:
            from medref.retrieve.lexicon import Concept

            got = Concept(*marshal.loads(self._rows[i]))
            self._made[i] = got
        return got

    def __iter__(self) -> Iterator[Concept]:
        for i in range(len(self._rows)):
            yield self[i]


def _concept_row(c: Concept) -> bytes:
    return marshal.dumps(tuple(getattr(c, f.name) for f in dataclasses.fields(c)))


def read(path: Path) -> dict[str, Any] | None:
    """The compiled state of the lexicon at ``path``, or None when there is no matching copy."""
    state = compiled.read(path, TAG, _code())
    if not isinstance(state, dict) or not isinstance(state.get("rows"), list):
        return None
    state["concepts"] = LazyConcepts(state.pop("rows"))
    return state


def write(path: Path, state: dict[str, Any]) -> Path | None:
    """Write the compiled copy of the lexicon at ``path``; None when it cannot be written."""
    payload = dict(state)
    payload["rows"] = [_concept_row(c) for c in payload.pop("concepts")]
    return compiled.write(path, TAG, _code(), payload)
