"""Stale answers and monographs: their evidence changed; regenerate them into a new version under review.

An answer (or monograph) is stale when a document its current version cites has changed, was
deleted or was superseded (:meth:`AnswerStore.refresh_stale` flags them; :func:`review_info`
also detects unflagged ones). A monograph is also stale when a newer version of its label set or
a new document naming its drug was stored since it was generated
(:func:`medref.review.monographs.flag_changed_monographs`). :func:`refresh_stale` flags both.

:func:`regenerate` composes an answer afresh with an :class:`~medref.compose.ask.Asker` (without
storing a second answer); :func:`regenerate_monograph` builds a monograph afresh (from the newest
label) with a :class:`MonographSource`. Either saves the result as the next version, which goes
through review again.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Protocol

from sqlalchemy import Engine

from medref.errors import NotFoundError
from medref.models import Answer, Audience, Monograph, Review
from medref.models import ReviewStatus as S
from medref.review.items import KIND_ANSWER, KIND_MONOGRAPH, add_monograph_version, changed_evidence, get_item
from medref.review.monographs import REGENERATED, flag_changed_monographs, monograph_changes
from medref.review.users import User
from medref.review.workflow import EDIT_ROLES, move_after_new_version, require, review_info
from medref.store.answers import AnswerStore, ConflictError
from medref.store.db import read_tx


class AnswerSource(Protocol):
    """What regeneration needs: :class:`medref.compose.ask.Asker` fits."""

    def ask(self, question: str, *, audience: Audience = ..., thread_id: str | None = ...) -> Answer: ...


#: What regenerating a monograph needs: build it afresh for a drug (preferred name) and an audience.
MonographSource = Callable[[str, Audience], Monograph]


def refresh_stale(engine: Engine) -> int:
    """Flag every answer or monograph whose evidence changed; returns how many were new."""
    monographs = flag_changed_monographs(
        engine
    )  # first: its audit rows say why (label version, new documents)
    return monographs + AnswerStore(engine, migrate=False).refresh_stale()


def regenerate(
    engine: Engine,
    item_id: str,
    *,
    source: AnswerSource | None,
    actor: User,
    expected_version: int,
) -> Review | None:
    """Compose a stale answer afresh from the current corpus as its next version.

    The new version goes through review again: an approved, submitted or under-review answer
    becomes ``submitted``, a rejected one ``draft``. Returns None (nothing done) when there is no
    ``source`` or the item is a monograph (see :func:`regenerate_monograph`).
    """
    require(actor, EDIT_ROLES, "regenerate")
    store = AnswerStore(engine, migrate=False)
    info = store.info(item_id)
    if source is None or info.kind != KIND_ANSWER:
        return None
    if info.current_version != expected_version:
        raise ConflictError(item_id, expected_version, info.current_version)
    old = store.get(item_id)
    with read_tx(engine) as conn:
        changed = changed_evidence(conn, item_id, expected_version)
    if dataclasses.is_dataclass(source) and getattr(source, "answers", None) is not None:
        source = dataclasses.replace(source, answers=None)  # compose only, do not store
    assert source is not None
    fresh = source.ask(old.resolved_question or old.question, audience=old.audience)
    fresh = fresh.model_copy(
        update={
            "question": old.question,
            "resolved_question": old.resolved_question,
            "related_questions": fresh.related_questions or old.related_questions,
        }
    )
    why = f"{REGENERATED}: cited evidence changed ({', '.join(changed)})" if changed else REGENERATED
    stored = store.add_version(
        item_id, fresh, expected_version=expected_version, created_by=actor.username, note=why
    )
    assert stored.version is not None
    return _back_to_review(engine, item_id, stored.version, actor=actor, expected_version=expected_version)


def _back_to_review(
    engine: Engine, item_id: str, version: int, *, actor: User, expected_version: int
) -> Review:
    """A regenerated version is reviewed again: approved / submitted / under review -> submitted, rejected -> draft."""
    for sources, target, event in (
        ({S.APPROVED, S.SUBMITTED, S.UNDER_REVIEW}, S.SUBMITTED, "resubmitted"),
        ({S.REJECTED}, S.DRAFT, "reopened"),
    ):
        move_after_new_version(
            engine,
            item_id,
            version,
            actor=actor.username,
            target=target,
            sources=sources,
            event=event,
            note=f"version {version} regenerated from version {expected_version} needs review",
        )
    return review_info(engine, item_id)


def regenerate_monograph(
    engine: Engine,
    item_id: str,
    *,
    source: MonographSource,
    actor: User,
    expected_version: int,
) -> Review:
    """Build monograph ``item_id`` afresh (from the newest label and evidence) as its next version.

    The note of the new version says why (newer label version, new documents, changed citations);
    the version goes through review again as :func:`regenerate` describes.
    """
    require(actor, EDIT_ROLES, "regenerate")
    info = AnswerStore(engine, migrate=False).info(item_id)
    if info.kind != KIND_MONOGRAPH:
        raise NotFoundError(f"{item_id!r} is not a monograph")
    if info.current_version != expected_version:
        raise ConflictError(item_id, expected_version, info.current_version)
    old = get_item(engine, item_id, expected_version)
    assert isinstance(old, Monograph)
    why = monograph_changes(engine, item_id, expected_version).reasons()
    fresh = source(old.drug, old.audience)
    stored = add_monograph_version(
        engine,
        item_id,
        fresh,
        expected_version=expected_version,
        created_by=actor.username,
        note=f"{REGENERATED}: {'; '.join(why)}" if why else REGENERATED,
    )
    return _back_to_review(engine, item_id, stored.version, actor=actor, expected_version=expected_version)


def regenerate_stale(engine: Engine, *, source: AnswerSource, actor: User) -> list[str]:
    """Flag stale items, then regenerate every stale answer; returns the ids regenerated."""
    refresh_stale(engine)
    store = AnswerStore(engine, migrate=False)
    done: list[str] = []
    for item_id in store.stale_answers():
        try:
            if regenerate(
                engine,
                item_id,
                source=source,
                actor=actor,
                expected_version=store.info(item_id).current_version,
            ):
                done.append(item_id)
        except ConflictError:  # edited meanwhile: that edit took a fresh snapshot anyway
            continue
    return done
