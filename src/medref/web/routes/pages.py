"""The public pages: home, ask, the question page and search (each with a JSON twin).

Every page is rendered by :func:`medref.web.render.page` from one data object; the ``.json``
routes (or ``Accept: application/json``) return that same object. Routes are plain ``def``
functions: retrieval and composition are CPU-bound and run in the server's thread pool.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select

from medref.compose.ask import Asker
from medref.errors import NotFoundError, QueryError
from medref.models import Answer, Audience, RetrievalResult, ReviewStatus, SourceKind
from medref.review.publishing import publication
from medref.store.answers import KIND_ANSWER, AnswerStore
from medref.store.db import read_tx
from medref.store.published import by_slug, find_published
from medref.store.schema import answers as answers_table
from medref.web.deps import answer_review, get_answers, get_asker, index_ready, open_retriever, public_review
from medref.web.render import page, wants_json
from medref.web.views import INDEX_FIX, HomePage, PublishedPage, is_approved, path_for
from medref.web.warm import readiness

router = APIRouter()

RECENT = 10
MAX_QUESTION = 4000  # the retriever reads at most settings.retrieval.max_query_chars of it
_HTML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "HTML page (JSON with Accept: application/json)"}
}

Thread = Annotated[
    str | None, Query(description="continue this conversation (a follow-up question)", max_length=64)
]
AudienceQ = Annotated[Audience, Query(description="who the answer is written for")]
About = Annotated[
    str | None,
    Query(description="a follow-up of an unstored page: its entities, '|'-separated", max_length=600),
]


# ----------------------------------------------------------------------------- home
# Privacy: the home page never lists what visitors asked. It lists published pages only: question
# pages whose current version reviewers approved (checked as the question page itself checks it).

CANDIDATES = 5  # approved rows read per page listed (some may fail the approval check)


def published_pages(answers: AnswerStore, limit: int = RECENT) -> list[PublishedPage]:
    """The newest approved question pages (never a draft, a pending or an unverified approval)."""
    query = (
        select(
            answers_table.c.id,
            answers_table.c.question,
            answers_table.c.resolved_question,
            answers_table.c.audience,
            answers_table.c.slug,
        )
        .where(answers_table.c.kind == KIND_ANSWER, answers_table.c.status == ReviewStatus.APPROVED.value)
        .order_by(answers_table.c.updated_at.desc(), answers_table.c.id)
        .limit(limit * CANDIDATES)
    )
    with read_tx(answers.engine) as conn:
        rows = conn.execute(query).all()
    out: list[PublishedPage] = []
    for row in rows:
        review = answer_review(answers, str(row.id))
        if not is_approved(review, review.version):
            continue
        title = row.resolved_question or row.question
        out.append(PublishedPage(id=str(row.id), title=title, audience=row.audience, slug=row.slug))
        if len(out) >= limit:
            break
    return out


def published_only(answers: AnswerStore, questions: list[str]) -> list[str]:
    """Those of ``questions`` that are the title of an approved question page (in their order)."""
    if not questions:
        return []
    t = answers_table.c
    query = select(t.question, t.resolved_question).where(
        t.kind == KIND_ANSWER,
        t.status == ReviewStatus.APPROVED.value,
        (t.question.in_(questions)) | (t.resolved_question.in_(questions)),
    )
    with read_tx(answers.engine) as conn:
        titles = {str(r.resolved_question or r.question) for r in conn.execute(query).all()}
    return [q for q in questions if q in titles]


def public_answer(answers: AnswerStore | None, answer: Answer) -> Answer:
    """``answer`` as the public may see it: related questions (other visitors') only when published."""
    if not answer.related_questions:
        return answer
    shown = published_only(answers, answer.related_questions) if answers is not None else []
    return answer.model_copy(update={"related_questions": shown})


def _home(request: Request, answers: AnswerStore) -> Response:
    from medref.web.routes.monographs import monographs_available

    ready = index_ready(request.app)
    data = HomePage(
        published=published_pages(answers),
        index_ready=ready,
        fix=None if ready else INDEX_FIX,
        monographs=monographs_available(),
    )
    loading = readiness(request.app)
    return page(request, "home.html", data=data, loading=None if loading.done.is_set() else loading.stage)


@router.get("/index.json", response_model=HomePage, name="home_json", summary="Home page data")
def home_json(request: Request, answers: AnswerStore = Depends(get_answers)) -> Response:
    return _home(request, answers)


@router.get("/", response_class=HTMLResponse, name="home", responses=_HTML_OR_JSON, summary="Home page")
def home(request: Request, answers: AnswerStore = Depends(get_answers)) -> Response:
    return _home(request, answers)


# ----------------------------------------------------------------------------- ask

_NOT_STORED = (
    "the answer, composed for this request and not stored: GET never creates editorial work (an editor "
    "saves a draft with POST /drafts); a question that has a published page redirects to it (303)"
)
MAX_ABOUT_CHARS = 600


def _about(value: str | None) -> list[str]:
    """The entities a stateless follow-up carries ('Belatacept|Kidney transplantation')."""
    return [e.strip() for e in (value or "")[:MAX_ABOUT_CHARS].split("|") if e.strip()]


def _ask(
    request: Request,
    q: str,
    audience: Audience,
    thread: str | None,
    about: str | None,
    *,
    as_json: bool,
) -> Response:
    if not q.strip():
        raise QueryError("Type a question to ask.")
    asker: Asker = get_asker(request)
    if asker.answers is not None and not thread and not about:
        found = find_published(asker.answers.engine, q, audience=audience.value)
        if found is not None and found.slug and publication(asker.answers.engine, found.answer_id):
            name = "published_page_json" if as_json else "published_page"
            return RedirectResponse(path_for(request, name, slug=found.slug), status_code=303)
    # answered for this visitor only: nothing is stored (an editor saves a draft explicitly)
    answer = asker.ask(q, audience=audience, thread_id=thread or None, about=_about(about), store=False)
    answer = public_answer(asker.answers, answer)
    return page(request, "question.html", data=answer, **_question_context(request, answer, None))


@router.get(
    "/ask.json",
    response_model=Answer,
    name="ask_json",
    summary="Answer a question (not stored); a question with a published page redirects to it",
    responses={200: {"model": Answer, "description": _NOT_STORED}, 303: {"description": "published page"}},
)
def ask_json(
    request: Request,
    q: Annotated[str, Query(description="the question", min_length=1, max_length=MAX_QUESTION)],
    audience: AudienceQ = Audience.CLINICIAN,
    thread: Thread = None,
    about: About = None,
) -> Response:
    return _ask(request, q, audience, thread, about, as_json=True)


@router.get(
    "/ask",
    name="ask",
    response_class=HTMLResponse,
    summary="Answer a question (not stored); a question with a published page redirects to it",
    responses={200: {"description": _NOT_STORED}, 303: {"description": "the published page"}},
)
def ask(
    request: Request,
    q: Annotated[str, Query(description="the question", max_length=MAX_QUESTION)],
    audience: AudienceQ = Audience.CLINICIAN,
    thread: Thread = None,
    about: About = None,
) -> Response:
    return _ask(request, q, audience, thread, about, as_json=wants_json(request))


# ----------------------------------------------------------------------------- question page


def _question_context(request: Request, answer: Answer, answers: AnswerStore | None) -> dict[str, Any]:
    """What the question template needs beyond the Answer: review state, versions, the thread."""
    review = versions = thread = None
    if answers is not None and answer.id is not None:
        review = answer_review(answers, answer.id)
        versions = answers.versions(answer.id)
        if answer.thread_id:
            try:
                thread = answers.thread(answer.thread_id)
            except NotFoundError:
                thread = None
    current = versions[-1].version if versions else answer.version
    return {
        "answer": answer,
        "review": review,
        "approved": is_approved(review, answer.version),
        "versions": versions or [],
        "current_version": current,
        "thread": thread,
        "ask_again": answer.resolved_question or answer.question,
    }


def _question(request: Request, answer_id: str, version: int | None, answers: AnswerStore) -> Response:
    answer = public_answer(answers, answers.get(answer_id, version))
    return page(request, "question.html", data=answer, **_question_context(request, answer, answers))


VersionQ = Annotated[int | None, Query(ge=1, le=2**31 - 1, description="show this older version")]


@router.get(
    "/questions/{answer_id}.json", response_model=Answer, name="question_json", summary="A stored answer"
)
def question_json(
    request: Request, answer_id: str, version: VersionQ = None, answers: AnswerStore = Depends(get_answers)
) -> Response:
    return _question(request, answer_id, version, answers)


@router.get(
    "/questions/{answer_id}",
    response_class=HTMLResponse,
    name="question_page",
    responses=_HTML_OR_JSON,
    summary="The question page",
)
def question_page(
    request: Request, answer_id: str, version: VersionQ = None, answers: AnswerStore = Depends(get_answers)
) -> Response:
    return _question(request, answer_id, version, answers)


# ----------------------------------------------------------------------------- published pages


def _published(request: Request, slug: str, answers: AnswerStore) -> Response:
    found = by_slug(answers.engine, slug)
    pub = publication(answers.engine, found.answer_id) if found is not None else None
    if found is None or pub is None:
        raise NotFoundError(f"no published page at {slug!r}; ask the question to see an answer")
    answer = public_answer(answers, answers.get(found.answer_id, pub.version))
    context = _question_context(request, answer, None)
    context.update(
        review=public_review(answers.engine, pub.review),
        approved=True,
        current_version=pub.version,
        revising=not pub.current,
        json_path=path_for(request, "published_page_json", slug=slug),
    )
    return page(request, "question.html", data=answer, **context)


@router.get(
    "/pages/{slug}.json", response_model=Answer, name="published_page_json", summary="A published page"
)
def published_page_json(request: Request, slug: str, answers: AnswerStore = Depends(get_answers)) -> Response:
    return _published(request, slug, answers)


@router.get(
    "/pages/{slug}",
    response_class=HTMLResponse,
    name="published_page",
    responses=_HTML_OR_JSON,
    summary="A published (approved) question page at its stable address",
)
def published_page(request: Request, slug: str, answers: AnswerStore = Depends(get_answers)) -> Response:
    return _published(request, slug, answers)


# ----------------------------------------------------------------------------- search

KINDS_HELP = "only these source kinds (repeatable): " + ", ".join(k.value for k in SourceKind)


def _kinds(values: list[Any]) -> list[SourceKind]:
    out: list[SourceKind] = []
    for raw in values:
        value = str(getattr(raw, "value", raw))
        if not value.strip():
            continue  # the form's "any source" choice
        try:
            out.append(SourceKind(value.strip()))
        except ValueError:
            raise QueryError(
                f"unknown kind {value!r}; one of: {', '.join(k.value for k in SourceKind)}"
            ) from None
    return out


def _search(request: Request, q: str, kind: list[Any], k: int | None) -> Response:
    kinds = _kinds(kind)
    if q.strip():
        result = open_retriever(request.app).search(q, k=k, kinds=kinds)
    else:
        result = RetrievalResult(query="")
    context: dict[str, Any] = {"kinds": list(SourceKind), "selected_kind": kinds[0].value if kinds else ""}
    return page(request, "search.html", data=result, **context)


QueryQ = Annotated[str, Query(description="a question or keywords")]
KindParam = StrEnum("KindParam", {"ANY": "", **{k.name: k.value for k in SourceKind}})  # type: ignore[misc]
"""A source kind, or "" for any source (the search form's default choice)."""
KindQ = Annotated[list[KindParam], Query(description=KINDS_HELP)]
KQ = Annotated[int | None, Query(ge=1, le=100, description="number of passages")]


@router.get("/search.json", response_model=RetrievalResult, name="search_json", summary="Search results")
def search_json(request: Request, q: QueryQ = "", kind: KindQ = [], k: KQ = None) -> Response:  # noqa: B006
    return _search(request, q, kind, k)


@router.get(
    "/search", response_class=HTMLResponse, name="search", responses=_HTML_OR_JSON, summary="Search page"
)
def search(request: Request, q: QueryQ = "", kind: KindQ = [], k: KQ = None) -> Response:  # noqa: B006
    return _search(request, q, kind, k)
