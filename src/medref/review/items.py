"""Reviewable items: answers and monographs, both stored as ``answers`` rows.

Answers are written by :class:`~medref.store.answers.AnswerStore` (kind ``'answer'``). Monographs
use the same four tables with kind ``'monograph'``: the row's ``question`` holds the drug name,
``answer_versions.payload`` the whole :class:`~medref.models.Monograph`, ``answer_evidence`` the
documents it cites (so :meth:`AnswerStore.refresh_stale` flags them too) and ``audit_log`` what
happened to it. Versions, history and workflow fields are read the same way for both kinds
(:meth:`AnswerStore.info`, :meth:`AnswerStore.versions`, :meth:`AnswerStore.history`).
"""

from __future__ import annotations

import hashlib
import uuid
from datetime import UTC, datetime
from typing import TypeAlias

from pydantic import BaseModel
from sqlalchemy import Connection, Engine, and_, func, insert, or_, select, text, update

from medref.errors import NotFoundError
from medref.models import Answer, Monograph, ReviewStatus
from medref.store.answers import AnswerStore, ConflictError, normalize_for_match, write_version
from medref.store.audit_chain import append_event
from medref.store.db import read_tx, write_tx
from medref.store.schema import answer_evidence, answer_versions, answers, documents

KIND_ANSWER, KIND_MONOGRAPH = "answer", "monograph"
Item: TypeAlias = Answer | Monograph
_E, _D = answer_evidence, documents


class ItemSummary(BaseModel):
    """One line of the review dashboard."""

    id: str
    kind: str
    title: str
    audience: str
    status: ReviewStatus
    version: int
    stale: bool
    updated_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def item_kind(engine: Engine, item_id: str) -> str:
    with read_tx(engine) as conn:
        kind = conn.execute(select(answers.c.kind).where(answers.c.id == item_id)).scalar()
    if kind is None:
        raise NotFoundError(f"no answer or monograph with id {item_id!r}")
    return str(kind)


def get_item(engine: Engine, item_id: str, version: int | None = None) -> Item:
    """The stored answer or monograph: its current version, or ``version``."""
    with read_tx(engine) as conn:
        row = conn.execute(
            select(answers.c.kind, answers.c.current_version).where(answers.c.id == item_id)
        ).first()
        if row is None:
            raise NotFoundError(f"no answer or monograph with id {item_id!r}")
        wanted = int(row.current_version) if version is None else version
        payload = conn.execute(
            select(answer_versions.c.payload).where(
                answer_versions.c.answer_id == item_id, answer_versions.c.version == wanted
            )
        ).scalar()
    if payload is None:
        raise NotFoundError(f"{item_id!r} has no version {wanted} (current: {row.current_version})")
    return Monograph.model_validate(payload) if row.kind == KIND_MONOGRAPH else Answer.model_validate(payload)


def add_item_version(
    engine: Engine,
    item_id: str,
    item: Item,
    *,
    expected_version: int,
    created_by: str | None = None,
    note: str | None = None,
) -> Item:
    """Store the next version (optimistic: :class:`ConflictError` unless ``expected_version`` is current)."""
    if isinstance(item, Answer):
        return AnswerStore(engine, migrate=False).add_version(
            item_id, item, expected_version=expected_version, created_by=created_by, note=note
        )
    return add_monograph_version(
        engine, item_id, item, expected_version=expected_version, created_by=created_by, note=note
    )


# ------------------------------------------------------------------ monographs
def save_monograph(engine: Engine, monograph: Monograph, *, created_by: str | None = None) -> Monograph:
    """Store ``monograph`` as version 1 of a new reviewable item (status draft); returns it as stored."""
    with write_tx(engine) as conn:
        return _insert_monograph(conn, monograph, created_by=created_by)


def open_monograph_item(
    engine: Engine, monograph: Monograph, *, created_by: str | None = None
) -> tuple[Monograph, bool]:
    """The open item of ``monograph``'s drug and audience, else ``monograph`` stored as a new one.

    Open: any status but rejected. The look-up and the insert share one transaction (on PostgreSQL
    under an advisory lock on the drug and audience), so two editors asking at once get one item.
    Returns the item's current version and whether it was created now.
    """
    key = normalize_for_match(monograph.drug)
    with write_tx(engine) as conn:
        if conn.dialect.name == "postgresql":
            digest = hashlib.sha256(f"monograph:{key}:{monograph.audience.value}".encode()).digest()
            lock = int.from_bytes(digest[:8], "big", signed=True)
            conn.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": lock})
        found = conn.execute(
            select(answers.c.id)
            .where(
                answers.c.kind == KIND_MONOGRAPH,
                answers.c.normalized_question == key,
                answers.c.audience == monograph.audience.value,
                answers.c.status != ReviewStatus.REJECTED.value,
            )
            .order_by(answers.c.updated_at.desc(), answers.c.id)
        ).first()
        if found is None:
            return _insert_monograph(conn, monograph, created_by=created_by), True
    existing = get_item(engine, str(found.id))
    if not isinstance(existing, Monograph):  # the kind was filtered on: never an answer
        raise NotFoundError(f"item {found.id!r} is not a monograph")
    return existing, False


def monograph_item_ids(engine: Engine, drug: str, audience: str, *, status: str | None = None) -> list[str]:
    """Ids of the monograph items of ``drug`` (its preferred name) for ``audience``, newest change first."""
    q = select(answers.c.id).where(
        answers.c.kind == KIND_MONOGRAPH,
        answers.c.normalized_question == normalize_for_match(drug),
        answers.c.audience == audience,
    )
    if status is not None:
        q = q.where(answers.c.status == status)
    with read_tx(engine) as conn:
        return [str(r[0]) for r in conn.execute(q.order_by(answers.c.updated_at.desc(), answers.c.id))]


def _insert_monograph(conn: Connection, monograph: Monograph, *, created_by: str | None) -> Monograph:
    now = _now()
    item_id = str(uuid.uuid4())
    stored = _canonical(monograph, item_id=item_id, version=1, created=now, now=now)
    conn.execute(
        insert(answers).values(
            id=item_id,
            kind=KIND_MONOGRAPH,
            thread_id=None,
            position=None,
            current_version=1,
            status=ReviewStatus.DRAFT.value,
            stale=False,
            stale_since=None,
            lock_version=1,
            created_at=now,
            **_row_fields(stored, now),
        )
    )
    _write_version(conn, stored, now=now, created_by=created_by, note=None)
    append_event(conn, item_id, 1, "created", actor=created_by, to_status="draft", at=now)
    return stored


def add_monograph_version(
    engine: Engine,
    item_id: str,
    monograph: Monograph,
    *,
    expected_version: int,
    created_by: str | None = None,
    note: str | None = None,
) -> Monograph:
    """Like :meth:`AnswerStore.add_version`, for a monograph."""
    now = _now()
    with write_tx(engine) as conn:
        row = conn.execute(
            select(answers.c.current_version, answers.c.created_at)
            .where(answers.c.id == item_id, answers.c.kind == KIND_MONOGRAPH)
            .with_for_update()
        ).first()
        if row is None:
            raise NotFoundError(f"no monograph with id {item_id!r}")
        current = int(row.current_version)
        if current != expected_version:
            raise ConflictError(item_id, expected_version, current)
        stored = _canonical(
            monograph, item_id=item_id, version=current + 1, created=_aware(row.created_at), now=now
        )
        done = conn.execute(
            update(answers)
            .where(answers.c.id == item_id, answers.c.current_version == expected_version)
            .values(
                current_version=current + 1,
                lock_version=answers.c.lock_version + 1,
                stale=False,
                stale_since=None,
                **_row_fields(stored, now),
            )
        )
        if done.rowcount != 1:
            raise ConflictError(item_id, expected_version, current + 1)
        _write_version(conn, stored, now=now, created_by=created_by, note=note)
        append_event(conn, item_id, current + 1, "version_added", actor=created_by, note=note, at=now)
    return stored


def _canonical(m: Monograph, *, item_id: str, version: int, created: datetime, now: datetime) -> Monograph:
    data = m.model_dump(mode="json")
    data.update(id=item_id, version=version, created_at=created.isoformat(), updated_at=now.isoformat())
    return Monograph.model_validate(Monograph.model_validate(data).model_dump(mode="json"))


def _row_fields(m: Monograph, now: datetime) -> dict[str, object]:
    return {
        "question": m.drug,
        "resolved_question": None,
        "normalized_question": normalize_for_match(m.drug),
        "audience": m.audience.value,
        "updated_at": now,
    }


def _cited(m: Monograph) -> list[tuple[int | None, str, str | None]]:
    seen: dict[tuple[str, str | None], int | None] = {}
    for ref in m.references:
        pids: list[str | None] = list(ref.passage_ids) or [None]
        for pid in pids:
            seen.setdefault((ref.document.uid, pid), ref.number)
    for section in m.sections:
        for field in section.fields:
            for value in field.values:
                for span in value.spans:
                    seen.setdefault((span.doc_uid, span.passage_id), span.number)
    return [(number, uid, pid) for (uid, pid), number in seen.items()]


def _write_version(
    conn: Connection, stored: Monograph, *, now: datetime, created_by: str | None, note: str | None
) -> None:
    assert stored.id is not None
    write_version(
        conn,
        item_id=stored.id,
        version=stored.version,
        payload=stored.model_dump(mode="json"),
        cited=_cited(stored),
        now=now,
        created_by=created_by,
        note=note,
    )


# ------------------------------------------------------------------ evidence and listing
_CHANGED = or_(
    _D.c.content_hash.is_distinct_from(_E.c.content_hash),
    and_(_E.c.doc_is_current.is_(True), _D.c.is_current.is_not(True)),
)


def changed_evidence(conn: Connection, item_id: str, version: int) -> list[str]:
    """Uids of the documents ``version`` cites that changed, were deleted or were superseded since."""
    rows = conn.execute(
        select(_E.c.doc_uid)
        .outerjoin(_D, _D.c.uid == _E.c.doc_uid)
        .where(_E.c.answer_id == item_id, _E.c.version == version, _CHANGED)
        .distinct()
    ).all()
    return sorted(str(r[0]) for r in rows)


def list_items(
    engine: Engine,
    *,
    status: str | None = None,
    kind: str | None = None,
    stale_only: bool = False,
    ids: list[str] | None = None,
    limit: int = 500,
) -> list[ItemSummary]:
    """Answers and monographs, most recently changed first; stale = flagged or evidence changed."""
    changed = (
        select(_E.c.answer_id)
        .outerjoin(_D, _D.c.uid == _E.c.doc_uid)
        .where(_E.c.answer_id == answers.c.id, _E.c.version == answers.c.current_version, _CHANGED)
        .exists()
    )
    is_stale = or_(answers.c.stale.is_(True), changed)
    q = select(
        answers.c.id,
        answers.c.kind,
        answers.c.question,
        answers.c.resolved_question,
        answers.c.audience,
        answers.c.status,
        answers.c.current_version,
        is_stale.label("is_stale"),
        answers.c.updated_at,
    ).order_by(answers.c.updated_at.desc(), answers.c.id)
    if status:
        q = q.where(answers.c.status == status)
    if kind:
        q = q.where(answers.c.kind == kind)
    if stale_only:
        q = q.where(is_stale)
    if ids is not None:
        q = q.where(answers.c.id.in_(ids))
    with read_tx(engine) as conn:
        rows = conn.execute(q.limit(limit)).all()
    return [
        ItemSummary(
            id=r.id,
            kind=r.kind,
            title=r.resolved_question or r.question,
            audience=r.audience,
            status=ReviewStatus(r.status),
            version=int(r.current_version),
            stale=bool(r.is_stale),
            updated_at=_aware(r.updated_at),
        )
        for r in rows
    ]


def status_counts(engine: Engine) -> dict[str, int]:
    with read_tx(engine) as conn:
        rows = conn.execute(select(answers.c.status, func.count()).group_by(answers.c.status)).all()
    counts = {s.value: 0 for s in ReviewStatus}
    counts.update({str(s): int(n) for s, n in rows})
    return counts
