"""The evidence store: write documents file by file, read them back as domain objects.

Writes go through :meth:`Store.write_file`, one transaction per input file: either every
record of the file is stored or none is, and nothing stored before is touched on failure.
Re-ingesting a record with the same ``uid`` updates it in place (never duplicates it);
an unchanged record (same content hash) is skipped. Every passage added or removed is
recorded in ``passage_changes`` so indexes can catch up incrementally.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, DateTime, Engine, String, delete, func, insert, literal, select, update

from medref.errors import NotFoundError
from medref.models import Deletion, Document, DocumentRef, IngestFileResult, Passage, SourceKind
from medref.store.db import make_engine, read_tx, write_tx
from medref.store.migrate import ensure_schema
from medref.store.schema import changes, documents, ingest_log, passages

Item = Document | Deletion
BATCH = 500


def _now() -> datetime:
    return datetime.now(UTC)


def _doc_values(doc: Document, digest: str, now: datetime) -> dict[str, Any]:
    return {
        "uid": doc.uid,
        "kind": doc.kind.value,
        "title": doc.title,
        "journal": doc.journal,
        "year": doc.year,
        "pub_date": doc.date,
        "authors": doc.authors,
        "pmid": doc.pmid,
        "doi": doc.doi,
        "spl_setid": doc.spl_setid,
        "spl_version": doc.spl_version,
        "nct_id": doc.nct_id,
        "publication_types": doc.publication_types,
        "mesh_terms": doc.mesh_terms,
        "language": doc.language,
        "evidence_level": int(doc.evidence_level),
        "is_current": doc.is_current,
        "text": doc.text,
        "meta": doc.meta,
        "source_path": doc.source_path,
        "content_hash": digest,
        "updated_at": now,
    }


def passage_key(uid: str, ordinal: int) -> str:
    return f"{uid}#{ordinal}"


@dataclass
class WriteCounts:
    documents: int = 0
    passages: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    spl_setids: set[str] = field(default_factory=set)


class Store:
    """The evidence store over one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, *, migrate: bool = True) -> None:
        self.engine = engine
        if migrate:
            ensure_schema(engine)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True) -> Store:
        return cls(make_engine(url), migrate=migrate)

    def close(self) -> None:
        self.engine.dispose()

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    # ------------------------------------------------------------------ writes
    def write_file(
        self,
        items: Iterable[Item],
        *,
        path: str,
        fmt: str | None,
        progress: Callable[[int], None] | None = None,
    ) -> IngestFileResult:
        """Store every item of one file in one transaction (all or nothing).

        Exceptions from the ``items`` iterator (a ParseError half-way) roll the whole file
        back and propagate; the caller records the failure with :meth:`log_failure`.
        """
        counts = WriteCounts()
        start = _now()
        with write_tx(self.engine) as conn:
            batch: list[Item] = []
            for item in items:
                batch.append(item)
                if len(batch) >= BATCH:
                    self._write_batch(conn, batch, counts)
                    if progress:
                        progress(len(batch))
                    batch = []
            if batch:
                self._write_batch(conn, batch, counts)
                if progress:
                    progress(len(batch))
            for setid in counts.spl_setids:
                self._refresh_current_label(conn, setid)
            conn.execute(
                insert(ingest_log).values(
                    path=path,
                    format=fmt,
                    status="ok",
                    error=None,
                    documents=counts.documents,
                    passages=counts.passages,
                    at=_now(),
                )
            )
        return IngestFileResult(
            path=path,
            format=fmt,
            documents=counts.documents,
            passages=counts.passages,
            inserted=counts.inserted,
            updated=counts.updated,
            unchanged=counts.unchanged,
            deleted=counts.deleted,
            seconds=(_now() - start).total_seconds(),
        )

    def log_failure(self, *, path: str, fmt: str | None, error: str) -> None:
        with write_tx(self.engine) as conn:
            conn.execute(
                insert(ingest_log).values(
                    path=path, format=fmt, status="error", error=error, documents=0, passages=0, at=_now()
                )
            )

    def _write_batch(self, conn: Connection, batch: Sequence[Item], counts: WriteCounts) -> None:
        # last occurrence of a uid within a batch wins
        latest: dict[str, Item] = {}
        for item in batch:
            latest[item.uid] = item
        uids = list(latest)
        existing = {
            row.uid: (row.id, row.content_hash)
            for row in conn.execute(
                select(documents.c.uid, documents.c.id, documents.c.content_hash).where(
                    documents.c.uid.in_(uids)
                )
            )
        }
        now = _now()
        new_docs: list[Document] = []
        new_values: list[dict[str, Any]] = []
        replaced: list[tuple[int, Document, dict[str, Any]]] = []
        removed: list[tuple[int, str]] = []
        for uid, item in latest.items():
            if isinstance(item, Deletion):
                if uid in existing:
                    removed.append((existing[uid][0], uid))
                continue
            counts.documents += 1
            counts.passages += len(item.passages)
            if item.spl_setid:
                counts.spl_setids.add(item.spl_setid)
            digest = item.content_hash()
            if uid in existing:
                doc_id, old_hash = existing[uid]
                if old_hash == digest:
                    counts.unchanged += 1
                    continue
                replaced.append((doc_id, item, _doc_values(item, digest, now)))
            else:
                values = _doc_values(item, digest, now)
                values["created_at"] = now
                new_docs.append(item)
                new_values.append(values)

        if removed:
            self._drop_passages(conn, removed, now)
            conn.execute(delete(documents).where(documents.c.id.in_([d for d, _ in removed])))
            counts.deleted += len(removed)
        if replaced:
            self._drop_passages(conn, [(d, doc.uid) for d, doc, _ in replaced], now)
            for doc_id, _doc, values in replaced:
                conn.execute(update(documents).where(documents.c.id == doc_id).values(**values))
            self._insert_passages(conn, [(d, doc) for d, doc, _ in replaced], now)
            counts.updated += len(replaced)
        if new_values:
            conn.execute(insert(documents), new_values)
            ids = dict(
                conn.execute(
                    select(documents.c.uid, documents.c.id).where(
                        documents.c.uid.in_([d.uid for d in new_docs])
                    )
                ).all()
            )
            self._insert_passages(conn, [(ids[d.uid], d) for d in new_docs], now)
            counts.inserted += len(new_values)

    def _drop_passages(self, conn: Connection, docs: list[tuple[int, str]], now: datetime) -> None:
        uid_of = dict(docs)
        rows = conn.execute(
            select(passages.c.id, passages.c.document_id).where(passages.c.document_id.in_(list(uid_of)))
        ).all()
        if rows:
            conn.execute(
                insert(changes),
                [
                    {"passage_id": r.id, "document_uid": uid_of[r.document_id], "op": "del", "at": now}
                    for r in rows
                ],
            )
            conn.execute(delete(passages).where(passages.c.document_id.in_(list(uid_of))))

    def _insert_passages(self, conn: Connection, docs: list[tuple[int, Document]], now: datetime) -> None:
        """Insert the passages of freshly written documents and log them as additions.

        Plain executemany (no RETURNING, which SQLite would run row by row); the change log
        is written by one INSERT ... SELECT over the new rows.
        """
        values: list[dict[str, Any]] = []
        for doc_id, doc in docs:
            for p in doc.passages:
                values.append(
                    {
                        "key": passage_key(doc.uid, p.ordinal),
                        "document_id": doc_id,
                        "ordinal": p.ordinal,
                        "section": p.section,
                        "kind": p.kind,
                        "loinc": p.loinc,
                        "text": p.text,
                        "char_start": p.start,
                        "char_end": p.end,
                        "table_rows": p.table,
                    }
                )
        if not values:
            return
        conn.execute(insert(passages), values)
        doc_ids = [doc_id for doc_id, _ in docs]
        logged = (
            select(
                passages.c.id,
                documents.c.uid,
                literal("add", String(3)),
                literal(now, DateTime(timezone=True)),
            )
            .join(documents, documents.c.id == passages.c.document_id)
            .where(passages.c.document_id.in_(doc_ids))
            .order_by(passages.c.id)
        )
        conn.execute(insert(changes).from_select(["passage_id", "document_uid", "op", "at"], logged))

    def _refresh_current_label(self, conn: Connection, setid: str) -> None:
        """The newest version of a label set is current; older versions stay as history."""
        newest = conn.execute(
            select(func.max(documents.c.spl_version)).where(documents.c.spl_setid == setid)
        ).scalar()
        conn.execute(
            update(documents)
            .where(documents.c.spl_setid == setid)
            .values(is_current=documents.c.spl_version == newest)
        )

    # ------------------------------------------------------------------ reads
    def get_document(self, uid: str, *, with_passages: bool = True) -> Document:
        with read_tx(self.engine) as conn:
            row = conn.execute(select(documents).where(documents.c.uid == uid)).mappings().first()
            if row is None:
                raise NotFoundError(f"no document with uid {uid!r}")
            plist = self._passages_of(conn, [row["id"]])[row["id"]] if with_passages else []
        return _row_to_document(row, plist)

    def iter_documents(self, *, kind: SourceKind | None = None, batch: int = 1000) -> Iterator[Document]:
        """All documents (with passages), in id order, streamed in batches."""
        last = 0
        while True:
            with read_tx(self.engine) as conn:
                q = select(documents).where(documents.c.id > last).order_by(documents.c.id).limit(batch)
                if kind is not None:
                    q = q.where(documents.c.kind == kind.value)
                rows = conn.execute(q).mappings().all()
                if not rows:
                    return
                plists = self._passages_of(conn, [r["id"] for r in rows])
            for r in rows:
                yield _row_to_document(r, plists[r["id"]])
            last = rows[-1]["id"]

    def _passages_of(self, conn: Connection, doc_ids: list[int]) -> dict[int, list[Passage]]:
        out: dict[int, list[Passage]] = {d: [] for d in doc_ids}
        q = (
            select(passages)
            .where(passages.c.document_id.in_(doc_ids))
            .order_by(passages.c.document_id, passages.c.ordinal)
        )
        for p in conn.execute(q).mappings():
            out[p["document_id"]].append(_row_to_passage(p))
        return out

    def passages_by_ids(self, ids: Sequence[int]) -> dict[int, tuple[Passage, DocumentRef]]:
        """Passages with their document summaries (no document text), keyed by passage id."""
        if not ids:
            return {}
        doc_cols = [c for c in documents.c if c.name not in ("text", "meta", "authors", "mesh_terms")]
        q = (
            select(passages, *[c.label(f"doc_{c.name}") for c in doc_cols])
            .join(documents, documents.c.id == passages.c.document_id)
            .where(passages.c.id.in_(list(ids)))
        )
        out: dict[int, tuple[Passage, DocumentRef]] = {}
        with read_tx(self.engine) as conn:
            for r in conn.execute(q).mappings():
                doc = _row_to_document(r, [], prefix="doc_")
                out[r["id"]] = (_row_to_passage(r), DocumentRef.of(doc))
        return out

    def short_document_texts(self, uids: Iterable[str], *, max_chars: int) -> dict[str, str]:
        """Full text of the given documents that are at most ``max_chars`` long."""
        wanted = list(uids)
        if not wanted:
            return {}
        with read_tx(self.engine) as conn:
            rows = conn.execute(
                select(documents.c.uid, documents.c.text).where(
                    documents.c.uid.in_(wanted), func.length(documents.c.text) <= max_chars
                )
            ).all()
        return {str(r.uid): str(r.text) for r in rows}

    def label_versions(self, setid: str) -> list[tuple[int, bool, str]]:
        """(version, is_current, uid) of every stored version of a label set, newest first."""
        with read_tx(self.engine) as conn:
            rows = conn.execute(
                select(documents.c.spl_version, documents.c.is_current, documents.c.uid)
                .where(documents.c.spl_setid == setid)
                .order_by(documents.c.spl_version.desc())
            ).all()
        return [(int(r[0]), bool(r[1]), str(r[2])) for r in rows]

    def stats(self) -> dict[str, Any]:
        with read_tx(self.engine) as conn:
            by_kind: dict[str, int] = dict(
                conn.execute(select(documents.c.kind, func.count()).group_by(documents.c.kind)).all()
            )
            n_docs = conn.execute(select(func.count()).select_from(documents)).scalar_one()
            n_pass = conn.execute(select(func.count()).select_from(passages)).scalar_one()
            errors = conn.execute(
                select(func.count()).select_from(ingest_log).where(ingest_log.c.status == "error")
            ).scalar_one()
            files = conn.execute(select(func.count()).select_from(ingest_log)).scalar_one()
            newest = conn.execute(select(func.max(documents.c.pub_date))).scalar()
            superseded = conn.execute(
                select(func.count()).select_from(documents).where(documents.c.is_current.is_(False))
            ).scalar_one()
        return {
            "documents": int(n_docs),
            "passages": int(n_pass),
            "by_kind": {str(k): int(v) for k, v in sorted(by_kind.items())},
            "superseded_label_versions": int(superseded),
            "files_ingested": int(files),
            "files_failed": int(errors),
            "newest_source_date": newest.isoformat() if newest else None,
            "database": self.engine.url.render_as_string(hide_password=True),
        }


def _row_to_passage(p: Any) -> Passage:
    return Passage(
        ordinal=p["ordinal"],
        section=p["section"],
        text=p["text"],
        start=p["char_start"],
        end=p["char_end"],
        kind=p["kind"],
        loinc=p["loinc"],
        table=p["table_rows"],
        id=p["key"],
    )


def _row_to_document(r: Any, plist: list[Passage], *, prefix: str = "") -> Document:
    """A Document from a documents row; ``prefix`` when the columns were labelled (joins).

    Columns a query left out (text, meta, authors, mesh terms) come back empty.
    """

    def col(name: str) -> Any:
        return r.get(prefix + name)

    return Document(
        uid=col("uid"),
        kind=SourceKind(col("kind")),
        title=col("title"),
        journal=col("journal"),
        year=col("year"),
        date=col("pub_date"),
        authors=list(col("authors") or []),
        pmid=col("pmid"),
        doi=col("doi"),
        spl_setid=col("spl_setid"),
        spl_version=col("spl_version"),
        nct_id=col("nct_id"),
        publication_types=list(col("publication_types") or []),
        mesh_terms=list(col("mesh_terms") or []),
        language=col("language"),
        text=col("text") or "",
        passages=plist,
        meta=dict(col("meta") or {}),
        source_path=col("source_path"),
        is_current=bool(col("is_current")),
    )
