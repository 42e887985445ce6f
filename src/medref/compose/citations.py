"""Reference numbering and citation spans for composed answers.

A composer first decides *what* to publish -- sentences, each backed by one or more
:class:`Support` spans (document, passage id, offsets into the passage text) -- and then
numbers the references in one pass over the page, in page order, with a
:class:`ReferenceBook`:

* a document gets its number ``[n]`` the first time a published sentence cites it, so the
  References list reads 1, 2, 3 ... from the top of the page down;
* every later citation of the same document reuses that number (one reference per document,
  however many of its passages are cited);
* each :class:`~medref.models.Reference` carries the label of its source kind (Guideline /
  Research / Drug label / Trial, from ``DocumentRef.kind.label``), the ``DocumentRef`` (title,
  journal or issuer, year, link) and the ids of the passages actually cited, in first-use order;
* each :class:`~medref.models.Citation` keeps the exact span: ``passage_text[start:end]`` is the
  supporting text.

Documents that no published sentence cites never enter the list.

:func:`evidence_notices` writes the other thing a page says about its sources: the evidence
status and the plain notices shown when a section has no direct evidence ("The sources found
for this question include no guideline text on X.", "None of the sources found mentions X
(also searched as: ...)", or the NO_EVIDENCE text).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from medref.compose.base import NO_EVIDENCE
from medref.compose.sentences import Entity
from medref.models import Citation, CitedSentence, DocumentRef, EvidenceStatus, Passage, Quote, Reference

MAX_SEARCHED_NAMES = 10
NOT_ADDRESSED = (
    "No {what} found addresses this question directly beyond what the bottom line quotes; passages that "
    "only name its subject are not quoted."
)


@dataclass(frozen=True, slots=True)
class Support:
    """An evidence span behind a sentence, before reference numbers are assigned."""

    document: DocumentRef
    passage_id: str
    start: int
    end: int


class ReferenceBook:
    """Numbers documents in order of first citation and collects the References list."""

    def __init__(self) -> None:
        self._numbers: dict[str, int] = {}
        self._docs: dict[str, DocumentRef] = {}
        self._passages: dict[str, list[str]] = {}

    def number(self, document: DocumentRef) -> int:
        """The reference number of ``document``, assigning the next one on first use."""
        n = self._numbers.get(document.uid)
        if n is None:
            n = len(self._numbers) + 1
            self._numbers[document.uid] = n
            self._docs[document.uid] = document
            self._passages[document.uid] = []
        return n

    def cite(self, support: Support) -> Citation:
        n = self.number(support.document)
        used = self._passages[support.document.uid]
        if support.passage_id not in used:
            used.append(support.passage_id)
        return Citation(
            number=n,
            doc_uid=support.document.uid,
            passage_id=support.passage_id,
            start=support.start,
            end=support.end,
        )

    def sentence(
        self, text: str, supports: Sequence[Support], *, recommendation: bool = False, direct: bool = True
    ) -> CitedSentence:
        """A :class:`CitedSentence` citing ``supports`` (numbers in first-support order, no repeats)."""
        if not supports:
            raise ValueError("a published sentence needs at least one supporting span")
        spans = [self.cite(s) for s in supports]
        numbers: list[int] = []
        for c in spans:
            if c.number not in numbers:
                numbers.append(c.number)
        return CitedSentence(
            text=text, citations=numbers, spans=spans, recommendation=recommendation, direct=direct
        )

    def references(self, passages: Mapping[str, Passage] | None = None) -> list[Reference]:
        """The References list, numbered 1..n in order of first citation.

        ``passages`` (by id): the cited passages, whose text each reference then carries as
        :class:`~medref.models.Quote` so the page can show every cited span in its passage.
        """
        refs = [
            Reference(
                number=n,
                label=self._docs[uid].kind.label,
                document=self._docs[uid],
                passage_ids=list(self._passages[uid]),
            )
            for uid, n in sorted(self._numbers.items(), key=lambda item: item[1])
        ]
        return with_quotes(refs, passages) if passages else refs

    def __len__(self) -> int:
        return len(self._numbers)


def with_quotes(refs: Sequence[Reference], passages: Mapping[str, Passage]) -> list[Reference]:
    """``refs`` with the text of each cited passage found in ``passages`` (by passage id)."""
    out: list[Reference] = []
    for ref in refs:
        quotes = [
            Quote(
                passage_id=pid,
                section=passages[pid].section,
                text=passages[pid].text,
                loinc=passages[pid].loinc,
            )
            for pid in ref.passage_ids
            if pid in passages
        ]
        out.append(ref.model_copy(update={"quotes": quotes}))
    return out


def markers(numbers: Iterable[int]) -> str:
    """Citation markers as printed after a sentence: ``[1][3]``."""
    return "".join(f"[{n}]" for n in numbers)


def evidence_notices(
    found: Sequence[Entity],
    missing: Sequence[Entity],
    *,
    hits: bool,
    published: bool,
    guideline: bool,
    research: bool,
    guideline_named: bool = False,
    research_named: bool = False,
) -> tuple[EvidenceStatus, str | None, str | None]:
    """The evidence status and the notices of the guideline and research sections.

    ``found``/``missing``: the question's entities that some retrieved passage does / does not
    name; ``hits``: whether anything was retrieved; ``guideline_named`` / ``research_named``: whether
    such sources named the subject but were left out as not answering; ``published``, ``guideline``, ``research``:
    whether the page, its guideline section and its research section have sentences.
    """
    missing_line = " ".join(not_found(e) for e in missing)
    detail = f" {missing_line}" if missing_line else ""
    if not hits:
        return EvidenceStatus.NONE, NO_EVIDENCE + detail, NO_EVIDENCE + detail
    if missing and (not found or any(not e.known for e in missing)):
        if any(e.known for e in (*found, *missing)):
            if found:
                about = (
                    f"The sources found discuss {_names(e.name for e in found)}, not "
                    f"{_names(e.name for e in missing)}, so they are not summarised here as an answer."
                )
            else:
                about = "The passages the search returned are about other topics, so they are not summarised here as an answer."
            text = f"{missing_line} {about}"
            return EvidenceStatus.INDIRECT_ONLY, text, text
        return EvidenceStatus.NONE, NO_EVIDENCE + detail, NO_EVIDENCE + detail
    if not published:
        quoted = (
            f" The sources found name {_names(e.name for e in found)}, but no sentence in them can be quoted as "
            "a statement about it."
            if found
            else ""
        )
        return EvidenceStatus.NONE, NO_EVIDENCE + quoted, NO_EVIDENCE + quoted
    topic = _names(e.name for e in found) or "this question"
    g_notice = r_notice = None
    if not guideline:
        g_notice = (
            NOT_ADDRESSED.format(what="guideline text")
            if guideline_named
            else f"The sources found for this question include no guideline text on {topic}."
        )
    if not research:
        r_notice = (
            NOT_ADDRESSED.format(what="study, review, trial or drug label")
            if research_named
            else f"The sources found for this question include no study, review, trial or drug label text on {topic}."
        )
    if missing_line:
        g_notice = f"{g_notice} {missing_line}" if g_notice else missing_line
        r_notice = f"{r_notice} {missing_line}" if r_notice else missing_line
    return EvidenceStatus.DIRECT, g_notice, r_notice


def not_found(e: Entity) -> str:
    """'None of the sources found mentions X (also searched as: ...).'"""
    others = [n for n in e.names if n.casefold() != e.name.casefold()]
    searched = ", ".join(others[:MAX_SEARCHED_NAMES])
    if len(others) > MAX_SEARCHED_NAMES:
        searched += f" and {len(others) - MAX_SEARCHED_NAMES} more"
    tail = f" (also searched as: {searched})" if searched else ""
    return f"None of the sources found mentions {e.name}{tail}."


def _names(names: Iterable[str]) -> str:
    items = list(names)
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " or " + items[-1]


RELATED_READING = 5


def no_direct_evidence(question: str) -> str:
    """The notice at the top of a page whose sources name the subject but do not answer the question."""
    q = " ".join(question.split())
    if len(q) > 160:
        q = q[:157].rstrip() + "..."
    return (
        f"No direct evidence in the sources for this question (“{q}”): the passages found name its subject "
        "but none of them addresses what was asked. The closest sources are listed as related reading, "
        "not as answers."
    )


def closest_sources(pool: Iterable[Any], *, limit: int = RELATED_READING) -> list[DocumentRef]:
    """The documents of the best-scoring candidates (objects with ``.probability`` and ``.hit``)."""
    best: dict[str, tuple[float, DocumentRef]] = {}
    for c in pool:
        doc = c.hit.document
        if doc.uid not in best or c.probability > best[doc.uid][0]:
            best[doc.uid] = (c.probability, doc)
    ranked = sorted(best.values(), key=lambda t: (-t[0], t[1].uid))
    return [doc for _, doc in ranked[:limit]]
