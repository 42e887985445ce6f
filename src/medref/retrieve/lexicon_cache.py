"""A compiled copy of a lexicon file, so a fresh process loads it in a fraction of the time.

Reading ``lexicon.jsonl.gz`` means decoding ~25,000 JSON concepts and normalising ~100,000
surface forms into the n-gram index, about a second on one core. The result of that work (the
index, the class links and each concept's fields) is written once beside the file as
``<name>.compiled`` in Python's ``marshal`` format; later loads read it back and build each
:class:`~medref.retrieve.lexicon.Concept` only when it is first asked for.

The compiled copy is used only while it matches: same lexicon file (size and modification
time), same Python version and the same normalisation and indexing code (a hash of
``lexicon.py``, ``lexnorm.py`` and this module). Anything else (absent, stale, unreadable,
a folder that cannot be written) falls back to reading the lexicon file itself, so the cache
never changes what is loaded, only how fast.
"""

from __future__ import annotations

import contextlib
import dataclasses
import gc
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator, Sequence
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, overload

if TYPE_CHECKING:
    from medref.retrieve.lexicon import Concept

log = logging.getLogger(__name__)

FORMAT = "medref-lexicon-compiled/1"
SUFFIX = ".compiled"


@contextlib.contextmanager
def no_gc() -> Iterator[None]:
    """Pause the cyclic garbage collector while many small containers are made (none are cycles)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            gc.enable()


@cache
def code_hash() -> str:
    """A hash of the code that decides what a loaded lexicon holds."""
    from medref.retrieve import lexicon, lexnorm

    h = hashlib.sha256()
    for mod in (lexicon, lexnorm, sys.modules[__name__]):
        h.update(Path(str(mod.__file__)).read_bytes())
    return h.hexdigest()[:16]


def cache_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def _key(path: Path) -> tuple[Any, ...]:
    st = path.stat()
    return (FORMAT, tuple(sys.version_info[:2]), code_hash(), st.st_size, st.st_mtime_ns)


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
    target = cache_path(path)
    try:
        key = _key(path)
        blob = target.read_bytes()  # whole: marshal.load on a file object reads in small pieces
        head = int.from_bytes(blob[:4], "little")
        with no_gc():
            if marshal.loads(blob[4 : 4 + head]) != key:
                return None
            state = marshal.loads(memoryview(blob)[4 + head :])
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, TypeError) as exc:
        log.debug("compiled lexicon %s not used: %s", target, exc)
        return None
    if not isinstance(state, dict):
        return None
    state["concepts"] = LazyConcepts(state.pop("rows"))
    return state


def write(path: Path, state: dict[str, Any]) -> Path | None:
    """Write the compiled copy of the lexicon at ``path`` (atomically); None when it cannot be written."""
    target = cache_path(path)
    payload = dict(state)
    payload["rows"] = [_concept_row(c) for c in payload.pop("concepts")]
    tmp: str | None = None
    try:
        key = _key(path)
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
        head = marshal.dumps(key)
        with os.fdopen(fd, "wb") as fh:
            fh.write(len(head).to_bytes(4, "little") + head)
            marshal.dump(payload, fh)
        os.chmod(tmp, path.stat().st_mode & 0o666)  # readable by whoever may read the source
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:  # a read-only folder, or a value marshal cannot hold
        log.debug("compiled lexicon %s not written: %s", target, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return None
    return target
