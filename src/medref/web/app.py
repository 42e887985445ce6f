"""The web app factory.

    >>> from medref.web.app import create_app      # doctest: +SKIP
    >>> app = create_app()                          # settings from MEDREF_* / MEDREF_CONFIG

``app.state`` carries ``settings``, ``store``, ``answers`` and the lazily opened ``retriever`` /
``asker`` (see :mod:`medref.web.deps`); start-up never needs the search index. With
``preload=True`` (``medref serve``) the lifespan loads them in the background and ``GET /ready``
says when that is done (:mod:`medref.web.warm`); ``app.state.monograph_cache`` keeps built
monographs per corpus version (:mod:`medref.web.cache`). The public pages
live in :mod:`medref.web.routes.pages` and :mod:`medref.web.routes.monographs`; accounts and the
review workflow (``medref.web.routes.auth`` / ``.review``, ``medref.web.security``) are
included when installed. Every error is a page with a JSON twin (:class:`ErrorPage`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medref import __version__
from medref.compose.ask import Asker
from medref.errors import IndexNotReadyError, InputError, MedrefError, NotFoundError, StoreError
from medref.retrieve.retriever import Retriever
from medref.settings import Settings
from medref.store.answers import AnswerStore, ConflictError
from medref.web import warm
from medref.web.cache import DEFAULT_SIZE, LRUCache
from medref.web.deps import optional_module
from medref.web.render import TEMPLATES, page, wants_json
from medref.web.routes import documents, interactions, labels, monographs, pages, policy, topics
from medref.web.views import INDEX_FIX, ErrorPage, error_title, install_template_helpers

log = logging.getLogger(__name__)
STATIC = Path(__file__).resolve().parent / "static"
OPTIONAL_ROUTERS = ("auth", "review", "drafts")
NAV_PATHS = ("/login", "/logout", "/review")  # shown in the header when an optional router has them

CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
SECURITY_HEADERS = {
    b"content-security-policy": CSP.encode(),
    b"x-content-type-options": b"nosniff",
    b"referrer-policy": b"no-referrer",  # question URLs carry health questions
    b"x-frame-options": b"DENY",
}


class SecurityHeaders:
    """Adds the security headers (unless a response set its own) and ``Vary: Accept``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                headers += [(k, v) for k, v in SECURITY_HEADERS.items() if k not in present]
                if b"vary" not in present:
                    headers.append((b"vary", b"Accept"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


# ----------------------------------------------------------------------------- errors


def error_response(request: Request, error: ErrorPage, *, headers: dict[str, str] | None = None) -> Response:
    """The error as a page (or JSON); falls back to bare HTML if the template itself fails."""
    try:
        response = page(request, "error.html", data=error, status_code=error.status)
    except Exception:
        log.exception("rendering the error page failed")
        if wants_json(request):
            response = JSONResponse(error.model_dump(mode="json"), status_code=error.status)
        else:
            response = HTMLResponse(
                f"<!doctype html><title>Error {error.status}</title><p>Error {error.status}.</p>",
                status_code=error.status,
            )
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _error(status: int, detail: str, **fields: Any) -> ErrorPage:
    return ErrorPage(status=status, title=error_title(status), detail=detail, **fields)


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    headers = dict(exc.headers or {})
    location = next((k for k in headers if k.lower() == "location"), None)
    if 300 <= exc.status_code < 400 and location:  # e.g. "sign in first" -> /login
        return RedirectResponse(headers.pop(location), status_code=exc.status_code, headers=headers)
    detail = exc.detail if isinstance(exc.detail, str) else None
    extra: list[dict[str, Any]] = [] if detail is not None else [{"detail": jsonable_encoder(exc.detail)}]
    if exc.status_code == 404 and detail == "Not Found":
        detail = f"There is no page at {request.url.path}."
    error = _error(exc.status_code, detail or error_title(exc.status_code), errors=extra)
    return error_response(request, error, headers=headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = jsonable_encoder(exc.errors())
    parts = []
    for err in errors:
        where = ".".join(str(p) for p in err.get("loc", []) if p not in ("query", "path", "body"))
        parts.append(f"{where or 'request'}: {err.get('msg', 'invalid')}")
    clean = [{k: v for k, v in e.items() if k in ("loc", "msg", "type")} for e in errors]
    return error_response(request, _error(422, "; ".join(parts) or "invalid request", errors=clean))


async def _medref_error(request: Request, exc: Exception) -> Response:
    suggestions = [str(s) for s in getattr(exc, "suggestions", None) or []]
    if isinstance(exc, IndexNotReadyError):
        log.warning("search index not ready: %s", exc)  # the message names a server path: log it only
        error = _error(
            503,
            "The search index has not been built yet, so this page cannot be shown.",
            fix=f"Build the search index with: {INDEX_FIX} (for the demo corpus: medref demo build)",
        )
    elif isinstance(exc, NotFoundError):
        error = _error(404, str(exc), suggestions=suggestions)
    elif isinstance(exc, ConflictError):
        error = _error(409, str(exc))
    elif isinstance(exc, InputError):
        error = _error(422, str(exc), suggestions=suggestions)
    elif isinstance(exc, StoreError):
        log.error("store error on %s: %s", request.url.path, exc)
        error = _error(503, "The evidence store is not available right now. Please try again later.")
    else:  # configuration problems and the like: logged for the operator, not shown
        log.error("error on %s: %s", request.url.path, exc)
        error = _error(500, "The server could not complete this request.")
    return error_response(request, error)


async def _server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s", request.url.path, exc_info=exc)
    return error_response(request, _error(500, "The server could not complete this request."))


# ----------------------------------------------------------------------------- factory


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    if app.state.preload:
        warm.start_warm_up(app)
    yield
    warm.stop_warm_up(app)
    for thing in reversed(app.state.owned):
        try:
            thing.close()
        except Exception:  # closing is best effort at shutdown
            log.exception("closing %r failed", thing)


def _install_security(app: FastAPI) -> None:
    """Hook up ``medref.web.security`` when installed: ``install(app)``, and ``csrf_token`` for templates."""
    security = optional_module("medref.web.security")
    if security is None:
        return
    install: Callable[[FastAPI], Any] | None = getattr(security, "install", None)
    if callable(install):
        install(app)
    csrf_token = getattr(security, "csrf_token", None)
    if callable(csrf_token):
        TEMPLATES.env.globals["csrf_token"] = csrf_token


def _include_optional_routers(app: FastAPI) -> dict[str, str]:
    """Include the accounts / review routers that are installed; returns their header links."""
    paths: set[str] = set()
    for name in OPTIONAL_ROUTERS:
        module = optional_module(f"medref.web.routes.{name}")
        router = getattr(module, "router", None) if module is not None else None
        if router is not None:
            app.include_router(router)
            paths.update(str(getattr(r, "path", "")) for r in getattr(router, "routes", []))
    return {p: p for p in NAV_PATHS if p in paths}


def create_app(
    settings: Settings | None = None,
    *,
    retriever: Retriever | None = None,
    asker: Asker | None = None,
    preload: bool = False,
    cache_size: int = DEFAULT_SIZE,
) -> FastAPI:
    """Build the app. ``retriever`` / ``asker`` replace the ones it would open (tests, embedding).

    ``preload``: load models and indexes at start-up (in the lifespan, see :mod:`medref.web.warm`);
    off, the app is ready at once and loads them on first use. ``cache_size``: built monographs kept.
    """
    from medref.deps import get_settings, open_store

    settings = settings or get_settings()
    if retriever is None and asker is not None:
        retriever = asker.retriever
    owned: list[Any] = []
    if retriever is not None:
        store = retriever.store
    else:
        store = open_store(settings)
        owned.append(store)
    answers = asker.answers if asker is not None and asker.answers is not None else AnswerStore(store.engine)

    app = FastAPI(
        title="medref",
        version=__version__,
        summary="Cited answers and drug monographs over your own corpus (HTML pages with JSON twins).",
        lifespan=_lifespan,
        docs_url=None,  # Swagger UI / ReDoc load scripts from a CDN: no network at run time
        redoc_url=None,
        responses={
            404: {"model": ErrorPage, "description": "Not found (an error page, or its JSON twin)"},
            422: {"model": ErrorPage, "description": "Invalid input (an error page, or its JSON twin)"},
        },
    )
    app.state.settings = settings
    app.state.store = store
    app.state.answers = answers
    app.state.retriever = retriever
    app.state.asker = asker
    app.state.lexicon = None  # loaded on first use when there is no retriever (deps.app_lexicon)
    app.state.owned = owned
    app.state.preload = preload
    app.state.readiness = warm.Readiness()
    if not preload:
        app.state.readiness.finish("ready (loading on first use)")
    app.state.monograph_cache = LRUCache[Any](cache_size)

    install_template_helpers(TEMPLATES.env)
    _install_security(app)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.include_router(pages.router)
    app.include_router(monographs.router)
    app.include_router(interactions.router)
    app.include_router(labels.router)
    app.include_router(documents.router)
    app.include_router(policy.router)
    app.include_router(topics.router)
    app.include_router(warm.router)
    app.state.nav = _include_optional_routers(app)

    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(MedrefError, _medref_error)
    app.add_exception_handler(Exception, _server_error)
    app.add_middleware(SecurityHeaders)
    return app
