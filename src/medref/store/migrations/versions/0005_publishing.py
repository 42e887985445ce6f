"""Publishing: stable page slugs and reviewer profiles.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02

* ``answers.slug``: the stable public address of an approved page (``/pages/<slug>``), unique
  when set; NULL until the page is first approved.
* ``users.display_name`` and ``users.credentials``: how a reviewer is named on public pages
  ("Dr. A. Rivera, PharmD"); the login name is never shown.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("answers") as batch:
        batch.add_column(sa.Column("slug", sa.String(200), nullable=True))
        batch.create_index("ix_answers_slug", ["slug"], unique=True)
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("display_name", sa.String(120), nullable=True))
        batch.add_column(sa.Column("credentials", sa.String(120), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("credentials")
        batch.drop_column("display_name")
    with op.batch_alter_table("answers") as batch:
        batch.drop_index("ix_answers_slug")
        batch.drop_column("slug")
