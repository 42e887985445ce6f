"""What a reviewer reads on an item's page: every published sentence beside the passages it cites.

Built from the stored version itself (the sentence's :class:`~medref.models.Citation` spans and
the :class:`~medref.models.Quote` each reference carries, through :func:`medref.web.evidence.panels`),
so the highlighted span is exactly what the page will claim. Answers also say which sentences an
editor rewrote (``edited``), which are editorial text without a source, and which still need one
(:mod:`medref.review.relink`), and offer the passages a sentence may be re-linked to.
"""

from __future__ import annotations

from dataclasses import asdict

from fastapi import Request
from pydantic import BaseModel, Field

from medref.models import Answer, CitedSentence, Monograph, Reference
from medref.review.diff import editable_texts
from medref.review.relink import choices, needs_source
from medref.web.evidence import Cited, panels
from medref.web.views import document_href


class QuotedSpan(BaseModel):
    """One cited span in its passage: ``before + span + after`` is a window of the passage text."""

    section: str
    before: str
    span: str
    after: str
    doc_uid: str
    start: int
    end: int
    href: str | None = Field(default=None, description="the document page with the span marked")


class CitedSource(BaseModel):
    number: int
    label: str | None = None
    title: str | None = None
    year: int | None = None
    spans: list[QuotedSpan] = Field(default_factory=list, description="empty: the passage was not stored")


class SentenceEvidence(BaseModel):
    index: int = Field(description="position in the edit form (text-N, source-N)")
    where: str
    text: str
    citations: list[int] = Field(default_factory=list)
    edited: bool = False
    editorial: bool = False
    needs_source: bool = Field(default=False, description="edited, and neither re-linked nor editorial")
    sources: list[CitedSource] = Field(default_factory=list)


class PassageChoice(BaseModel):
    passage_id: str
    number: int
    label: str


def cited_items(item: Answer | Monograph) -> list[Cited]:
    """The sentences (answers) or values (monographs), in the order of the edit form."""
    if isinstance(item, Answer):
        return list(item.sentences())
    return [v for section in item.sections for field in section.fields for v in field.values]


def _sources(request: Request, cited: Cited, refs: list[Reference]) -> list[CitedSource]:
    out: list[CitedSource] = []
    for p in panels(cited, refs):
        doc = p.reference.document if p.reference is not None else None
        spans = [
            QuotedSpan(
                **{k: v for k, v in asdict(ex).items() if k in QuotedSpan.model_fields},
                href=document_href(request, ex.doc_uid, ex.ordinal, ex.start, ex.end),
            )
            for ex in p.excerpts
        ]
        out.append(
            CitedSource(
                number=p.number,
                label=p.reference.label if p.reference is not None else None,
                title=doc.title if doc else None,
                year=doc.year if doc else None,
                spans=spans,
            )
        )
    return out


def sentence_evidence(request: Request, item: Answer | Monograph) -> list[SentenceEvidence]:
    """Each published sentence or value with the cited spans, in page order."""
    out: list[SentenceEvidence] = []
    for index, ((where, text), cited) in enumerate(zip(editable_texts(item), cited_items(item), strict=True)):
        flags: dict[str, bool] = {}
        if isinstance(cited, CitedSentence):
            sentence = cited
            flags = {
                "edited": sentence.edited,
                "editorial": sentence.editorial,
                "needs_source": needs_source(sentence),
            }
        out.append(
            SentenceEvidence(
                index=index,
                where=where,
                text=text,
                citations=list(cited.citations),
                sources=_sources(request, cited, item.references),
                **flags,
            )
        )
    return out


def passage_choices(item: Answer | Monograph) -> list[PassageChoice]:
    """The passages an edited answer sentence may be re-linked to (monographs: none)."""
    if not isinstance(item, Answer):
        return []
    return [PassageChoice(passage_id=c.passage_id, number=c.number, label=c.label) for c in choices(item)]
