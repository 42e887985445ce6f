"""Drug monograph pages: ``/monographs/{drug}`` and its JSON twin.

The monograph itself is built by ``medref.monograph.builder.build_monograph(drug, *, store,
retriever, lexicon, audience, drugsatfda)`` (``drugsatfda``: the registered Drugs@FDA export,
as the CLI uses it); while that module is not installed the pages answer 404 with
a message saying so. An unknown drug is a 404 whose message carries the builder's suggestions.

Built monographs are kept in the app's LRU cache (``app.state.monograph_cache``, see
:mod:`medref.web.cache`) per corpus version, drug, audience and whether the search index was
open (and the builder itself), so both twins of a page share one build and an ingest makes the next request rebuild. The
review state is read on every request, never cached.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from medref.errors import IndexNotReadyError, MedrefError, NotFoundError
from medref.models import Audience, Monograph
from medref.retrieve.retriever import Retriever
from medref.web.cache import LRUCache, corpus_version
from medref.web.deps import app_lexicon, index_ready, item_review, open_retriever, optional_module
from medref.web.render import page
from medref.web.views import is_approved, path_for

router = APIRouter()
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


def _monograph(request: Request, drug: str, audience: Audience) -> Response:
    mono = cached_monograph(request, drug, audience)
    review = item_review(request.app.state.store.engine, mono.id)
    context: dict[str, Any] = {
        "review": review,
        "approved": is_approved(review, mono.version),
        "audience": audience,
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
    "/monographs/{drug}.json", response_model=Monograph, name="monograph_json", summary="A drug monograph"
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
