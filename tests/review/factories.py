"""Hand-built documents, answers and monographs for the review tests (our own words)."""

from __future__ import annotations

from medref.ingest.base import DocumentBuilder
from medref.models import (
    Answer,
    AnswerSection,
    Audience,
    Citation,
    CitedSentence,
    Document,
    DocumentRef,
    EvidenceStatus,
    Monograph,
    MonographField,
    MonographSection,
    Reference,
    SourcedValue,
    SourceKind,
)


def make_doc(uid: str, body: str = "Velmorast lowered itch scores. Few people stopped it.") -> Document:
    b = DocumentBuilder()
    b.add("Title", "Velmorast for chronic itch", kind="title", split=False)
    b.add("Abstract", body)
    return b.build(uid=uid, kind=SourceKind.RCT, title="Velmorast for chronic itch", year=2021)


def _refs(docs: tuple[Document, ...]) -> list[Reference]:
    return [
        Reference(number=n, label=d.kind.label, document=DocumentRef.of(d), passage_ids=[f"{d.uid}#1"])
        for n, d in enumerate(docs, start=1)
    ]


def make_answer(
    *texts: str,
    docs: tuple[Document, ...] = (),
    question: str = "Does velmorast help chronic itch?",
) -> Answer:
    texts = texts or ("Velmorast lowered itch scores in one trial.", "Few people stopped it early.")
    refs = _refs(docs)
    spans = [
        Citation(number=r.number, doc_uid=r.document.uid, passage_id=r.passage_ids[0], start=0, end=9)
        for r in refs
    ]
    sentences = [CitedSentence(text=t, citations=[r.number for r in refs], spans=spans) for t in texts]
    return Answer(
        question=question,
        audience=Audience.CLINICIAN,
        evidence_status=EvidenceStatus.DIRECT if docs else EvidenceStatus.NONE,
        key_entities=["Velmorast"],
        guidelines=AnswerSection(title="Guidelines", notice="No guideline in the sources covers this."),
        research=AnswerSection(title="Research", summary=sentences[:1], key_points=sentences[1:]),
        references=refs,
        disclaimer="Illustrative only, not medical advice.",
    )


def make_monograph(*, docs: tuple[Document, ...] = (), dose: str = "Take 10 mg once a day.") -> Monograph:
    refs = _refs(docs)
    cites = [r.number for r in refs]
    spans = [
        Citation(number=r.number, doc_uid=r.document.uid, passage_id=r.passage_ids[0], start=0, end=9)
        for r in refs
    ]
    return Monograph(
        drug="Velmorast",
        query="velmorast",
        approval_status="investigational",
        sections=[
            MonographSection(
                key="use",
                title="Use",
                fields=[
                    MonographField(
                        key="dosing",
                        title="Dosing",
                        values=[SourcedValue(text=dose, citations=cites, spans=spans)],
                    ),
                    MonographField(key="boxed_warning", title="Boxed warning"),
                ],
            )
        ],
        references=refs,
        disclaimer="Illustrative only, not medical advice.",
    )


def fast_hasher() -> object:
    """argon2id with tiny costs: for tests that exercise login logic, not the hash strength."""
    from argon2 import PasswordHasher

    return PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
