"""COPY FROM STDIN on PostgreSQL stores exactly what the INSERT path stores, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from medref.errors import ParseError
from medref.ingest.base import DocumentBuilder
from medref.models import Deletion, Document, SourceKind
from medref.store import copy, staging
from medref.store.repository import Store
from medref.store.schema import changes, documents, passages
from tests.store.test_repository import make_doc

pytestmark = pytest.mark.postgres


def rich_doc(uid: str, n: int) -> Document:
    """A record with every awkward value COPY's text format must carry through."""
    b = DocumentBuilder()
    b.add("Title", f"Étude {n}: naïve \\ back\\slash, tab\there", kind="title", split=False)
    b.add("Results", f'Line one.\nLine two with "quotes" and 𝛼-blocker {n}. Null-ish \\N text.')
    return b.build(
        uid=uid,
        kind=SourceKind.RCT,
        title=f"Étude {n}",
        year=2020,
        authors=["Ø. Author", "D'Arcy B"],
        mesh_terms=["Abatacept"],
        meta={"sample_size": n, "flags": ["a", None], "nested": {"k": "ü"}},
        journal=None,
    )


def _rows(store: Store, prefix: str) -> list[dict[str, Any]]:
    """Stored rows of the documents with uids under ``prefix``, without ids, uids and clocks."""
    skip = {"id", "uid", "key", "document_id", "created_at", "updated_at", "content_hash"}
    out: list[dict[str, Any]] = []
    with store.engine.connect() as conn:
        docs = conn.execute(
            select(documents).where(documents.c.uid.like(prefix + "%")).order_by(documents.c.uid)
        ).mappings()
        for d in docs:
            ps = conn.execute(
                select(passages).where(passages.c.document_id == d["id"]).order_by(passages.c.ordinal)
            ).mappings()
            row = {k: v for k, v in d.items() if k not in skip}
            row["passages"] = [{k: v for k, v in p.items() if k not in skip} for p in ps]
            out.append(row)
    return out


@pytest.fixture
def pg_store(pg_url: str) -> Iterator[Store]:
    s = Store.open(pg_url)
    yield s
    s.close()


def test_copy_is_what_postgres_uses(pg_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[str] = []
    real = copy.copy_rows
    monkeypatch.setattr(
        copy, "copy_rows", lambda conn, table, *a: calls.append(table.name) or real(conn, table, *a)
    )
    pg_store.write_file([make_doc("pmid:1")], path="f", fmt="pubmed")
    assert calls == ["documents", "passages"]
    assert pg_store.get_document("pmid:1").title == "A title"


def test_sqlite_keeps_its_insert_path(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(copy, "copy_rows", lambda *a: pytest.fail("COPY used on SQLite"))
    store = Store.open(sqlite_url)
    store.write_file([make_doc("pmid:1")], path="f", fmt="pubmed")
    assert store.get_document("pmid:1").passages


def test_copy_and_insert_store_the_same_rows(pg_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    pg_store.write_file([rich_doc(f"copy:{n}", n) for n in range(5)], path="a", fmt="pubmed")
    monkeypatch.setattr(copy, "ENABLED", False)
    pg_store.write_file([rich_doc(f"insert:{n}", n) for n in range(5)], path="b", fmt="pubmed")
    by_copy, by_insert = _rows(pg_store, "copy:"), _rows(pg_store, "insert:")
    assert len(by_copy) == 5 and by_copy == by_insert
    back = pg_store.get_document("copy:3")
    assert back.content_hash() == rich_doc("copy:3", 3).content_hash()
    assert back.meta["nested"] == {"k": "ü"} and back.authors == ["Ø. Author", "D'Arcy B"]
    assert all(back.text[p.start : p.end] == p.text for p in back.passages)
    with pg_store.engine.connect() as conn:  # SQL NULL vs JSON null: both paths agree
        nulls = conn.execute(
            select(passages.c.table_rows.is_(None)).join(documents).where(documents.c.uid.like("%:3"))
        ).all()
    assert len({r[0] for r in nulls}) == 1


def test_reingest_with_copy_updates_logs_and_deletes(pg_store: Store) -> None:
    pg_store.write_file([make_doc("pmid:1"), make_doc("pmid:2")], path="a", fmt="pubmed")
    res = pg_store.write_file(
        [make_doc("pmid:1", body="New body."), make_doc("pmid:2"), Deletion(uid="pmid:2")],
        path="b",
        fmt="pubmed",
    )
    assert (res.updated, res.deleted) == (1, 1)
    assert pg_store.get_document("pmid:1").passages[1].text == "New body."
    assert pg_store.stats()["documents"] == 1
    with pg_store.engine.connect() as conn:
        ops = conn.execute(select(changes.c.document_uid, changes.c.op).order_by(changes.c.seq)).all()
    assert [o for u, o in ops if u == "pmid:1"] == ["add", "add", "del", "del", "add", "add"]
    assert [o for u, o in ops if u == "pmid:2"] == ["add", "add", "del", "del"]


def test_a_file_failing_after_copied_batches_leaves_nothing(pg_store: Store) -> None:
    pg_store.write_file([make_doc("pmid:1", body="Kept body.")], path="old", fmt="pubmed")

    def records() -> Iterator[Document]:
        yield make_doc("pmid:1", body="Replaced body.")
        for i in range(2, staging.BATCH * 2 + 10):
            yield make_doc(f"pmid:{i}")
        raise ParseError("bad.xml", "record 520: broken")

    with pytest.raises(ParseError):
        pg_store.write_file(records(), path="bad.xml", fmt="pubmed")
    assert pg_store.stats()["documents"] == 1
    assert pg_store.get_document("pmid:1").passages[1].text == "Kept body."
    with pg_store.engine.connect() as conn:
        assert conn.execute(select(documents.c.uid)).scalars().all() == ["pmid:1"]
