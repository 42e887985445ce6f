"""Drug monograph pages: ``/monographs/{drug}`` and its JSON twin.

The monograph itself is built by ``medref.monograph.builder.build_monograph(drug, *, store,
retriever, lexicon, audience, drugsatfda)`` (``drugsatfda``: the registered Drugs@FDA export,
as the CLI uses it); while that module is not installed the pages answer 404 with
a message saying so. An unknown drug is a 404 whose message carries the builder's suggestions.

Built monographs are kept in the app's LRU cache (``app.state.monograph_cache``, see
:mod:`medref.web.cache`) per corpus version, drug, audience and whether the search index was
open (and the builder itself), so both twins of a page share one build and an ingest makes the next
request rebuild. The review state is read on every request, never cached.

Editorial workflow (:mod:`medref.review.monographs`):

* When an approved monograph item exists for the drug and audience and its approved version is
  its current one, ``GET /monographs/{drug}`` serves that stored version with its review tracker
  (who approved it, when; "due for another review" when a newer label version or new evidence
  was stored since, checked once per corpus version); the JSON twin then carries ``review``.
  Otherwise the live monograph is shown, marked as not reviewed. A GET never stores anything.
* ``POST /monographs/{drug}/draft`` (editors and reviewers, CSRF): stores the generated monograph
  as a draft item, or opens the item already open for that drug and audience; 303 to its review
  page (JSON: :class:`DraftResult`). Signed-in editors see the button, or the link to the item.
* ``GET /monographs/items/{id}/changes`` (signed in; JSON twin): why the item is stale and the
  section-by-section diff from the label version it cites to the newest one, both sides cited;
  the same panel is embedded in the review page (template global ``monograph_changes_panel``).
* ``POST /monographs/items/{id}/regenerate`` (editors and reviewers, CSRF, ``expected_version``):
  builds the monograph afresh from the newest label as the next version, which goes back to review.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import Engine
from starlette.routing import NoMatchFound

from medref.errors import IndexNotReadyError, MedrefError, NotFoundError
from medref.models import Audience, Monograph, Review
from medref.retrieve.retriever import Retriever
from medref.review.monographs import monograph_changes, open_draft, open_item_id, published_monograph
from medref.review.stale import regenerate_monograph
from medref.review.users import User
from medref.review.workflow import EDIT_ROLES, ForbiddenError, can_edit
from medref.store.answers import ConflictError, normalize_for_match
from medref.web import deps
from medref.web.cache import LRUCache, app_cache, corpus_version
from medref.web.deps import app_lexicon, index_ready, item_review, open_retriever, optional_module
from medref.web.monograph_review import ChangesPanel, changes_panel, panel_or_none
from medref.web.render import TEMPLATES, page, wants_json
from medref.web.security import require_role, require_user, verify_csrf
from medref.web.views import current_user, is_approved, path_for

router = APIRouter()
Signed = Annotated[User, Depends(require_user)]
_DID_YOU_MEAN = re.compile(r"did you mean:\s*(.+?)\??$")

UNAVAILABLE = "Drug monographs are not available in this installation (medref.monograph.builder is missing)."


class MonographNotFoundError(NotFoundError):
    """No monograph for this drug; ``suggestions`` are names the user may have meant."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions = list(suggestions or [])


def builder() -> Callable[..., Monograph] | None:
    module = optional_module("medref.monograph.builder")
    fn = getattr(module, "build_monograph", None) if module is not None else None
    return fn if callable(fn) else None


def monographs_available() -> bool:
    return builder() is not None


def _build(request: Request, drug: str, audience: Audience, build: Callable[..., Monograph]) -> Monograph:
    retriever: Retriever | None
    try:
        retriever = open_retriever(request.app)
        lexicon = retriever.lexicon
    except IndexNotReadyError:  # labels and the lexicon still give a monograph; research needs the index
        retriever, lexicon = None, app_lexicon(request.app)
    try:
        return build(
            drug,
            store=request.app.state.store,
            retriever=retriever,
            lexicon=lexicon,
            audience=audience,
            drugsatfda=request.app.state.settings.drugsatfda_path,  # the same approval data as the CLI
        )
    except MedrefError as exc:
        suggestions = getattr(exc, "suggestions", None)
        if isinstance(exc, NotFoundError) or suggestions is not None:
            if suggestions is None:  # "unknown drug 'x'; did you mean: a, b?"
                m = _DID_YOU_MEAN.search(str(exc))
                suggestions = [s.strip() for s in m.group(1).split(",") if s.strip()] if m else []
            raise MonographNotFoundError(str(exc), [str(s) for s in suggestions]) from exc
        raise


def cached_monograph(request: Request, drug: str, audience: Audience) -> Monograph:
    """The monograph from the app's cache, built on a miss (see the module doc)."""
    app = request.app
    build = builder()
    if build is None:
        raise MonographNotFoundError(UNAVAILABLE)
    cache: LRUCache[Monograph] = app.state.monograph_cache
    key = (corpus_version(app.state.store), drug.strip(), audience.value, index_ready(app), build)
    return cache.get_or_build(key, lambda: _build(request, drug, audience, build))


class MonographPage(Monograph):
    """The JSON twin: the monograph, plus ``review`` when it is a stored, reviewed version."""

    review: Review | None = Field(
        default=None, description="the editorial state of the approved version served (absent: not reviewed)"
    )


def _published(request: Request, drug: str, audience: Audience) -> tuple[Monograph, Review] | None:
    """The approved stored monograph for ``drug`` (as asked, else as the builder names it), if any."""
    engine = request.app.state.store.engine
    found = published_monograph(engine, drug, audience)
    if found is None and builder() is not None:
        try:
            live = cached_monograph(request, drug, audience)
        except MonographNotFoundError:
            return None
        if normalize_for_match(live.drug) != normalize_for_match(drug):
            found = published_monograph(engine, live.drug, audience)
    if found is None:
        return None
    mono, review = found
    assert mono.id is not None
    key = ("stale", corpus_version(request.app.state.store), mono.id, mono.version)
    cache: LRUCache[bool] = app_cache(request.app, "monograph_review_cache")
    if cache.get_or_build(key, lambda: monograph_changes(engine, str(mono.id), mono.version).stale):
        review = review.model_copy(update={"stale": True})
    return mono, _public(engine, review)


def _public(engine: Engine, review: Review) -> Review:
    """The review as a public page shows it (``medref.web.deps.public_review``: no login names), when installed."""
    public: Callable[[Engine, Review], Review] | None = getattr(deps, "public_review", None)
    return public(engine, review) if callable(public) else review


def _editorial(request: Request, mono: Monograph, review: Review | None) -> dict[str, Any] | None:
    """For a signed-in editor or reviewer: the draft form, or the link to the item's review page."""
    user = current_user(request)
    if user is None or not can_edit(user):
        return None
    item_id = (
        review.item_id if review else open_item_id(request.app.state.store.engine, mono.drug, mono.audience)
    )
    return {
        "item_id": item_id,
        "review_url": _review_path(request, item_id) if item_id else None,
        "draft_url": path_for(
            request,
            "monograph_draft",
            query={"audience": mono.audience.value if mono.audience is not Audience.CLINICIAN else None},
            drug=mono.query or mono.drug,
        ),
    }


def _monograph(request: Request, drug: str, audience: Audience) -> Response:
    published = _published(request, drug, audience)
    review: Review | None
    if published is not None:
        mono, review = published
    else:  # a live build has no item id, so it reads as not reviewed
        mono = cached_monograph(request, drug, audience)
        review = item_review(request.app.state.store.engine, mono.id)
    approved = is_approved(review, mono.version)
    if wants_json(request):  # a live monograph reads as before; a reviewed one also says who approved it
        body = mono.model_dump(mode="json")
        if published is not None and review is not None:
            body["review"] = review.model_dump(mode="json")
        return JSONResponse(body)
    context: dict[str, Any] = {
        "review": review,
        "approved": approved,
        "audience": audience,
        "editorial": _editorial(request, mono, review),
    }
    return page(request, "monograph.html", data=mono, **context)


AudienceQ = Annotated[Audience, Query(description="who the monograph is written for")]


@router.get("/monographs", name="monograph_lookup", status_code=303, response_class=RedirectResponse)
def monograph_lookup(
    request: Request,
    drug: Annotated[str, Query(min_length=1, max_length=200, description="a drug name")],
    audience: AudienceQ = Audience.CLINICIAN,
) -> Response:
    """The home page's drug box: redirects to ``/monographs/{drug}``."""
    query = {"audience": audience.value} if audience is not Audience.CLINICIAN else None
    target = path_for(request, "monograph_page", query=query, drug=drug.strip() or drug)
    return RedirectResponse(target, status_code=303)


@router.get(
    "/monographs/{drug}.json", response_model=MonographPage, name="monograph_json", summary="A drug monograph"
)
def monograph_json(request: Request, drug: str, audience: AudienceQ = Audience.CLINICIAN) -> Response:
    return _monograph(request, drug, audience)


@router.get(
    "/monographs/{drug}",
    response_class=HTMLResponse,
    name="monograph_page",
    summary="Drug monograph page",
    responses={
        200: {"content": {"text/html": {}}, "description": "HTML (JSON with Accept: application/json)"}
    },
)
def monograph_page(request: Request, drug: str, audience: AudienceQ = Audience.CLINICIAN) -> Response:
    return _monograph(request, drug, audience)


# ------------------------------------------------------------------ the editorial workflow
Editor = Annotated[User, Depends(require_role(*EDIT_ROLES))]
_CSRF = [Depends(verify_csrf)]


def _review_path(request: Request, item_id: str) -> str:
    try:
        return path_for(request, "review_item", item_id=item_id)
    except NoMatchFound:  # the review pages are not installed
        return path_for(request, "monograph_changes", item_id=item_id)


class DraftResult(BaseModel):
    item_id: str
    created: bool = Field(description="false: the item already open for this drug and audience")
    review_url: str
    monograph: Monograph = Field(description="the item's current version, as stored")


@router.post(
    "/monographs/{drug}/draft",
    name="monograph_draft",
    dependencies=_CSRF,
    response_model=DraftResult,
    summary="Store the generated monograph as a draft for review (or open the existing item)",
)
def monograph_draft(
    request: Request, drug: str, user: Editor, audience: AudienceQ = Audience.CLINICIAN
) -> Response:
    mono = cached_monograph(request, drug, audience)
    stored, created = open_draft(request.app.state.store.engine, mono, actor=user)
    assert stored.id is not None
    target = _review_path(request, stored.id)
    if wants_json(request):
        result = DraftResult(item_id=stored.id, created=created, review_url=target, monograph=stored)
        return JSONResponse(result.model_dump(mode="json"), status_code=201 if created else 200)
    return RedirectResponse(target, status_code=303)


@router.get(
    "/monographs/items/{item_id}/changes.json",
    name="monograph_changes_json",
    response_model=ChangesPanel,
    summary="What changed since a monograph under review was generated",
)
@router.get(
    "/monographs/items/{item_id}/changes",
    name="monograph_changes",
    response_class=HTMLResponse,
    summary="A monograph under review: why it is stale and the label diff",
)
def monograph_changes_page(request: Request, item_id: str, user: Signed) -> Response:
    """Both twins: the same panel, as HTML or JSON (``.json`` or ``Accept``)."""
    try:
        panel = changes_panel(request, item_id)
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    return page(
        request, "monograph_changes.html", data=panel, review_path=_review_path(request, panel.item_id)
    )


def _build_for(request: Request) -> Callable[[str, Audience], Monograph]:
    build = builder()
    if build is None:
        raise HTTPException(404, UNAVAILABLE)

    def fresh(drug: str, audience: Audience) -> Monograph:
        return _build(request, drug, audience, build)

    return fresh


@router.post(
    "/monographs/items/{item_id}/regenerate",
    name="monograph_regenerate",
    dependencies=_CSRF,
    response_model=Review,
    summary="Build a stale monograph afresh from the newest label as its next version",
)
async def monograph_regenerate(request: Request, item_id: str, user: Editor) -> Response:
    form = await request.form()
    raw = form.get("expected_version")
    if not isinstance(raw, str) or not raw.strip().isdigit():
        raise HTTPException(
            422, "expected_version (the version you are looking at) is missing or not a number"
        )
    engine = request.app.state.store.engine
    source = _build_for(request)
    try:
        review = await run_in_threadpool(
            regenerate_monograph, engine, item_id, source=source, actor=user, expected_version=int(raw)
        )
    except ConflictError as exc:
        raise HTTPException(409, str(exc)) from exc
    except ForbiddenError as exc:
        raise HTTPException(403, str(exc)) from exc
    except NotFoundError as exc:
        raise HTTPException(404, str(exc)) from exc
    if wants_json(request):
        return JSONResponse(review.model_dump(mode="json"))
    return RedirectResponse(_review_path(request, item_id), status_code=303)


TEMPLATES.env.globals["monograph_changes_panel"] = panel_or_none
