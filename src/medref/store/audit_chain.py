"""Tamper evidence for reviewed content: content hashes and a hash chain through ``audit_log``.

* Every stored version of an answer or monograph carries ``answer_versions.content_hash``: the
  SHA-256 of its payload as canonical JSON (sorted keys, no spaces, UTF-8), see :func:`content_hash`.
* Every ``audit_log`` row carries the content hash of the version it names, ``prev_hash`` (the
  ``row_hash`` of the item's previous row; :data:`GENESIS` for its first) and ``row_hash``: the
  SHA-256 of ``prev_hash`` and all of the row's fields (:func:`event_hash`). The chain is per
  item, so a public page checks one item by reading only that item's rows.

An approval therefore names the exact content approved. :func:`verify_events` tells whether an
item's rows still form an unbroken chain; a payload rewritten in SQL no longer matches the hash
its approval recorded (``medref.review.workflow.review_info`` then refuses to call it approved).

The chain is not keyed: it shows that recorded history and approved content were not changed
afterwards, not who appended a row. The database role of the app should not be allowed to
change or empty ``audit_log`` (see docs/tamper-evidence.md).

All rows are appended with :func:`append_event`, inside the caller's write transaction. It locks
the item's ``answers`` row first (PostgreSQL), so two writers cannot fork an item's chain.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, insert, select

from medref.store.schema import answer_versions, answers, audit_log

GENESIS = "0" * 64


def canonical_json(value: Any) -> bytes:
    """``value`` as canonical JSON bytes: sorted keys, compact separators, UTF-8."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def content_hash(payload: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of a version's payload as canonical JSON."""
    return hashlib.sha256(canonical_json(payload)).hexdigest()


def _utc_text(at: datetime) -> str:
    aware = at if at.tzinfo is not None else at.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def event_hash(prev_hash: str, row: Mapping[str, Any]) -> str:
    """The ``row_hash`` of an audit row: SHA-256 over ``prev_hash`` and every recorded field."""
    fields = [
        prev_hash,
        row["answer_id"],
        row.get("version"),
        row["action"],
        row.get("actor"),
        row.get("from_status"),
        row.get("to_status"),
        row.get("note"),
        row.get("detail"),
        _utc_text(row["at"]),
        row.get("content_hash"),
    ]
    return hashlib.sha256(canonical_json(fields)).hexdigest()


def stored_content_hash(conn: Connection, item_id: str, version: int) -> str | None:
    return conn.execute(
        select(answer_versions.c.content_hash).where(
            answer_versions.c.answer_id == item_id, answer_versions.c.version == version
        )
    ).scalar()


def append_event(
    conn: Connection,
    item_id: str,
    version: int | None,
    action: str,
    *,
    at: datetime,
    actor: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    note: str | None = None,
    detail: dict[str, Any] | None = None,
    content_hash: str | None = None,
) -> str:
    """Append one chained row to ``audit_log``; returns its ``row_hash``.

    ``content_hash`` defaults to the stored hash of ``version`` of the item.
    """
    # the row lock keeps two writers from chaining onto the same previous row (no-op on SQLite,
    # whose write transactions are serial anyway)
    conn.execute(select(answers.c.id).where(answers.c.id == item_id).with_for_update())
    if content_hash is None and version is not None:
        content_hash = stored_content_hash(conn, item_id, version)
    prev = conn.execute(
        select(audit_log.c.row_hash)
        .where(audit_log.c.answer_id == item_id)
        .order_by(audit_log.c.seq.desc())
        .limit(1)
    ).scalar()
    row: dict[str, Any] = {
        "answer_id": item_id,
        "version": version,
        "action": action,
        "actor": actor,
        "from_status": from_status,
        "to_status": to_status,
        "note": note,
        "detail": detail,
        "at": at,
        "content_hash": content_hash,
    }
    prev_hash = prev or GENESIS
    digest = event_hash(prev_hash, row)
    conn.execute(insert(audit_log).values(**row, prev_hash=prev_hash, row_hash=digest))
    return digest


def verify_events(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Problems with one item's audit rows (oldest first); empty when the chain is intact."""
    problems: list[str] = []
    expected_prev = GENESIS
    for row in rows:
        seq = row.get("seq")
        if not row.get("row_hash"):
            problems.append(f"audit row {seq} carries no hash")
        elif row.get("prev_hash") != expected_prev:
            problems.append(
                f"audit row {seq} does not follow the row before it (a row was removed or changed)"
            )
        elif event_hash(str(row["prev_hash"]), row) != row["row_hash"]:
            problems.append(f"audit row {seq} was changed after it was written")
        expected_prev = str(row.get("row_hash") or "")
    return problems


__all__ = [
    "GENESIS",
    "append_event",
    "canonical_json",
    "content_hash",
    "event_hash",
    "stored_content_hash",
    "verify_events",
]
