"""Quotes: monograph statements tied to exact evidence before reference numbers exist.

A monograph is drafted as :class:`Draft` fields holding :class:`Quote` objects. A quote is
either a span of a stored passage (``passage.text[start:end] == quote.text``, one
:class:`~medref.compose.citations.Support` per span) or a value read from a structured source
(DrugBank vocabulary, MeSH, Drugs@FDA, the label's product data), named by ``source`` and
optionally tied to the documents it came from. :mod:`medref.monograph.builder` numbers the
references in page order once every field is drafted.

:func:`spans_of` cuts a passage into candidate statements: sentences (via
:func:`medref.compose.sentences.split_sentences`) for prose, one span per row for tables, over-long
sentences cut to their ``;`` clauses. :func:`pick` chooses statements from candidates: usable text,
no duplicates, a cap.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from medref.compose.citations import Support
from medref.compose.sentences import (
    Span,
    content_stems,
    is_boilerplate,
    jaccard,
    split_rows,
    split_sentences,
    trim_long,
)
from medref.models import DocumentRef, Passage

MAX_CHARS = 600
_LETTER = re.compile(r"[A-Za-z]")
_WS = re.compile(r"\s+")


@dataclass(frozen=True)
class Quote:
    """One statement: quoted from passages (``supports``) or read from a structured ``source``."""

    text: str
    supports: tuple[Support, ...] = ()
    source: str | None = None
    documents: tuple[DocumentRef, ...] = ()  # documents a structured value was read from

    @property
    def sourced(self) -> bool:
        return bool(self.supports or self.source)


@dataclass(frozen=True)
class Cand:
    """A candidate statement: a span of one passage of one document."""

    doc: DocumentRef
    passage: Passage
    span: Span

    @property
    def text(self) -> str:
        return self.span.text

    def quote(self) -> Quote:
        return quote(self.doc, self.passage, self.span.start, self.span.end)


@dataclass
class Draft:
    """A monograph field before reference numbers are assigned."""

    key: str
    title: str
    quotes: list[Quote] = field(default_factory=list)
    table: list[list[str]] | None = None  # first row = header
    row_quotes: list[Quote] = field(default_factory=list)  # the quote behind each table body row
    note: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.quotes or self.table)


def quote(doc: DocumentRef, passage: Passage, start: int, end: int) -> Quote:
    """The exact text ``passage.text[start:end]`` with its support."""
    if passage.id is None:
        raise ValueError("only stored passages (with ids) can be cited")
    return Quote(passage.text[start:end], (Support(doc, passage.id, start, end),))


def structured(text: str, source: str, *documents: DocumentRef) -> Quote:
    """A value read from a structured source (not a passage span)."""
    return Quote(text=text, source=source, documents=tuple(documents))


def row_spans(passage: Passage) -> list[Span]:
    """One span per row of a table passage (its text is the rows, cells joined by ' | ')."""
    return split_rows(passage.text)


def spans_of(passage: Passage) -> list[Span]:
    """Candidate statements of a passage: table rows, or sentences (long ones cut at ';')."""
    if passage.kind == "table":
        return row_spans(passage)
    return list(trim_long(split_sentences(passage.text), MAX_CHARS, keep=lambda s: True))


def cands(doc: DocumentRef, passages: Iterable[Passage], *, tables: bool = False) -> list[Cand]:
    """Every candidate statement of ``passages`` in page order (tables only when asked)."""
    out: list[Cand] = []
    for p in passages:
        if p.kind == "table" and not tables:
            continue
        out.extend(Cand(doc, p, s) for s in spans_of(p))
    return out


def usable(text: str, *, min_words: int = 3) -> bool:
    """Text that can stand as a statement: words, not boilerplate, not over-long."""
    if len(text) > MAX_CHARS or not _LETTER.search(text) or is_boilerplate(text):
        return False
    return len(text.split()) >= min_words


def norm(text: str) -> str:
    return _WS.sub(" ", text).strip().casefold()


def pick(
    candidates: Iterable[Cand],
    *,
    limit: int,
    keep: Callable[[str], object] | None = None,
    min_words: int = 3,
    per_passage: int | None = None,
    seen: set[str] | None = None,
    duplicate: float = 0.85,
) -> list[Quote]:
    """Up to ``limit`` quotes from ``candidates`` in their order: usable, kept, not repeated.

    ``seen`` (normalised texts) is shared between calls to avoid quoting one sentence twice on a
    page; near-duplicates (word-stem Jaccard >= ``duplicate``) of a chosen quote are skipped.
    """
    seen = seen if seen is not None else set()
    chosen: list[Quote] = []
    stems: list[frozenset[str]] = []
    per: dict[str, int] = {}
    for c in candidates:
        if len(chosen) >= limit:
            break
        text = c.text
        if not usable(text, min_words=min_words) or (keep is not None and not keep(text)):
            continue
        key = norm(text)
        if key in seen:
            continue
        pid = c.passage.id or ""
        if per_passage is not None and per.get(pid, 0) >= per_passage:
            continue
        st = content_stems(text)
        if any(jaccard(st, o) >= duplicate for o in stems):
            continue
        seen.add(key)
        stems.append(st)
        per[pid] = per.get(pid, 0) + 1
        chosen.append(c.quote())
    return chosen
