"""Drug monographs in the editorial workflow: drafts, the published version, and what made one stale.

A monograph item (kind ``'monograph'``, :mod:`medref.review.items`) holds one drug for one
audience. :func:`open_draft` stores a generated monograph as a draft, or returns the item already
open for that drug and audience (any status but rejected), so there are never two.
:func:`published_monograph` is what the public page serves: the stored version, only while it is
approved and is the item's current version.

A version is stale (:func:`monograph_changes`) when, since it was generated:

* a newer version of the label set it was written from is stored (whether or not the version it
  cites is still stored unchanged);
* a document naming the drug was added (new evidence: any record outside that label set);
* a document it cites changed, was deleted or was superseded
  (:func:`~medref.review.items.changed_evidence`).

"Generated" is when the version's content last came from the builder: version 1, or the newest
regenerated version; an edited version keeps the time of the one it was edited from.
:func:`flag_changed_monographs` marks stale items in the store (``answers.stale`` and a
``marked_stale`` audit row naming why); :func:`medref.review.stale.refresh_stale` runs it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import Connection, Engine, func, or_, select, update

from medref.errors import NotFoundError
from medref.models import Audience, Monograph, Review
from medref.monograph.labeldiff import label_diff
from medref.monograph.labeldiff_model import LabelDiff
from medref.review.items import (
    KIND_MONOGRAPH,
    changed_evidence,
    get_item,
    monograph_item_ids,
    open_monograph_item,
)
from medref.review.users import User
from medref.review.workflow import EDIT_ROLES, require, review_info
from medref.store.audit_chain import append_event
from medref.store.db import read_tx, write_tx
from medref.store.repository import Store
from medref.store.schema import answer_versions, answers, changes, documents
from medref.store.staging import live

REGENERATED = "regenerated"  # how the note of a regenerated version starts
_MIN_NAME = 4  # shorter names match inside too many words to count as a mention


@dataclass(frozen=True)
class MonographChanges:
    """What changed in the corpus since a monograph version was generated."""

    item_id: str
    version: int
    drug: str
    setid: str | None = None
    cited_label: int | None = None
    newest_label: int | None = None
    new_documents: tuple[str, ...] = ()
    changed_documents: tuple[str, ...] = ()
    generated_at: datetime | None = None
    names: tuple[str, ...] = ()

    @property
    def newer_label(self) -> bool:
        return (
            self.cited_label is not None
            and self.newest_label is not None
            and self.newest_label > self.cited_label
        )

    @property
    def stale(self) -> bool:
        return self.newer_label or bool(self.new_documents) or bool(self.changed_documents)

    def reasons(self) -> list[str]:
        """Why it is due for another review, in plain words (empty when it is not)."""
        out: list[str] = []
        if self.newer_label:
            out.append(
                f"version {self.newest_label} of the label is stored; this monograph was written "
                f"from version {self.cited_label}"
            )
        if self.new_documents:
            n = len(self.new_documents)
            out.append(
                f"{n} new document{'s' if n != 1 else ''} naming {self.drug}: {', '.join(self.new_documents)}"
            )
        if self.changed_documents:
            out.append(
                "cited documents changed, were removed or were superseded: "
                + ", ".join(self.changed_documents)
            )
        return out

    def detail(self) -> dict[str, object]:
        """The audit detail of a ``marked_stale`` row."""
        return {
            "label": {"setid": self.setid, "cited": self.cited_label, "newest": self.newest_label}
            if self.newer_label
            else None,
            "new_documents": list(self.new_documents),
            "documents": list(self.changed_documents),
        }


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


# ------------------------------------------------------------------ drafts and the published version
def open_draft(engine: Engine, monograph: Monograph, *, actor: User) -> tuple[Monograph, bool]:
    """Store a generated ``monograph`` for review, or find the item open for its drug and audience.

    Returns (the item's current version as stored, created now). Editors and reviewers only.
    """
    require(actor, EDIT_ROLES, "create a monograph draft")
    fresh = monograph.model_copy(update={"id": None, "version": 1, "created_at": None, "updated_at": None})
    return open_monograph_item(engine, fresh, created_by=actor.username)


def open_item_id(engine: Engine, drug: str, audience: Audience) -> str | None:
    """The item open for ``drug`` (its preferred name) and ``audience`` (not rejected), if any."""
    for item_id in monograph_item_ids(engine, drug, audience.value):
        if review_info(engine, item_id).status.value != "rejected":
            return item_id
    return None


def published_monograph(engine: Engine, drug: str, audience: Audience) -> tuple[Monograph, Review] | None:
    """The approved stored version for ``drug`` and ``audience``, when it is the item's current version."""
    for item_id in monograph_item_ids(engine, drug, audience.value, status="approved"):
        review = review_info(engine, item_id)  # approved only when verified and current
        if not review.approved:
            continue
        stored = get_item(engine, item_id, review.version)
        if isinstance(stored, Monograph):
            return stored, review
    return None


# ------------------------------------------------------------------ what changed
def _generated_at(conn: Connection, item_id: str, version: int) -> datetime | None:
    v = answer_versions.c
    at = conn.execute(
        select(func.max(v.created_at)).where(
            v.answer_id == item_id,
            v.version <= version,
            or_(v.note.is_(None), v.note.startswith(REGENERATED)),
        )
    ).scalar()
    return _aware(at) if at is not None else None


def _newest_label(conn: Connection, setid: str) -> int | None:
    """The current stored version of the label set (else the highest stored)."""
    row = conn.execute(
        select(documents.c.spl_version)
        .where(documents.c.spl_setid == setid, live(), documents.c.spl_version.is_not(None))
        .order_by(documents.c.is_current.desc(), documents.c.spl_version.desc())
        .limit(1)
    ).first()
    return int(row[0]) if row is not None else None


def _names(conn: Connection, m: Monograph) -> tuple[str, ...]:
    """The drug's names to look for in new documents: its own, and the label's brand and generic names."""
    names = {m.drug, m.query}
    if m.label is not None:
        meta = conn.execute(select(documents.c.meta).where(documents.c.uid == m.label.uid)).scalar()
        if isinstance(meta, dict):
            for key in ("brand_names", "generic_names"):
                names.update(str(n) for n in meta.get(key) or [] if n)
    return tuple(sorted({" ".join(n.casefold().split()) for n in names if len(n.strip()) >= _MIN_NAME}))


def _new_documents(conn: Connection, since: datetime, names: tuple[str, ...], setid: str | None) -> list[str]:
    """Current documents added after ``since`` whose title or text names the drug (outside its label set)."""
    if not names:
        return []
    added = select(changes.c.document_uid).where(changes.c.op == "add", changes.c.at > since).distinct()
    mentions = [
        col.contains(name, autoescape=True)
        for name in names
        for col in (func.lower(documents.c.title), func.lower(documents.c.text))
    ]
    q = select(documents.c.uid).where(
        documents.c.uid.in_(added), live(), documents.c.is_current.is_(True), or_(*mentions)
    )
    if setid:
        q = q.where(or_(documents.c.spl_setid.is_(None), documents.c.spl_setid != setid))
    return sorted(str(r[0]) for r in conn.execute(q))


def _changes(conn: Connection, item_id: str, version: int, m: Monograph) -> MonographChanges:
    since = _generated_at(conn, item_id, version)
    names = _names(conn, m)
    setid = m.label.spl_setid if m.label is not None else None
    return MonographChanges(
        item_id=item_id,
        version=version,
        drug=m.drug,
        setid=setid,
        cited_label=m.label.spl_version if m.label is not None else None,
        newest_label=_newest_label(conn, setid) if setid else None,
        new_documents=tuple(_new_documents(conn, since, names, setid)) if since is not None else (),
        changed_documents=tuple(changed_evidence(conn, item_id, version)),
        generated_at=since,
        names=names,
    )


def monograph_changes(engine: Engine, item_id: str, version: int | None = None) -> MonographChanges:
    """What changed since ``version`` (default: the current one) of monograph ``item_id`` was generated."""
    m = get_item(engine, item_id, version)
    if not isinstance(m, Monograph):
        raise NotFoundError(f"{item_id!r} is not a monograph")
    with read_tx(engine) as conn:
        return _changes(conn, item_id, m.version, m)


def flag_changed_monographs(engine: Engine) -> int:
    """Flag every monograph whose current version is stale (see the module doc); returns how many were new."""
    with read_tx(engine) as conn:
        rows = conn.execute(
            select(answers.c.id, answers.c.current_version).where(
                answers.c.kind == KIND_MONOGRAPH, answers.c.stale.is_(False)
            )
        ).all()
    flagged = 0
    for item_id, version in rows:
        try:
            found = monograph_changes(engine, str(item_id), int(version))
        except NotFoundError:  # removed or re-versioned meanwhile
            continue
        if found.stale and _flag(engine, found):
            flagged += 1
    return flagged


def _flag(engine: Engine, found: MonographChanges) -> bool:
    now = datetime.now(UTC)
    with write_tx(engine) as conn:
        done = conn.execute(  # only if no newer version was saved meanwhile
            update(answers)
            .where(
                answers.c.id == found.item_id,
                answers.c.current_version == found.version,
                answers.c.stale.is_(False),
            )
            .values(stale=True, stale_since=now, lock_version=answers.c.lock_version + 1)
        )
        if done.rowcount != 1:
            return False
        append_event(
            conn,
            found.item_id,
            found.version,
            "marked_stale",
            at=now,
            note="; ".join(found.reasons()),
            detail=found.detail(),
        )
    return True


def label_changes(store: Store, found: MonographChanges) -> LabelDiff | None:
    """The section-by-section diff from the label version the monograph cites to the newest one."""
    if not found.newer_label or found.setid is None:
        return None
    try:
        return label_diff(store, found.setid, from_version=found.cited_label, to_version=found.newest_label)
    except NotFoundError:  # the cited version is no longer stored: nothing to compare it with
        return None
