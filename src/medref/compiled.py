"""Compiled copies of reference files, so a fresh process does not parse them again.

Some reference data (the lexicon, the Drugs@FDA export) take a second or more to parse, and
every ``medref`` command used to pay that. A module that parses such a file can keep what it
worked out beside it as ``<name>.compiled`` (Python's ``marshal`` format) with :func:`write`,
and get it back in milliseconds with :func:`read`.

A compiled copy is used only while it matches: its header holds a tag naming its layout, the
Python version, a hash of the code that produced it and the source file's size and
modification time, and :func:`read` gives None when any of these differ, or the copy is absent,
damaged or unreadable. The caller then parses the file itself, so a compiled copy can change
how fast data load, never what they say. Writing is atomic (a temporary file renamed into
place), keeps the source file's permissions, and never raises: a folder that cannot be
written just means no copy.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

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
def code_hash(*files: str) -> str:
    """A hash of the source files that decide what a compiled copy holds."""
    h = hashlib.sha256()
    for f in files:
        h.update(Path(f).read_bytes())
    return h.hexdigest()[:16]


def cache_path(source: Path) -> Path:
    return source.with_name(source.name + SUFFIX)


def _key(source: Path, tag: str, code: tuple[str, ...]) -> tuple[Any, ...]:
    st = source.stat()
    return (tag, tuple(sys.version_info[:2]), code_hash(*code), st.st_size, st.st_mtime_ns)


def read(source: Path, tag: str, code: tuple[str, ...]) -> Any | None:
    """The payload compiled from ``source`` by ``code`` under ``tag``; None when no copy matches."""
    target = cache_path(source)
    try:
        key = _key(source, tag, code)
        blob = target.read_bytes()  # whole: marshal.load on a file object reads in small pieces
        head = int.from_bytes(blob[:4], "little")
        with no_gc():
            if marshal.loads(blob[4 : 4 + head]) != key:
                return None
            return marshal.loads(memoryview(blob)[4 + head :])
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, TypeError) as exc:
        log.debug("compiled copy %s not used: %s", target, exc)
        return None


def write(source: Path, tag: str, code: tuple[str, ...], payload: Any) -> Path | None:
    """Keep ``payload`` (values marshal can hold) as the compiled copy of ``source``; None when it
    cannot be written."""
    target = cache_path(source)
    tmp: str | None = None
    try:
        head = marshal.dumps(_key(source, tag, code))
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
        with os.fdopen(fd, "wb") as fh:
            fh.write(len(head).to_bytes(4, "little") + head)
            marshal.dump(payload, fh)
        os.chmod(tmp, source.stat().st_mode & 0o666)  # readable by whoever may read the source
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:  # a read-only folder, or a value marshal cannot hold
        log.debug("compiled copy %s not written: %s", target, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        return None
    return target
