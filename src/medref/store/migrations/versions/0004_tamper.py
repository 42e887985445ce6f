"""Tamper evidence and sign-in throttling.

Revision ID: 0004
Revises: 0003
Create Date: 2027-01-10

* ``answer_versions.content_hash`` and ``audit_log.content_hash/prev_hash/row_hash``: the hash
  chain of :mod:`medref.store.audit_chain`. Rows already stored are hashed here, in order, as
  they read at upgrade time (the audit triggers are paused for that and put back).
* ``answer_versions`` rows can no longer be updated (a trigger), like ``audit_log`` rows.
* PostgreSQL: ``TRUNCATE audit_log`` is refused by a statement-level trigger (row triggers do not
  fire on TRUNCATE). SQLite has no TRUNCATE; its ``DELETE FROM`` fires the row triggers.
* ``login_throttle``: failed sign-ins per account name and per client address.

The hashing is imported from the package: a later change of the hash format needs its own
migration that re-hashes.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op

from medref.store.audit_chain import GENESIS, content_hash, event_hash

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

_AUDIT = "audit_log is append-only"
_VERSIONS = "answer_versions rows cannot be changed: save a new version instead"
_BATCH = 500

_versions = sa.table(
    "answer_versions",
    sa.column("id", sa.Integer),
    sa.column("answer_id", sa.String),
    sa.column("version", sa.Integer),
    sa.column("payload", sa.JSON),
    sa.column("content_hash", sa.String),
)
_audit = sa.table(
    "audit_log",
    *(
        sa.column(name, kind)
        for name, kind in (
            ("seq", sa.Integer),
            ("answer_id", sa.String),
            ("version", sa.Integer),
            ("action", sa.String),
            ("actor", sa.String),
            ("from_status", sa.String),
            ("to_status", sa.String),
            ("note", sa.Text),
            ("detail", sa.JSON),
            ("at", sa.DateTime(timezone=True)),
            ("content_hash", sa.String),
            ("prev_hash", sa.String),
            ("row_hash", sa.String),
        )
    ),
)


def _is_pg() -> bool:
    return op.get_bind().dialect.name == "postgresql"


def _sqlite_audit_triggers(create: bool) -> None:
    for event in ("UPDATE", "DELETE"):
        name = f"audit_log_no_{event.lower()}"
        if create:
            op.execute(
                f"CREATE TRIGGER {name} BEFORE {event} ON audit_log BEGIN SELECT RAISE(ABORT, '{_AUDIT}'); END"
            )
        else:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")


def _backfill() -> None:
    """Hash every stored version, then chain every audit row, item by item in ``seq`` order."""
    conn = op.get_bind()
    ids = [r[0] for r in conn.execute(sa.select(_versions.c.id).order_by(_versions.c.id))]
    hashes: dict[tuple[str, int], str] = {}
    for start in range(0, len(ids), _BATCH):
        batch = ids[start : start + _BATCH]
        rows = conn.execute(
            sa.select(_versions.c.id, _versions.c.answer_id, _versions.c.version, _versions.c.payload).where(
                _versions.c.id.in_(batch)
            )
        ).all()
        for row_id, item, version, payload in rows:
            digest = content_hash(payload)
            hashes[item, int(version)] = digest
            conn.execute(sa.update(_versions).where(_versions.c.id == row_id).values(content_hash=digest))
    previous: dict[str, str] = {}
    events = conn.execute(sa.select(_audit).order_by(_audit.c.answer_id, _audit.c.seq)).mappings().all()
    for row in events:
        item = row["answer_id"]
        fields: dict[str, Any] = dict(row)
        version = row["version"]
        fields["content_hash"] = hashes.get((item, int(version))) if version is not None else None
        prev = previous.get(item, GENESIS)
        digest = event_hash(prev, fields)
        previous[item] = digest
        conn.execute(
            sa.update(_audit)
            .where(_audit.c.seq == row["seq"])
            .values(content_hash=fields["content_hash"], prev_hash=prev, row_hash=digest)
        )


def upgrade() -> None:
    op.add_column("answer_versions", sa.Column("content_hash", sa.String(64)))
    for name in ("content_hash", "prev_hash", "row_hash"):
        op.add_column("audit_log", sa.Column(name, sa.String(64)))
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(255), primary_key=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("window_start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True)),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_login_throttle_expires_at", "login_throttle", ["expires_at"])

    if _is_pg():
        op.execute("ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only")
        _backfill()
        op.execute("ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only")
        op.execute(
            "CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log "
            "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
        )
        op.execute(
            "CREATE FUNCTION answer_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN RAISE EXCEPTION '{_VERSIONS}'; END $$"
        )
        op.execute(
            "CREATE TRIGGER answer_versions_no_update BEFORE UPDATE ON answer_versions "
            "FOR EACH ROW EXECUTE FUNCTION answer_versions_immutable()"
        )
    else:
        _sqlite_audit_triggers(create=False)
        _backfill()
        _sqlite_audit_triggers(create=True)
        op.execute(
            "CREATE TRIGGER answer_versions_no_update BEFORE UPDATE ON answer_versions "
            f"BEGIN SELECT RAISE(ABORT, '{_VERSIONS}'); END"
        )


def downgrade() -> None:
    if _is_pg():
        op.execute("DROP TRIGGER IF EXISTS answer_versions_no_update ON answer_versions")
        op.execute("DROP FUNCTION IF EXISTS answer_versions_immutable()")
        op.execute("DROP TRIGGER IF EXISTS audit_log_no_truncate ON audit_log")
        for name in ("content_hash", "prev_hash", "row_hash"):
            op.drop_column("audit_log", name)
        op.drop_column("answer_versions", "content_hash")
    else:  # SQLite >= 3.35 drops a plain column in place (a batch copy would lose the triggers)
        op.execute("DROP TRIGGER IF EXISTS answer_versions_no_update")
        for name in ("content_hash", "prev_hash", "row_hash"):
            op.execute(f"ALTER TABLE audit_log DROP COLUMN {name}")
        op.execute("ALTER TABLE answer_versions DROP COLUMN content_hash")
    op.drop_index("ix_login_throttle_expires_at", table_name="login_throttle")
    op.drop_table("login_throttle")
