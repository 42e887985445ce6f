"""What the public sees of a reviewed item: its last approved version, checked.

A page stays published at its address through later edits: while a revised version is in
review, visitors still get the version the Medical Advisory Board approved (with a note that a
revision is under way), never the draft. The approved version is served only when the tamper
checks pass for it (:func:`medref.review.integrity.check_item`): an approval row whose version
text or history no longer matches is not an approval.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Engine, select

from medref.models import Review, ReviewStatus
from medref.review.integrity import check_item, item_events, last_approval
from medref.review.items import changed_evidence
from medref.store.db import read_tx
from medref.store.schema import answers


@dataclass(frozen=True, slots=True)
class Publication:
    version: int  # the approved version, the one the public is shown
    review: Review  # as shown on the public page (approved: by whom, when; stale)
    current: bool  # the approved version is the item's current version (no revision in review)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def publication(engine: Engine, item_id: str) -> Publication | None:
    """The published state of ``item_id``; None when no version of it was (verifiably) approved."""
    with read_tx(engine) as conn:
        row = conn.execute(
            select(answers.c.kind, answers.c.status, answers.c.current_version, answers.c.stale).where(
                answers.c.id == item_id
            )
        ).first()
        if row is None:
            return None
        events = item_events(conn, item_id)
        approval = last_approval(events)
        if approval is None or approval["version"] is None:
            return None
        version = int(approval["version"])
        if not check_item(conn, item_id, version, events).ok:
            return None
        changed = changed_evidence(conn, item_id, version)
    current = version == int(row.current_version) and row.status == ReviewStatus.APPROVED.value
    at = _aware(approval["at"])
    review = Review(
        item_id=item_id,
        item_kind=str(row.kind),
        status=ReviewStatus.APPROVED,
        version=version,
        stale=bool(changed) or (current and bool(row.stale)),
        reviewer=approval["actor"],
        approved_at=at,
        updated_at=at,
    )
    return Publication(version=version, review=review, current=current)
