"""The evidence store on SQLite and PostgreSQL: upserts, deletions, label versions, atomicity."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import text

from medref.errors import NotFoundError, ParseError
from medref.ingest.base import DocumentBuilder
from medref.models import Deletion, Document, SourceKind
from medref.store.repository import Store


def make_doc(
    uid: str, title: str = "A title", body: str = "Body text. Second sentence.", **kw: object
) -> Document:
    b = DocumentBuilder()
    b.add("Title", title, kind="title", split=False)
    b.add("Abstract", body)
    fields: dict[str, object] = {"uid": uid, "kind": SourceKind.RCT, "title": title, "year": 2020}
    fields.update(kw)
    return b.build(**fields)


def label(version: int, setid: str = "11111111-2222-3333-4444-555555555555") -> Document:
    return make_doc(
        f"spl:{setid}:v{version}",
        title=f"Label v{version}",
        body=f"Dose text version {version}.",
        kind=SourceKind.DRUG_LABEL,
        spl_setid=setid,
        spl_version=version,
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def test_insert_then_read_back(store: Store) -> None:
    doc = make_doc("pmid:1", authors=["Doe J"], mesh_terms=["Abatacept"], pmid="1", doi="10.1/x")
    res = store.write_file([doc], path="f.xml", fmt="pubmed")
    assert (res.inserted, res.documents, res.passages) == (1, 1, 2)
    back = store.get_document("pmid:1")
    assert back.title == "A title" and back.authors == ["Doe J"] and back.mesh_terms == ["Abatacept"]
    assert [p.id for p in back.passages] == ["pmid:1#0", "pmid:1#1"]
    for p in back.passages:
        assert back.text[p.start : p.end] == p.text
    assert back.content_hash() == doc.content_hash()


def test_reingest_updates_never_duplicates(store: Store) -> None:
    store.write_file([make_doc("pmid:1")], path="a", fmt="pubmed")
    again = store.write_file([make_doc("pmid:1")], path="a", fmt="pubmed")
    assert (again.inserted, again.unchanged) == (0, 1)
    changed = store.write_file([make_doc("pmid:1", body="New body.")], path="a", fmt="pubmed")
    assert changed.updated == 1
    stats = store.stats()
    assert stats["documents"] == 1 and stats["passages"] == 2
    assert store.get_document("pmid:1").passages[1].text == "New body."


def test_same_uid_twice_in_one_file_keeps_last(store: Store) -> None:
    store.write_file(
        [make_doc("pmid:7", body="first."), make_doc("pmid:7", body="second.")], path="a", fmt="pubmed"
    )
    assert store.stats()["documents"] == 1
    assert store.get_document("pmid:7").passages[1].text == "second."


def test_deletion_removes_record_and_logs_changes(store: Store) -> None:
    store.write_file([make_doc("pmid:1"), make_doc("pmid:2")], path="a", fmt="pubmed")
    res = store.write_file([Deletion(uid="pmid:1"), Deletion(uid="pmid:404")], path="u", fmt="pubmed")
    assert res.deleted == 1
    with pytest.raises(NotFoundError):
        store.get_document("pmid:1")
    assert store.get_document("pmid:2").uid == "pmid:2"
    with store.engine.connect() as conn:
        ops = conn.execute(text("SELECT op, count(*) FROM passage_changes GROUP BY op ORDER BY op")).all()
    assert dict((str(o), int(n)) for o, n in ops) == {"add": 4, "del": 2}


def test_newer_label_supersedes_older_kept_as_history(store: Store) -> None:
    store.write_file([label(1)], path="v1", fmt="spl")
    store.write_file([label(2)], path="v2", fmt="spl")
    setid = "11111111-2222-3333-4444-555555555555"
    assert store.label_versions(setid) == [(2, True, f"spl:{setid}:v2"), (1, False, f"spl:{setid}:v1")]
    # ingesting the older file again must not make it current
    store.write_file([label(1)], path="v1", fmt="spl")
    assert store.label_versions(setid)[0] == (2, True, f"spl:{setid}:v2")
    assert store.stats()["superseded_label_versions"] == 1


def test_failed_file_is_rolled_back_and_earlier_data_kept(store: Store) -> None:
    store.write_file([make_doc("pmid:1")], path="good", fmt="pubmed")

    def broken() -> Iterator[Document]:
        yield make_doc("pmid:2")
        yield make_doc("pmid:1", body="would overwrite.")
        raise ParseError("bad.xml", "unclosed tag", record="3")

    with pytest.raises(ParseError, match="bad.xml: record 3: unclosed tag"):
        store.write_file(broken(), path="bad.xml", fmt="pubmed")
    assert store.stats()["documents"] == 1
    assert store.get_document("pmid:1").passages[1].text == "Body text. Second sentence."


def test_large_file_spans_several_batches(store: Store) -> None:
    docs = [make_doc(f"pmid:{i}", body=f"Abstract number {i}.") for i in range(1234)]
    res = store.write_file(docs, path="big", fmt="pubmed")
    assert res.inserted == 1234
    assert store.stats()["passages"] == 2468
    assert store.get_document("pmid:1000").passages[1].text == "Abstract number 1000."
    assert sum(1 for _ in store.iter_documents(batch=500)) == 1234


def test_ids_are_never_reused(store: Store) -> None:
    store.write_file([make_doc("pmid:1"), make_doc("pmid:2")], path="a", fmt="pubmed")
    first = {p.id for p in store.get_document("pmid:2").passages}
    with store.engine.connect() as conn:
        before = set(conn.execute(text("SELECT id FROM passages")).scalars())
    store.write_file([Deletion(uid="pmid:2"), make_doc("pmid:1", body="Changed.")], path="b", fmt="pubmed")
    store.write_file([make_doc("pmid:3")], path="c", fmt="pubmed")
    with store.engine.connect() as conn:
        after = set(conn.execute(text("SELECT id FROM passages")).scalars())
    assert first and not (after & before), "a passage id was reused"


def test_passages_by_ids_carry_the_publication_flags_and_size(store: Store) -> None:
    flagged = make_doc(
        "pmid:5", pmid="5", meta={"flags": ["retracted"], "sample_size": 312, "big": "x" * 5000}
    )
    store.write_file([flagged, make_doc("pmid:6", pmid="6")], path="f.xml", fmt="pubmed")
    with store.engine.connect() as conn:
        ids = [int(r[0]) for r in conn.execute(text("SELECT id FROM passages ORDER BY id"))]
    refs = {ref.uid: ref for _, ref in store.passages_by_ids(ids).values()}
    assert refs["pmid:5"].flags == ["retracted"] and refs["pmid:5"].sample_size == 312
    assert refs["pmid:5"].retracted and not refs["pmid:6"].retracted
    assert refs["pmid:6"].flags == [] and refs["pmid:6"].sample_size is None
