"""SQLAlchemy 2 table models of the evidence store.

The Alembic migrations in ``medref/store/migrations`` create exactly these tables; a test
compares the two so they cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DocumentRow(Base):
    __tablename__ = "documents"
    __table_args__ = ({"sqlite_autoincrement": True},)  # ids are never reused after a delete

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    uid: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    kind: Mapped[str] = mapped_column(String(32), index=True, nullable=False)
    title: Mapped[str] = mapped_column(Text, nullable=False)
    journal: Mapped[str | None] = mapped_column(Text)
    year: Mapped[int | None] = mapped_column(Integer, index=True)
    pub_date: Mapped[date | None] = mapped_column(Date)
    authors: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    pmid: Mapped[str | None] = mapped_column(String(20), index=True)
    doi: Mapped[str | None] = mapped_column(String(255), index=True)
    spl_setid: Mapped[str | None] = mapped_column(String(64), index=True)
    spl_version: Mapped[int | None] = mapped_column(Integer)
    nct_id: Mapped[str | None] = mapped_column(String(20), index=True)
    publication_types: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    mesh_terms: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)
    language: Mapped[str | None] = mapped_column(String(16))
    evidence_level: Mapped[int] = mapped_column(Integer, nullable=False)
    is_current: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True, index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    meta: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False, default=dict)
    source_path: Mapped[str | None] = mapped_column(Text)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class PassageRow(Base):
    __tablename__ = "passages"
    __table_args__ = ({"sqlite_autoincrement": True},)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(220), unique=True, nullable=False)
    document_id: Mapped[int] = mapped_column(
        ForeignKey("documents.id", ondelete="CASCADE"), index=True, nullable=False
    )
    ordinal: Mapped[int] = mapped_column(Integer, nullable=False)
    section: Mapped[str] = mapped_column(Text, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="text")
    loinc: Mapped[str | None] = mapped_column(String(16), index=True)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    char_start: Mapped[int] = mapped_column(Integer, nullable=False)
    char_end: Mapped[int] = mapped_column(Integer, nullable=False)
    table_rows: Mapped[list[list[str]] | None] = mapped_column(JSON)


class ChangeRow(Base):
    """Append-only log of passage additions/removals; indexes replay it to stay in sync."""

    __tablename__ = "passage_changes"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    passage_id: Mapped[int] = mapped_column(Integer, nullable=False)
    document_uid: Mapped[str] = mapped_column(String(200), index=True, nullable=False)
    op: Mapped[str] = mapped_column(String(3), nullable=False)  # 'add' or 'del'
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class IngestLogRow(Base):
    """One row per ingested file: what happened, for `medref stats` and auditing."""

    __tablename__ = "ingest_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    path: Mapped[str] = mapped_column(Text, nullable=False)
    format: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(8), nullable=False)  # 'ok' or 'error'
    error: Mapped[str | None] = mapped_column(Text)
    documents: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    passages: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


documents = cast(Table, DocumentRow.__table__)
passages = cast(Table, PassageRow.__table__)
changes = cast(Table, ChangeRow.__table__)
ingest_log = cast(Table, IngestLogRow.__table__)


# --------------------------------------------------------------------------- answers
# Stored answers (and, later, monographs) with every version, the evidence each version cites
# and an append-only audit log, laid out for the review workflow:
#   * ``answers.status`` walks draft -> submitted -> under_review -> approved / changes_requested /
#     rejected; ``answers.lock_version`` grows on every update of the row (optimistic locking).
#   * every edit is a new ``answer_versions`` row holding the whole payload (versions compare by
#     payload); ``answers.current_version`` names the newest one.
#   * ``answer_evidence`` snapshots, per version, the content hash of each cited document, so a
#     changed or deleted document marks the answers that cite it stale.
# Ids of threads and answers are UUID strings (they appear in URLs and in exported JSON).


class ThreadRow(Base):
    """A conversation: answers asked one after another, follow-ups resolved against it."""

    __tablename__ = "threads"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entities: Mapped[list[str]] = mapped_column(JSON, nullable=False, default=list)  # most recent first
    last_answer_id: Mapped[str | None] = mapped_column(String(36))  # no FK: threads <-> answers cycle
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)


class AnswerRow(Base):
    """One reviewable item (kind 'answer'; 'monograph' later); its content lives in versions."""

    __tablename__ = "answers"
    __table_args__ = (UniqueConstraint("thread_id", "position", name="uq_answers_thread_position"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), nullable=False, default="answer", index=True)
    thread_id: Mapped[str | None] = mapped_column(ForeignKey("threads.id"), index=True)  # None: monographs
    position: Mapped[int | None] = mapped_column(Integer)  # 1-based order within the thread
    question: Mapped[str] = mapped_column(Text, nullable=False)  # as asked
    resolved_question: Mapped[str | None] = mapped_column(Text)  # a follow-up rewritten
    normalized_question: Mapped[str] = mapped_column(Text, nullable=False)  # of what was answered
    audience: Mapped[str] = mapped_column(String(16), nullable=False)
    current_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    status: Mapped[str] = mapped_column(String(24), nullable=False, default="draft", index=True)
    stale: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False, index=True)
    stale_since: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    lock_version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    slug: Mapped[str | None] = mapped_column(String(200), unique=True, index=True)  # public /pages/<slug>


class AnswerVersionRow(Base):
    """Every version of an answer, whole: ``payload`` is ``Answer.model_dump(mode="json")``."""

    __tablename__ = "answer_versions"
    __table_args__ = (
        UniqueConstraint("answer_id", "version", name="uq_answer_versions_answer_version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(
        ForeignKey("answers.id", ondelete="CASCADE"), nullable=False, index=True
    )
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    created_by: Mapped[str | None] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    # sha256 of the payload as canonical JSON (medref.store.audit_chain); rows are never updated
    content_hash: Mapped[str | None] = mapped_column(String(64))


class AnswerEvidenceRow(Base):
    """A document (and passage) a version cites, with the document's state when it was cited."""

    __tablename__ = "answer_evidence"
    __table_args__ = (
        Index("ix_answer_evidence_answer_version", "answer_id", "version"),
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(ForeignKey("answers.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    ref_number: Mapped[int | None] = mapped_column(Integer)  # the [n] it is printed as
    doc_uid: Mapped[str] = mapped_column(String(200), nullable=False, index=True)
    passage_key: Mapped[str | None] = mapped_column(String(220))  # None: the document as a whole
    content_hash: Mapped[str | None] = mapped_column(String(64))  # None: not in the store then
    doc_is_current: Mapped[bool | None] = mapped_column(Boolean)  # label version current then


class AuditRow(Base):
    """Append-only log of what happened to answers (created, new version, stale, reviews ...)."""

    __tablename__ = "audit_log"
    __table_args__ = ({"sqlite_autoincrement": True},)

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    answer_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)  # no FK: outlives rows
    version: Mapped[int | None] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str | None] = mapped_column(String(200))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    note: Mapped[str | None] = mapped_column(Text)
    detail: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    # tamper evidence (medref.store.audit_chain): the named version's content hash and a
    # per-item hash chain (prev_hash = the item's previous row_hash)
    content_hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    row_hash: Mapped[str | None] = mapped_column(String(64))


threads = cast(Table, ThreadRow.__table__)
answers = cast(Table, AnswerRow.__table__)
answer_versions = cast(Table, AnswerVersionRow.__table__)
answer_evidence = cast(Table, AnswerEvidenceRow.__table__)
audit_log = cast(Table, AuditRow.__table__)


# --------------------------------------------------------------------------- accounts
# Editorial accounts for the review workflow (medref.review.users) and their server-side web
# sessions (medref.review.sessions). A session row is what a signed cookie points at: logging out,
# logging in again (the id is rotated) or expiry deletes it, so an old cookie stops working.


class UserRow(Base):
    """An editor, reviewer (Medical Advisory Board) or admin; the password as an argon2id hash."""

    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)  # lower-cased
    password_hash: Mapped[str] = mapped_column(Text, nullable=False)  # argon2id, PHC string
    role: Mapped[str] = mapped_column(String(16), nullable=False)  # editor / reviewer / admin
    # unused since migration 0004: sign-in throttling lives in login_throttle
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    last_login_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    display_name: Mapped[str | None] = mapped_column(String(120))  # shown on public pages, not the login
    credentials: Mapped[str | None] = mapped_column(String(120))  # "MD", "PharmD"


class SessionRow(Base):
    """A signed-in browser; ``id`` is the SHA-256 of the cookie's token (the token is never stored)."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(
        ForeignKey("users.username", ondelete="CASCADE"), nullable=False, index=True
    )
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)  # per session
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    last_seen_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)


class LoginThrottleRow(Base):
    """Failed sign-ins per account name (``account:<name>``) or client address (``client:<addr>``).

    See :mod:`medref.review.throttle`; it supersedes ``users.failed_attempts``/``locked_until``.
    """

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)  # password checks counted
    window_start: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
    locked_until: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False, index=True)


users = cast(Table, UserRow.__table__)
sessions = cast(Table, SessionRow.__table__)
login_throttle = cast(Table, LoginThrottleRow.__table__)
