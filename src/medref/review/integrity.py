"""Checks that reviewed content and its history are as they were recorded.

:func:`check_item` compares, for one answer or monograph, the stored payload of a version with
the content hash stored beside it and with the hash its approval recorded in ``audit_log``, and
walks the item's audit hash chain (:mod:`medref.store.audit_chain`). Any problem means the
database was changed outside medref; :func:`medref.review.workflow.review_info` then never
presents the item as approved, and an approval is refused until someone saves a new version.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import Connection, Engine, select

from medref.errors import NotFoundError
from medref.store.audit_chain import content_hash, verify_events
from medref.store.db import read_tx
from medref.store.schema import answer_versions, answers, audit_log

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Integrity:
    """The outcome of :func:`check_item` for one version of an item."""

    item_id: str
    version: int
    content_hash: str | None = None  # of the payload as it reads now
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def version_content(conn: Connection, item_id: str, version: int) -> tuple[str | None, list[str]]:
    """(hash of the stored payload of ``version``, problems) — a problem when it no longer matches."""
    row = conn.execute(
        select(answer_versions.c.payload, answer_versions.c.content_hash).where(
            answer_versions.c.answer_id == item_id, answer_versions.c.version == version
        )
    ).first()
    if row is None:
        return None, [f"version {version} is missing"]
    actual = content_hash(row.payload)
    if row.content_hash != actual:
        return actual, [f"the text of version {version} does not match the hash stored with it"]
    return actual, []


def last_approval(events: Sequence[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    return next((e for e in reversed(events) if e["action"] == "approved"), None)


def check_item(
    conn: Connection, item_id: str, version: int, events: Sequence[Mapping[str, Any]]
) -> Integrity:
    """Check ``version`` of ``item_id`` against its audit rows ``events`` (all of them, oldest first)."""
    problems = verify_events(events)
    actual, content_problems = version_content(conn, item_id, version)
    problems += content_problems
    approval = last_approval(events)
    if approval is not None and approval["version"] == version and approval["content_hash"] != actual:
        problems.append(f"the text of version {version} is not the text that was approved")
    if problems:
        log.warning("tamper evidence: %s version %s: %s", item_id, version, "; ".join(problems))
    return Integrity(item_id, version, actual, problems)


def item_events(conn: Connection, item_id: str) -> list[Mapping[str, Any]]:
    rows = conn.execute(select(audit_log).where(audit_log.c.answer_id == item_id).order_by(audit_log.c.seq))
    return cast(list[Mapping[str, Any]], list(rows.mappings()))


def verify_item(engine: Engine, item_id: str, version: int | None = None) -> Integrity:
    """Check ``version`` (default: the current one) of an item; raises NotFoundError for no item."""
    with read_tx(engine) as conn:
        current = conn.execute(select(answers.c.current_version).where(answers.c.id == item_id)).scalar()
        if current is None:
            raise NotFoundError(f"no answer or monograph with id {item_id!r}")
        return check_item(
            conn, item_id, int(current) if version is None else version, item_events(conn, item_id)
        )


def verify_all(engine: Engine) -> dict[str, list[str]]:
    """Problems of every item's current version, by item id (items without problems are left out)."""
    with read_tx(engine) as conn:
        ids = [str(r[0]) for r in conn.execute(select(answers.c.id).order_by(answers.c.id))]
    found: dict[str, list[str]] = {}
    for item_id in ids:
        try:
            check = verify_item(engine, item_id)
        except NotFoundError:  # deleted meanwhile
            continue
        if not check.ok:
            found[item_id] = check.problems
    return found


__all__ = [
    "Integrity",
    "check_item",
    "item_events",
    "last_approval",
    "verify_all",
    "verify_item",
    "version_content",
]
