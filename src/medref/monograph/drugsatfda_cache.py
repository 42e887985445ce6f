"""A compiled copy of a Drugs@FDA export, so a fresh process does not parse the zip again.

Parsing ``drugsatfda.zip`` (about 25 MB of tab-separated tables) takes about a second on one
core, and every ``medref monograph`` process used to pay it. :func:`load_drugsatfda` parses it
once with :class:`~medref.monograph.drugsatfda.DrugsAtFDA` and writes what a monograph reads
(the data date, each application with its products, the active-ingredient index) beside the
zip as ``<name>.compiled`` in Python's ``marshal`` format. A later process reads that back
in a few milliseconds and makes each :class:`~medref.monograph.drugsatfda.Application` only
when a monograph asks for it.

The compiled copy is used only while it matches: the same zip (size and modification time),
the same Python version and the same parsing code (a hash of ``drugsatfda.py``,
``names.py``, whose salt stripping makes the ingredient keys, and this module). Otherwise,
or when the zip's folder cannot be written, the zip itself is parsed, so the copy changes
how fast the data load, never what they say.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import logging
import marshal
import os
import sys
import tempfile
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from medref.monograph import drugsatfda as parsed
from medref.monograph.drugsatfda import Application, DrugsAtFDA, Product

log = logging.getLogger(__name__)

FORMAT = "medref-drugsatfda-compiled/1"
SUFFIX = ".compiled"

_loaded: dict[tuple[str, int, int], DrugsAtFDA] = {}


@cache
def code_hash() -> str:
    """A hash of the code that decides what a parsed export holds."""
    from medref.monograph import names

    h = hashlib.sha256()
    for mod in (parsed, names, sys.modules[__name__]):
        h.update(Path(str(mod.__file__)).read_bytes())
    return h.hexdigest()[:16]


def cache_path(path: Path) -> Path:
    return path.with_name(path.name + SUFFIX)


def _key(size: int, mtime_ns: int) -> tuple[Any, ...]:
    return (FORMAT, tuple(sys.version_info[:2]), code_hash(), size, mtime_ns)


class LazyApplications(Mapping[str, Application]):
    """Applications by number, each made from its marshalled row when first looked up."""

    def __init__(self, rows: dict[str, bytes]) -> None:
        self._rows = rows
        self._made: dict[str, Application] = {}

    def __getitem__(self, appl_no: str) -> Application:
        got = self._made.get(appl_no)
        if got is None:
            appl_type, sponsor, day, products = marshal.loads(self._rows[appl_no])
            got = Application(
                appl_no,
                appl_type,
                sponsor,
                [Product(*p) for p in products],
                dt.date.fromordinal(day) if day is not None else None,
            )
            self._made[appl_no] = got
        return got

    def __len__(self) -> int:
        return len(self._rows)

    def __iter__(self) -> Iterator[str]:
        return iter(self._rows)


def _row(app: Application) -> bytes:
    products = tuple(
        (p.product_no, p.form, p.strength, p.drug_name, p.ingredient, p.status) for p in app.products
    )
    day = app.original_date.toordinal() if app.original_date else None
    return marshal.dumps((app.appl_type, app.sponsor, day, products))


def _read(path: Path, key: tuple[Any, ...]) -> DrugsAtFDA | None:
    target = cache_path(path)
    try:
        blob = target.read_bytes()
        head = int.from_bytes(blob[:4], "little")
        if marshal.loads(blob[4 : 4 + head]) != key:
            return None
        day, rows, by_ingredients = marshal.loads(memoryview(blob)[4 + head :])
    except FileNotFoundError:
        return None
    except (OSError, EOFError, ValueError, TypeError) as exc:
        log.debug("compiled Drugs@FDA %s not used: %s", target, exc)
        return None
    fda = DrugsAtFDA.__new__(DrugsAtFDA)  # the parsed state, without parsing the zip again
    fda.path = path
    fda.data_date = dt.date.fromordinal(day) if day is not None else None
    fda.apps = cast("dict[str, Application]", LazyApplications(rows))  # read-only use: find()
    fda.by_ingredients = by_ingredients
    return fda


def _write(path: Path, fda: DrugsAtFDA, key: tuple[Any, ...]) -> None:
    target = cache_path(path)
    day = fda.data_date.toordinal() if fda.data_date else None
    payload = (day, {no: _row(a) for no, a in fda.apps.items()}, fda.by_ingredients)
    tmp: str | None = None
    try:
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=target.name, suffix=".part")
        head = marshal.dumps(key)
        with os.fdopen(fd, "wb") as fh:
            fh.write(len(head).to_bytes(4, "little") + head)
            marshal.dump(payload, fh)
        os.chmod(tmp, path.stat().st_mode & 0o666)  # readable by whoever may read the source
        os.replace(tmp, target)
    except (OSError, ValueError) as exc:  # a read-only folder, or a value marshal cannot hold
        log.debug("compiled Drugs@FDA %s not written: %s", target, exc)
        if tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(tmp)


def load_drugsatfda(path: Path | None) -> DrugsAtFDA | None:
    """The export at ``path``, as :func:`medref.monograph.drugsatfda.load_drugsatfda` gives it
    (None when no path, no file or not a readable export), read from its compiled copy when one
    matches and kept in memory per file version."""
    if path is None or not Path(path).is_file():
        return None
    p = Path(path).resolve()
    try:
        st = p.stat()
        key = _key(st.st_size, st.st_mtime_ns)
    except OSError:
        return parsed.load_drugsatfda(p)
    mem = (str(p), st.st_size, st.st_mtime_ns)
    got = _loaded.get(mem) or _read(p, key)
    if got is None:
        got = parsed.load_drugsatfda(p)
        if got is None:
            return None
        _write(p, got, key)
    if len(_loaded) >= 4:
        _loaded.clear()
    _loaded[mem] = got
    return got


def clear_drugsatfda_cache() -> None:
    """Forget the exports held in memory (the next :func:`load_drugsatfda` reads the files again)."""
    _loaded.clear()
    parsed.clear_drugsatfda_cache()
