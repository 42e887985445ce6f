"""Local document pages: ``/documents/{uid}`` and its JSON twin ``/documents/{uid}.json``.

Every stored document (an abstract, a label version, a trial registration, a guideline) has a
page that shows its metadata and every passage, each with the anchor ``p-<ordinal>``. The page
is where citations lead: ``?p=<ordinal>&s=<start>&e=<end>`` marks characters ``start:end`` of
that passage's text with ``<mark>`` (links add the ``#p-<ordinal>`` fragment, so the browser
scrolls there). A highlight that does not fit the passage, or parameters that are not whole
numbers, are ignored with a notice on the page: a stale link still shows the document.

For a drug label the page names the set id and version, says whether it is the current
version, and links the other stored versions of the set and the label-diff page. The outbound
link is only ``Document.url`` (None for the demo corpus's invented identifiers). DailyMed's
link opens today's label for the set, not the version quoted: its own documentation that we
could find gives no address for one version, so the link says so and this page is the
version-exact one.

The data object (:class:`DocumentPage`, without the highlight) is cached per corpus version
and uid in ``app.state.document_cache`` (:func:`medref.web.cache.app_cache`); the highlight is
applied to a copy per request. Document text is always autoescaped by the template.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from medref.errors import NotFoundError
from medref.models import Document, DocumentRef, EvidenceLevel, Passage, PublicationFlag
from medref.store.repository import Store
from medref.store.staging import MARK
from medref.web.cache import DOCUMENT_CACHE_SIZE, LRUCache, app_cache, corpus_version
from medref.web.render import page
from medref.web.views import kind_name

router = APIRouter()

MAX_UID = 512
_WHOLE = re.compile(r"\d{1,9}")
_SPL_UID = re.compile(r"spl:(?P<setid>[^:]+):v(?P<version>\d+)")
_HTML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "HTML page (JSON with Accept: application/json)"}
}

EVIDENCE_MEANINGS: dict[EvidenceLevel, str] = {
    EvidenceLevel.SYNTHESIS: "Level 1, the strongest: a guideline, a systematic review or "
    "meta-analysis, or a regulator's drug label.",
    EvidenceLevel.RANDOMISED: "Level 2: a randomised trial.",
    EvidenceLevel.OBSERVATIONAL: "Level 3: an observational or non-randomised study.",
    EvidenceLevel.LOW: "Level 4, the weakest: a narrative review, a case report, a trial "
    "registration, or a study that does not state its design.",
}
UID_FORMS = "pmid:<PMID>, spl:<set id>:v<version>, nct:<NCT number> or guideline:<id>"


class _Page(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Identifier(_Page):
    name: str = Field(description="e.g. 'PMID', 'DOI', 'SPL set id'")
    value: str


class OutboundLink(_Page):
    """The one link away from medref: built from ``Document.url`` only."""

    url: str
    site: str = Field(description="PubMed / DOI / DailyMed / ClinicalTrials.gov")
    text: str = Field(description="the link's words (for labels: which version it shows)")


class Flag(_Page):
    flag: str = Field(description="a PublicationFlag value (or an unknown flag as stored)")
    label: str


class LabelVersion(_Page):
    """One stored version of a label set."""

    version: int
    current: bool
    uid: str
    shown: bool = Field(description="the version this page shows")


class Highlight(_Page):
    """The span a link asked for: characters ``start:end`` of passage ``ordinal``'s text."""

    ordinal: int
    start: int
    end: int
    text: str


class DocumentPage(_Page):
    """A stored document's page: the data object behind its HTML and JSON forms."""

    uid: str
    document: DocumentRef = Field(description="title, journal or issuer, dates, ids, flags, url")
    kind_name: str
    evidence_meaning: str
    authors: list[str] = Field(default_factory=list)
    mesh_terms: list[str] = Field(default_factory=list)
    publication_types: list[str] = Field(default_factory=list)
    language: str | None = None
    identifiers: list[Identifier] = Field(default_factory=list)
    flags: list[Flag] = Field(default_factory=list)
    retracted: bool = False
    link: OutboundLink | None = None
    passages: list[Passage] = Field(default_factory=list)
    versions: list[LabelVersion] = Field(
        default_factory=list, description="labels: every stored version of the set, newest first"
    )
    target: int | None = Field(default=None, description="the passage a link points to (?p=)")
    highlight: Highlight | None = None
    notices: list[str] = Field(default_factory=list, description="why a requested highlight was ignored")


# ----------------------------------------------------------------------------- building


def load_document(store: Store, uid: str) -> Document:
    """The stored document ``uid`` with its passages; a NotFoundError that says what ids look like."""
    if not uid.strip():
        raise NotFoundError(f"No document id was given. Ids look like {UID_FORMS}.")
    if len(uid) > MAX_UID or uid.startswith(MARK):  # MARK: a record of a file being written
        raise NotFoundError(f"No stored document has the id {uid[:80]!r}. Ids look like {UID_FORMS}.")
    try:
        return store.get_document(uid)
    except NotFoundError:
        detail = f"No stored document has the id {uid!r}. Ids look like {UID_FORMS}."
        m = _SPL_UID.fullmatch(uid)
        stored = sorted(v for v, _, _ in store.label_versions(m["setid"])) if m else []
        if m and stored:
            detail = (
                f"Version {m['version']} of label set {m['setid']} is not stored; "
                f"stored versions: {', '.join(map(str, stored))}."
            )
        raise NotFoundError(detail) from None


def _identifiers(doc: Document) -> list[Identifier]:
    pairs = [
        ("PMID", doc.pmid),
        ("DOI", doc.doi),
        ("SPL set id", doc.spl_setid),
        ("SPL version", str(doc.spl_version) if doc.spl_version is not None else None),
        ("NCT number", doc.nct_id),
        ("medref id", doc.uid),
    ]
    return [Identifier(name=name, value=value) for name, value in pairs if value]


def _flags(ref: DocumentRef) -> list[Flag]:
    out: list[Flag] = []
    for raw in ref.flags:
        try:
            label = PublicationFlag(raw).label
        except ValueError:
            label = raw.replace("_", " ").capitalize()
        out.append(Flag(flag=raw, label=label))
    return out


def outbound_link(doc: Document) -> OutboundLink | None:
    """The link to the record's home site, from ``Document.url`` (never for invented ids)."""
    url = doc.url
    if not url:
        return None
    if doc.pmid:
        site, text = "PubMed", f"PubMed record {doc.pmid}"
    elif doc.doi:
        site, text = "DOI", f"Publisher's page (doi:{doc.doi})"
    elif doc.spl_setid:
        site = "DailyMed"
        text = "DailyMed: today's label for this set"
        if doc.spl_version is not None:
            text += f" (not necessarily version {doc.spl_version}, shown here)"
    else:
        site, text = "ClinicalTrials.gov", f"ClinicalTrials.gov record {doc.nct_id}"
    return OutboundLink(url=url, site=site, text=text)


def _versions(store: Store, doc: Document) -> list[LabelVersion]:
    if not doc.spl_setid:
        return []
    return [
        LabelVersion(version=v, current=current, uid=uid, shown=uid == doc.uid)
        for v, current, uid in store.label_versions(doc.spl_setid)
    ]


def build_page(store: Store, uid: str) -> DocumentPage:
    """The page's data object (no highlight): what the cache keeps."""
    doc = load_document(store, uid)
    ref = DocumentRef.of(doc)
    return DocumentPage(
        uid=doc.uid,
        document=ref,
        kind_name=kind_name(doc.kind),
        evidence_meaning=EVIDENCE_MEANINGS[doc.evidence_level],
        authors=doc.authors,
        mesh_terms=doc.mesh_terms,
        publication_types=doc.publication_types,
        language=doc.language,
        identifiers=_identifiers(doc),
        flags=_flags(ref),
        retracted=ref.retracted,
        link=outbound_link(doc),
        passages=doc.passages,
        versions=_versions(store, doc),
    )


def cached_page(request: Request, uid: str) -> DocumentPage:
    """The page's data object from the app's document cache, built on a miss."""
    store: Store = request.app.state.store
    cache: LRUCache[DocumentPage] = app_cache(request.app, "document_cache", DOCUMENT_CACHE_SIZE)
    return cache.get_or_build((corpus_version(store), uid), lambda: build_page(store, uid))


# ----------------------------------------------------------------------------- highlighting


def _whole(value: str | None) -> int | None:
    """``value`` as a whole number (0 or more); None when absent; ValueError when not one."""
    if value is None or not value.strip():
        return None
    text = value.strip()
    if not _WHOLE.fullmatch(text):
        raise ValueError(text)
    return int(text)


def with_highlight(data: DocumentPage, p: str | None, s: str | None, e: str | None) -> DocumentPage:
    """A copy of ``data`` with the passage and span a link asks for, or notices saying why not."""
    notices: list[str] = []
    try:
        ordinal = _whole(p)
    except ValueError:
        return data.model_copy(update={"notices": ["The highlight was ignored: p must be a passage number."]})
    if ordinal is None:
        if s or e:
            notices.append("The highlight was ignored: s and e need p, the passage number.")
        return data.model_copy(update={"notices": notices})
    passage = next((x for x in data.passages if x.ordinal == ordinal), None)
    if passage is None:
        last = max((x.ordinal for x in data.passages), default=None)
        have = f"its passages are numbered 0 to {last}" if last is not None else "it has no passages"
        notice = f"The highlight was ignored: this document has no passage {ordinal} ({have})."
        return data.model_copy(update={"notices": [notice]})
    update: dict[str, Any] = {"target": ordinal}
    if s is None and e is None:
        return data.model_copy(update=update)
    size = len(passage.text)
    try:
        start, end = _whole(s), _whole(e)
    except ValueError:
        start = end = None
    if start is None or end is None or not start < end <= size:
        notices.append(
            f"The highlight was ignored: s and e must be whole numbers with s < e ≤ {size} "
            f"(the number of characters in passage {ordinal}); the passage is shown unmarked."
        )
    else:
        update["highlight"] = Highlight(ordinal=ordinal, start=start, end=end, text=passage.text[start:end])
    update["notices"] = notices
    return data.model_copy(update=update)


# ----------------------------------------------------------------------------- routes

PassageQ = Annotated[str | None, Query(max_length=12, description="the passage to point at (its ordinal)")]
SpanQ = Annotated[
    str | None,
    Query(max_length=12, description="highlight: a character offset into passage p's text (s start, e end)"),
]


@dataclass(frozen=True)
class SpanParams:
    """The query parameters ``p``, ``s`` and ``e`` (strings: invalid ones become a notice)."""

    p: PassageQ = None
    s: SpanQ = None
    e: SpanQ = None


Span = Annotated[SpanParams, Depends()]


def _document(request: Request, uid: str, span: SpanParams) -> Response:
    data = with_highlight(cached_page(request, uid), span.p, span.s, span.e)
    return page(request, "document.html", data=data)


# The .json route comes first: {uid:path} would otherwise take "pmid:1.json" as the uid.
@router.get(
    "/documents/{uid:path}.json",
    response_model=DocumentPage,
    name="document_json",
    summary="A stored document with its passages",
)
def document_json(request: Request, uid: str, span: Span) -> Response:
    return _document(request, uid, span)


@router.get(
    "/documents/{uid:path}",
    response_class=HTMLResponse,
    name="document_page",
    responses=_HTML_OR_JSON,
    summary="A stored document's page (?p=&s=&e= highlights a span of one passage)",
)
def document_page(request: Request, uid: str, span: Span) -> Response:
    return _document(request, uid, span)
