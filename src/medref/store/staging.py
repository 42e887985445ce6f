"""Writing one input file in short transactions, still all or nothing.

One transaction per file held SQLite's write lock for as long as the file took to parse and
store: a web write (a saved answer, a review) waited 30 s and failed. A file is now written
in four steps, none of which holds the lock for more than one batch:

1. **Mark.** An ``ingest_log`` row with status ``staging`` says a file is being written.
2. **Stage.** Records are written :data:`BATCH` at a time, one short transaction each
   (``COPY FROM STDIN`` on PostgreSQL, :mod:`medref.store.copy`), as *staged* rows that no
   reader sees: ``documents.kind`` is the real kind with :data:`MARK` in front (readers
   filter by a real kind, or with :func:`live`), and ``documents.uid`` and ``passages.key``
   carry the same mark, so they never collide with the stored version they
   will replace. A deletion is staged as a tombstone row of kind :data:`TOMBSTONE`. Nothing
   goes to ``passage_changes`` yet, so an index never sees a staged passage.
3. **Commit point.** One transaction sets the marker to ``publish``: from then on the file
   will be stored whole, even if the process dies.
4. **Publish.** Staged rows go live :data:`PUBLISH_CHUNK` documents per transaction: the
   stored versions they replace (and tombstoned ones) are removed, the mark is stripped and
   passage additions and removals are logged. The transaction that publishes the last chunk
   also sets the marker to ``ok``, so a file of up to PUBLISH_CHUNK records (and the commit
   point with it) is published in one transaction; a larger one becomes visible chunk by
   chunk during its last seconds.

If the records fail half-way (a parse error), the staged rows and the marker are removed and
the error propagates: nothing stored before has changed. If the process dies, :func:`recover`
(run under the ingest lock before every file and when a store is opened) finishes the job: a
file still ``staging`` is rolled back (its marker becomes an ``error`` row saying so), a file
at ``publish`` is published to the end. Files are written one at a time (the ingest lock,
:mod:`medref.store.locks`), so every staged row belongs to the file being written.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    DateTime,
    Engine,
    String,
    delete,
    func,
    insert,
    literal,
    select,
    update,
)

from medref.errors import InputError
from medref.models import Deletion, Document, IngestFileResult, SourceKind
from medref.store import copy
from medref.store.db import read_tx, write_tx
from medref.store.locks import IngestLock
from medref.store.schema import changes, documents, ingest_log, passages

Item = Document | Deletion
#: Records per staging transaction.
BATCH = 250
#: Staged documents made live per publishing transaction.
PUBLISH_CHUNK = 500
#: SQLite only: the least time between two write transactions of one file. A writer that
#: found the database busy polls again every 100 ms at most (SQLite's busy handler), so a
#: gap this long lets a web write in between two batches instead of after the whole file.
TURN_S = 0.1
MARK = "~"
TOMBSTONE = MARK + "deleted"
STAGED_KINDS: tuple[str, ...] = (*(MARK + k.value for k in SourceKind), TOMBSTONE)
STAGING, PUBLISH, OK, ERROR = "staging", "publish", "ok", "error"
INTERRUPTED = (
    "{path}: the ingest stopped before this file was stored (the process was interrupted); "
    "nothing of it was kept - ingest it again"
)


def live() -> ColumnElement[bool]:
    """WHERE clause keeping only stored (not staged) documents."""
    return documents.c.kind.not_in(STAGED_KINDS)


def staged() -> ColumnElement[bool]:
    return documents.c.kind.in_(STAGED_KINDS)


def _now() -> datetime:
    return datetime.now(UTC)


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


class Turns:
    """Paces one file's write transactions so that other SQLite writers get a turn (TURN_S)."""

    def __init__(self, engine: Engine) -> None:
        self.gap = TURN_S if engine.dialect.name == "sqlite" else 0.0
        self.last = 0.0

    def wait(self) -> None:
        delay = self.last + self.gap - time.monotonic()
        if delay > 0:
            time.sleep(delay)

    def done(self) -> None:
        self.last = time.monotonic()


def doc_values(doc: Document, digest: str, now: datetime) -> dict[str, Any]:
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


def _tombstone(uid: str, now: datetime) -> dict[str, Any]:
    return {
        "uid": MARK + uid, "kind": TOMBSTONE, "title": "", "authors": [], "publication_types": [],
        "mesh_terms": [], "evidence_level": 0, "is_current": False, "text": "", "meta": {},
        "content_hash": "", "created_at": now, "updated_at": now,
    }  # fmt: skip


# --------------------------------------------------------------------------- the write
def write_file(
    engine: Engine,
    lock: IngestLock,
    items: Iterable[Item],
    *,
    path: str,
    fmt: str | None,
    progress: Callable[[int], None] | None = None,
) -> IngestFileResult:
    """Store every item of one file, all or nothing, in short transactions (see the module doc).

    Waits while another process writes a file. An exception from ``items`` removes what was
    staged and propagates.
    """
    counts = WriteCounts()
    start = _now()
    with lock.hold():
        recover_locked(engine)
        with write_tx(engine) as conn:
            key = conn.execute(
                insert(ingest_log).values(
                    path=path, format=fmt, status=STAGING, error=None, documents=0, passages=0, at=start
                )
            ).inserted_primary_key
            assert key is not None
            log_id = int(key[0])
        turns = Turns(engine)
        try:
            batch: list[Item] = []
            for item in items:
                batch.append(item)
                if len(batch) >= BATCH:
                    _stage(engine, batch, counts, progress, turns)
                    batch = []
            if batch:
                _stage(engine, batch, counts, progress, turns)
        except BaseException:
            _abandon(engine, log_id)
            raise
        _publish(engine, [log_id], counts, turns)
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


def _stage(
    engine: Engine,
    batch: list[Item],
    counts: WriteCounts,
    progress: Callable[[int], None] | None,
    turns: Turns,
) -> None:
    turns.wait()
    with write_tx(engine) as conn:
        stage_batch(conn, batch, counts, _now())
    turns.done()
    if progress:
        progress(len(batch))


def _abandon(engine: Engine, log_id: int) -> None:
    """Remove what a failed file staged, and its marker (best effort: recovery does it otherwise)."""
    try:
        while _discard_chunk(engine):
            pass
        with write_tx(engine) as conn:
            conn.execute(delete(ingest_log).where(ingest_log.c.id == log_id))
    except Exception:  # the original error matters more; recover() cleans up later
        pass


def _publish(engine: Engine, log_ids: list[int], counts: WriteCounts | None, turns: Turns) -> None:
    """Commit point (when ``counts`` is given), then publish chunk by chunk; the last one says ok."""
    first = True
    while True:
        turns.wait()
        now = _now()
        with write_tx(engine) as conn:
            if first and counts is not None:
                conn.execute(
                    update(ingest_log)
                    .where(ingest_log.c.id.in_(log_ids))
                    .values(status=PUBLISH, documents=counts.documents, passages=counts.passages)
                )
            done = publish_chunk(conn, now) < PUBLISH_CHUNK
            if done:
                conn.execute(
                    update(ingest_log)
                    .where(ingest_log.c.id.in_(log_ids))
                    .values(status=OK, error=None, at=now)
                )
        turns.done()
        first = False
        if done:
            return


# --------------------------------------------------------------------------- recovery
def pending_files(engine: Engine) -> list[tuple[int, str, str]]:
    """(id, status, path) of files a writer has not finished."""
    with read_tx(engine) as conn:
        return pending_in(conn)


def pending_in(conn: Connection) -> list[tuple[int, str, str]]:
    rows = conn.execute(
        select(ingest_log.c.id, ingest_log.c.status, ingest_log.c.path)
        .where(ingest_log.c.status.in_([STAGING, PUBLISH]))
        .order_by(ingest_log.c.id)
    ).all()
    return [(int(r.id), str(r.status), str(r.path)) for r in rows]


def recover_locked(engine: Engine) -> list[str]:
    """Finish what a killed writer left (the caller holds the ingest lock); say what was done."""
    pending = pending_files(engine)
    if not pending:
        return []
    done: list[str] = []
    publishing = [fid for fid, status, _ in pending if status == PUBLISH]
    if publishing:
        _publish(engine, publishing, None, Turns(engine))
        done += [f"{p}: finished storing it" for fid, s, p in pending if s == PUBLISH]
    else:
        while _discard_chunk(engine):
            pass
    for fid, status, path in pending:
        if status == STAGING:
            with write_tx(engine) as conn:
                conn.execute(
                    update(ingest_log)
                    .where(ingest_log.c.id == fid)
                    .values(status=ERROR, error=INTERRUPTED.format(path=path), at=_now())
                )
            done.append(f"{path}: rolled back an interrupted ingest")
    return done


def recover(engine: Engine, lock: IngestLock, *, wait: bool = False) -> list[str]:
    """:func:`recover_locked` when the ingest lock is free (or once it is, with ``wait``)."""
    with lock.hold(wait=wait) as got:
        return recover_locked(engine) if got else []


def _discard_chunk(engine: Engine) -> int:
    with write_tx(engine) as conn:
        ids = list(
            conn.execute(select(documents.c.id).where(staged()).order_by(documents.c.id).limit(PUBLISH_CHUNK))
            .scalars()
            .all()
        )
        if ids:
            conn.execute(delete(passages).where(passages.c.document_id.in_(ids)))
            conn.execute(delete(documents).where(documents.c.id.in_(ids)))
    return len(ids)


# --------------------------------------------------------------------------- one batch staged
def stage_batch(conn: Connection, batch: Sequence[Item], counts: WriteCounts, now: datetime) -> None:
    """Stage a batch; the last occurrence of a uid wins (also over one staged by an earlier batch)."""
    latest: dict[str, Item] = {}
    for item in batch:
        if item.uid.startswith(MARK):
            raise InputError(f"record {item.uid!r}: a record id may not start with {MARK!r}")
        latest[item.uid] = item
    uids = list(latest)
    earlier = list(
        conn.execute(select(documents.c.id).where(documents.c.uid.in_([MARK + u for u in uids]))).scalars()
    )
    if earlier:
        conn.execute(delete(passages).where(passages.c.document_id.in_(earlier)))
        conn.execute(delete(documents).where(documents.c.id.in_(earlier)))
    stored = {
        r.uid: r
        for r in conn.execute(
            select(documents.c.uid, documents.c.content_hash, documents.c.created_at).where(
                documents.c.uid.in_(uids)
            )
        )
    }
    rows: list[dict[str, Any]] = []
    tombstones: list[dict[str, Any]] = []
    docs: list[Document] = []
    for uid, item in latest.items():
        old = stored.get(uid)
        if isinstance(item, Deletion):
            if old is not None:
                tombstones.append(_tombstone(uid, now))
                counts.deleted += 1
            continue
        counts.documents += 1
        counts.passages += len(item.passages)
        if item.spl_setid:
            counts.spl_setids.add(item.spl_setid)
        digest = item.content_hash()
        if old is not None and old.content_hash == digest:
            counts.unchanged += 1
            continue
        values = doc_values(item, digest, now)
        values.update(uid=MARK + uid, kind=MARK + item.kind.value, created_at=old.created_at if old else now)
        rows.append(values)
        docs.append(item)
        if old is None:
            counts.inserted += 1
        else:
            counts.updated += 1
    bulk = copy.usable(conn)  # PostgreSQL: COPY FROM STDIN; SQLite: executemany
    for new_rows in (tombstones, rows):
        if new_rows and bulk:
            copy.copy_documents(conn, new_rows)
        elif new_rows:
            conn.execute(insert(documents), new_rows)
    if rows:
        ids = dict(
            conn.execute(
                select(documents.c.uid, documents.c.id).where(
                    documents.c.uid.in_([MARK + d.uid for d in docs])
                )
            ).all()
        )
        _insert_passages(conn, [(ids[MARK + d.uid], d) for d in docs], bulk=bulk)


def _insert_passages(conn: Connection, docs: list[tuple[int, Document]], *, bulk: bool = False) -> None:
    values = [
        {
            "key": MARK + passage_key(doc.uid, p.ordinal),
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
        for doc_id, doc in docs
        for p in doc.passages
    ]
    if values and bulk:
        copy.copy_passages(conn, values)
    elif values:
        conn.execute(insert(passages), values)  # plain executemany: no RETURNING row by row


# --------------------------------------------------------------------------- one chunk published
def publish_chunk(conn: Connection, now: datetime) -> int:
    """Make up to PUBLISH_CHUNK staged documents live; return how many staged rows it handled."""
    rows = conn.execute(
        select(documents.c.id, documents.c.uid, documents.c.kind, documents.c.spl_setid)
        .where(staged())
        .order_by(documents.c.id)
        .limit(PUBLISH_CHUNK)
    ).all()
    if not rows:
        return 0
    real = [str(r.uid)[len(MARK) :] for r in rows]
    old = conn.execute(
        select(documents.c.id, documents.c.uid, documents.c.spl_setid).where(
            documents.c.uid.in_(real), live()
        )
    ).all()
    setids = {str(r.spl_setid) for r in [*old, *rows] if r.spl_setid}
    if old:
        drop_passages(conn, [(int(r.id), str(r.uid)) for r in old], now)
        conn.execute(delete(documents).where(documents.c.id.in_([r.id for r in old])))
    tombstones = [r.id for r in rows if r.kind == TOMBSTONE]
    if tombstones:
        conn.execute(delete(documents).where(documents.c.id.in_(tombstones)))
    fresh = [r.id for r in rows if r.kind != TOMBSTONE]
    if fresh:
        cut = len(MARK) + 1
        conn.execute(
            update(documents)
            .where(documents.c.id.in_(fresh))
            .values(uid=func.substr(documents.c.uid, cut), kind=func.substr(documents.c.kind, cut))
        )
        conn.execute(
            update(passages)
            .where(passages.c.document_id.in_(fresh))
            .values(key=func.substr(passages.c.key, cut))
        )
        added = (
            select(
                passages.c.id,
                documents.c.uid,
                literal("add", String(3)),
                literal(now, DateTime(timezone=True)),
            )
            .join(documents, documents.c.id == passages.c.document_id)
            .where(passages.c.document_id.in_(fresh))
            .order_by(passages.c.id)
        )
        conn.execute(insert(changes).from_select(["passage_id", "document_uid", "op", "at"], added))
    for setid in sorted(setids):
        refresh_current_label(conn, setid)
    return len(rows)


def drop_passages(conn: Connection, docs: list[tuple[int, str]], now: datetime) -> None:
    """Delete the passages of stored documents, logging each removal for the indexes."""
    uid_of = dict(docs)
    found = conn.execute(
        select(passages.c.id, passages.c.document_id).where(passages.c.document_id.in_(list(uid_of)))
    ).all()
    if found:
        conn.execute(
            insert(changes),
            [
                {"passage_id": r.id, "document_uid": uid_of[r.document_id], "op": "del", "at": now}
                for r in found
            ],
        )
        conn.execute(delete(passages).where(passages.c.document_id.in_(list(uid_of))))


def refresh_current_label(conn: Connection, setid: str) -> None:
    """The newest stored version of a label set is current; older versions stay as history."""
    of_set = [documents.c.spl_setid == setid, live()]
    newest = conn.execute(select(func.max(documents.c.spl_version)).where(*of_set)).scalar()
    conn.execute(update(documents).where(*of_set).values(is_current=documents.c.spl_version == newest))
