"""Tamper evidence on SQLite and PostgreSQL: hashed versions, the audit hash chain, blocked TRUNCATE.

An attacker here is someone with SQL access who rewrites stored rows, disabling the triggers
first where needed (the test role owns the tables, as a careless deployment's app role would).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from sqlalchemy import Connection, Engine, select, text, update
from sqlalchemy.exc import DBAPIError

from medref.models import ReviewStatus
from medref.review.integrity import verify_all, verify_item
from medref.review.items import get_item, save_monograph
from medref.review.users import User
from medref.review.workflow import TransitionError, edit, review_info, transition
from medref.store.answers import AnswerStore
from medref.store.audit_chain import GENESIS, content_hash
from medref.store.db import make_engine, read_tx, write_tx
from medref.store.migrate import current_revision, head_revision, upgrade
from medref.store.schema import answer_versions, audit_log
from tests.review.factories import make_answer, make_monograph

EDITOR, REVIEWER, REVIEWER2 = User("erin", "editor"), User("rui", "reviewer"), User("rosa", "reviewer")


@pytest.fixture
def answers(store_url: str) -> Iterator[AnswerStore]:
    store = AnswerStore(make_engine(store_url))
    yield store
    store.engine.dispose()


def _approved(answers: AnswerStore, text_: str = "Velmorast lowered itch scores in one trial.") -> str:
    saved = answers.save_new(make_answer(text_, "Few people stopped it early."), created_by="composer")
    assert saved.id is not None
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(answers.engine, saved.id, action, actor=actor, expected_version=1)
    assert review_info(answers.engine, saved.id).approved
    return saved.id


def _without_trigger(conn: Connection, table: str, trigger: str) -> None:
    """Switch a protecting trigger off for this transaction (what a table owner can do)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"ALTER TABLE {table} DISABLE TRIGGER {trigger}"))
    else:
        conn.execute(text(f"DROP TRIGGER {trigger}"))


def _rewrite_payload(engine: Engine, item_id: str, new_text: str, *, fix_hash: bool) -> None:
    with write_tx(engine) as conn:
        payload = conn.execute(
            select(answer_versions.c.payload).where(answer_versions.c.answer_id == item_id)
        ).scalar_one()
        payload["research"]["summary"][0]["text"] = new_text
        _without_trigger(conn, "answer_versions", "answer_versions_no_update")
        values: dict[str, object] = {"payload": payload}
        if fix_hash:  # a careful attacker updates the version's own hash too
            values["content_hash"] = content_hash(payload)
        conn.execute(update(answer_versions).where(answer_versions.c.answer_id == item_id).values(**values))


def test_every_version_and_audit_row_is_hashed_and_chained(answers: AnswerStore) -> None:
    item = _approved(answers)
    edit(answers.engine, item, actor=EDITOR, expected_version=1, texts=["Changed wording.", "Kept."])
    mono = save_monograph(answers.engine, make_monograph(), created_by="builder")
    assert mono.id is not None
    with read_tx(answers.engine) as conn:
        versions = conn.execute(
            select(answer_versions.c.version, answer_versions.c.payload, answer_versions.c.content_hash)
            .where(answer_versions.c.answer_id == item)
            .order_by(answer_versions.c.version)
        ).all()
        rows = list(
            conn.execute(
                select(audit_log).where(audit_log.c.answer_id == item).order_by(audit_log.c.seq)
            ).mappings()
        )
    assert [v.content_hash for v in versions] == [content_hash(v.payload) for v in versions]
    assert versions[0].content_hash != versions[1].content_hash
    assert [r["action"] for r in rows] == [
        "created",
        "submitted",
        "review_started",
        "approved",
        "version_added",
        "reopened",
    ]
    assert rows[0]["prev_hash"] == GENESIS
    assert all(r["prev_hash"] == p["row_hash"] for p, r in itertools.pairwise(rows))
    assert len({r["row_hash"] for r in rows}) == len(rows)
    approval = rows[3]
    assert approval["content_hash"] == versions[0].content_hash  # names the exact text approved
    assert rows[4]["content_hash"] == versions[1].content_hash
    assert verify_item(answers.engine, item).ok and verify_item(answers.engine, mono.id).ok
    assert verify_all(answers.engine) == {}


def test_a_payload_rewritten_in_sql_is_not_shown_as_approved(answers: AnswerStore) -> None:
    item = _approved(answers)
    with pytest.raises(DBAPIError, match="cannot be changed"), write_tx(answers.engine) as conn:
        conn.execute(update(answer_versions).where(answer_versions.c.answer_id == item).values(note="x"))

    _rewrite_payload(answers.engine, item, "Velmorast cures itch in everyone.", fix_hash=True)
    assert answers.get(item).research.summary[0].text == "Velmorast cures itch in everyone."
    assert answers.info(item).status == "approved"  # the status column still says so
    review = review_info(answers.engine, item)
    assert review.status is ReviewStatus.DRAFT and not review.approved and review.reviewer is None
    check = verify_item(answers.engine, item)
    assert check.problems == ["the text of version 1 is not the text that was approved"]
    assert list(verify_all(answers.engine)) == [item]


def test_a_rewrite_before_approval_blocks_the_approval(answers: AnswerStore) -> None:
    saved = answers.save_new(make_answer(), created_by="composer")
    assert saved.id is not None
    transition(answers.engine, saved.id, "submit", actor=EDITOR, expected_version=1)
    transition(answers.engine, saved.id, "start", actor=REVIEWER, expected_version=1)
    _rewrite_payload(answers.engine, saved.id, "Sneaked-in claim.", fix_hash=False)
    with pytest.raises(TransitionError, match="tamper check"):
        transition(answers.engine, saved.id, "approve", actor=REVIEWER2, expected_version=1)
    assert answers.info(saved.id).status == "under_review"
    # saving a new version (hashed afresh) is the way forward
    # (rewritten sentences cite nothing until re-linked: here they are marked editorial text)
    edit(
        answers.engine,
        saved.id,
        actor=EDITOR,
        expected_version=1,
        texts=["Checked text.", "Kept."],
        sources=["editorial", "editorial"],
    )
    assert review_info(answers.engine, saved.id).status is ReviewStatus.UNDER_REVIEW
    assert transition(answers.engine, saved.id, "approve", actor=REVIEWER, expected_version=2).approved


def test_a_changed_or_removed_audit_row_breaks_the_chain(answers: AnswerStore) -> None:
    first, second = _approved(answers), _approved(answers, "Another approved text.")
    with write_tx(answers.engine) as conn:
        _without_trigger(conn, "audit_log", "audit_log_append_only" if _pg(conn) else "audit_log_no_update")
        conn.execute(
            update(audit_log)
            .where(audit_log.c.answer_id == first, audit_log.c.action == "approved")
            .values(actor="mallory")
        )
    assert not review_info(answers.engine, first).approved
    assert "changed after it was written" in verify_item(answers.engine, first).problems[0]
    with write_tx(answers.engine) as conn:
        if not _pg(conn):
            conn.execute(text("DROP TRIGGER audit_log_no_delete"))
        else:
            _without_trigger(conn, "audit_log", "audit_log_append_only")
        conn.execute(
            sa.delete(audit_log).where(audit_log.c.answer_id == second, audit_log.c.action == "submitted")
        )
    assert not review_info(answers.engine, second).approved
    assert "does not follow" in verify_item(answers.engine, second).problems[0]


def _pg(conn: Connection) -> bool:
    return conn.dialect.name == "postgresql"


def test_the_audit_log_cannot_be_emptied(answers: AnswerStore) -> None:
    item = _approved(answers)
    statement = (
        "TRUNCATE audit_log" if answers.engine.dialect.name == "postgresql" else "DELETE FROM audit_log"
    )
    with pytest.raises(DBAPIError, match="append-only"), write_tx(answers.engine) as conn:
        conn.execute(text(statement))
    assert review_info(answers.engine, item).approved and len(answers.history(item)) == 4


def test_monograph_approval_is_bound_to_its_text(answers: AnswerStore) -> None:
    mono = save_monograph(answers.engine, make_monograph(), created_by="builder")
    assert mono.id is not None
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(answers.engine, mono.id, action, actor=actor, expected_version=1)
    assert review_info(answers.engine, mono.id).approved
    with write_tx(answers.engine) as conn:
        payload = conn.execute(
            select(answer_versions.c.payload).where(answer_versions.c.answer_id == mono.id)
        ).scalar_one()
        payload["sections"][0]["fields"][0]["values"][0]["text"] = "Take 100 mg once a day."
        _without_trigger(conn, "answer_versions", "answer_versions_no_update")
        conn.execute(
            update(answer_versions).where(answer_versions.c.answer_id == mono.id).values(payload=payload)
        )
    assert "100 mg" in get_item(answers.engine, mono.id).model_dump_json()
    assert not review_info(answers.engine, mono.id).approved


def test_upgrading_an_older_store_hashes_what_it_holds(store_url: str) -> None:
    """Rows written before migration 0004 are hashed and chained by it; approvals survive."""
    engine = make_engine(store_url)
    upgrade(engine, "0003")
    at = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
    payload = make_answer().model_dump(mode="json") | {"id": "a1", "version": 1}
    with write_tx(engine) as conn:
        conn.execute(
            text(
                "INSERT INTO answers (id, kind, question, normalized_question, audience, current_version, "
                "status, stale, lock_version, created_at, updated_at) VALUES ('a1', 'answer', 'q', 'q', "
                "'clinician', 1, 'approved', false, 3, :at, :at)"
            ),
            {"at": at},
        )
        old_versions = sa.table(
            "answer_versions",
            *(sa.column(c) for c in ("answer_id", "version", "created_at")),
            sa.column("payload", sa.JSON),
        )
        conn.execute(
            sa.insert(old_versions).values(answer_id="a1", version=1, payload=payload, created_at=at)
        )
        old_log = sa.table(
            "audit_log",
            *(sa.column(c) for c in ("answer_id", "version", "action", "actor", "to_status", "at")),
        )
        for action, actor, status in (("created", "composer", "draft"), ("approved", "rui", "approved")):
            conn.execute(
                sa.insert(old_log).values(
                    answer_id="a1", version=1, action=action, actor=actor, to_status=status, at=at
                )
            )
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    assert verify_item(engine, "a1").ok
    review = review_info(engine, "a1")
    assert review.approved and review.reviewer == "rui"
    with read_tx(engine) as conn:
        stored = conn.execute(select(answer_versions.c.content_hash)).scalar_one()
    assert stored == content_hash(payload)
    engine.dispose()
