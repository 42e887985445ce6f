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

import datetime as dt
import marshal
import sys
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import cast

from medref import compiled
from medref.compiled import cache_path
from medref.monograph import drugsatfda as parsed
from medref.monograph.drugsatfda import Application, DrugsAtFDA, Product

__all__ = ["LazyApplications", "cache_path", "clear_drugsatfda_cache", "load_drugsatfda"]

TAG = "medref-drugsatfda-compiled/1"

_loaded: dict[tuple[str, int, int], DrugsAtFDA] = {}


def _code() -> tuple[str, ...]:
    from medref.monograph import names

    return tuple(str(m.__file__) for m in (parsed, names, sys.modules[__name__]))


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


def _read(path: Path) -> DrugsAtFDA | None:
    payload = compiled.read(path, TAG, _code())
    if not isinstance(payload, tuple) or len(payload) != 3:
        return None
    day, rows, by_ingredients = payload
    if not isinstance(rows, dict) or not isinstance(by_ingredients, dict):
        return None
    fda = DrugsAtFDA.__new__(DrugsAtFDA)  # the parsed state, without parsing the zip again
    fda.path = path
    try:
        fda.data_date = dt.date.fromordinal(day) if day is not None else None
    except (TypeError, ValueError, OverflowError):
        return None
    fda.apps = cast("dict[str, Application]", LazyApplications(rows))  # read-only use: find()
    fda.by_ingredients = by_ingredients
    return fda


def _write(path: Path, fda: DrugsAtFDA) -> None:
    day = fda.data_date.toordinal() if fda.data_date else None
    compiled.write(path, TAG, _code(), (day, {no: _row(a) for no, a in fda.apps.items()}, fda.by_ingredients))


def load_drugsatfda(path: Path | None) -> DrugsAtFDA | None:
    """The export at ``path``, as :func:`medref.monograph.drugsatfda.load_drugsatfda` gives it
    (None when no path, no file or not a readable export), read from its compiled copy when one
    matches and kept in memory per file version."""
    if path is None or not Path(path).is_file():
        return None
    p = Path(path).resolve()
    try:
        st = p.stat()
    except OSError:
        return parsed.load_drugsatfda(p)
    mem = (str(p), st.st_size, st.st_mtime_ns)
    got = _loaded.get(mem) or _read(p)
    if got is None:
        got = parsed.load_drugsatfda(p)
        if got is None:
            return None
        _write(p, got)
    if len(_loaded) >= 4:
        _loaded.clear()
    _loaded[mem] = got
    return got


def clear_drugsatfda_cache() -> None:
    """Forget the exports held in memory (the next :func:`load_drugsatfda` reads the files again)."""
    _loaded.clear()
    parsed.clear_drugsatfda_cache()
