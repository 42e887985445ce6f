"""Answers: threads, answers, answer versions, answer evidence, audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "threads",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("entities", sa.JSON(), nullable=False),
        sa.Column("last_answer_id", sa.String(36)),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "answers",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("thread_id", sa.String(36), sa.ForeignKey("threads.id")),
        sa.Column("position", sa.Integer()),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column("resolved_question", sa.Text()),
        sa.Column("normalized_question", sa.Text(), nullable=False),
        sa.Column("audience", sa.String(16), nullable=False),
        sa.Column("current_version", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(24), nullable=False),
        sa.Column("stale", sa.Boolean(), nullable=False),
        sa.Column("stale_since", sa.DateTime(timezone=True)),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("thread_id", "position", name="uq_answers_thread_position"),
    )
    for col in ("kind", "thread_id", "status", "stale", "created_at"):
        op.create_index(f"ix_answers_{col}", "answers", [col])
    op.create_table(
        "answer_versions",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "answer_id", sa.String(36), sa.ForeignKey("answers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_by", sa.String(200)),
        sa.Column("note", sa.Text()),
        sa.UniqueConstraint("answer_id", "version", name="uq_answer_versions_answer_version"),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_answer_versions_answer_id", "answer_versions", ["answer_id"])
    op.create_table(
        "answer_evidence",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "answer_id", sa.String(36), sa.ForeignKey("answers.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ref_number", sa.Integer()),
        sa.Column("doc_uid", sa.String(200), nullable=False),
        sa.Column("passage_key", sa.String(220)),
        sa.Column("content_hash", sa.String(64)),
        sa.Column("doc_is_current", sa.Boolean()),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_answer_evidence_doc_uid", "answer_evidence", ["doc_uid"])
    op.create_index("ix_answer_evidence_answer_version", "answer_evidence", ["answer_id", "version"])
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("answer_id", sa.String(36), nullable=False),
        sa.Column("version", sa.Integer()),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200)),
        sa.Column("from_status", sa.String(24)),
        sa.Column("to_status", sa.String(24)),
        sa.Column("note", sa.Text()),
        sa.Column("detail", sa.JSON()),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sqlite_autoincrement=True,
    )
    op.create_index("ix_audit_log_answer_id", "audit_log", ["answer_id"])


def downgrade() -> None:
    op.drop_table("audit_log")
    op.drop_table("answer_evidence")
    op.drop_table("answer_versions")
    op.drop_table("answers")
    op.drop_table("threads")
