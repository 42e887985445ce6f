"""Stored answers: every version, the evidence each version cites, threads, staleness.

Layout (see :mod:`medref.store.schema`): an ``answers`` row carries the workflow fields
(status, stale flag, current version, ``lock_version``); each version's whole
:class:`~medref.models.Answer` is an ``answer_versions`` row (``model_dump(mode="json")``, read
back unchanged); ``answer_evidence`` records, per version, each cited document and passage with
the document's content hash and label currency at that time; ``audit_log`` is append-only.

Rules kept here:

* every write is one transaction (:func:`medref.store.db.write_tx`);
* :meth:`AnswerStore.add_version` is optimistic: it succeeds only when ``expected_version`` is
  still the current version (a compare-and-set UPDATE under a row lock), else it raises
  :class:`ConflictError` and writes nothing. ``lock_version`` grows on every update of the row
  (new version, stale flag), for status changes to compare-and-set on the same way;
* ``threads.entities`` lists the preferred names of the key entities seen in a thread, most
  recent first (an entity named again moves to the front); ``entities[0]`` is the one a
  follow-up question is resolved against (:func:`medref.compose.threads.resolve_followup`);
* an answer is stale when a document its *current* version cites has changed (another content
  hash), was deleted, or was a current label version and has been superseded. A new version
  snapshots the corpus afresh, so it clears the stale flag. Status is left alone by edits:
  moving it is the review workflow's job.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine, and_, exists, func, insert, or_, select, update

from medref.errors import NotFoundError, StoreError
from medref.models import Answer
from medref.store.audit_chain import append_event, content_hash
from medref.store.db import make_engine, read_tx, write_tx
from medref.store.migrate import ensure_schema
from medref.store.schema import answer_evidence, answer_versions, answers, audit_log, documents, threads

KIND_ANSWER = "answer"
STATUSES = ("draft", "submitted", "under_review", "approved", "changes_requested", "rejected")
MAX_THREAD_ENTITIES = 50
_IN_BATCH = 500
_PAGE = 500
_WORD = re.compile(r"[^\W_]+")


class ConflictError(StoreError):
    """Someone saved a newer version first; nothing was written (reload and re-apply)."""

    def __init__(self, answer_id: str, expected: int, current: int) -> None:
        self.answer_id, self.expected, self.current = answer_id, expected, current
        super().__init__(
            f"answer {answer_id} is at version {current}, not {expected}: a newer version was saved "
            "meanwhile; reload it and apply your changes again"
        )


class VersionInfo(NamedTuple):
    version: int
    created_at: datetime
    created_by: str | None
    note: str | None


@dataclass(frozen=True)
class ThreadInfo:
    id: str
    entities: list[str]  # preferred names, most recent first
    answers: list[tuple[str, str]]  # (answer id, question as asked), in the order asked
    created_at: datetime | None = None
    updated_at: datetime | None = None


@dataclass(frozen=True)
class AnswerInfo:
    """The workflow fields of a stored answer (its content is in :meth:`AnswerStore.get`)."""

    id: str
    kind: str
    thread_id: str | None
    status: str
    stale: bool
    current_version: int
    lock_version: int
    created_at: datetime
    updated_at: datetime
    stale_since: datetime | None


def normalize_for_match(text: str) -> str:
    """Case-folded words of a question joined by single spaces (``answers.normalized_question``)."""
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", text or "").casefold()))


def merge_entities(old: Sequence[str], new: Sequence[str], *, limit: int = MAX_THREAD_ENTITIES) -> list[str]:
    """``new`` first (in its order), then ``old``; duplicates dropped case-insensitively."""
    out: dict[str, str] = {}
    for name in (*new, *old):
        name = " ".join(str(name).split())
        if name and name.casefold() not in out:
            out[name.casefold()] = name
    return list(out.values())[:limit]


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _chunks(items: Sequence[str], size: int = _IN_BATCH) -> Iterable[Sequence[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _evidence_of(answer: Answer) -> list[tuple[int | None, str, str | None]]:
    """(reference number, document uid, passage key or None) cited by the answer, first seen wins."""
    seen: dict[tuple[str, str | None], int | None] = {}
    for ref in answer.references:
        pids: list[str | None] = list(ref.passage_ids) or [None]
        for pid in pids:
            seen.setdefault((ref.document.uid, pid), ref.number)
    for sentence in answer.sentences():
        for span in sentence.spans:
            seen.setdefault((span.doc_uid, span.passage_id), span.number)
    return [(number, uid, pid) for (uid, pid), number in seen.items()]


_E, _D = answer_evidence, documents
# evidence row whose document is no longer what it was when cited (LEFT JOIN documents)
_CHANGED = or_(
    _D.c.content_hash.is_distinct_from(_E.c.content_hash),
    and_(_E.c.doc_is_current.is_(True), _D.c.is_current.is_not(True)),
)
_CURRENT_EVIDENCE = (
    select(_E.c.answer_id, _E.c.version, _E.c.doc_uid)
    .join(answers, and_(answers.c.id == _E.c.answer_id, answers.c.current_version == _E.c.version))
    .outerjoin(_D, _D.c.uid == _E.c.doc_uid)
)


class AnswerStore:
    """Answers, their versions, evidence, threads and audit log over one engine."""

    def __init__(self, engine: Engine, *, migrate: bool = True) -> None:
        self.engine = engine
        if migrate:
            ensure_schema(engine)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> AnswerStore:
        return cls(make_engine(url), migrate=migrate)

    def close(self) -> None:
        self.engine.dispose()

    # ------------------------------------------------------------------ writes
    def save_new(
        self, answer: Answer, *, thread_id: str | None = None, created_by: str | None = None
    ) -> Answer:
        """Store ``answer`` as version 1 of a new answer and return it as stored.

        It gets a fresh id, version 1 and the store's timestamps (whatever ``answer`` carried);
        it joins ``thread_id`` (else ``answer.thread_id``; else a new thread is started) and
        adds its ``key_entities`` to the thread's. An unknown thread raises :class:`NotFoundError`.
        """
        now = _now()
        answer_id = str(uuid.uuid4())
        wanted_thread = thread_id or answer.thread_id
        with write_tx(self.engine) as conn:
            if wanted_thread is None:
                tid = str(uuid.uuid4())
                conn.execute(insert(threads).values(id=tid, entities=[], created_at=now, updated_at=now))
                old_entities: list[str] = []
            else:
                tid = wanted_thread
                row = conn.execute(
                    select(threads.c.entities).where(threads.c.id == tid).with_for_update()
                ).first()
                if row is None:
                    raise NotFoundError(f"no thread with id {tid!r}")
                old_entities = list(row.entities or [])
            position = conn.execute(
                select(func.coalesce(func.max(answers.c.position), 0)).where(answers.c.thread_id == tid)
            ).scalar_one()
            stored = self._canonical(
                answer, answer_id=answer_id, thread_id=tid, version=1, created=now, now=now
            )
            conn.execute(
                insert(answers).values(
                    id=answer_id,
                    kind=KIND_ANSWER,
                    thread_id=tid,
                    position=int(position) + 1,
                    current_version=1,
                    status=STATUSES[0],
                    stale=False,
                    stale_since=None,
                    lock_version=1,
                    created_at=now,
                    **self._question_fields(stored, now),
                )
            )
            self._write_version(conn, stored, now=now, created_by=created_by, note=None)
            conn.execute(
                update(threads)
                .where(threads.c.id == tid)
                .values(
                    entities=merge_entities(old_entities, stored.key_entities),
                    last_answer_id=answer_id,
                    updated_at=now,
                )
            )
            self._audit(conn, answer_id, 1, "created", actor=created_by, to_status=STATUSES[0], at=now)
        return stored

    def add_version(
        self,
        answer_id: str,
        answer: Answer,
        *,
        expected_version: int,
        created_by: str | None = None,
        note: str | None = None,
    ) -> Answer:
        """Store ``answer`` as the next version of ``answer_id``; returns it as stored.

        Raises :class:`ConflictError` (writing nothing) when ``expected_version`` is not the
        current version, :class:`NotFoundError` when there is no such answer. Id, thread and
        creation time are kept from the stored answer; the thread's entities are not changed.
        """
        now = _now()
        with write_tx(self.engine) as conn:
            row = conn.execute(
                select(answers.c.current_version, answers.c.thread_id)
                .where(answers.c.id == answer_id, answers.c.kind == KIND_ANSWER)
                .with_for_update()
            ).first()
            if row is None:
                raise NotFoundError(f"no answer with id {answer_id!r}")
            current = int(row.current_version)
            if current != expected_version:
                raise ConflictError(answer_id, expected_version, current)
            previous = conn.execute(
                select(answer_versions.c.payload).where(
                    answer_versions.c.answer_id == answer_id, answer_versions.c.version == current
                )
            ).scalar_one()
            created = datetime.fromisoformat(previous["created_at"]) if previous.get("created_at") else now
            version = current + 1
            stored = self._canonical(
                answer,
                answer_id=answer_id,
                thread_id=row.thread_id,
                version=version,
                created=created,
                now=now,
            )
            done = conn.execute(
                update(answers)
                .where(answers.c.id == answer_id, answers.c.current_version == expected_version)
                .values(
                    current_version=version,
                    lock_version=answers.c.lock_version + 1,
                    stale=False,
                    stale_since=None,
                    **self._question_fields(stored, now),
                )
            )
            if done.rowcount != 1:  # lost a race the row lock did not prevent
                raise ConflictError(answer_id, expected_version, current + 1)
            self._write_version(conn, stored, now=now, created_by=created_by, note=note)
            self._audit(conn, answer_id, version, "version_added", actor=created_by, note=note, at=now)
        return stored

    def mark_stale_for_documents(self, doc_uids: Iterable[str]) -> int:
        """Flag the answers whose current version cites one of ``doc_uids`` that has changed.

        Returns how many answers were newly flagged (already stale ones are not counted).
        """
        uids = sorted({u for u in doc_uids if u})
        return self._mark_stale(uids) if uids else 0

    def refresh_stale(self) -> int:
        """Check every answer against the corpus and flag the stale ones; returns how many were new."""
        return self._mark_stale(None)

    # ------------------------------------------------------------------ reads
    def get(self, answer_id: str, version: int | None = None) -> Answer:
        """The answer as stored: its current version, or ``version``."""
        with read_tx(self.engine) as conn:
            current = conn.execute(
                select(answers.c.current_version).where(
                    answers.c.id == answer_id, answers.c.kind == KIND_ANSWER
                )
            ).scalar()
            if current is None:
                raise NotFoundError(f"no answer with id {answer_id!r}")
            wanted = int(current) if version is None else version
            payload = conn.execute(
                select(answer_versions.c.payload).where(
                    answer_versions.c.answer_id == answer_id, answer_versions.c.version == wanted
                )
            ).scalar()
        if payload is None:
            raise NotFoundError(f"answer {answer_id!r} has no version {wanted} (current: {current})")
        return Answer.model_validate(payload)

    def info(self, answer_id: str) -> AnswerInfo:
        with read_tx(self.engine) as conn:
            r = conn.execute(select(answers).where(answers.c.id == answer_id)).mappings().first()
        if r is None:
            raise NotFoundError(f"no answer with id {answer_id!r}")
        return AnswerInfo(
            id=r["id"],
            kind=r["kind"],
            thread_id=r["thread_id"],
            status=r["status"],
            stale=bool(r["stale"]),
            current_version=int(r["current_version"]),
            lock_version=int(r["lock_version"]),
            created_at=_aware(r["created_at"]),
            updated_at=_aware(r["updated_at"]),
            stale_since=_aware(r["stale_since"]) if r["stale_since"] is not None else None,
        )

    def versions(self, answer_id: str) -> list[VersionInfo]:
        """(version, created_at, created_by, note) of every version, oldest first."""
        with read_tx(self.engine) as conn:
            if conn.execute(select(answers.c.id).where(answers.c.id == answer_id)).first() is None:
                raise NotFoundError(f"no answer with id {answer_id!r}")
            rows = conn.execute(
                select(
                    answer_versions.c.version,
                    answer_versions.c.created_at,
                    answer_versions.c.created_by,
                    answer_versions.c.note,
                )
                .where(answer_versions.c.answer_id == answer_id)
                .order_by(answer_versions.c.version)
            ).all()
        return [VersionInfo(int(r[0]), _aware(r[1]), r[2], r[3]) for r in rows]

    def history(self, answer_id: str) -> list[dict[str, Any]]:
        """The audit log of one answer, oldest first (one dict per ``audit_log`` row)."""
        with read_tx(self.engine) as conn:
            rows = conn.execute(
                select(audit_log).where(audit_log.c.answer_id == answer_id).order_by(audit_log.c.seq)
            ).mappings()
            return [{**r, "at": _aware(r["at"])} for r in rows]

    def thread(self, thread_id: str) -> ThreadInfo:
        with read_tx(self.engine) as conn:
            row = conn.execute(select(threads).where(threads.c.id == thread_id)).mappings().first()
            if row is None:
                raise NotFoundError(f"no thread with id {thread_id!r}")
            asked = conn.execute(
                select(answers.c.id, answers.c.question)
                .where(answers.c.thread_id == thread_id)
                .order_by(answers.c.position)
            ).all()
        return ThreadInfo(
            id=row["id"],
            entities=list(row["entities"] or []),
            answers=[(str(a), str(q)) for a, q in asked],
            created_at=_aware(row["created_at"]),
            updated_at=_aware(row["updated_at"]),
        )

    def recent_questions(self, limit: int = 100, *, published_only: bool = False) -> list[str]:
        """Distinct answered questions, newest first (a follow-up as resolved, so it stands alone).

        ``published_only``: only questions whose page reviewers approved (what the public may see;
        visitors' own questions are never suggested to other visitors).
        """
        out: list[str] = []
        seen: set[str] = set()
        offset = 0
        q = (
            select(answers.c.question, answers.c.resolved_question, answers.c.normalized_question)
            .where(answers.c.kind == KIND_ANSWER)
            .order_by(answers.c.created_at.desc(), answers.c.id)
        )
        if published_only:
            q = q.where(answers.c.status == "approved")
        with read_tx(self.engine) as conn:
            while len(out) < limit:
                rows = conn.execute(q.limit(_PAGE).offset(offset)).all()
                for question, resolved, normalized in rows:
                    if normalized and normalized not in seen:
                        seen.add(normalized)
                        out.append(resolved or question)
                        if len(out) >= limit:
                            break
                if len(rows) < _PAGE:
                    break
                offset += _PAGE
        return out

    def stale_answers(self) -> list[str]:
        """Ids of the answers that are flagged stale or whose current evidence has changed."""
        changed = exists(
            select(_E.c.id)
            .outerjoin(_D, _D.c.uid == _E.c.doc_uid)
            .where(_E.c.answer_id == answers.c.id, _E.c.version == answers.c.current_version, _CHANGED)
        )
        with read_tx(self.engine) as conn:
            rows = conn.execute(
                select(answers.c.id)
                .where(answers.c.kind == KIND_ANSWER, or_(answers.c.stale.is_(True), changed))
                .order_by(answers.c.created_at, answers.c.id)
            ).all()
        return [str(r[0]) for r in rows]

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _canonical(
        answer: Answer,
        *,
        answer_id: str,
        thread_id: str | None,
        version: int,
        created: datetime,
        now: datetime,
    ) -> Answer:
        """The answer exactly as it will read back from its JSON payload."""
        data = answer.model_dump(mode="json")
        data.update(
            id=answer_id,
            thread_id=thread_id,
            version=version,
            created_at=created.isoformat(),
            updated_at=now.isoformat(),
        )
        return Answer.model_validate(Answer.model_validate(data).model_dump(mode="json"))

    @staticmethod
    def _question_fields(stored: Answer, now: datetime) -> dict[str, Any]:
        normalized = normalize_for_match(stored.resolved_question or stored.question)
        return {
            "question": stored.question,
            "resolved_question": stored.resolved_question,
            "normalized_question": normalized,
            "audience": stored.audience.value,
            "updated_at": now,
        }

    def _write_version(
        self, conn: Connection, stored: Answer, *, now: datetime, created_by: str | None, note: str | None
    ) -> None:
        assert stored.id is not None
        write_version(
            conn,
            item_id=stored.id,
            version=stored.version,
            payload=stored.model_dump(mode="json"),
            cited=_evidence_of(stored),
            now=now,
            created_by=created_by,
            note=note,
        )

    def _mark_stale(self, uids: list[str] | None) -> int:
        base = _CURRENT_EVIDENCE.where(answers.c.stale.is_(False), _CHANGED)
        queries = [base] if uids is None else [base.where(_E.c.doc_uid.in_(b)) for b in _chunks(uids)]
        now = _now()
        flagged = 0
        with write_tx(self.engine) as conn:
            found: dict[tuple[str, int], set[str]] = {}
            for q in queries:
                for aid, version, uid in conn.execute(q):
                    found.setdefault((aid, int(version)), set()).add(uid)
            for aid, version in sorted(found):
                done = conn.execute(  # only if no newer version was saved meanwhile
                    update(answers)
                    .where(
                        answers.c.id == aid, answers.c.current_version == version, answers.c.stale.is_(False)
                    )
                    .values(stale=True, stale_since=now, lock_version=answers.c.lock_version + 1)
                )
                if done.rowcount == 1:
                    flagged += 1
                    detail = {"documents": sorted(found[aid, version])}
                    self._audit(conn, aid, version, "marked_stale", at=now, detail=detail)
        return flagged

    @staticmethod
    def _audit(conn: Connection, answer_id: str, version: int | None, action: str, **fields: Any) -> None:
        """Append one chained row to the audit log (``fields``: at, actor, from/to_status, note, detail)."""
        append_event(conn, answer_id, version, action, **fields)


def write_version(
    conn: Connection,
    *,
    item_id: str,
    version: int,
    payload: dict[str, Any],
    cited: Sequence[tuple[int | None, str, str | None]],
    now: datetime,
    created_by: str | None,
    note: str | None,
) -> str:
    """Store one version of an answer or monograph with the evidence it cites; returns its content hash.

    ``cited`` is (reference number, document uid, passage key); each document's current content
    hash and label currency are recorded so a later corpus change marks the item stale. The
    version's own hash (:func:`medref.store.audit_chain.content_hash`) is stored with it.
    """
    digest = content_hash(payload)
    conn.execute(
        insert(answer_versions).values(
            answer_id=item_id,
            version=version,
            payload=payload,
            created_at=now,
            created_by=created_by,
            note=note,
            content_hash=digest,
        )
    )
    if not cited:
        return digest
    state: dict[str, tuple[str | None, bool | None]] = {}
    for batch in _chunks(sorted({uid for _, uid, _ in cited})):
        q = select(_D.c.uid, _D.c.content_hash, _D.c.is_current).where(_D.c.uid.in_(batch))
        state.update((uid, (digest, bool(current))) for uid, digest, current in conn.execute(q))
    rows = []
    for number, uid, pid in cited:
        doc_hash, current = state.get(uid, (None, None))  # not in the store: recorded as unknown
        rows.append(
            {
                "answer_id": item_id,
                "version": version,
                "ref_number": number,
                "doc_uid": uid,
                "passage_key": pid,
                "content_hash": doc_hash,
                "doc_is_current": current,
            }
        )
    conn.execute(insert(answer_evidence), rows)
    return digest
