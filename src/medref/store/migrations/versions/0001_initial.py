"""Evidence store: documents, passages, change log, ingest log.

Revision ID: 0001
Revises:
Create Date: 2026-11-21
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("uid", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("journal", sa.Text()),
        sa.Column("year", sa.Integer()),
        sa.Column("pub_date", sa.Date()),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("pmid", sa.String(20)),
        sa.Column("doi", sa.String(255)),
        sa.Column("spl_setid", sa.String(64)),
        sa.Column("spl_version", sa.Integer()),
        sa.Column("nct_id", sa.String(20)),
        sa.Column("publication_types", sa.JSON(), nullable=False),
        sa.Column("mesh_terms", sa.JSON(), nullable=False),
        sa.Column("language", sa.String(16)),
        sa.Column("evidence_level", sa.Integer(), nullable=False),
        sa.Column("is_current", sa.Boolean(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("meta", sa.JSON(), nullable=False),
        sa.Column("source_path", sa.Text()),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    for col in ("kind", "year", "pmid", "doi", "spl_setid", "nct_id", "is_current"):
        op.create_index(f"ix_documents_{col}", "documents", [col])
    op.create_table(
        "passages",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(220), nullable=False, unique=True),
        sa.Column(
            "document_id", sa.Integer(), sa.ForeignKey("documents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("ordinal", sa.Integer(), nullable=False),
        sa.Column("section", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("loinc", sa.String(16)),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("char_start", sa.Integer(), nullable=False),
        sa.Column("char_end", sa.Integer(), nullable=False),
        sa.Column("table_rows", sa.JSON()),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_passages_document_id", "passages", ["document_id"])
    op.create_index("ix_passages_loinc", "passages", ["loinc"])
    op.create_table(
        "passage_changes",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("passage_id", sa.Integer(), nullable=False),
        sa.Column("document_uid", sa.String(200), nullable=False),
        sa.Column("op", sa.String(3), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_passage_changes_document_uid", "passage_changes", ["document_uid"])
    op.create_table(
        "ingest_log",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("path", sa.Text(), nullable=False),
        sa.Column("format", sa.String(32)),
        sa.Column("status", sa.String(8), nullable=False),
        sa.Column("error", sa.Text()),
        sa.Column("documents", sa.Integer(), nullable=False),
        sa.Column("passages", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("ingest_log")
    op.drop_table("passage_changes")
    op.drop_table("passages")
    op.drop_table("documents")
