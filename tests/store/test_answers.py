"""Stored answers on SQLite and PostgreSQL: versions, optimistic locking, threads, staleness."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from medref.errors import NotFoundError, StoreError
from medref.ingest.base import DocumentBuilder
from medref.models import (
    Answer,
    AnswerSection,
    Audience,
    Citation,
    CitedSentence,
    Deletion,
    Document,
    DocumentRef,
    EvidenceStatus,
    Reference,
    SourceKind,
)
from medref.store.answers import AnswerStore, ConflictError, normalize_for_match
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import answer_evidence, answer_versions

ASSIGNED = {"id", "thread_id", "version", "created_at", "updated_at"}
SETID = "11111111-2222-3333-4444-555555555555"


def make_doc(uid: str, body: str = "Body text. Second sentence.", **kw: object) -> Document:
    b = DocumentBuilder()
    b.add("Title", "A title", kind="title", split=False)
    b.add("Abstract", body)
    fields: dict[str, object] = {"uid": uid, "kind": SourceKind.RCT, "title": "A title", "year": 2020}
    fields.update(kw)
    return b.build(**fields)


def label(version: int) -> Document:
    return make_doc(
        f"spl:{SETID}:v{version}",
        body=f"Dose text version {version}.",
        kind=SourceKind.DRUG_LABEL,
        spl_setid=SETID,
        spl_version=version,
    )


def make_answer(
    question: str = "Is belatacept safe in pregnancy?",
    docs: tuple[Document, ...] = (),
    *,
    entities: tuple[str, ...] = ("Belatacept",),
    text: str = "Belatacept use in pregnancy has limited data.",
    resolved: str | None = None,
) -> Answer:
    refs = [
        Reference(number=n, label=d.kind.label, document=DocumentRef.of(d), passage_ids=[f"{d.uid}#1"])
        for n, d in enumerate(docs, start=1)
    ]
    spans = [
        Citation(number=r.number, doc_uid=r.document.uid, passage_id=r.passage_ids[0], start=0, end=4)
        for r in refs
    ]
    return Answer(
        question=question,
        resolved_question=resolved,
        audience=Audience.PHARMACIST,
        evidence_status=EvidenceStatus.DIRECT if docs else EvidenceStatus.NONE,
        key_entities=list(entities),
        guidelines=AnswerSection(
            title="Guidelines",
            summary=[CitedSentence(text=text, citations=[r.number for r in refs], spans=spans)],
        ),
        research=AnswerSection(title="Research", notice="No trial in the sources — données limitées."),
        references=refs,
        disclaimer="Not medical advice.",
        reading_grade=11.25,
        notes=["built by hand for a test"],
    )


@pytest.fixture
def stores(store_url: str) -> Iterator[tuple[Store, AnswerStore]]:
    docs = Store.open(store_url)
    answers = AnswerStore(docs.engine)
    yield docs, answers
    docs.close()


def test_save_and_get_round_trip_the_json_exactly(stores: tuple[Store, AnswerStore], store_url: str) -> None:
    docs, store = stores
    doc = make_doc("pmid:1", body="Belatacept was studied. Pregnancy outcomes were few.")
    docs.write_file([doc], path="a.xml", fmt="pubmed")
    original = make_answer(docs=(docs.get_document("pmid:1"),))
    saved = store.save_new(original, created_by="alice")

    assert saved.id and saved.thread_id and saved.version == 1
    assert saved.created_at is not None and saved.created_at.utcoffset() is not None
    assert saved.created_at == saved.updated_at
    assert saved.model_dump(exclude=ASSIGNED) == original.model_dump(exclude=ASSIGNED)

    reopened = AnswerStore.open(store_url)  # another engine reads the same thing
    try:
        back = reopened.get(saved.id)
    finally:
        reopened.close()
    assert back == saved
    assert back.model_dump(mode="json") == saved.model_dump(mode="json")
    with read_tx(store.engine) as conn:
        payload = conn.execute(
            select(answer_versions.c.payload).where(answer_versions.c.answer_id == saved.id)
        ).scalar_one()
    assert payload == saved.model_dump(mode="json")

    info = store.info(saved.id)
    assert (info.status, info.stale, info.current_version, info.lock_version) == ("draft", False, 1, 1)
    assert [e["action"] for e in store.history(saved.id)] == ["created"]
    assert store.history(saved.id)[0]["actor"] == "alice"


def test_evidence_snapshots_the_cited_documents(stores: tuple[Store, AnswerStore]) -> None:
    docs, store = stores
    docs.write_file([make_doc("pmid:1"), make_doc("pmid:2")], path="a", fmt="pubmed")
    d1, d2 = docs.get_document("pmid:1"), docs.get_document("pmid:2")
    saved = store.save_new(make_answer(docs=(d1, d2)))
    assert saved.id is not None
    with read_tx(store.engine) as conn:
        rows = conn.execute(
            select(
                answer_evidence.c.version,
                answer_evidence.c.ref_number,
                answer_evidence.c.doc_uid,
                answer_evidence.c.passage_key,
                answer_evidence.c.content_hash,
                answer_evidence.c.doc_is_current,
            )
            .where(answer_evidence.c.answer_id == saved.id)
            .order_by(answer_evidence.c.doc_uid)
        ).all()
    assert [tuple(r) for r in rows] == [
        (1, 1, "pmid:1", "pmid:1#1", d1.content_hash(), True),
        (1, 2, "pmid:2", "pmid:2#1", d2.content_hash(), True),
    ]


def test_versions_increase_and_old_versions_stay_readable(stores: tuple[Store, AnswerStore]) -> None:
    _, store = stores
    v1 = store.save_new(make_answer(text="First wording."), created_by="composer")
    assert v1.id is not None
    v2 = store.add_version(
        v1.id, make_answer(text="Second wording."), expected_version=1, created_by="bob", note="typo"
    )
    v3 = store.add_version(v1.id, make_answer(text="Third wording."), expected_version=2)
    assert (v2.version, v3.version) == (2, 3)
    assert v2.id == v3.id == v1.id and v2.thread_id == v3.thread_id == v1.thread_id
    assert v3.created_at == v1.created_at and v3.updated_at is not None and v1.updated_at is not None
    assert v3.updated_at >= v1.updated_at

    listed = store.versions(v1.id)
    assert [(v.version, v.created_by, v.note) for v in listed] == [
        (1, "composer", None),
        (2, "bob", "typo"),
        (3, None, None),
    ]
    assert listed[0].created_at <= listed[1].created_at <= listed[2].created_at
    assert store.get(v1.id) == v3
    assert store.get(v1.id, version=1) == v1
    assert store.get(v1.id, 2).guidelines.summary[0].text == "Second wording."
    info = store.info(v1.id)
    assert (info.current_version, info.lock_version) == (3, 3)
    assert [e["action"] for e in store.history(v1.id)] == ["created", "version_added", "version_added"]
    with pytest.raises(NotFoundError):
        store.get(v1.id, version=4)


def test_stale_expected_version_conflicts_and_loses_nothing(stores: tuple[Store, AnswerStore]) -> None:
    docs, store = stores
    docs.write_file([make_doc("pmid:1")], path="a", fmt="pubmed")
    v1 = store.save_new(make_answer(docs=(docs.get_document("pmid:1"),)))
    assert v1.id is not None
    first = store.add_version(v1.id, make_answer(text="Reviewer one."), expected_version=1, created_by="r1")
    with pytest.raises(ConflictError) as caught:
        store.add_version(v1.id, make_answer(text="Reviewer two."), expected_version=1, created_by="r2")
    assert isinstance(caught.value, StoreError)
    assert (caught.value.expected, caught.value.current) == (1, 2)
    assert store.get(v1.id) == first
    assert [v.version for v in store.versions(v1.id)] == [1, 2]
    assert store.get(v1.id, version=1) == v1
    assert [e["actor"] for e in store.history(v1.id)] == [None, "r1"]
    with read_tx(store.engine) as conn:
        versions_with_evidence = {
            r[0]
            for r in conn.execute(
                select(answer_evidence.c.version).where(answer_evidence.c.answer_id == v1.id)
            )
        }
    assert versions_with_evidence == {1}  # reviewer one's version cites nothing; reviewer two wrote nothing


def test_concurrent_saves_of_one_version_let_exactly_one_win(stores: tuple[Store, AnswerStore]) -> None:
    _, store = stores
    v1 = store.save_new(make_answer())
    assert v1.id is not None
    answer_id = v1.id
    outcomes: list[str] = []
    barrier = threading.Barrier(4)

    def reviewer(n: int) -> None:
        barrier.wait()
        try:
            store.add_version(
                answer_id, make_answer(text=f"Edit {n}."), expected_version=1, created_by=f"r{n}"
            )
            outcomes.append("saved")
        except ConflictError:
            outcomes.append("conflict")

    workers = [threading.Thread(target=reviewer, args=(n,)) for n in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert sorted(outcomes) == ["conflict", "conflict", "conflict", "saved"]
    assert [v.version for v in store.versions(answer_id)] == [1, 2]


def test_missing_records_raise_not_found(stores: tuple[Store, AnswerStore]) -> None:
    _, store = stores
    for call in (
        lambda: store.get("nope"),
        lambda: store.versions("nope"),
        lambda: store.info("nope"),
        lambda: store.thread("nope"),
        lambda: store.add_version("nope", make_answer(), expected_version=1),
        lambda: store.save_new(make_answer(), thread_id="no-such-thread"),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert store.recent_questions(10) == []  # the refused save wrote nothing


def test_thread_entities_accumulate_most_recent_first(stores: tuple[Store, AnswerStore]) -> None:
    _, store = stores
    a1 = store.save_new(make_answer("Is belatacept safe in pregnancy?", entities=("Belatacept",)))
    tid = a1.thread_id
    assert tid is not None and store.thread(tid).entities == ["Belatacept"]
    a2 = store.save_new(
        make_answer("Abatacept versus belatacept?", entities=("Abatacept", "Belatacept")), thread_id=tid
    )
    a3 = store.save_new(
        make_answer("and in pregnancy?", entities=("Belatacept",), resolved="Belatacept in pregnancy?"),
        thread_id=tid,
    )
    a4 = store.save_new(
        make_answer("What about lupus?", entities=("Systemic lupus erythematosus",)).model_copy(
            update={"thread_id": tid}
        )
    )  # the answer's own thread_id is used when none is passed
    info = store.thread(tid)
    assert info.entities == ["Systemic lupus erythematosus", "Belatacept", "Abatacept"]
    assert info.answers == [
        (a1.id, "Is belatacept safe in pregnancy?"),
        (a2.id, "Abatacept versus belatacept?"),
        (a3.id, "and in pregnancy?"),
        (a4.id, "What about lupus?"),
    ]
    assert a4.thread_id == tid
    other = store.save_new(make_answer("Statins and myopathy?", entities=("Statins",)))
    assert other.thread_id != tid and store.thread(tid).entities[0] == "Systemic lupus erythematosus"


def test_recent_questions_are_distinct_newest_first_and_stand_alone(
    stores: tuple[Store, AnswerStore],
) -> None:
    _, store = stores
    store.save_new(make_answer("Is belatacept safe in pregnancy?"))
    store.save_new(make_answer("What is the dose of abatacept?"))
    store.save_new(make_answer("and in children?", resolved="Abatacept in children?"))
    store.save_new(make_answer("is BELATACEPT safe in pregnancy"))
    recent = store.recent_questions(10)
    assert recent == [
        "is BELATACEPT safe in pregnancy",
        "Abatacept in children?",
        "What is the dose of abatacept?",
    ]
    assert store.recent_questions(2) == recent[:2]
    assert normalize_for_match("Is  Belatacept safe, in pregnancy?") == "is belatacept safe in pregnancy"


def test_changed_or_deleted_documents_make_answers_stale(stores: tuple[Store, AnswerStore]) -> None:
    docs, store = stores
    docs.write_file([make_doc("pmid:1"), make_doc("pmid:2"), make_doc("pmid:3")], path="a", fmt="pubmed")
    a1 = store.save_new(make_answer("Q one?", docs=(docs.get_document("pmid:1"),)))
    a2 = store.save_new(make_answer("Q two?", docs=(docs.get_document("pmid:2"),)))
    a3 = store.save_new(make_answer("Q three?", docs=(docs.get_document("pmid:3"),)))
    assert a1.id and a2.id and a3.id
    assert store.stale_answers() == []

    docs.write_file([make_doc("pmid:1"), make_doc("pmid:3")], path="a", fmt="pubmed")  # unchanged re-ingest
    assert store.stale_answers() == []
    assert store.mark_stale_for_documents(["pmid:1", "pmid:3"]) == 0

    docs.write_file([make_doc("pmid:1", body="Corrected abstract.")], path="b", fmt="pubmed")
    assert store.stale_answers() == [a1.id]  # detected before anything is flagged
    assert store.info(a1.id).stale is False
    assert store.mark_stale_for_documents(["pmid:1", "pmid:2"]) == 1
    assert store.mark_stale_for_documents(["pmid:1"]) == 0  # already flagged
    info = store.info(a1.id)
    assert info.stale and info.stale_since is not None and info.lock_version == 2
    event = store.history(a1.id)[-1]
    assert (event["action"], event["version"], event["detail"]) == (
        "marked_stale",
        1,
        {"documents": ["pmid:1"]},
    )

    docs.write_file([Deletion(uid="pmid:2")], path="c", fmt="pubmed")
    assert set(store.stale_answers()) == {a1.id, a2.id}
    assert store.refresh_stale() == 1
    assert store.info(a2.id).stale and not store.info(a3.id).stale

    # a new version of a1 cites the corrected document as it is now: fresh again
    store.add_version(a1.id, make_answer("Q one?", docs=(docs.get_document("pmid:1"),)), expected_version=1)
    assert store.stale_answers() == [a2.id]
    assert store.info(a1.id).stale is False


def test_superseded_label_version_makes_answers_stale(stores: tuple[Store, AnswerStore]) -> None:
    docs, store = stores
    docs.write_file([label(1)], path="l1", fmt="spl")
    v1_doc = docs.get_document(label(1).uid)
    saved = store.save_new(make_answer("Belatacept dose?", docs=(v1_doc,)))
    assert saved.id is not None and store.stale_answers() == []
    docs.write_file([label(2)], path="l2", fmt="spl")
    assert docs.get_document(label(1).uid).content_hash() == v1_doc.content_hash()  # text unchanged
    assert store.stale_answers() == [saved.id]
    assert store.mark_stale_for_documents([label(1).uid]) == 1
