"""The evidence behind each citation marker, as the question page reveals it.

Every ``[n]`` after a published sentence opens a panel with the passage the sentence was
taken from and the cited span highlighted, so a reader checks the quotation without leaving the
page. The panel is built here from the page's own data object (the sentence's
:class:`~medref.models.Citation` spans and the :class:`~medref.models.Quote` each reference
carries), never from today's copy of the document: what was cited is what is shown.

Long passages are cut to a window around the span (whole words, marked with an ellipsis); the
span itself is never cut. The template escapes every piece.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from medref.models import Citation, Reference

CONTEXT = 320  # characters of passage shown on each side of the cited span
ELLIPSIS = "…"
BOXED_WARNING_LOINC = "34066-1"


class Cited(Protocol):
    """Anything printed with [n] markers: a published sentence, a monograph value."""

    @property
    def citations(self) -> list[int]: ...
    @property
    def spans(self) -> list[Citation]: ...


@dataclass(frozen=True, slots=True)
class Excerpt:
    """One cited span in its passage: ``before + span + after`` is a window of the passage text."""

    section: str
    boxed: bool  # from a label's boxed warning
    before: str
    span: str
    after: str
    doc_uid: str
    ordinal: int | None
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Panel:
    """What marker ``[number]`` reveals: the reference and each span of it the sentence cites."""

    number: int
    reference: Reference | None
    excerpts: tuple[Excerpt, ...]


def ordinal_of(passage_id: str) -> int | None:
    """The passage's position in its document, from a stored id ``'<doc uid>#<ordinal>'``."""
    _, sep, tail = passage_id.rpartition("#")
    return int(tail) if sep and tail.isdigit() else None


def _window_before(text: str, start: int, width: int) -> str:
    if start <= width:
        return text[:start]
    cut = text.find(" ", start - width, start)
    return ELLIPSIS + text[(cut + 1 if cut >= 0 else start - width) : start]


def _window_after(text: str, end: int, width: int) -> str:
    if len(text) - end <= width:
        return text[end:]
    cut = text.rfind(" ", end, end + width)
    return text[end : (cut if cut > end else end + width)] + ELLIPSIS


def excerpt(
    text: str,
    start: int,
    end: int,
    *,
    section: str,
    doc_uid: str,
    passage_id: str,
    boxed: bool = False,
    width: int = CONTEXT,
) -> Excerpt | None:
    """The window of ``text`` around ``text[start:end]``; None when the offsets do not fit."""
    if not 0 <= start < end <= len(text):
        return None
    return Excerpt(
        section=section,
        boxed=boxed,
        before=_window_before(text, start, width),
        span=text[start:end],
        after=_window_after(text, end, width),
        doc_uid=doc_uid,
        ordinal=ordinal_of(passage_id),
        start=start,
        end=end,
    )


def panels(sentence: Cited, references: Sequence[Reference]) -> list[Panel]:
    """One panel per reference number the sentence cites, in marker order."""
    by_number = {r.number: r for r in references}
    out: list[Panel] = []
    for n in sentence.citations:
        ref = by_number.get(n)
        found: list[Excerpt] = []
        for c in sentence.spans:
            if c.number != n or ref is None:
                continue
            q = ref.quote(c.passage_id)
            if q is None:
                continue
            boxed = q.loinc == BOXED_WARNING_LOINC or "boxed warning" in q.section.casefold()
            ex = excerpt(
                q.text,
                c.start,
                c.end,
                section=q.section,
                doc_uid=c.doc_uid,
                passage_id=c.passage_id,
                boxed=boxed,
            )
            if ex is not None and ex not in found:
                found.append(ex)
        out.append(Panel(number=n, reference=ref, excerpts=tuple(found)))
    return out


def from_boxed_warning(sentence: Cited, references: Sequence[Reference]) -> bool:
    """Whether the sentence quotes a label's boxed warning (the page then shows it in a box)."""
    return any(ex.boxed for p in panels(sentence, references) for ex in p.excerpts)
