"""The editorial review workflow of answers and monographs.

Statuses (``answers.status``)::

    draft ──submit──▶ submitted ──start──▶ under_review ──approve──▶ approved
      ▲                  │                      │
      │                  └──request-changes / reject (from either)──▶ changes_requested / rejected
      └── an edit of an approved or rejected item reopens it (a new version is not approved)
    changes_requested ──submit──▶ submitted

Who: an ``editor`` edits and submits; a ``reviewer`` (Medical Advisory Board) edits, starts a
review, approves, requests changes and rejects; an ``admin`` may do everything. Requesting
changes and rejecting need a note. Four eyes: whoever saved the current version (its
``created_by``) may not approve it, whatever their role. A stale item (its evidence changed) cannot be approved until
it is regenerated (:mod:`medref.review.stale`) or saved anew.

Every step names the version it acts on (``expected_version``): when someone saved a newer
version meanwhile it raises :class:`~medref.store.answers.ConflictError` and writes nothing.
Every step is appended to ``audit_log`` (who, when, what, which version, from/to status, note,
the version's content hash, chained: :mod:`medref.store.audit_chain`); every edit is a new
version (:meth:`AnswerStore.add_version`), never an overwrite. An approval records the hash of
the exact text approved, and is refused when the stored text or the item's chain fails its check.

:func:`review_info` is the editorial state a public page shows: ``approved`` only when the
approved version is the current one and its text and history pass
:func:`medref.review.integrity.check_item`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from medref.errors import InputError, MedrefError, NotFoundError
from medref.models import Answer, AuditEvent, DocumentRef, Quote, Review, ReviewStatus
from medref.review.diff import published_lines, with_texts
from medref.review.integrity import check_item, item_events, last_approval
from medref.review.items import add_item_version, changed_evidence, get_item
from medref.review.relink import PassageLookup, apply_sources, require_resolved
from medref.review.users import User
from medref.store.answers import AnswerStore, ConflictError
from medref.store.audit_chain import append_event
from medref.store.db import read_tx, write_tx
from medref.store.published import assign_slug
from medref.store.repository import Store
from medref.store.schema import answer_versions, answers

S = ReviewStatus
GATED = (
    "submit",
    "approve",
)  # steps refused while an edited sentence has neither a source nor an editorial mark
EDIT_ROLES = ("editor", "reviewer")


class ForbiddenError(MedrefError):
    """The user's role does not allow this step."""


class TransitionError(InputError):
    """This step is not possible from the item's current status (or while it is stale)."""


@dataclass(frozen=True)
class Transition:
    action: str  # URL segment and name, e.g. 'request-changes'
    sources: tuple[ReviewStatus, ...]
    target: ReviewStatus
    roles: tuple[str, ...]  # admin is always allowed
    event: str  # audit_log.action
    label: str
    needs_note: bool = False


TRANSITIONS: dict[str, Transition] = {
    t.action: t
    for t in (
        Transition(
            "submit",
            (S.DRAFT, S.CHANGES_REQUESTED),
            S.SUBMITTED,
            ("editor",),
            "submitted",
            "Submit for review",
        ),
        Transition("start", (S.SUBMITTED,), S.UNDER_REVIEW, ("reviewer",), "review_started", "Start review"),
        Transition("approve", (S.UNDER_REVIEW,), S.APPROVED, ("reviewer",), "approved", "Approve"),
        Transition(
            "request-changes",
            (S.SUBMITTED, S.UNDER_REVIEW),
            S.CHANGES_REQUESTED,
            ("reviewer",),
            "changes_requested",
            "Request changes",
            needs_note=True,
        ),
        Transition(
            "reject",
            (S.SUBMITTED, S.UNDER_REVIEW),
            S.REJECTED,
            ("reviewer",),
            "rejected",
            "Reject",
            needs_note=True,
        ),
    )
}


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def can_edit(user: User) -> bool:
    return user.has_role(*EDIT_ROLES)


def allowed_actions(user: User, status: ReviewStatus | str, *, last_editor: str | None = None) -> list[str]:
    """The transitions ``user`` may take from ``status``, in workflow order.

    ``last_editor`` saved the current version: they may not approve it (four eyes).
    """
    status = ReviewStatus(status)
    return [
        t.action
        for t in TRANSITIONS.values()
        if status in t.sources
        and user.has_role(*t.roles)
        and not (t.target is S.APPROVED and last_editor is not None and last_editor == user.username)
    ]


def require(user: User, roles: Sequence[str], what: str) -> None:
    if not user.has_role(*roles):
        raise ForbiddenError(
            f"{user.username} ({user.role}) may not {what}: it needs the {' or '.join(roles)} role"
        )


def _append(conn: Connection, item_id: str, version: int, event: str, **fields: Any) -> None:
    append_event(conn, item_id, version, event, **fields)


def _check_approval(conn: Connection, item_id: str, version: int, actor: User, stale: bool) -> str:
    """Why ``actor`` may not approve ``version`` (raises), else the hash of the text being approved."""
    editor = conn.execute(
        select(answer_versions.c.created_by).where(
            answer_versions.c.answer_id == item_id, answer_versions.c.version == version
        )
    ).scalar()
    if editor is not None and editor == actor.username:
        raise ForbiddenError(
            f"{actor.username} saved version {version} and may not approve it too: "
            "another reviewer must approve it (four-eyes rule)"
        )
    changed = changed_evidence(conn, item_id, version)
    if stale or changed:
        raise TransitionError(
            "cannot approve: the evidence this version cites has changed "
            f"({', '.join(changed) or 'flagged stale'}); regenerate it or save a new version first"
        )
    check = check_item(conn, item_id, version, item_events(conn, item_id))
    if not check.ok or check.content_hash is None:
        raise TransitionError(
            "cannot approve: the stored record failed its tamper check ("
            + "; ".join(check.problems)
            + "); ask an administrator to look into it"
        )
    return check.content_hash


# ------------------------------------------------------------------ transitions
def transition(
    engine: Engine,
    item_id: str,
    action: str,
    *,
    actor: User,
    expected_version: int,
    note: str | None = None,
) -> Review:
    """Move ``item_id`` along the workflow (see the module doc); returns its new review state."""
    t = TRANSITIONS.get(action)
    if t is None:
        raise InputError(f"unknown review step {action!r}: use one of {', '.join(TRANSITIONS)}")
    require(actor, t.roles, t.label.lower())
    note = (note or "").strip() or None
    if t.needs_note and note is None:
        raise InputError(f"{t.label}: say what should change (a note is required)")
    if action in GATED:  # what is submitted or approved cites a source for every edited sentence
        try:
            item = get_item(engine, item_id, expected_version)
        except NotFoundError:
            item = None  # no such item or version: the checks below say which
        if isinstance(item, Answer):
            require_resolved(item, what=t.label.lower())
    now = _now()
    with write_tx(engine) as conn:
        row = conn.execute(
            select(answers.c.status, answers.c.current_version, answers.c.stale, answers.c.lock_version)
            .where(answers.c.id == item_id)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFoundError(f"no answer or monograph with id {item_id!r}")
        current, status = int(row.current_version), ReviewStatus(row.status)
        if current != expected_version:
            raise ConflictError(item_id, expected_version, current)
        if status not in t.sources:
            raise TransitionError(f"cannot {t.label.lower()}: version {current} is {status.label.lower()}")
        approved_hash = None
        if t.target is S.APPROVED:
            approved_hash = _check_approval(conn, item_id, current, actor, bool(row.stale))
        done = conn.execute(
            update(answers)
            .where(
                answers.c.id == item_id,
                answers.c.current_version == current,
                answers.c.status == status.value,
                answers.c.lock_version == row.lock_version,
            )
            .values(status=t.target.value, lock_version=answers.c.lock_version + 1, updated_at=now)
        )
        if done.rowcount != 1:
            raise ConflictError(item_id, expected_version, current)
        if t.target is S.APPROVED:
            assign_slug(conn, item_id)  # the page's public address, given once (store/published.py)
        _append(
            conn,
            item_id,
            current,
            t.event,
            actor=actor.username,
            from_status=status.value,
            to_status=t.target.value,
            note=note,
            detail={"role": actor.role},
            at=now,
            content_hash=approved_hash,
        )
    return review_info(engine, item_id)


def move_after_new_version(
    engine: Engine,
    item_id: str,
    version: int,
    *,
    actor: str,
    target: ReviewStatus,
    sources: set[ReviewStatus],
    event: str,
    note: str,
) -> None:
    """Change the status of the just-saved ``version`` if it is still current and in ``sources``."""
    now = _now()
    with write_tx(engine) as conn:
        row = conn.execute(
            select(answers.c.status)
            .where(answers.c.id == item_id, answers.c.current_version == version)
            .with_for_update()
        ).first()
        if row is None or ReviewStatus(row.status) not in sources or row.status == target.value:
            return
        conn.execute(
            update(answers)
            .where(
                answers.c.id == item_id, answers.c.current_version == version, answers.c.status == row.status
            )
            .values(status=target.value, lock_version=answers.c.lock_version + 1, updated_at=now)
        )
        _append(
            conn,
            item_id,
            version,
            event,
            actor=actor,
            from_status=row.status,
            to_status=target.value,
            note=note,
            at=now,
        )


# ------------------------------------------------------------------ edits
def stored_passage(engine: Engine) -> PassageLookup:
    """Read a stored passage ``'<doc uid>#<ordinal>'`` (its text and document) for re-linking."""

    def lookup(passage_id: str) -> tuple[Quote, DocumentRef] | None:
        uid, sep, tail = passage_id.rpartition("#")
        if not sep or not uid or not tail.isdigit():
            return None
        try:
            doc = Store(engine, migrate=False, recover=False).get_document(uid)
        except NotFoundError:
            return None
        found = next((p for p in doc.passages if p.ordinal == int(tail)), None)
        if found is None:
            return None
        quote = Quote(passage_id=passage_id, section=found.section, text=found.text, loinc=found.loinc)
        return quote, DocumentRef.of(doc)

    return lookup


def edit(
    engine: Engine,
    item_id: str,
    *,
    actor: User,
    expected_version: int,
    texts: Sequence[str] | None = None,
    sources: Sequence[str] | None = None,
    note: str | None = None,
) -> Review:
    """Save ``texts`` (see :func:`medref.review.diff.with_texts`) as a new version of ``item_id``.

    ``sources`` (answers only) gives per sentence, after the new texts are applied: '' (leave it),
    ``'editorial'`` or a passage id to re-link it to (:func:`medref.review.relink.apply_sources`;
    a passage the answer does not carry is read from the store). A passage that does not support
    the sentence raises :class:`~medref.review.relink.RelinkError` and nothing is saved.
    ``note`` is kept with the version and in the audit log. An edit of an approved or rejected
    item reopens it as a draft. Raises :class:`ConflictError` (nothing written) when
    ``expected_version`` is no longer current: reload, re-apply, save again.
    """
    require(actor, EDIT_ROLES, "edit")
    note = (note or "").strip() or None
    info = AnswerStore(engine, migrate=False).info(item_id)
    if info.current_version != expected_version:
        raise ConflictError(item_id, expected_version, info.current_version)
    base = get_item(engine, item_id, expected_version)
    changed = with_texts(base, texts) if texts is not None else base
    if isinstance(changed, Answer) and any(s.strip() for s in sources or ()):
        if texts is not None:  # an emptied text dropped its sentence: so does its source choice
            sources = [c for i, c in enumerate(sources or ()) if i >= len(texts) or texts[i].strip()]
        changed = apply_sources(changed, sources or (), stored_passage(engine))
    if published_lines(changed) == published_lines(base) and note is None:
        raise InputError("nothing to save: no text changed and no note given")
    stored = add_item_version(
        engine,
        item_id,
        changed,
        expected_version=expected_version,
        created_by=actor.username,
        note=note or "edited",
    )
    move_after_new_version(
        engine,
        item_id,
        stored.version,
        actor=actor.username,
        target=S.DRAFT,
        sources={S.APPROVED, S.REJECTED},
        event="reopened",
        note=f"version {stored.version} edited from version {expected_version} needs review",
    )
    return review_info(engine, item_id)


# ------------------------------------------------------------------ public state
def review_info(engine: Engine, item_id: str) -> Review:
    """The editorial state of an answer or monograph for its public page (see the module doc)."""
    with read_tx(engine) as conn:
        row = conn.execute(
            select(
                answers.c.kind,
                answers.c.status,
                answers.c.current_version,
                answers.c.stale,
                answers.c.updated_at,
            ).where(answers.c.id == item_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no answer or monograph with id {item_id!r}")
        events = item_events(conn, item_id)
        changed = changed_evidence(conn, item_id, int(row.current_version))
        version, status = int(row.current_version), ReviewStatus(row.status)
        # the approval must cover this version, and its text and history must pass the check
        approval_row = last_approval(events) if status is S.APPROVED else None
        verified = (
            approval_row is not None
            and approval_row["version"] == version
            and check_item(conn, item_id, version, events).ok
        )
    history = [
        AuditEvent(
            at=_aware(e["at"]),
            actor=e["actor"],
            action=e["action"],
            version=e["version"],
            from_status=e["from_status"],
            to_status=e["to_status"],
            note=e["note"],
        )
        for e in events
    ]
    reviewer = approved_at = None
    if status is S.APPROVED:
        if verified and approval_row is not None:
            reviewer, approved_at = approval_row["actor"], _aware(approval_row["at"])
        else:  # another version was approved, or the text or history changed: never shown as approved
            status = S.DRAFT
    return Review(
        item_id=item_id,
        item_kind=row.kind,
        status=status,
        version=version,
        stale=bool(row.stale) or bool(changed),
        reviewer=reviewer,
        approved_at=approved_at,
        updated_at=_aware(row.updated_at),
        history=history,
    )


__all__ = [
    "TRANSITIONS",
    "ForbiddenError",
    "TransitionError",
    "allowed_actions",
    "can_edit",
    "edit",
    "review_info",
    "transition",
]
