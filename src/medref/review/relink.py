"""Edited sentences must point at evidence again, or say that they are the editor's own words.

When an editor changes the text of a published sentence (:func:`medref.review.diff.with_texts`)
the sentence is marked ``edited`` and loses its composed citations: the old spans supported the
old words, not the new ones. Before the version can be submitted or approved each such sentence
is either

* **re-linked** (:func:`relink`) to a passage that supports it: the support check
  (:func:`medref.compose.support.supports`) runs on the new text against that passage alone, and
  the span it finds becomes the sentence's only :class:`~medref.models.Citation` (offsets into the
  passage text, which is stored with the answer as a :class:`~medref.models.Quote`). A passage of
  a document the answer does not cite yet becomes a new reference; references are then numbered
  in page order (uncited ones keep their place after the cited ones); or
* **marked editorial** (:func:`mark_editorial`): text without a source, shown labelled as such.

:func:`unresolved` lists the sentences still waiting, :func:`require_resolved` refuses a version
that has any. Everything here is a pure function over :class:`~medref.models.Answer`; reading a
stored passage is the caller's job (see :func:`passage_choice`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from medref.compose.readable import renumber
from medref.compose.support import supports
from medref.errors import InputError
from medref.models import Answer, AnswerSection, Citation, CitedSentence, DocumentRef, Quote, Reference

EDITORIAL = "editorial"  # the form value that marks a sentence as editorial text
SNIPPET = 70  # characters of a sentence or passage quoted in messages and choice labels

PassageLookup = Callable[[str], tuple[Quote, DocumentRef] | None]


class RelinkError(InputError):
    """A sentence cannot be linked to the passage asked for (not found, not supporting, retracted)."""


@dataclass(frozen=True, slots=True)
class Choice:
    """A passage the answer already carries, offered to re-link a sentence to."""

    passage_id: str
    number: int
    label: str


def _short(text: str, limit: int = SNIPPET) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def describe(index: int, sentence: CitedSentence) -> str:
    """How messages name a sentence: its position on the page and its opening words."""
    return f'sentence {index + 1} ("{_short(sentence.text)}")'


def needs_source(sentence: CitedSentence) -> bool:
    """Edited, not marked editorial, and not linked to a supporting span yet."""
    return sentence.edited and not sentence.editorial and not sentence.spans


def unresolved(answer: Answer) -> list[tuple[int, CitedSentence]]:
    """(page index, sentence) of each edited sentence that is neither re-linked nor editorial."""
    return [(i, s) for i, s in enumerate(answer.sentences()) if needs_source(s)]


def require_resolved(answer: Answer, *, what: str = "submit") -> None:
    """Raise :class:`InputError` naming every edited sentence that still needs a source."""
    waiting = unresolved(answer)
    if not waiting:
        return
    names = "; ".join(describe(i, s) for i, s in waiting)
    verb, it = (
        ("were edited and no longer cite", "each")
        if len(waiting) > 1
        else ("was edited and no longer cites", "it")
    )
    raise InputError(
        f"cannot {what} version {answer.version}: {names} {verb} a source. "
        f"Re-link {it} to a passage that supports it, or mark it as editorial text without a source"
    )


def choices(answer: Answer) -> list[Choice]:
    """Every passage stored with the answer (each reference's quotes), in reference order."""
    out: list[Choice] = []
    for ref in answer.references:
        for quote in ref.quotes:
            label = f"[{ref.number}] {ref.label} · {quote.section}: {_short(quote.text)}"
            out.append(Choice(passage_id=quote.passage_id, number=ref.number, label=label))
    return out


def stored_quote(answer: Answer, passage_id: str) -> tuple[Quote, DocumentRef] | None:
    """The passage ``passage_id`` as the answer stored it, with its document."""
    for ref in answer.references:
        quote = ref.quote(passage_id)
        if quote is not None:
            return quote, ref.document
    return None


# ------------------------------------------------------------------ changing sentences
def _replace(answer: Answer, index: int, change: Callable[[CitedSentence], CitedSentence]) -> Answer:
    """A copy of ``answer`` whose sentence at page ``index`` is ``change(sentence)``."""
    count = len(answer.sentences())
    if not 0 <= index < count:
        raise InputError(f"no sentence {index + 1} in this version (it has {count})")
    seen = 0

    def redo(sentences: list[CitedSentence]) -> list[CitedSentence]:
        nonlocal seen
        out = []
        for s in sentences:
            out.append(change(s) if seen == index else s)
            seen += 1
        return out

    updates: dict[str, AnswerSection] = {}
    for name in ("bottom_line", "guidelines", "research"):
        section: AnswerSection | None = getattr(answer, name)
        if section is not None:
            summary = redo(section.summary)
            updates[name] = section.model_copy(
                update={"summary": summary, "key_points": redo(section.key_points)}
            )
    return answer.model_copy(update=updates)


def mark_editorial(answer: Answer, index: int) -> Answer:
    """Mark the sentence at page ``index`` as editorial text: no citations, no source frame."""
    return _replace(
        answer,
        index,
        lambda s: s.model_copy(update={"editorial": True, "citations": [], "spans": [], "frame": None}),
    )


def _with_passage(answer: Answer, quote: Quote, document: DocumentRef) -> tuple[Answer, int]:
    """The answer with ``quote`` stored under the reference of ``document`` (a new one, numbered
    last, when the answer does not cite that document yet), and that reference's number."""
    refs = list(answer.references)
    for i, ref in enumerate(refs):
        if ref.document.uid != document.uid:
            continue
        if ref.quote(quote.passage_id) is None:
            refs[i] = ref.model_copy(
                update={"passage_ids": [*ref.passage_ids, quote.passage_id], "quotes": [*ref.quotes, quote]}
            )
        return answer.model_copy(update={"references": refs}), ref.number
    number = max((r.number for r in refs), default=0) + 1
    refs.append(
        Reference(
            number=number,
            label=document.label,
            document=document,
            passage_ids=[quote.passage_id],
            quotes=[quote],
        )
    )
    return answer.model_copy(update={"references": refs}), number


def in_page_order(answer: Answer) -> Answer:
    """References numbered by first citation on the page; uncited ones keep their order after them."""
    cited = {n for s in answer.sentences() for n in s.citations}
    ordered = renumber(answer)
    rest = [r for r in answer.references if r.number not in cited]
    start = len(ordered.references) + 1
    extra = [r.model_copy(update={"number": start + i}) for i, r in enumerate(rest)]
    return ordered.model_copy(update={"references": [*ordered.references, *extra]})


def relink(answer: Answer, index: int, quote: Quote, document: DocumentRef) -> Answer:
    """Link the sentence at page ``index`` to ``quote`` when the support check finds a span of it
    that supports the sentence's text; raises :class:`RelinkError` (saying why) otherwise."""
    sentences = answer.sentences()
    if not 0 <= index < len(sentences):
        raise InputError(f"no sentence {index + 1} in this version (it has {len(sentences)})")
    sentence = sentences[index]
    who = describe(index, sentence)
    if document.retracted:
        raise RelinkError(f"{who}: {document.uid} is retracted and cannot be cited")
    result = supports(sentence.text, [quote.text], context=[document.title])
    if not result.supported or result.span is None:
        raise RelinkError(
            f"{who}: passage {quote.passage_id} does not support it ({result.reason}); "
            "pick a passage that says what the sentence says, or mark it as editorial text"
        )
    _, start, end = result.span
    with_ref, number = _with_passage(answer, quote, document)
    span = Citation(number=number, doc_uid=document.uid, passage_id=quote.passage_id, start=start, end=end)
    # medref's frame ('In a trial published in 2024:') speaks of the old source: kept only for it
    frame = sentence.frame if span.doc_uid in {c.doc_uid for c in sentence.spans} else None
    linked = _replace(
        with_ref,
        index,
        lambda s: s.model_copy(
            update={"citations": [number], "spans": [span], "editorial": False, "frame": frame}
        ),
    )
    return in_page_order(linked)


def passage_choice(
    answer: Answer, passage_id: str, lookup: PassageLookup | None = None
) -> tuple[Quote, DocumentRef]:
    """The passage a form names: one stored with the answer, else ``lookup(passage_id)`` (a stored
    passage ``'<doc uid>#<ordinal>'``); raises :class:`RelinkError` when neither has it."""
    found = stored_quote(answer, passage_id)
    if found is None and lookup is not None:
        found = lookup(passage_id)
    if found is None:
        raise RelinkError(
            f"no passage {passage_id!r}: pick one of this answer's passages or give a stored id 'uid#ordinal'"
        )
    return found


def apply_sources(answer: Answer, sources: Sequence[str], lookup: PassageLookup | None = None) -> Answer:
    """Apply one form choice per sentence, in page order: '' leaves it, :data:`EDITORIAL` marks it
    editorial, anything else is a passage id to re-link it to. Every refusal is reported at once."""
    count = len(answer.sentences())
    if len(sources) > count:
        raise InputError(f"got a source choice for {len(sources)} sentences, this version has {count}")
    problems: list[str] = []
    out = answer
    for index, raw in enumerate(sources):
        choice = raw.strip()
        if not choice:
            continue
        if choice == EDITORIAL:
            out = mark_editorial(out, index)
            continue
        try:
            quote, document = passage_choice(out, choice, lookup)
            out = relink(out, index, quote, document)
        except RelinkError as exc:
            text = str(exc)
            who = describe(index, out.sentences()[index])
            problems.append(text if text.startswith(who) else f"{who}: {text}")
    if problems:
        raise RelinkError("; ".join(problems))
    return out


__all__ = [
    "EDITORIAL",
    "Choice",
    "RelinkError",
    "apply_sources",
    "choices",
    "describe",
    "in_page_order",
    "mark_editorial",
    "needs_source",
    "passage_choice",
    "relink",
    "require_resolved",
    "stored_quote",
    "unresolved",
]
