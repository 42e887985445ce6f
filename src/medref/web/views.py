"""Page data objects and display helpers shared by the web routes and templates.

Each page is rendered from one data object (see :func:`medref.web.render.page`): the question
page from the stored :class:`~medref.models.Answer`, search from the
:class:`~medref.models.RetrievalResult`, a monograph from the
:class:`~medref.models.Monograph`; the small models here cover the pages that have no domain
object of their own (home, errors). Helpers below are registered as Jinja globals/filters by
:func:`install_template_helpers`; they return plain strings, which the templates autoescape.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from fastapi import Request
from jinja2 import Environment
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import NoMatchFound

from medref.models import NOT_FOUND, Audience, PublicationFlag, Review, ReviewStatus, SourceKind
from medref.monograph.render import PAGE_HELPERS
from medref.web.evidence import from_boxed_warning, panels

PENDING_BANNER = "Educational purpose only - pending human review"
INDEX_FIX = "medref index rebuild"

AUDIENCE_LABELS: dict[Audience, str] = {
    Audience.CLINICIAN: "Clinician",
    Audience.PATIENT: "Patient or caregiver",
    Audience.PHARMACIST: "Pharmacist",
}

REVIEW_LABELS: dict[ReviewStatus, str] = {
    ReviewStatus.DRAFT: "Draft - not yet submitted for review",
    ReviewStatus.SUBMITTED: "Submitted",
    ReviewStatus.UNDER_REVIEW: "Under Review",
    ReviewStatus.APPROVED: "Approved by a Medical Advisory Board",
    ReviewStatus.CHANGES_REQUESTED: "Changes requested by reviewers",
    ReviewStatus.REJECTED: "Not approved by reviewers",
}


KIND_NAMES: dict[SourceKind, str] = {
    SourceKind.GUIDELINE: "Guideline",
    SourceKind.SYSTEMATIC_REVIEW: "Systematic review or meta-analysis",
    SourceKind.RCT: "Randomised trial",
    SourceKind.OBSERVATIONAL: "Observational study",
    SourceKind.NARRATIVE_REVIEW: "Narrative review",
    SourceKind.CASE_REPORT: "Case report",
    SourceKind.DRUG_LABEL: "Drug label",
    SourceKind.TRIAL_REGISTRATION: "Trial registration",
    SourceKind.OTHER: "Other study",
}


LEVEL_MEANINGS = {
    1: "1 of 4 (strongest): guideline, systematic review or meta-analysis, or drug label",
    2: "2 of 4: randomised trial",
    3: "3 of 4: observational study",
    4: "4 of 4 (weakest): narrative review, case report, trial registration or other design",
}


def level_meaning(level: int) -> str:
    """What an evidence level means, for a tooltip or a document page."""
    return LEVEL_MEANINGS.get(int(level), f"level {level}")


def flag_label(flag: str) -> str:
    """'Retracted', 'Erratum published' ... for a PublicationFlag value (the value itself if unknown)."""
    try:
        return PublicationFlag(flag).label
    except ValueError:
        return flag.replace("_", " ").capitalize()


def kind_name(kind: SourceKind | str) -> str:
    try:
        return KIND_NAMES[SourceKind(kind)]
    except ValueError:
        return str(kind)


class _View(BaseModel):
    model_config = ConfigDict(extra="forbid")


class PublishedPage(_View):
    """A question page that reviewers approved (the only kind a public list shows)."""

    id: str
    title: str
    audience: Audience
    slug: str | None = Field(default=None, description="its address: /pages/<slug>")


class HomePage(_View):
    """The home page: the ask box, the audience choice and the latest published (approved) pages.

    Visitors' questions are never listed: only pages whose current version is approved.
    """

    published: list[PublishedPage] = Field(default_factory=list)
    audiences: list[Audience] = Field(default_factory=lambda: list(Audience))
    index_ready: bool = True
    fix: str | None = Field(default=None, description="the command that builds a missing index")
    monographs: bool = Field(default=False, description="drug monographs can be looked up")


class ErrorPage(_View):
    """Every error response, as a page and as JSON."""

    status: int
    title: str
    detail: str
    fix: str | None = Field(default=None, description="what to run or change to fix it")
    suggestions: list[str] = Field(default_factory=list)
    errors: list[dict[str, Any]] = Field(default_factory=list, description="per-field validation errors")


ERROR_TITLES = {
    400: "Bad request",
    401: "Sign-in required",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    422: "The request could not be understood",
    500: "Something went wrong",
    503: "Not ready",
}


def error_title(status: int) -> str:
    return ERROR_TITLES.get(status, "Error")


def review_label(review: Review | None) -> str:
    if review is None:
        return "Not reviewed"
    return REVIEW_LABELS.get(review.status, review.status.label)


def is_approved(review: Review | None, version: int | None = None) -> bool:
    """Approved, and (when ``version`` is given) that version is the one the review covers."""
    if review is None or not review.approved:
        return False
    return version is None or review.version == version


def fmt_date(value: dt.date | dt.datetime | str | None) -> str:
    """``22 November 2025`` (datetimes in UTC); empty for None."""
    if value is None:
        return ""
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        value = parsed
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC)
        value = value.date()
    return f"{value.day} {value:%B %Y}"


def http_url(url: str | None) -> str | None:
    """``url`` when it is an absolute http(s) link, else None (never a script: URL)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme in ("http", "https") and parts.netloc:
        return url.strip()
    return None


def path_for(request: Request, name: str, /, query: dict[str, Any] | None = None, **params: Any) -> str:
    """The path of route ``name`` (behind the app's root path), with an optional query string."""
    quoted = {k: quote(str(v), safe="/" if k == "path" else "") for k, v in params.items()}
    path = request.scope.get("root_path", "") + str(request.app.url_path_for(name, **quoted))
    if query:
        items = [(k, v) for k, v in query.items() if v not in (None, "")]
        if items:
            path += "?" + urlencode(items)
    return path


def route_path(request: Request, name: str) -> str | None:
    """The path of route ``name``, or None where the app has no such route (a partial app)."""
    try:
        return path_for(request, name)
    except NoMatchFound:
        return None


def document_href(
    request: Request, uid: str, ordinal: int | None = None, start: int | None = None, end: int | None = None
) -> str | None:
    """The local page of document ``uid`` (with the span to highlight), or None without that route."""
    try:
        path = path_for(request, "document_page", uid=uid)
    except NoMatchFound:
        return None
    if ordinal is None:
        return path
    query = {"p": ordinal, "s": start, "e": end} if start is not None and end is not None else {"p": ordinal}
    return f"{path}?{urlencode(query)}#p-{ordinal}"


def current_user(request: Request) -> Any | None:
    """The signed-in user set by :mod:`medref.web.security` (None when signed out or absent)."""
    return getattr(request.state, "user", None)


def nav_links(request: Request) -> dict[str, str]:
    """Header links of the optional routers ('/login', '/logout', '/review'), by path."""
    links: dict[str, str] = getattr(request.app.state, "nav", None) or {}
    return links


def audience_label(audience: Audience | str) -> str:
    try:
        return AUDIENCE_LABELS[Audience(audience)]
    except ValueError:
        return str(audience)


def install_template_helpers(env: Environment) -> None:
    """Register the helpers the templates use (idempotent)."""
    env.globals.update(
        path_for=path_for,
        document_href=document_href,
        route_path=route_path,
        evidence_panels=panels,
        from_boxed_warning=from_boxed_warning,
        current_user=current_user,
        nav_links=nav_links,
        audience_label=audience_label,
        kind_name=kind_name,
        level_meaning=level_meaning,
        flag_label=flag_label,
        review_label=review_label,
        is_approved=is_approved,
        PENDING_BANNER=PENDING_BANNER,
        NOT_FOUND=NOT_FOUND,
        AUDIENCES=list(Audience),
        MONOGRAPH=PAGE_HELPERS,
    )
    env.filters.update(date=fmt_date, http_url=http_url)
