"""The review workflow on SQLite and PostgreSQL: transitions, roles, versions, audit log, staleness."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.exc import DBAPIError

from medref.errors import InputError
from medref.models import Answer, Audience, Monograph, ReviewStatus
from medref.review.items import get_item, list_items, save_monograph, status_counts
from medref.review.stale import refresh_stale, regenerate, regenerate_stale
from medref.review.users import User
from medref.review.workflow import (
    ForbiddenError,
    TransitionError,
    allowed_actions,
    edit,
    review_info,
    transition,
)
from medref.store.answers import AnswerStore, ConflictError
from medref.store.db import read_tx, write_tx
from medref.store.repository import Store
from medref.store.schema import audit_log
from tests.review.factories import make_answer, make_doc, make_monograph

EDITOR, REVIEWER, REVIEWER2, ADMIN = (
    User("erin", "editor"),
    User("rui", "reviewer"),
    User("rosa", "reviewer"),
    User("ada", "admin"),
)


@pytest.fixture
def store(store_url: str) -> Iterator[tuple[Store, AnswerStore]]:
    docs = Store.open(store_url)
    yield docs, AnswerStore(docs.engine)
    docs.close()


def _saved(answers: AnswerStore, answer: Answer | None = None) -> str:
    saved = answers.save_new(answer or make_answer(), created_by="composer")
    assert saved.id is not None
    return saved.id


def _audit_rows(answers: AnswerStore, item_id: str) -> list[dict[str, Any]]:
    return [{k: v for k, v in row.items() if k != "detail"} for row in answers.history(item_id)]


class FakeAsker:
    """Stands in for medref.compose.ask.Asker: composes from whatever the corpus says now."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.asked: list[tuple[str, Audience]] = []

    def ask(
        self, question: str, *, audience: Audience = Audience.CLINICIAN, thread_id: str | None = None
    ) -> Answer:
        self.asked.append((question, audience))
        return make_answer(self.text, question=question)


def test_draft_to_approved_records_who_when_and_which_version(store: tuple[Store, AnswerStore]) -> None:
    _, answers = store
    item = _saved(answers)
    assert review_info(answers.engine, item).status is ReviewStatus.DRAFT

    transition(answers.engine, item, "submit", actor=EDITOR, expected_version=1)
    transition(answers.engine, item, "start", actor=REVIEWER, expected_version=1, note="taking it")
    review = transition(answers.engine, item, "approve", actor=REVIEWER, expected_version=1)

    assert review.approved and review.status is ReviewStatus.APPROVED and review.version == 1
    assert review.reviewer == "rui" and review.approved_at is not None
    assert [(e.action, e.actor, e.version, e.from_status, e.to_status) for e in review.history] == [
        ("created", "composer", 1, None, "draft"),
        ("submitted", "erin", 1, "draft", "submitted"),
        ("review_started", "rui", 1, "submitted", "under_review"),
        ("approved", "rui", 1, "under_review", "approved"),
    ]
    assert review.history[2].note == "taking it"
    assert review.approved_at == review.history[-1].at
    times = [e.at for e in review.history]
    assert times == sorted(times)
    info = answers.info(item)
    assert (info.status, info.lock_version) == ("approved", 4)
    assert status_counts(answers.engine)["approved"] == 1


def test_roles_decide_who_may_take_each_step(store: tuple[Store, AnswerStore]) -> None:
    _, answers = store
    item = _saved(answers)
    with pytest.raises(ForbiddenError):
        transition(answers.engine, item, "submit", actor=REVIEWER, expected_version=1)
    transition(answers.engine, item, "submit", actor=EDITOR, expected_version=1)
    for action in ("start", "approve", "reject"):
        with pytest.raises(ForbiddenError):
            transition(answers.engine, item, action, actor=EDITOR, expected_version=1, note="no")
    assert answers.info(item).status == "submitted"
    assert allowed_actions(EDITOR, "submitted") == []
    assert allowed_actions(REVIEWER, "submitted") == ["start", "request-changes", "reject"]
    assert allowed_actions(ADMIN, "draft") == ["submit"]
    transition(answers.engine, item, "start", actor=ADMIN, expected_version=1)
    assert transition(answers.engine, item, "approve", actor=ADMIN, expected_version=1).reviewer == "ada"


def test_steps_from_the_wrong_status_or_without_a_note_write_nothing(
    store: tuple[Store, AnswerStore],
) -> None:
    _, answers = store
    item = _saved(answers)
    before = _audit_rows(answers, item)
    with pytest.raises(TransitionError, match="draft"):
        transition(answers.engine, item, "approve", actor=REVIEWER, expected_version=1)
    transition(answers.engine, item, "submit", actor=EDITOR, expected_version=1)
    with pytest.raises(InputError, match="note"):
        transition(answers.engine, item, "request-changes", actor=REVIEWER, expected_version=1, note="  ")
    with pytest.raises(InputError, match="unknown review step"):
        transition(answers.engine, item, "publish", actor=ADMIN, expected_version=1)
    assert len(_audit_rows(answers, item)) == len(before) + 1
    review = transition(
        answers.engine, item, "request-changes", actor=REVIEWER, expected_version=1, note="cite the label"
    )
    assert review.status is ReviewStatus.CHANGES_REQUESTED and review.history[-1].note == "cite the label"
    # back to the editor: edit, submit again, reject
    edit(
        answers.engine, item, actor=EDITOR, expected_version=1, texts=["Fixed.", "Also fixed."], note="cited"
    )
    # rewritten sentences cite nothing until re-linked or marked editorial: submit is refused
    with pytest.raises(InputError, match="no longer cite a source"):
        transition(answers.engine, item, "submit", actor=EDITOR, expected_version=2)
    edit(answers.engine, item, actor=EDITOR, expected_version=2, sources=["editorial", "editorial"])
    transition(answers.engine, item, "submit", actor=EDITOR, expected_version=3)
    rejected = transition(
        answers.engine, item, "reject", actor=REVIEWER, expected_version=3, note="off topic"
    )
    assert rejected.status is ReviewStatus.REJECTED and not rejected.approved


def test_two_reviewers_saving_the_same_version_second_conflicts_and_nothing_is_lost(
    store: tuple[Store, AnswerStore],
) -> None:
    _, answers = store
    item = _saved(answers)
    v1 = answers.get(item)
    first = edit(answers.engine, item, actor=REVIEWER, expected_version=1, texts=["Rui's wording.", "Kept."])
    with pytest.raises(ConflictError) as caught:
        edit(answers.engine, item, actor=REVIEWER2, expected_version=1, texts=["Rosa's wording.", "Kept."])
    assert (caught.value.expected, caught.value.current) == (1, 2)
    assert first.version == 2
    assert [v.version for v in answers.versions(item)] == [1, 2]
    assert answers.get(item, 1) == v1  # the original is intact
    assert answers.get(item).research.summary[0].text == "Rui's wording."
    assert [(e["action"], e["actor"]) for e in answers.history(item)] == [
        ("created", "composer"),
        ("version_added", "rui"),
    ]
    # a step on the old version conflicts too, and changes nothing
    with pytest.raises(ConflictError):
        transition(answers.engine, item, "submit", actor=EDITOR, expected_version=1)
    assert answers.info(item).status == "draft"
    # Rosa reloads version 2 and saves again: now it works
    again = edit(
        answers.engine, item, actor=REVIEWER2, expected_version=2, texts=["Rosa's wording.", "Kept."]
    )
    assert again.version == 3


def test_edits_are_new_versions_and_reopen_an_approved_item(store: tuple[Store, AnswerStore]) -> None:
    _, answers = store
    item = _saved(answers)
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(answers.engine, item, action, actor=actor, expected_version=1)
    with pytest.raises(InputError, match="nothing to save"):
        edit(
            answers.engine,
            item,
            actor=EDITOR,
            expected_version=1,
            texts=[t for _, t in _texts(answers, item)],
        )
    review = edit(
        answers.engine,
        item,
        actor=EDITOR,
        expected_version=1,
        texts=["Velmorast lowered itch scores in one small trial.", ""],
        note="one trial only; dropped the second sentence",
    )
    assert review.version == 2 and review.status is ReviewStatus.DRAFT and not review.approved
    assert review.reviewer is None
    assert [e.action for e in review.history][-2:] == ["version_added", "reopened"]
    assert review.history[-2].note == "one trial only; dropped the second sentence"
    assert (review.history[-1].from_status, review.history[-1].to_status) == ("approved", "draft")
    v2 = answers.get(item)
    assert [s.text for s in v2.sentences()] == ["Velmorast lowered itch scores in one small trial."]
    assert answers.get(item, 1).sentences()[1].text == "Few people stopped it early."
    versions = answers.versions(item)
    assert [(v.version, v.created_by) for v in versions] == [(1, "composer"), (2, "erin")]


def _texts(answers: AnswerStore, item: str) -> list[tuple[str, str]]:
    from medref.review.diff import editable_texts

    return editable_texts(answers.get(item))


def test_a_new_version_is_never_shown_as_approved(store: tuple[Store, AnswerStore]) -> None:
    _, answers = store
    item = _saved(answers)
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(answers.engine, item, action, actor=actor, expected_version=1)
    # a version saved around the workflow (the status column still says approved)
    answers.add_version(item, make_answer("Sneaked in."), expected_version=1, created_by="script")
    assert answers.info(item).status == "approved"
    review = review_info(answers.engine, item)
    assert review.status is ReviewStatus.DRAFT and not review.approved and review.reviewer is None


def test_the_audit_log_only_grows(store: tuple[Store, AnswerStore]) -> None:
    _, answers = store
    item = _saved(answers)
    transition(answers.engine, item, "submit", actor=EDITOR, expected_version=1)
    snapshot = _audit_rows(answers, item)
    edit(answers.engine, item, actor=EDITOR, expected_version=1, note="only a note")
    transition(answers.engine, item, "start", actor=REVIEWER, expected_version=2)
    grown = _audit_rows(answers, item)
    assert grown[: len(snapshot)] == snapshot  # earlier rows unchanged
    assert [(r["action"], r["actor"], r["version"]) for r in grown[len(snapshot) :]] == [
        ("version_added", "erin", 2),
        ("review_started", "rui", 2),
    ]
    seqs = [r["seq"] for r in grown]
    assert seqs == sorted(seqs) and len(set(seqs)) == len(seqs)
    for statement in (
        update(audit_log).where(audit_log.c.answer_id == item).values(actor="mallory"),
        delete(audit_log).where(audit_log.c.answer_id == item),
    ):
        with pytest.raises(DBAPIError, match="append-only"), write_tx(answers.engine) as conn:
            conn.execute(statement)
    assert _audit_rows(answers, item) == grown
    with read_tx(answers.engine) as conn:
        assert conn.execute(
            select(audit_log.c.actor).where(audit_log.c.answer_id == item)
        ).scalars().all() == [
            "composer",
            "erin",
            "erin",
            "rui",
        ]


def test_changed_evidence_blocks_approval_until_regenerated(store: tuple[Store, AnswerStore]) -> None:
    docs, answers = store
    docs.write_file([make_doc("pmid:11")], path="a.xml", fmt="pubmed")
    item = _saved(answers, make_answer(docs=(docs.get_document("pmid:11"),)))
    transition(answers.engine, item, "submit", actor=EDITOR, expected_version=1)
    transition(answers.engine, item, "start", actor=REVIEWER, expected_version=1)
    assert review_info(answers.engine, item).stale is False

    docs.write_file(
        [make_doc("pmid:11", body="A retraction notice replaced the results.")], path="a.xml", fmt="pubmed"
    )
    assert review_info(answers.engine, item).stale is True  # detected before anything is flagged
    assert [i.id for i in list_items(answers.engine, stale_only=True)] == [item]
    with pytest.raises(TransitionError, match="pmid:11"):
        transition(answers.engine, item, "approve", actor=REVIEWER, expected_version=1)
    assert regenerate(answers.engine, item, source=None, actor=EDITOR, expected_version=1) is None

    asker = FakeAsker("Velmorast results were withdrawn.")
    review = regenerate(answers.engine, item, source=asker, actor=EDITOR, expected_version=1)
    assert review is not None
    assert asker.asked == [("Does velmorast help chronic itch?", Audience.CLINICIAN)]
    assert review.version == 2 and review.stale is False
    assert review.status is ReviewStatus.SUBMITTED  # back into the review queue
    assert [(e.action, e.from_status, e.to_status) for e in review.history][-2:] == [
        ("version_added", None, None),
        ("resubmitted", "under_review", "submitted"),
    ]
    assert review.history[-2].note == "regenerated: cited evidence changed (pmid:11)"
    assert answers.get(item).research.summary[0].text == "Velmorast results were withdrawn."
    transition(answers.engine, item, "start", actor=REVIEWER, expected_version=2)
    assert transition(answers.engine, item, "approve", actor=REVIEWER, expected_version=2).approved


def test_regenerate_stale_flags_and_recomposes_every_stale_answer(store: tuple[Store, AnswerStore]) -> None:
    docs, answers = store
    docs.write_file([make_doc("pmid:21"), make_doc("pmid:22")], path="b.xml", fmt="pubmed")
    stale = _saved(answers, make_answer(docs=(docs.get_document("pmid:21"),)))
    fresh = _saved(answers, make_answer(docs=(docs.get_document("pmid:22"),), question="Other?"))
    docs.write_file([make_doc("pmid:21", body="New data.")], path="b.xml", fmt="pubmed")
    done = regenerate_stale(answers.engine, source=FakeAsker("Recomposed."), actor=ADMIN)
    assert done == [stale]
    assert answers.info(stale).current_version == 2 and answers.info(fresh).current_version == 1
    assert review_info(answers.engine, stale).status is ReviewStatus.DRAFT  # it was a draft: stays one
    assert [e["action"] for e in answers.history(stale)] == ["created", "marked_stale", "version_added"]


def test_regenerating_with_the_real_asker(store: tuple[Store, AnswerStore], tmp_path: object) -> None:
    """The demo corpus behind a real Asker: a changed label makes the answer stale, regeneration fixes it."""
    from pathlib import Path

    from medref.compose.ask import Asker
    from medref.compose.base import make_composer
    from medref.deps import demo_files
    from medref.index.sync import open_indexes, sync
    from medref.ingest.pipeline import ingest_paths
    from medref.retrieve.lexicon import Lexicon
    from medref.retrieve.retriever import Retriever
    from medref.settings import load_settings

    docs, answers = store
    settings = load_settings(data_dir=Path(str(tmp_path)), index={"dense": "numpy", "embedder": "hashing"})
    assert ingest_paths(docs, demo_files()).ok
    indexes = open_indexes(settings)
    sync(docs, indexes)
    retriever = Retriever(
        store=docs, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval
    )
    asker = Asker(retriever=retriever, composer=make_composer("extractive"), answers=answers)
    try:
        first = asker.ask("What is belatacept used for?")
        assert first.id is not None and first.references
        cited = first.references[0].document.uid
        transition(answers.engine, first.id, "submit", actor=EDITOR, expected_version=1)
        original = docs.get_document(cited)
        changed = original.model_copy(update={"title": original.title + " (revised)"})
        docs.write_file([changed], path="revised", fmt=None)
        sync(docs, indexes)
        assert refresh_stale(answers.engine) == 1
        assert review_info(answers.engine, first.id).stale

        review = regenerate(answers.engine, first.id, source=asker, actor=EDITOR, expected_version=1)
        assert review is not None and review.version == 2 and not review.stale
        assert review.status is ReviewStatus.SUBMITTED
        again = answers.get(first.id)
        assert again.question == first.question and again.sentences()
        assert any(r.document.title.endswith("(revised)") for r in again.references)
        assert len(answers.recent_questions()) == 1  # regeneration stored no second answer
    finally:
        retriever.close()


def test_monographs_go_through_the_same_workflow(store: tuple[Store, AnswerStore]) -> None:
    docs, answers = store
    docs.write_file([make_doc("spl:velmorast:v1", body="Take 10 mg once a day.")], path="l", fmt="spl")
    mono = save_monograph(
        answers.engine, make_monograph(docs=(docs.get_document("spl:velmorast:v1"),)), created_by="builder"
    )
    assert mono.id is not None and mono.version == 1
    assert get_item(answers.engine, mono.id) == mono
    transition(answers.engine, mono.id, "submit", actor=EDITOR, expected_version=1)
    transition(answers.engine, mono.id, "start", actor=REVIEWER, expected_version=1)
    review = edit(
        answers.engine,
        mono.id,
        actor=REVIEWER,
        expected_version=1,
        texts=["Take 10 mg once daily with food."],
    )
    assert review.item_kind == "monograph" and review.version == 2
    assert review.status is ReviewStatus.UNDER_REVIEW  # a reviewer's fix during review keeps it there
    stored = get_item(answers.engine, mono.id)
    assert isinstance(stored, Monograph) and stored.field("dosing") is not None
    assert stored.field("dosing").values[0].text == "Take 10 mg once daily with food."
    with pytest.raises(ConflictError):
        edit(answers.engine, mono.id, actor=EDITOR, expected_version=1, texts=["Lost?"])
    with pytest.raises(ForbiddenError, match="four-eyes"):  # rui saved version 2
        transition(answers.engine, mono.id, "approve", actor=REVIEWER, expected_version=2)
    assert allowed_actions(REVIEWER, "under_review", last_editor="rui") == ["request-changes", "reject"]
    assert transition(answers.engine, mono.id, "approve", actor=REVIEWER2, expected_version=2).approved
    # the label changes: the monograph is flagged stale like an answer
    docs.write_file([make_doc("spl:velmorast:v1", body="Take 5 mg.")], path="l", fmt="spl")
    assert refresh_stale(answers.engine) == 1
    assert review_info(answers.engine, mono.id).stale
    assert (
        regenerate(answers.engine, mono.id, source=FakeAsker("x"), actor=EDITOR, expected_version=2) is None
    )
    assert {i.kind for i in list_items(answers.engine)} == {"monograph"}
    assert answers.recent_questions() == []  # monographs are not questions
