"""Request dependencies of the web app: the objects ``create_app`` keeps on ``app.state``.

``app.state`` holds ``settings``, ``store`` (:class:`~medref.store.repository.Store`),
``answers`` (:class:`~medref.store.answers.AnswerStore`) and, opened on first use, ``retriever``
and ``asker``. A missing search index is not an error at start-up: :func:`get_retriever` raises
:class:`~medref.errors.IndexNotReadyError` (a 503 page naming ``medref index rebuild``) until
the index exists, and opens it on the first request after that, without a restart.
"""

from __future__ import annotations

import importlib
import logging
import threading
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from sqlalchemy import Engine

from medref.compose.ask import Asker
from medref.compose.base import make_composer
from medref.errors import MedrefError, NotFoundError
from medref.index.factory import LEXICAL_IN_DATABASE
from medref.models import Review, ReviewStatus
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import Settings
from medref.store.answers import AnswerStore
from medref.store.repository import Store

log = logging.getLogger(__name__)
_OPEN_LOCK = threading.Lock()


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_store(request: Request) -> Store:
    store: Store = request.app.state.store
    return store


def get_answers(request: Request) -> AnswerStore:
    answers: AnswerStore = request.app.state.answers
    return answers


def index_ready(app: FastAPI) -> bool:
    """True when a retriever is open, the lexical index exists on disk, or it lives in the database.

    An index kept in the store's PostgreSQL database (``index.lexical = "postgres"``) is shared by
    every host: a new web worker needs no local folder (opening it says if it was never built).
    """
    if app.state.retriever is not None:
        return True
    settings: Settings = app.state.settings
    if settings.index.lexical.strip().lower() in LEXICAL_IN_DATABASE:
        return True
    return (settings.index_dir / "lexical").exists()


def open_retriever(app: FastAPI) -> Retriever:
    """The app's retriever, opened on first use (raises IndexNotReadyError while there is no index)."""
    retriever: Retriever | None = app.state.retriever
    if retriever is not None:
        return retriever
    with _OPEN_LOCK:
        if app.state.retriever is None:
            app.state.retriever = Retriever.open(app.state.settings, store=app.state.store)
            app.state.owned.append(app.state.retriever)
        opened: Retriever = app.state.retriever
        return opened


def app_lexicon(app: FastAPI) -> Lexicon:
    """The lexicon the retriever would use, for pages that work without the search index."""
    if app.state.retriever is not None:
        lexicon: Lexicon = app.state.retriever.lexicon
        return lexicon
    with _OPEN_LOCK:
        if getattr(app.state, "lexicon", None) is None:
            settings: Settings = app.state.settings
            default = settings.data_dir / "lexicon.jsonl.gz"
            app.state.lexicon = Lexicon.load(settings.retrieval.lexicon_path or default)
        loaded: Lexicon = app.state.lexicon
        return loaded


def get_retriever(request: Request) -> Retriever:
    return open_retriever(request.app)


def get_asker(request: Request) -> Asker:
    """The app's Asker (extractive composer), built on the shared retriever and answer store."""
    return open_asker(request.app)


def open_asker(app: FastAPI) -> Asker:
    """The app's Asker, built on first use (raises IndexNotReadyError while there is no index)."""
    asker: Asker | None = app.state.asker
    if asker is not None:
        return asker
    retriever = open_retriever(app)
    with _OPEN_LOCK:
        if app.state.asker is None:
            app.state.asker = Asker(
                retriever=retriever, composer=make_composer("extractive"), answers=app.state.answers
            )
        made: Asker = app.state.asker
        return made


# ----------------------------------------------------------------------------- review status


def _review_info_function() -> Callable[[Engine, str], Review] | None:
    """``medref.review.workflow.review_info`` when the review workflow is installed."""
    module = optional_module("medref.review.workflow")
    fn = getattr(module, "review_info", None) if module is not None else None
    return fn if callable(fn) else None


def public_review(engine: Engine, review: Review) -> Review:
    """``review`` as a public page may show it: no login names (see :func:`answer_review`).

    ``reviewer_name`` is the reviewer's profile ("Dr. A. Rivera, PharmD") or the role title;
    ``reviewer`` and the history (whose events name accounts) are dropped.
    """
    name = review.reviewer_name
    if name is None and review.reviewer:
        users = optional_module("medref.review.users")
        fn = getattr(users, "reviewer_name", None) if users is not None else None
        try:
            name = fn(engine, review.reviewer) if callable(fn) else None
        except Exception:  # the public page must not fail because of a profile lookup
            log.exception("reviewer profile lookup failed for %s", review.item_id)
        name = name or getattr(users, "BOARD_MEMBER", None) or "a member of the Medical Advisory Board"
    return review.model_copy(update={"reviewer": None, "reviewer_name": name, "history": []})


def answer_review(answers: AnswerStore, answer_id: str) -> Review:
    """The public review state of a stored answer: from the review workflow, else the stored status.

    Never carries a login name (:func:`public_review`); staff pages use the workflow directly.
    """
    fn = _review_info_function()
    if fn is not None:
        try:
            return public_review(answers.engine, fn(answers.engine, answer_id))
        except Exception:  # the public page must not fail because of the review module
            log.exception("review_info failed for %s; showing the stored status", answer_id)
    info = answers.info(answer_id)
    try:
        status = ReviewStatus(info.status)
    except ValueError:
        status = ReviewStatus.DRAFT
    if status is ReviewStatus.APPROVED:  # an approval nobody checked is never shown as one
        status = ReviewStatus.DRAFT
    return Review(
        item_id=answer_id,
        item_kind=info.kind,
        status=status,
        version=info.current_version,
        stale=info.stale,
        updated_at=info.updated_at,
    )


def item_review(engine: Engine, item_id: str | None) -> Review | None:
    """The public review state of any reviewed item (a monograph) when the workflow knows it."""
    fn = _review_info_function()
    if fn is None or not item_id:
        return None
    try:
        return public_review(engine, fn(engine, item_id))
    except (NotFoundError, MedrefError):
        return None
    except Exception:
        log.exception("review_info failed for %s", item_id)
        return None


def optional_module(name: str) -> Any | None:
    """Import ``name`` if it exists (an ImportError raised *inside* it is not swallowed)."""
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError as exc:
        if exc.name is not None and name.startswith(exc.name):
            return None
        raise
