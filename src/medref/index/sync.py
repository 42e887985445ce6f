"""Keep the on-disk indexes in step with the store.

The store appends every passage addition/removal to ``passage_changes``; each index
remembers the last change it applied (its *watermark*). :func:`sync` replays the log
from there, :func:`rebuild` starts over from the passages table. An index whose
watermark is ahead of the store (the store was replaced) must be rebuilt.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from medref.errors import IndexNotReadyError, MissingExtraError
from medref.index.base import DenseIndex, IndexedPassage, LexicalIndex
from medref.settings import Settings
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import changes, documents, passages

BATCH = 2000
Progress = Callable[[int], None]


@dataclass
class IndexSet:
    """The indexes that belong to one store."""

    lexical: LexicalIndex
    dense: DenseIndex | None = None
    embedder: Any = None  # medref.index.embed.Embedder when dense is on
    notes: list[str] = field(default_factory=list)

    def all(self) -> list[LexicalIndex | DenseIndex]:
        return [self.lexical] + ([self.dense] if self.dense is not None else [])

    def close(self) -> None:
        for ix in self.all():
            ix.close()


@dataclass
class SyncReport:
    added: int = 0
    removed: int = 0
    watermark: int = 0
    rebuilt: bool = False


def _dense_wanted(settings: Settings) -> str | None:
    """The dense backend to use, or None. 'auto' means: on when the dense extra is installed."""
    choice = settings.index.dense
    if choice == "off":
        return None
    if choice == "auto":
        try:
            import onnxruntime  # noqa: F401
        except ImportError:
            return None
        return "auto"
    return choice


def open_indexes(settings: Settings, *, create: bool = True) -> IndexSet:
    """Open (or create) the lexical and, when available, dense index under settings.index_dir."""
    from medref.index.factory import make_dense, make_lexical

    root = settings.index_dir
    if not create and not (root / "lexical").exists():
        raise IndexNotReadyError(f"no search index at {root}; build it with: medref index rebuild")
    root.mkdir(parents=True, exist_ok=True)
    lexical = make_lexical(settings.index.lexical, root / "lexical")
    notes: list[str] = []
    dense = embedder = None
    wanted = _dense_wanted(settings)
    if wanted is None:
        notes.append("dense search is off (install it with: pip install 'medref[dense]')")
    else:
        try:
            from medref.index.embed import get_embedder

            options: dict[str, Any] = {"threads": settings.index.threads}
            if settings.index.embed_model_path:
                options["model_path"] = settings.index.embed_model_path
            if settings.index.embed_tokenizer_path:
                options["tokenizer_path"] = settings.index.embed_tokenizer_path
            embedder = get_embedder(settings.index.embedder, **options)
            name = wanted
            if wanted == "auto":
                name = _stored_dense_backend(root / "dense") or "usearch"
            dense = make_dense(name, root / "dense", dim=embedder.dim)
            _remember_dense_backend(root / "dense", name)
        except MissingExtraError as exc:
            notes.append(str(exc))
            dense = embedder = None
    return IndexSet(lexical=lexical, dense=dense, embedder=embedder, notes=notes)


def _stored_dense_backend(folder: Path) -> str | None:
    marker = folder / "backend.json"
    if marker.is_file():
        return str(json.loads(marker.read_text())["backend"])
    return None


def _remember_dense_backend(folder: Path, name: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "backend.json").write_text(json.dumps({"backend": name}))


def store_watermark(store: Store) -> int:
    with read_tx(store.engine) as conn:
        return int(conn.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar_one())


def check_fresh(store: Store, indexes: IndexSet) -> int:
    """Raise when an index cannot be used; return how many changes it is behind."""
    head = store_watermark(store)
    behind = 0
    for ix in indexes.all():
        if ix.watermark > head:
            raise IndexNotReadyError(
                f"the {ix.name} index at {ix.path} belongs to another store (it is ahead of it); "
                "rebuild it with: medref index rebuild"
            )
        behind = max(behind, head - ix.watermark)
    return behind


def _load_passages(store: Store, ids: Sequence[int]) -> Iterator[IndexedPassage]:
    with read_tx(store.engine) as conn:
        q = (
            select(
                passages.c.id,
                passages.c.text,
                passages.c.section,
                documents.c.title,
                documents.c.kind,
                documents.c.is_current,
            )
            .join(documents, documents.c.id == passages.c.document_id)
            .where(passages.c.id.in_(list(ids)))
        )
        rows = conn.execute(q).all()
    for r in rows:
        yield IndexedPassage(
            id=r.id, text=r.text, title=r.title, section=r.section, kind=r.kind, is_current=bool(r.is_current)
        )


def _apply(indexes: IndexSet, add: list[IndexedPassage], remove: list[int]) -> None:
    for ix in indexes.all():
        if remove:
            ix.remove(remove)
    if add:
        indexes.lexical.add(add)
        if indexes.dense is not None and indexes.embedder is not None:
            vectors = indexes.embedder.embed([_dense_text(p) for p in add])
            indexes.dense.add([p.id for p in add], vectors)


def _dense_text(p: IndexedPassage) -> str:
    """What the embedder sees: the document title gives a section its context."""
    return p.text if p.section == "Title" else f"{p.title}. {p.text}"


def sync(store: Store, indexes: IndexSet, *, progress: Progress | None = None) -> SyncReport:
    """Apply the store's change log to every index since its watermark."""
    check_fresh(store, indexes)
    head = store_watermark(store)
    start = min(ix.watermark for ix in indexes.all())
    report = SyncReport(watermark=head)
    cursor = start
    while cursor < head:
        with read_tx(store.engine) as conn:
            rows = conn.execute(
                select(changes.c.seq, changes.c.passage_id, changes.c.op)
                .where(changes.c.seq > cursor)
                .order_by(changes.c.seq)
                .limit(BATCH * 5)
            ).all()
        if not rows:
            break
        final: dict[int, str] = {}
        for r in rows:
            final[r.passage_id] = r.op  # the last operation on a passage wins
        to_remove = [pid for pid, op in final.items() if op == "del"]
        wanted = [pid for pid, op in final.items() if op == "add"]
        for i in range(0, len(wanted), BATCH):
            chunk_ids = wanted[i : i + BATCH]
            found = list(_load_passages(store, chunk_ids))
            gone = set(chunk_ids) - {p.id for p in found}  # added then removed later in the log
            _apply(indexes, found, sorted(gone))
            report.added += len(found)
            if progress:
                progress(len(found))
        _apply(indexes, [], to_remove)
        report.removed += len(to_remove)
        cursor = int(rows[-1].seq)
        for ix in indexes.all():
            ix.commit(cursor)
    return report


def rebuild(store: Store, settings: Settings, *, progress: Progress | None = None) -> SyncReport:
    """Drop the indexes and build them again from every stored passage."""
    root = settings.index_dir
    if root.exists():
        shutil.rmtree(root)
    indexes = open_indexes(settings)
    try:
        head = store_watermark(store)
        report = SyncReport(watermark=head, rebuilt=True)
        last = 0
        while True:
            with read_tx(store.engine) as conn:
                ids = (
                    conn.execute(
                        select(passages.c.id).where(passages.c.id > last).order_by(passages.c.id).limit(BATCH)
                    )
                    .scalars()
                    .all()
                )
            if not ids:
                break
            batch = list(_load_passages(store, ids))
            _apply(indexes, batch, [])
            report.added += len(batch)
            last = ids[-1]
            if progress:
                progress(len(batch))
        for ix in indexes.all():
            ix.commit(head)
    finally:
        indexes.close()
    return report


def sync_after_ingest(store: Store, settings: Settings | None = None) -> SyncReport:
    """Called by `medref ingest`: bring the indexes up to date (creating them if needed).

    An index that cannot be used (another store's, or an older on-disk format) is rebuilt.
    Other failures (e.g. another process is writing the index) propagate: the store already
    holds the new records and the next ingest or `medref index sync` catches the index up.
    """
    from medref.deps import get_settings

    settings = settings or get_settings()
    try:
        indexes = open_indexes(settings)
    except IndexNotReadyError:
        return rebuild(store, settings)
    try:
        return sync(store, indexes)
    except IndexNotReadyError:
        indexes.close()
        return rebuild(store, settings)
    finally:
        indexes.close()
