"""The editorial review pages (signed-in users only; HTML with JSON twins).

* ``GET /review`` (``/review.json``): the dashboard, items by status, stale ones first.
* ``GET /review/{id}`` (``/review/{id}.json``): one item: its review state, versions, a diff
  between two versions (``?from=&to=&diff=sentences|json``), its history and the forms.
* ``POST /review/{id}/submit|start|approve|request-changes|reject``: workflow steps (role checked,
  ``expected_version`` and ``note`` form fields). Whoever saved the current version is not offered
  ``approve`` and is refused it (403, four eyes). The item JSON lists tamper-check problems
  (``integrity``, :mod:`medref.review.integrity`).
* ``POST /review/{id}/edit``: save edited texts (``text-0`` ... ``text-N``, see
  :func:`medref.review.diff.editable_texts`) and/or a ``note`` as a new version. A rewritten
  answer sentence is marked edited and loses its citations; ``source-N`` (a passage id stored
  with the answer, or ``editorial``) or ``passage-N`` (any stored passage ``uid#ordinal``)
  re-links it after the support check, or marks it editorial (:mod:`medref.review.relink`).
  ``submit`` and ``approve`` are refused (422, naming the sentence) while one has neither.
* The item page shows each published sentence beside its cited passages, the span marked.
* ``POST /review/{id}/regenerate``: compose a stale answer afresh as a new version.
* ``POST /review/refresh-stale``: flag every item whose evidence changed.

Every POST needs the CSRF token. A POST answers 303 back to the item page (JSON: the new
:class:`~medref.models.Review`); a refused one re-renders the page with the reason and the
status (403 role, 409 conflict or wrong status, 422 bad input), keeping what the user typed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from medref.errors import IndexNotReadyError, InputError, MedrefError, NotFoundError
from medref.models import Answer, Review, ReviewStatus
from medref.review.diff import DiffMode, diff_items, editable_texts
from medref.review.integrity import verify_item
from medref.review.items import ItemSummary, get_item, list_items, status_counts
from medref.review.relink import describe, unresolved
from medref.review.stale import AnswerSource, refresh_stale, regenerate
from medref.review.users import User
from medref.review.workflow import (
    EDIT_ROLES,
    TRANSITIONS,
    ForbiddenError,
    TransitionError,
    allowed_actions,
    can_edit,
    edit,
    review_info,
    transition,
)
from medref.store.answers import AnswerStore, ConflictError
from medref.web.render import page, wants_json
from medref.web.review_evidence import PassageChoice, SentenceEvidence, passage_choices, sentence_evidence
from medref.web.security import engine_of, require_role, require_user, verify_csrf

router = APIRouter(dependencies=[Depends(verify_csrf)], tags=["review"])
Signed = Annotated[User, Depends(require_user)]
GATED = ("submit", "approve")  # steps refused while an edited sentence has no source
MAX_SENTENCES = 500  # highest sentence number a source choice may name


class Dashboard(BaseModel):
    counts: dict[str, int]
    status: str | None = Field(default=None, description="the status filter, if any")
    stale: list[ItemSummary] = Field(default_factory=list, description="items whose evidence changed")
    items: list[ItemSummary] = Field(default_factory=list)


class VersionEntry(BaseModel):
    version: int
    created_at: datetime
    created_by: str | None = None
    note: str | None = None


class EditableText(BaseModel):
    where: str
    text: str


class StepForm(BaseModel):
    action: str
    label: str
    needs_note: bool = False


class Problem(BaseModel):
    """Why a POST was refused, and what the user sent (so nothing typed is lost)."""

    status: int
    error: str
    current_version: int | None = None
    yours: dict[str, Any] = Field(default_factory=dict)


class ReviewDetail(BaseModel):
    item: ItemSummary
    review: Review
    content: dict[str, Any] = Field(description="the current version, as stored")
    texts: list[EditableText]
    versions: list[VersionEntry]
    diff_from: int | None = None
    diff_to: int
    diff_mode: str
    diff: str
    steps: list[StepForm] = Field(default_factory=list, description="what the viewer may do now")
    integrity: list[str] = Field(
        default_factory=list, description="tamper-check problems of the current version (empty: it passes)"
    )
    can_edit: bool = False
    can_regenerate: bool = False
    problem: Problem | None = None
    evidence: list[SentenceEvidence] = Field(
        default_factory=list, description="each published sentence beside the passages it cites"
    )
    passages: list[PassageChoice] = Field(
        default_factory=list, description="passages stored with the answer, to re-link an edited sentence to"
    )
    unresolved: list[str] = Field(
        default_factory=list, description="edited sentences that must be re-linked or marked editorial"
    )


# ------------------------------------------------------------------ dashboard
def _dashboard(request: Request, status: ReviewStatus | None) -> Response:
    engine = engine_of(request)
    items = list_items(engine, status=status.value if status else None)
    data = Dashboard(
        counts=status_counts(engine),
        status=status.value if status else None,
        stale=[i for i in items if i.stale],
        items=items,
    )
    return page(request, "review/dashboard.html", data=data, statuses=list(ReviewStatus))


@router.get("/review.json", name="review_dashboard_json", response_model=Dashboard)
def dashboard_json(request: Request, user: Signed, status: ReviewStatus | None = None) -> Response:
    return _dashboard(request, status)


@router.get("/review", name="review_dashboard", summary="Review dashboard")
def dashboard(request: Request, user: Signed, status: ReviewStatus | None = None) -> Response:
    return _dashboard(request, status)


@router.post("/review/refresh-stale", name="review_refresh_stale")
def refresh(request: Request, user: Annotated[User, Depends(require_role(*EDIT_ROLES))]) -> Response:
    flagged = refresh_stale(engine_of(request))
    if wants_json(request):
        return JSONResponse({"flagged": flagged})
    return RedirectResponse("/review", status_code=303)


# ------------------------------------------------------------------ one item
def _detail(
    request: Request,
    user: User,
    item_id: str,
    *,
    diff_from: int | None = None,
    diff_to: int | None = None,
    mode: DiffMode = "sentences",
    problem: Problem | None = None,
) -> Response:
    engine = engine_of(request)
    item_id = item_id.removesuffix(".json")
    try:
        review = review_info(engine, item_id)
        summary = next(i for i in list_items(engine, ids=[item_id]))
        current = get_item(engine, item_id)
        store = AnswerStore(engine, migrate=False)
        versions = [VersionEntry(**v._asdict()) for v in store.versions(item_id)]
        to_v = diff_to or review.version
        from_v = diff_from if diff_from is not None else (to_v - 1 if to_v > 1 else None)
        newer = get_item(engine, item_id, to_v)
        diff = diff_items(get_item(engine, item_id, from_v), newer, mode=mode) if from_v else ""
        integrity = verify_item(engine, item_id, review.version).problems
    except (NotFoundError, StopIteration) as exc:
        raise HTTPException(404, str(exc) or f"no item {item_id!r}") from exc
    except InputError as exc:
        raise HTTPException(422, str(exc)) from exc
    steps = [
        StepForm(action=a, label=TRANSITIONS[a].label, needs_note=TRANSITIONS[a].needs_note)
        for a in allowed_actions(
            user, review.status, last_editor=versions[-1].created_by if versions else None
        )
    ]
    data = ReviewDetail(
        item=summary,
        review=review,
        content=current.model_dump(mode="json"),
        texts=[EditableText(where=w, text=t) for w, t in editable_texts(current)],
        versions=versions,
        diff_from=from_v,
        diff_to=to_v,
        diff_mode=mode,
        diff=diff,
        steps=steps,
        integrity=integrity,
        can_edit=can_edit(user),
        can_regenerate=can_edit(user) and review.stale and summary.kind == "answer",
        problem=problem,
        evidence=sentence_evidence(request, current),
        passages=passage_choices(current),
        unresolved=[describe(i, s) for i, s in unresolved(current)] if isinstance(current, Answer) else [],
    )
    return page(request, "review/detail.html", data=data, status_code=problem.status if problem else 200)


@router.get("/review/{item_id}.json", name="review_item_json", response_model=ReviewDetail)
def item_json(
    request: Request,
    user: Signed,
    item_id: str,
    from_version: Annotated[int | None, Query(alias="from", ge=1, le=2**31 - 1)] = None,
    to: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    diff: DiffMode = "sentences",
) -> Response:
    return _detail(request, user, item_id, diff_from=from_version, diff_to=to, mode=diff)


@router.get("/review/{item_id}", name="review_item", summary="One item under review")
def item_page(
    request: Request,
    user: Signed,
    item_id: str,
    from_version: Annotated[int | None, Query(alias="from", ge=1, le=2**31 - 1)] = None,
    to: Annotated[int | None, Query(ge=1, le=2**31 - 1)] = None,
    diff: DiffMode = "sentences",
) -> Response:
    return _detail(request, user, item_id, diff_from=from_version, diff_to=to, mode=diff)


# ------------------------------------------------------------------ changes
def _field(form: Any, name: str) -> str:
    value = form.get(name)
    return value if isinstance(value, str) else ""


def _expected(form: Any) -> int:
    raw = _field(form, "expected_version").strip()
    if not raw.isdigit() or not 1 <= int(raw) <= 2**31 - 1:
        raise InputError("expected_version (the version you are looking at) is missing or not a number")
    return int(raw)


async def _apply(
    request: Request, user: User, item_id: str, work: Callable[[Any], Review], *, keep: list[str]
) -> Response:
    """Run ``work(form)`` in the thread pool; answer 303 / JSON, or the page with the problem."""
    form = await request.form()
    yours = {k: _field(form, k) for k in form if k in keep or k.startswith(("text-", "source-", "passage-"))}
    try:
        review = await run_in_threadpool(work, form)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    except (ConflictError, TransitionError, ForbiddenError, IndexNotReadyError, InputError) as exc:
        status = {ConflictError: 409, TransitionError: 409, ForbiddenError: 403, IndexNotReadyError: 503}
        code = next((s for cls, s in status.items() if isinstance(exc, cls)), 422)
        current = await run_in_threadpool(_current_version, request, item_id)
        problem = Problem(status=code, error=str(exc), current_version=current, yours=yours)
        if wants_json(request):
            return JSONResponse(problem.model_dump(mode="json"), status_code=code)
        return await run_in_threadpool(lambda: _detail(request, user, item_id, problem=problem))
    if wants_json(request):
        return JSONResponse(review.model_dump(mode="json"))
    return RedirectResponse(request.url_for("review_item", item_id=item_id).path, status_code=303)


def _sources(form: Any) -> list[str]:
    """Per sentence: a typed passage id (``passage-N``), else the choice picked (``source-N``)."""
    numbers = [
        int(k.split("-", 1)[1])
        for k in form
        if k.startswith(("source-", "passage-")) and k.split("-", 1)[1].isdigit()
    ]
    if not numbers:
        return []
    if max(numbers) > MAX_SENTENCES:
        raise InputError(f"source choices go up to sentence {MAX_SENTENCES}")
    return [
        _field(form, f"passage-{i}").strip() or _field(form, f"source-{i}").strip()
        for i in range(max(numbers) + 1)
    ]


def _current_version(request: Request, item_id: str) -> int | None:
    try:
        return AnswerStore(engine_of(request), migrate=False).info(item_id).current_version
    except MedrefError:
        return None


def _step_route(action: str) -> None:
    t = TRANSITIONS[action]

    async def step(request: Request, item_id: str, user: User = Depends(require_role(*t.roles))) -> Response:
        def work(form: Any) -> Review:
            expected = _expected(form)
            return transition(
                engine_of(request),
                item_id,
                action,
                actor=user,
                expected_version=expected,
                note=_field(form, "note"),
            )

        return await _apply(request, user, item_id, work, keep=["note", "expected_version"])

    step.__name__ = f"review_{action.replace('-', '_')}"
    router.add_api_route(
        f"/review/{{item_id}}/{action}", step, methods=["POST"], name=step.__name__, summary=t.label
    )


for _action in TRANSITIONS:
    _step_route(_action)


@router.post("/review/{item_id}/edit", name="review_edit", summary="Save an edited version")
async def edit_item(
    request: Request, item_id: str, user: Annotated[User, Depends(require_role(*EDIT_ROLES))]
) -> Response:
    def work(form: Any) -> Review:
        count = sum(1 for k in form if k.startswith("text-"))
        texts = [_field(form, f"text-{i}") for i in range(count)] if count else None
        return edit(
            engine_of(request),
            item_id,
            actor=user,
            expected_version=_expected(form),
            texts=texts,
            sources=_sources(form),
            note=_field(form, "note"),
        )

    return await _apply(request, user, item_id, work, keep=["note", "expected_version"])


def _answer_source(request: Request) -> AnswerSource | None:
    """The app's Asker (``app.state.asker``, else the web app's lazily opened one), if any."""
    state = request.app.state
    asker = getattr(state, "asker", None)
    if asker is not None:
        return asker
    if not hasattr(state, "retriever"):  # not the medref web app: nothing to open one with
        return None
    try:
        from medref.web.deps import get_asker
    except ImportError:
        return None
    return get_asker(request)


@router.post("/review/{item_id}/regenerate", name="review_regenerate", summary="Regenerate a stale answer")
async def regenerate_item(
    request: Request, item_id: str, user: Annotated[User, Depends(require_role(*EDIT_ROLES))]
) -> Response:
    def work(form: Any) -> Review:
        expected = _expected(form)
        review = regenerate(
            engine_of(request), item_id, source=_answer_source(request), actor=user, expected_version=expected
        )
        if review is None:
            raise TransitionError("this item cannot be regenerated here (only answers, with a search index)")
        return review

    return await _apply(request, user, item_id, work, keep=["expected_version"])
