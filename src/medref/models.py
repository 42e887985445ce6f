"""The typed domain model every stage passes along.

``Document`` and ``Passage`` come out of the parsers (``medref.ingest``), are stored by
``medref.store`` and indexed/retrieved by ``medref.index`` / ``medref.retrieve``.
``Citation`` ties published text back to exact passage offsets. Answer, Monograph and
Review objects are defined next to them as those stages land.

Invariant kept by :class:`medref.ingest.base.DocumentBuilder` and checked by tests:
``doc.text[p.start:p.end] == p.text`` for every passage ``p`` of ``doc``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from enum import IntEnum, StrEnum
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, ConfigDict, Field


class SourceKind(StrEnum):
    GUIDELINE = "guideline"
    SYSTEMATIC_REVIEW = "systematic_review"  # systematic review or meta-analysis
    RCT = "rct"
    OBSERVATIONAL = "observational"  # cohort, case-control, cross-sectional, non-randomised trial
    NARRATIVE_REVIEW = "narrative_review"
    CASE_REPORT = "case_report"
    DRUG_LABEL = "drug_label"
    TRIAL_REGISTRATION = "trial_registration"
    OTHER = "other"  # a study whose design the source does not state

    @property
    def label(self) -> str:
        """The reference label shown on answer pages."""
        if self is SourceKind.GUIDELINE:
            return "Guideline"
        if self is SourceKind.DRUG_LABEL:
            return "Drug label"
        if self is SourceKind.TRIAL_REGISTRATION:
            return "Trial"
        return "Research"


class EvidenceLevel(IntEnum):
    """Lower is stronger. Used by reranking; shown in JSON output."""

    SYNTHESIS = 1  # guidelines, systematic reviews / meta-analyses, regulatory labels
    RANDOMISED = 2
    OBSERVATIONAL = 3
    LOW = 4  # narrative reviews, case reports, registrations without results, unknown design


_KIND_LEVEL = {
    SourceKind.GUIDELINE: EvidenceLevel.SYNTHESIS,
    SourceKind.SYSTEMATIC_REVIEW: EvidenceLevel.SYNTHESIS,
    SourceKind.DRUG_LABEL: EvidenceLevel.SYNTHESIS,
    SourceKind.RCT: EvidenceLevel.RANDOMISED,
    SourceKind.OBSERVATIONAL: EvidenceLevel.OBSERVATIONAL,
    SourceKind.NARRATIVE_REVIEW: EvidenceLevel.LOW,
    SourceKind.CASE_REPORT: EvidenceLevel.LOW,
    SourceKind.TRIAL_REGISTRATION: EvidenceLevel.LOW,
    SourceKind.OTHER: EvidenceLevel.LOW,
}

# PubMed publication types -> source kind, strongest first (first match wins).
_PUBTYPE_RULES: tuple[tuple[SourceKind, tuple[str, ...]], ...] = (
    (SourceKind.GUIDELINE, ("practice guideline", "guideline", "consensus development conference")),
    (SourceKind.SYSTEMATIC_REVIEW, ("systematic review", "meta-analysis", "network meta-analysis")),
    (
        SourceKind.RCT,
        (
            "randomized controlled trial",
            "pragmatic clinical trial",
            "equivalence trial",
            "clinical trial, phase iii",
            "clinical trial, phase iv",
        ),
    ),
    (
        SourceKind.OBSERVATIONAL,
        (
            "observational study",
            "multicenter study",
            "comparative study",
            "clinical trial",
            "clinical trial, phase i",
            "clinical trial, phase ii",
            "controlled clinical trial",
            "validation study",
            "evaluation study",
        ),
    ),
    (SourceKind.CASE_REPORT, ("case reports",)),
    (SourceKind.NARRATIVE_REVIEW, ("review", "scoping review")),
)


def kind_from_publication_types(types: list[str]) -> SourceKind:
    """Classify a journal article by its PubMed publication types."""
    lowered = {t.strip().lower() for t in types}
    for kind, names in _PUBTYPE_RULES:
        if lowered.intersection(names):
            return kind
    return SourceKind.OTHER


def evidence_level(kind: SourceKind, publication_types: list[str] | None = None) -> EvidenceLevel:
    """Evidence level from the source kind, refined by publication types for articles."""
    if publication_types and kind in (SourceKind.OTHER, SourceKind.OBSERVATIONAL):
        refined = kind_from_publication_types(publication_types)
        if _KIND_LEVEL[refined] < _KIND_LEVEL[kind]:
            return _KIND_LEVEL[refined]
    return _KIND_LEVEL[kind]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class Passage(_Model):
    """A retrievable span of a document: a section, a section chunk, a table or the title."""

    ordinal: int = Field(ge=0, description="position within the document")
    section: str = Field(description="human section name, e.g. 'RESULTS' or 'Boxed Warning'")
    text: str
    start: int = Field(ge=0, description="character offset into Document.text")
    end: int = Field(ge=0)
    kind: str = Field(default="text", description="'title', 'text' or 'table'")
    loinc: str | None = Field(default=None, description="SPL section LOINC code")
    table: list[list[str]] | None = Field(default=None, description="rows of cells, tables only")
    id: str | None = Field(default=None, description="stable id '<doc uid>#<ordinal>' once stored")


class Document(_Model):
    """One source record (an abstract, a label version, a trial registration, a guideline)."""

    uid: str = Field(description="stable key: pmid:…, spl:<setid>:v<version>, nct:…, guideline:…")
    kind: SourceKind
    title: str
    journal: str | None = Field(default=None, description="journal, or issuer for guidelines/labels")
    year: int | None = None
    date: dt.date | None = None
    authors: list[str] = Field(default_factory=list)
    pmid: str | None = None
    doi: str | None = None
    spl_setid: str | None = None
    spl_version: int | None = None
    nct_id: str | None = None
    publication_types: list[str] = Field(default_factory=list)
    mesh_terms: list[str] = Field(default_factory=list)
    language: str | None = None
    text: str = Field(default="", description="canonical plain text; passages index into it")
    passages: list[Passage] = Field(default_factory=list)
    meta: dict[str, Any] = Field(default_factory=dict, description="format-specific structured data")
    source_path: str | None = None
    is_current: bool = Field(default=True, description="False for superseded label versions")

    @property
    def evidence_level(self) -> EvidenceLevel:
        return evidence_level(self.kind, self.publication_types)

    @property
    def illustrative(self) -> bool:
        """Whether the record uses an identifier reserved for invented records (see
        :func:`illustrative_ids`): such records get no outbound link."""
        return illustrative_ids(pmid=self.pmid, doi=self.doi, spl_setid=self.spl_setid, nct_id=self.nct_id)

    @property
    def url(self) -> str | None:
        """A link built from the strongest identifier; none for an illustrative record."""
        if self.illustrative:
            return None
        if self.pmid:
            return f"https://pubmed.ncbi.nlm.nih.gov/{self.pmid}/"
        if self.doi:
            return f"https://doi.org/{self.doi}"
        if self.spl_setid:
            return f"https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid={self.spl_setid}"
        if self.nct_id:
            return f"https://clinicaltrials.gov/study/{self.nct_id}"
        return None

    def content_hash(self) -> str:
        """Hash of everything stored, to skip unchanged re-ingests and detect changed evidence."""
        raw = self.model_dump_json(
            exclude={"source_path": True, "is_current": True, "passages": {"__all__": {"id"}}}
        )
        return hashlib.sha256(raw.encode()).hexdigest()


def illustrative_ids(
    *,
    pmid: str | None = None,
    doi: str | None = None,
    spl_setid: str | None = None,
    nct_id: str | None = None,
) -> bool:
    """Whether any identifier is in a range reserved for invented records, as the bundled demo corpus
    uses them (PMIDs 90,000,000-90,999,999, the unassigned DOI prefix 10.99999, NCT numbers starting
    NCT99, SPL set ids starting with eight zeros). A link built from such an id would lead to a real
    site's page for a record that does not exist, so none is built."""
    if pmid and pmid.isdigit() and 90_000_000 <= int(pmid) < 91_000_000:
        return True
    if doi and doi.lower().startswith("10.99999/"):
        return True
    if nct_id and nct_id.upper().startswith("NCT99"):
        return True
    return bool(spl_setid and spl_setid.startswith("00000000-"))


class Deletion(_Model):
    """A parser's instruction to remove a stored record (e.g. MEDLINE DeleteCitation)."""

    uid: str
    source_path: str | None = None


class Citation(_Model):
    """A pointer from published text to the exact evidence span that supports it."""

    number: int = Field(ge=1, description="reference number as printed, [n]")
    doc_uid: str
    passage_id: str
    start: int = Field(ge=0, description="offset of the supporting span within the passage text")
    end: int = Field(ge=0)


class IngestFileResult(_Model):
    """What happened to one input file."""

    path: str
    format: str | None = None
    documents: int = 0
    passages: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    error: str | None = None
    seconds: float = 0.0


class IngestReport(_Model):
    files: list[IngestFileResult] = Field(default_factory=list)
    started_at: dt.datetime | None = None
    finished_at: dt.datetime | None = None

    @property
    def ok(self) -> bool:
        return all(f.error is None for f in self.files)

    def total(self, attr: str) -> int:
        return sum(int(getattr(f, attr)) for f in self.files)


class PublicationFlag(StrEnum):
    """Publication notices read from MEDLINE (CommentsCorrections and publication types)."""

    RETRACTED = "retracted"  # RetractionIn, or publication type "Retracted Publication"
    RETRACTION_NOTICE = "retraction_notice"  # the notice itself ("Retraction of Publication")
    ERRATUM = "erratum"  # ErratumIn
    EXPRESSION_OF_CONCERN = "expression_of_concern"  # ExpressionOfConcernIn

    @property
    def label(self) -> str:
        return {
            "retracted": "Retracted",
            "retraction_notice": "Retraction notice",
            "erratum": "Erratum published",
            "expression_of_concern": "Expression of concern",
        }[self.value]


class DocumentRef(_Model):
    """The citation-facing summary of a document (what a References list shows)."""

    uid: str
    kind: SourceKind
    title: str
    journal: str | None = None
    year: int | None = None
    date: dt.date | None = None
    url: str | None = None
    evidence_level: int
    is_current: bool = True
    pmid: str | None = None
    doi: str | None = None
    spl_setid: str | None = None
    spl_version: int | None = None
    nct_id: str | None = None
    flags: list[str] = Field(
        default_factory=list,
        description="publication notices from MEDLINE: 'retracted', 'retraction_notice', 'erratum', "
        "'expression_of_concern' (see PublicationFlag)",
    )
    sample_size: int | None = Field(default=None, description="participants, when the abstract states it")

    @property
    def label(self) -> str:
        return self.kind.label

    @property
    def retracted(self) -> bool:
        """A retracted article (or the retraction notice itself): never cited as evidence."""
        return PublicationFlag.RETRACTED in self.flags or PublicationFlag.RETRACTION_NOTICE in self.flags

    @classmethod
    def of(cls, doc: Document) -> DocumentRef:
        return cls(
            uid=doc.uid,
            kind=doc.kind,
            title=doc.title,
            journal=doc.journal,
            year=doc.year,
            date=doc.date,
            url=doc.url,
            evidence_level=int(doc.evidence_level),
            is_current=doc.is_current,
            pmid=doc.pmid,
            doi=doc.doi,
            spl_setid=doc.spl_setid,
            spl_version=doc.spl_version,
            nct_id=doc.nct_id,
            flags=[str(f) for f in doc.meta.get("flags", []) if isinstance(f, str)],
            sample_size=_int_or_none(doc.meta.get("sample_size")),
        )


def _int_or_none(value: Any) -> int | None:
    try:
        return int(value) if value is not None else None
    except (TypeError, ValueError):
        return None


class ScoreParts(_Model):
    """Every component of a hit's rank, so the ranking can be explained."""

    lexical_rank: int | None = None
    lexical_score: float | None = None
    dense_rank: int | None = None
    dense_score: float | None = None
    fused: float = 0.0
    lexical_anchor: float = Field(
        default=0.0,
        description="lift of a lexical top hit that matches a rare query term (index.fusion.anchor)",
    )
    evidence_bonus: float = 0.0
    current_label_bonus: float = 0.0
    directness_bonus: float = 0.0
    recency_bonus: float = 0.0
    final: float = 0.0


class RetrievedPassage(_Model):
    passage: Passage
    document: DocumentRef
    scores: ScoreParts
    direct: bool = Field(description="mentions a key entity of the question (or a true synonym)")
    matched_entities: list[str] = Field(default_factory=list, description="key entities it mentions")
    match_in: str | None = Field(
        default=None,
        description="where the entity was found: 'passage', 'title', or 'document' (abstract-sized documents only)",
    )


class EntityCoverage(_Model):
    entity: str
    kind: str
    synonyms: list[str] = Field(default_factory=list)
    direct_passages: int = 0


class RetrievalResult(_Model):
    query: str
    key_entities: list[str] = Field(default_factory=list)
    detected: list[dict[str, Any]] = Field(
        default_factory=list, description="entity mentions found in the query"
    )
    expansions: dict[str, list[str]] = Field(default_factory=dict)
    coverage: list[EntityCoverage] = Field(default_factory=list)
    has_direct_evidence: bool = False
    hits: list[RetrievedPassage] = Field(default_factory=list)
    backends: list[str] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    intent: dict[str, bool] = Field(default_factory=dict)


# --------------------------------------------------------------------------- answers


class Audience(StrEnum):
    CLINICIAN = "clinician"
    PATIENT = "patient"
    PHARMACIST = "pharmacist"


class EvidenceStatus(StrEnum):
    DIRECT = "direct"  # passages that name the question's key entity support the answer
    INDIRECT_ONLY = "indirect_only"  # related passages exist, none names the key entity
    NONE = "none"  # nothing relevant in the sources


class CitedSentence(_Model):
    """One published sentence and the exact evidence spans behind it."""

    text: str
    citations: list[int] = Field(default_factory=list, description="reference numbers, printed as [n]")
    spans: list[Citation] = Field(
        default_factory=list, description="supporting spans, one or more per number"
    )
    recommendation: bool = Field(default=False, description="should / recommended / monitor / avoid wording")
    direct: bool = True
    frame: str | None = Field(
        default=None,
        description="medref's own words printed before the quotation to say which source speaks "
        "('In a randomised trial published in 2024:'); not part of the quoted text",
    )
    theme: str | None = Field(
        default=None, description="research sentences: the heading they are grouped under ('Safety')"
    )
    edited: bool = Field(
        default=False,
        description="an editor changed the text: its composed spans were dropped, it must be re-linked "
        "to a supporting passage or marked editorial before review",
    )
    editorial: bool = Field(
        default=False, description="editorial text without a source, labelled as such on the page"
    )


class AnswerSection(_Model):
    title: str
    summary: list[CitedSentence] = Field(default_factory=list, description="a short paragraph")
    key_points: list[CitedSentence] = Field(default_factory=list)
    notice: str | None = Field(
        default=None, description="plain statement when evidence is missing or indirect"
    )
    withheld: list[DocumentRef] = Field(
        default_factory=list,
        description="sources that matched but are never cited (retracted articles), flagged here",
    )


class VerdictLabel(StrEnum):
    YES = "Yes"
    NO = "No"
    UNCERTAIN = "Uncertain"
    DISAGREE = "Sources disagree"
    NO_EVIDENCE = "No direct evidence"


class VerdictInput(_Model):
    """One cited sentence a verdict rests on, with the polarity read from it."""

    text: str
    citations: list[int] = Field(default_factory=list)
    polarity: str = Field(description="yes / no / uncertain, as read from the sentence's wording")
    confidence: float = Field(ge=0.0, le=1.0)
    evidence_level: int
    source_kind: SourceKind


class Verdict(_Model):
    """A labelled judgement of the cited sentences for a yes/no question; never a claim of its own."""

    label: VerdictLabel
    basis: str = Field(description="what it rests on, e.g. '2 relevant sources: 1 systematic review, 1 RCT'")
    inputs: list[VerdictInput] = Field(default_factory=list)
    disagreeing: list[VerdictInput] = Field(
        default_factory=list, description="when sources disagree: the sentences on the other side"
    )


class Quote(_Model):
    """A cited passage as it read when the page was composed (so a reader can check the span)."""

    passage_id: str
    section: str
    text: str
    loinc: str | None = Field(default=None, description="label passages: the section's LOINC code")


class Reference(_Model):
    number: int = Field(ge=1)
    label: str = Field(description="Guideline / Research / Drug label / Trial")
    document: DocumentRef
    passage_ids: list[str] = Field(default_factory=list)
    quotes: list[Quote] = Field(
        default_factory=list, description="the cited passages' text, in passage_ids order"
    )

    def quote(self, passage_id: str) -> Quote | None:
        return next((q for q in self.quotes if q.passage_id == passage_id), None)


class Answer(_Model):
    """A clinical question page: the data object behind its HTML and JSON forms."""

    id: str | None = None
    thread_id: str | None = None
    version: int = 1
    question: str
    resolved_question: str | None = Field(
        default=None, description="a follow-up rewritten with the thread's entities"
    )
    audience: Audience = Audience.CLINICIAN
    emergency: str | None = Field(default=None, description="seek-emergency-care instruction shown first")
    evidence_status: EvidenceStatus
    key_entities: list[str] = Field(default_factory=list)
    bottom_line: AnswerSection | None = Field(
        default=None, description="one to three cited sentences that answer the question, shown first"
    )
    verdict: Verdict | None = Field(default=None, description="for yes/no questions")
    guidelines: AnswerSection
    research: AnswerSection
    references: list[Reference] = Field(default_factory=list)
    related_reading: list[DocumentRef] = Field(
        default_factory=list,
        description="the closest sources when none answers the question directly (not cited as claims)",
    )
    related_questions: list[str] = Field(default_factory=list)
    suggested_questions: list[str] = Field(
        default_factory=list,
        description="template questions about the key entities, shown labelled as suggestions when no "
        "published page is related (never a stored question)",
    )
    drugs: list[str] = Field(
        default_factory=list,
        description="drugs the question names that have a label in the corpus (the pharmacist view "
        "links their dosing, interactions and label sections)",
    )
    disclaimer: str
    composer: str = "extractive"
    reading_grade: float | None = None
    dropped_sentences: int = Field(default=0, description="generated sentences dropped as unsupported")
    notes: list[str] = Field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def sections(self) -> list[AnswerSection]:
        """The page's sections in page order (the bottom line first, when there is one)."""
        lead = [self.bottom_line] if self.bottom_line is not None else []
        return [*lead, self.guidelines, self.research]

    def sentences(self) -> list[CitedSentence]:
        """Every published sentence, in page order."""
        out: list[CitedSentence] = []
        for section in self.sections():
            out.extend(section.summary)
            out.extend(section.key_points)
        return out


# Monograph and review models live in models_pages.py (this module stays under 600 lines). They
# are part of the same domain model and are imported from here: ``from medref.models import
# Monograph`` loads them on first use (models_pages builds on the classes above, so it is imported
# after this module, never during it).
_PAGES = frozenset(
    {
        "NOT_FOUND",
        "AuditEvent",
        "Monograph",
        "MonographField",
        "MonographSection",
        "Review",
        "ReviewStatus",
        "SourcedValue",
    }
)

if TYPE_CHECKING:
    pass


def __getattr__(name: str) -> Any:
    if name in _PAGES:
        from medref import models_pages

        return getattr(models_pages, name)
    raise AttributeError(f"module 'medref.models' has no attribute {name!r}")
