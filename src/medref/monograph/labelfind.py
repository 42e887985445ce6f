"""Which stored label set a drug name or set id means (for the label-version diff).

A set id is taken as it is. A name is compared with the stored labels' brand and generic names
(salt words dropped, combination products split into their ingredients, as in
:mod:`medref.monograph.names`); when no label name matches and a lexicon is given, the name is
resolved through it (DrugBank synonyms, brand names) as the monograph does. When several label
sets match, the one with more than one stored version is preferred, then the one whose current
version is newest; the others are named in a note.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from medref.errors import NotFoundError, QueryError
from medref.monograph.names import LabelRow, fold, ingredients, label_rows, resolve, strip_salts, suggest
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store


class NoLabelError(NotFoundError):
    """No stored label matches; ``suggestions`` are the closest stored label names."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        self.suggestions = list(suggestions or [])
        if self.suggestions:
            message += f"; did you mean: {', '.join(self.suggestions)}?"
        super().__init__(message)


def _level(row: LabelRow, forms: set[str]) -> int:
    """3: brand or full generic name; 2: the label's single ingredient; 1: one ingredient of several."""
    names = {fold(n) for n in (*row.brands, *row.generics)} | {strip_salts(g) for g in row.generics}
    if forms & names:
        return 3
    keys = row.ingredient_keys
    if keys & forms:
        return 2 if len(keys) == 1 else 1
    return 0


def _choose(rows: list[LabelRow], query: str) -> tuple[str, list[str]]:
    by_set: dict[str, list[LabelRow]] = defaultdict(list)
    for r in rows:
        by_set[r.setid].append(r)

    def rank(setid: str) -> tuple[bool, dt.date, int]:
        vs = by_set[setid]
        newest = max(vs, key=lambda r: (r.is_current, r.version))
        return len({r.version for r in vs}) > 1, newest.date or dt.date.min, newest.version

    chosen = max(by_set, key=rank)
    others = sorted(s for s in by_set if s != chosen)
    notes = []
    if others:
        notes.append(
            f"{len(others)} other label set(s) also match {query!r} and were not compared: {', '.join(others)} "
            "(ask for a set id to compare one of them)."
        )
    return chosen, notes


def find_label_set(store: Store, query: str, *, lexicon: Lexicon | None = None) -> tuple[str, list[str]]:
    """The set id of the stored label ``query`` names, and notes; NotFoundError when there is none."""
    q = " ".join((query or "").split())
    if not q:
        raise QueryError("give a drug name or a label set id")
    rows = label_rows(store)
    if q.lower() in {r.setid for r in rows}:
        return q.lower(), []
    forms = {fold(q), strip_salts(q)} - {""}
    scored = [(lvl, r) for r in rows if (lvl := _level(r, forms))]
    best = max((lvl for lvl, _ in scored), default=0)
    matches = [r for lvl, r in scored if lvl == best]
    if not matches and lexicon is not None:
        try:
            match = resolve(q, store=store, lexicon=lexicon)
        except NotFoundError:
            match = None
        if match is not None and not match.labels:
            raise NoLabelError(
                f"no drug label for {q!r} is stored, so there are no label versions to compare"
            )
        matches = list(match.labels) if match is not None else []
    if not matches:
        names = {n.casefold(): n for r in rows for n in (*r.brands, *r.generics, *_parts(r))}
        raise NoLabelError(f"no stored drug label matches {q!r}", suggest(q, names))
    return _choose(matches, q)


def _parts(row: LabelRow) -> list[str]:
    return [p for g in row.generics for p in ingredients(g)]
