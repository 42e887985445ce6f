"""The evidence store: write documents file by file, read them back as domain objects.

Writes go through :meth:`Store.write_file`, all or nothing per input file, in short
transactions so that other writers (the web app) wait at most one batch
(:mod:`medref.store.staging`); nothing stored before is touched when a file fails, and a
file a killed process left half-written is finished or rolled back when a store is next
opened. Re-ingesting a record with the same ``uid`` replaces it (never duplicates it); an
unchanged record (same content hash) is skipped. Every passage added or removed is recorded
in ``passage_changes`` so indexes can catch up incrementally.

Readers never see a file being written: its rows are staged (see :func:`staging.live`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Engine, func, insert, select

from medref.errors import NotFoundError
from medref.models import Deletion, Document, DocumentRef, IngestFileResult, Passage, SourceKind
from medref.store import staging
from medref.store.db import make_engine, read_tx, write_tx
from medref.store.locks import IngestLock
from medref.store.migrate import ensure_schema
from medref.store.schema import documents, ingest_log, passages
from medref.store.staging import live, passage_key

__all__ = ["Item", "Store", "passage_key"]

Item = Document | Deletion
log = logging.getLogger(__name__)


def _now() -> datetime:
    return datetime.now(UTC)


class Store:
    """The evidence store over one SQLAlchemy engine (SQLite or PostgreSQL)."""

    def __init__(self, engine: Engine, *, migrate: bool = True, recover: bool = True) -> None:
        self.engine = engine
        self.lock = IngestLock(engine)
        if migrate:
            ensure_schema(engine)
        if recover:
            where = engine.url.render_as_string(hide_password=True)
            try:
                notes = self.recover()
            except OSError as exc:  # e.g. a read-only data folder: the lock file cannot be made
                notes = [f"could not check for interrupted ingests ({exc})"]
            for note in notes:
                log.warning("store %s: %s", where, note)

    @classmethod
    def open(cls, url: str, *, migrate: bool = True, recover: bool = True) -> Store:
        return cls(make_engine(url), migrate=migrate, recover=recover)

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
        """Store every item of one file, all or nothing, in short transactions.

        Waits while another process writes a file (the writes queue). Exceptions from the
        ``items`` iterator (a ParseError half-way) discard what the file staged and propagate;
        the caller records the failure with :meth:`log_failure`. See :mod:`medref.store.staging`.
        """
        return staging.write_file(self.engine, self.lock, items, path=path, fmt=fmt, progress=progress)

    def recover(self, *, wait: bool = False) -> list[str]:
        """Finish or roll back files a killed ingest left half-written (skipped while another
        process is ingesting, unless ``wait``); returns what was done."""
        return staging.recover(self.engine, self.lock, wait=wait)

    def log_failure(self, *, path: str, fmt: str | None, error: str) -> None:
        with write_tx(self.engine) as conn:
            conn.execute(
                insert(ingest_log).values(
                    path=path, format=fmt, status="error", error=error, documents=0, passages=0, at=_now()
                )
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
                q = (
                    select(documents)
                    .where(documents.c.id > last, live())
                    .order_by(documents.c.id)
                    .limit(batch)
                )
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
        # of meta (large for labels and registrations), only what a DocumentRef shows
        small_meta = [documents.c.meta[key].label(f"meta_{key}") for key in REF_META_KEYS]
        q = (
            select(passages, *[c.label(f"doc_{c.name}") for c in doc_cols], *small_meta)
            .join(documents, documents.c.id == passages.c.document_id)
            .where(passages.c.id.in_(list(ids)))
        )
        out: dict[int, tuple[Passage, DocumentRef]] = {}
        with read_tx(self.engine) as conn:
            for r in conn.execute(q).mappings():
                doc = _row_to_document(r, [], prefix="doc_")
                doc.meta = {k: r[f"meta_{k}"] for k in REF_META_KEYS if r[f"meta_{k}"] is not None}
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
                .where(documents.c.spl_setid == setid, live())
                .order_by(documents.c.spl_version.desc())
            ).all()
        return [(int(r[0]), bool(r[1]), str(r[2])) for r in rows]

    def stats(self) -> dict[str, Any]:
        """Counts of stored records; a file being written (staged) is not counted yet."""
        with read_tx(self.engine) as conn:
            by_kind: dict[str, int] = dict(
                conn.execute(
                    select(documents.c.kind, func.count()).where(live()).group_by(documents.c.kind)
                ).all()
            )
            n_docs = sum(by_kind.values())
            n_staged = conn.execute(
                select(func.count())
                .select_from(passages.join(documents, documents.c.id == passages.c.document_id))
                .where(staging.staged())
            ).scalar_one()
            n_pass = conn.execute(select(func.count()).select_from(passages)).scalar_one() - n_staged
            errors = conn.execute(
                select(func.count()).select_from(ingest_log).where(ingest_log.c.status == staging.ERROR)
            ).scalar_one()
            files = conn.execute(
                select(func.count())
                .select_from(ingest_log)
                .where(ingest_log.c.status.in_([staging.OK, staging.ERROR]))
            ).scalar_one()
            newest = conn.execute(select(func.max(documents.c.pub_date)).where(live())).scalar()
            superseded = conn.execute(
                select(func.count()).select_from(documents).where(documents.c.is_current.is_(False), live())
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


REF_META_KEYS = ("flags", "sample_size")  # the Document.meta keys DocumentRef.of reads


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
