"""Warm start: load the models and indexes before the first visitor asks, and say when that is done.

``create_app(preload=True)`` (what ``medref serve`` uses) starts :func:`warm_up` in a background
thread from the app's lifespan, so the server answers at once while loading: ``GET /ready`` is
503 ``{"ready": false, "stage": ...}`` until everything is loaded and 200 after, and
``GET /healthz`` is plain liveness (200 whenever the process serves requests). Without preload
(the default for tests and embedding) the app is ready at once and loads on first use.

Warming opens the retriever (indexes, lexicon), runs one search (the embedder) and composes one
answer per audience with an Asker that stores nothing (the composer's models and word lists), so
no visitor's question is ever used or kept for it. A missing search index is not a failure: the
app is ready and its pages say how to build the index.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse

from medref.compose.ask import Asker
from medref.errors import IndexNotReadyError
from medref.models import Audience
from medref.web.deps import open_asker, open_retriever, optional_module

log = logging.getLogger(__name__)
router = APIRouter()

WARM_QUESTION = "What are the common adverse effects of this treatment in adults?"
JOIN_AT_SHUTDOWN_S = 30.0


@dataclass
class Readiness:
    """Where loading stands; ``done`` is set once warming finished (or was never wanted)."""

    done: threading.Event = field(default_factory=threading.Event)
    stage: str = "starting"
    started: float = field(default_factory=time.perf_counter)
    seconds: float | None = None
    error: str | None = None
    thread: threading.Thread | None = None

    def finish(self, stage: str, error: str | None = None) -> None:
        self.stage, self.error = stage, error
        self.seconds = round(time.perf_counter() - self.started, 3)
        self.done.set()

    def as_dict(self) -> dict[str, Any]:
        return {
            "ready": self.done.is_set(),
            "stage": self.stage,
            "seconds": self.seconds,
            "error": self.error,
        }


def readiness(app: FastAPI) -> Readiness:
    state: Readiness = app.state.readiness
    return state


def warm_up(app: FastAPI) -> None:
    """Load everything the first question needs (see the module doc); never raises."""
    state = readiness(app)
    try:
        state.stage = "opening the search index and lexicon"
        retriever = open_retriever(app)
        state.stage = "loading the embedder"
        retriever.search(WARM_QUESTION)
        state.stage = "loading the answer composer"
        shared = open_asker(app)
        quiet = Asker(retriever=retriever, composer=shared.composer, answers=None)  # stores nothing
        for audience in Audience:
            quiet.ask(WARM_QUESTION, audience=audience)
        state.stage = "loading the monograph builder"
        optional_module("medref.monograph.builder")
    except IndexNotReadyError:
        state.finish("ready without a search index (the pages say how to build it)")
        return
    except Exception as exc:  # the app still works, loading on first use
        log.exception("warm-up failed; models load on first use")
        state.finish("ready; warm-up failed, loading on first use", error=type(exc).__name__)
        return
    state.finish("ready")
    log.info("warm-up done in %.1f s", state.seconds or 0.0)


def start_warm_up(app: FastAPI) -> None:
    state = readiness(app)
    state.started = time.perf_counter()
    state.stage = "loading"
    state.thread = threading.Thread(target=warm_up, args=(app,), name="medref-warm-up", daemon=True)
    state.thread.start()


def stop_warm_up(app: FastAPI) -> None:
    """Wait (bounded) for a running warm-up before the app closes what it uses."""
    thread = readiness(app).thread
    if thread is not None and thread.is_alive():
        thread.join(JOIN_AT_SHUTDOWN_S)


@router.get("/ready", name="ready", summary="Readiness: 200 once models and indexes are loaded, else 503")
def ready(request: Request) -> JSONResponse:
    state = readiness(request.app)
    body = state.as_dict()
    return JSONResponse(
        body, status_code=200 if body["ready"] else 503, headers={"Cache-Control": "no-store"}
    )


@router.get("/healthz", name="healthz", summary="Liveness: 200 while the process serves requests")
def healthz() -> JSONResponse:
    return JSONResponse({"alive": True}, headers={"Cache-Control": "no-store"})
