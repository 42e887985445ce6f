"""SQLAlchemy 2 table models of the evidence store.

The Alembic migrations in ``medref/store/migrations`` create exactly these tables; a test
compares the two so they cannot drift apart.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Date, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


class DocumentRow(Base):
    __tablename__ = "documents"

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


documents = DocumentRow.__table__
passages = PassageRow.__table__
changes = ChangeRow.__table__
ingest_log = IngestLogRow.__table__
