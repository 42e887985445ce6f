"""Discovery: topic index pages, the sitemap, robots.txt and the question page's related links.

* ``GET /topics`` (``/topics.json``): the drugs and conditions that published pages are about,
  and every published page.
* ``GET /topics/{kind}/{name}`` (``.json``): the published pages about one drug or condition.
  Topics come from each published page's ``key_entities`` and the lexicon's concept kinds
  (:func:`medref.review.publish.topics_of`); a topic exists only while a published page names it.
* ``GET /sitemap.xml``: every published page, topic page and reviewed monograph, with the time
  of its approval as ``lastmod``. ``GET /robots.txt`` points to it and keeps crawlers off the
  pages that are composed per request (``/ask``, ``/search``) and the staff pages.
* ``related_links`` (a template global): the question page's "Related Questions": published
  pages linked at their ``/pages/<slug>`` address, else labelled suggestions that link to
  ``/ask`` (:func:`medref.compose.related.discover`). Visitors' questions are never candidates.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, PlainTextResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.routing import NoMatchFound

from medref.compose.ask import RELATED_POOL
from medref.compose.related import discover
from medref.errors import NotFoundError
from medref.models import Answer, Audience, EvidenceStatus
from medref.review.publish import (
    PublishedQuestion,
    Topic,
    find_topic,
    published_monographs,
    published_questions,
    published_titles,
    sitemap_xml,
    state_key,
    topics_of,
)
from medref.web.deps import app_lexicon
from medref.web.render import TEMPLATES, page
from medref.web.views import path_for

router = APIRouter(tags=["pages"])
TopicKind = Literal["drug", "condition"]
_CACHE_LOCK = threading.Lock()


class PageLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    title: str
    slug: str = Field(description="its address: /pages/<slug>")
    audience: Audience
    approved_at: datetime
    first_sentence: str = ""


class TopicLink(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: TopicKind
    name: str
    slug: str = Field(description="its address: /topics/<kind>/<slug>")
    pages: int = Field(description="published pages about it")


class TopicsPage(BaseModel):
    """The topic index: drugs and conditions with published pages, and every published page."""

    model_config = ConfigDict(extra="forbid")

    drugs: list[TopicLink] = Field(default_factory=list)
    conditions: list[TopicLink] = Field(default_factory=list)
    pages: list[PageLink] = Field(default_factory=list)


class TopicPage(BaseModel):
    """One drug or condition and the published pages about it (newest approval first)."""

    model_config = ConfigDict(extra="forbid")

    kind: TopicKind
    name: str
    slug: str
    pages: list[PageLink] = Field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Site:
    pages: list[PublishedQuestion]
    topics: list[Topic]


def site(request: Request) -> Site:
    """Published pages and their topics, cached on the app until an item or its history changes."""
    app = request.app
    engine = app.state.answers.engine
    key = state_key(engine)
    cached: tuple[tuple[object, ...], Site] | None = getattr(app.state, "topics_cache", None)
    if cached is not None and cached[0] == key:
        return cached[1]
    with _CACHE_LOCK:
        pages = published_questions(engine)
        built = Site(pages=pages, topics=topics_of(pages, app_lexicon(app)))
        app.state.topics_cache = (key, built)
    return built


def _link(p: PublishedQuestion) -> PageLink:
    return PageLink(
        title=p.title,
        slug=p.slug,
        audience=Audience(p.audience),
        approved_at=p.approved_at,
        first_sentence=p.first_sentence,
    )


def _topic_link(t: Topic) -> TopicLink:
    return TopicLink(kind=t.kind, name=t.name, slug=t.slug, pages=len(t.pages))


def _topics(request: Request) -> Response:
    found = site(request)
    data = TopicsPage(
        drugs=[_topic_link(t) for t in found.topics if t.kind == "drug"],
        conditions=[_topic_link(t) for t in found.topics if t.kind == "condition"],
        pages=[_link(p) for p in found.pages],
    )
    return page(request, "topics.html", data=data)


@router.get("/topics.json", response_model=TopicsPage, name="topics_json", summary="Topic index data")
def topics_json(request: Request) -> Response:
    return _topics(request)


@router.get("/topics", response_class=HTMLResponse, name="topics_page", summary="Drugs and conditions")
def topics_page(request: Request) -> Response:
    return _topics(request)


def _topic(request: Request, kind: TopicKind, name: str) -> Response:
    topic = find_topic(site(request).topics, kind, name)
    if topic is None:
        raise NotFoundError(f"no published page is about the {kind} {name!r}; see /topics")
    data = TopicPage(kind=kind, name=topic.name, slug=topic.slug, pages=[_link(p) for p in topic.pages])
    return page(request, "topics_one.html", data=data)


KindP = Annotated[TopicKind, Path(description="drug or condition")]
NameP = Annotated[str, Path(description="the topic's slug or name", max_length=200)]


@router.get(
    "/topics/{kind}/{name}.json", response_model=TopicPage, name="topic_json", summary="One topic's pages"
)
def topic_json(request: Request, kind: KindP, name: NameP) -> Response:
    return _topic(request, kind, name)


@router.get(
    "/topics/{kind}/{name}", response_class=HTMLResponse, name="topic_page", summary="One drug or condition"
)
def topic_page(request: Request, kind: KindP, name: NameP) -> Response:
    return _topic(request, kind, name)


# ----------------------------------------------------------------------------- sitemap, robots


def monograph_path(request: Request, drug: str, audience: str) -> str | None:
    query = {"audience": audience} if audience != Audience.CLINICIAN.value else None
    try:
        return path_for(request, "monograph_page", query=query, drug=drug)
    except NoMatchFound:
        return None


def sitemap_entries(request: Request) -> list[tuple[str, datetime | None]]:
    """(path, lastmod) of every published page, topic page and reviewed monograph."""
    found = site(request)
    newest = max((p.approved_at for p in found.pages), default=None)
    out: list[tuple[str, datetime | None]] = [(path_for(request, "topics_page"), newest)]
    out += [(path_for(request, "published_page", slug=p.slug), p.approved_at) for p in found.pages]
    out += [(path_for(request, "topic_page", kind=t.kind, name=t.slug), t.lastmod) for t in found.topics]
    for m in published_monographs(request.app.state.answers.engine):
        path = monograph_path(request, m.drug, m.audience)
        if path is not None:
            out.append((path, m.approved_at))
    return out


def _origin(request: Request) -> str:
    return f"{request.url.scheme}://{request.url.netloc}"


@router.get("/sitemap.xml", name="sitemap", summary="Sitemap of the published pages")
def sitemap(request: Request) -> Response:
    origin = _origin(request)
    body = sitemap_xml((origin + path, lastmod) for path, lastmod in sitemap_entries(request))
    return Response(body, media_type="application/xml")


ROBOTS_DISALLOW = ("/ask", "/search", "/questions/", "/review", "/login", "/drafts")


@router.get("/robots.txt", name="robots", summary="Crawler rules and the sitemap's address")
def robots(request: Request) -> Response:
    root = request.scope.get("root_path", "")
    lines = ["User-agent: *", *(f"Disallow: {root}{p}" for p in ROBOTS_DISALLOW)]
    lines += ["", f"Sitemap: {_origin(request)}{path_for(request, 'sitemap')}"]
    return PlainTextResponse("\n".join(lines) + "\n")


# ----------------------------------------------------------------------------- related links


@dataclass(frozen=True, slots=True)
class RelatedLinks:
    related: list[tuple[str, str]]  # (title, /pages/<slug>)
    suggested: list[tuple[str, str]]  # (question, /ask?q=...), shown labelled as suggestions


def related_links(request: Request, answer: Answer) -> RelatedLinks:
    """The question page's related published pages, else labelled suggestions (template global)."""
    answers = getattr(request.app.state, "answers", None)
    if answers is None:
        return RelatedLinks([], [])
    own = (answer.resolved_question or answer.question).strip()
    slugs: dict[str, str] = {}
    for title, audience, slug in published_titles(answers.engine, RELATED_POOL):
        if title.strip() == own and audience == answer.audience.value:
            continue  # the page itself
        if title not in slugs or audience == answer.audience.value:
            slugs[title] = slug
    found = discover(
        own,
        list(slugs),
        answer.key_entities,
        lexicon=app_lexicon(request.app),
        evidence=answer.evidence_status is not EvidenceStatus.NONE,
    )
    related = [(t, path_for(request, "published_page", slug=slugs[t])) for t in found.related]
    ask: dict[str, Any] = {"audience": answer.audience.value}
    suggested = [(q, path_for(request, "ask", query={**ask, "q": q})) for q in found.suggested]
    return RelatedLinks(related, suggested)


TEMPLATES.env.globals["related_links"] = related_links
