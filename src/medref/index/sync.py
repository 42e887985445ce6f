"""Keep the on-disk indexes in step with the store.

The store appends every passage addition/removal to ``passage_changes``; each index
remembers the last change it applied (its *watermark*). :func:`sync` replays the log
from there, :func:`rebuild` starts over from the passages table. An index whose
watermark is ahead of the store (the store was replaced) must be rebuilt.

:func:`rebuild` builds a new index generation beside the live one and swaps it in
atomically (:mod:`medref.index.generations`): a rebuild that fails or is killed leaves the
old index serving.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from medref.errors import IndexNotReadyError, MedrefError, MissingExtraError
from medref.index import generations
from medref.index.base import DenseIndex, IndexedPassage, LexicalIndex
from medref.settings import Settings
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import changes, documents, passages
from medref.store.staging import live

BATCH = 2000
Progress = Callable[[int], None]


@dataclass
class IndexSet:
    """The indexes that belong to one store."""

    lexical: LexicalIndex
    dense: DenseIndex | None = None
    embedder: Any = None  # medref.index.embed.Embedder when dense is on
    notes: list[str] = field(default_factory=list)
    root: Path | None = None  # the generation folder these indexes were opened in
    settings: Settings | None = None  # set by open_indexes: lets refresh() follow a rebuild
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def all(self) -> list[LexicalIndex | DenseIndex]:
        return [self.lexical] + ([self.dense] if self.dense is not None else [])

    def refresh(self) -> bool:
        """Follow a rebuild that swapped in a new generation; True when the indexes were reopened.

        The replaced indexes are not closed (another thread may still be searching them);
        they are released with their last reference.
        """
        if self.settings is None or self.root is None:
            return False
        now = generations.live_generation(self.settings.index_dir)
        if now is None or now == self.root:
            return False
        with self._lock:
            if now == self.root:
                return False
            try:
                fresh = _open_at(now, self.settings, create=False, embedder=self.embedder)
            except (MedrefError, OSError):  # mid-swap or unreadable: keep serving what is open
                return False
            self.lexical, self.dense, self.notes, self.root = fresh.lexical, fresh.dense, fresh.notes, now
            if fresh.embedder is not None:
                self.embedder = fresh.embedder
        return True

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
    """Open (or create) the lexical and, when available, dense index of the live generation."""
    link = settings.index_dir
    root = generations.live_generation(link)
    if root is None or not (root / "lexical").exists():
        if not create:
            raise IndexNotReadyError(f"no search index at {link}; build it with: medref index rebuild")
        if root is None:
            if link.is_symlink():  # leads nowhere: start afresh
                link.unlink()
            link.mkdir(parents=True, exist_ok=True)
            root = link.resolve()
    return _open_at(root, settings, create=True)


def _open_at(root: Path, settings: Settings, *, create: bool, embedder: Any = None) -> IndexSet:
    from medref.index.factory import make_dense, make_lexical

    lexical = make_lexical(settings.index.lexical, root / "lexical", create=create, settings=settings)
    notes: list[str] = []
    dense = None
    wanted = _dense_wanted(settings)
    if wanted is None:
        notes.append("dense search is off (install it with: pip install 'medref[dense]')")
    else:
        try:
            if embedder is None:
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
            dense = make_dense(name, root / "dense", dim=embedder.dim, settings=settings)
            _remember_dense_backend(root / "dense", name)
        except MissingExtraError as exc:
            notes.append(str(exc))
            dense = embedder = None
    return IndexSet(
        lexical=lexical, dense=dense, embedder=embedder, notes=notes, root=root, settings=settings
    )


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
    """Raise when an index cannot be used; return how many changes it is behind.

    Indexes replaced by a rebuild since they were opened are reopened first.
    """
    indexes.refresh()
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
            .where(passages.c.id.in_(list(ids)), live())  # never a passage of a file being written
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


def rebuild(
    store: Store,
    settings: Settings,
    *,
    progress: Progress | None = None,
    workers: int = 1,
    use_ray: bool = False,
    total: Callable[[int, int], None] | None = None,
) -> SyncReport:
    """Build the indexes again from every stored passage, beside the live ones, and swap them in.

    The live indexes keep serving until the new ones are complete and durable; a rebuild that
    fails leaves them as they were. A second rebuild while one runs is refused. ``workers``
    embedding processes (or Ray actors with ``use_ray``) share the embedding; a rebuild killed
    or interrupted after its first checkpoint is continued by the next one
    (:mod:`medref.index.parallel`).
    """
    from medref.index import parallel

    link = settings.index_dir
    with generations.rebuild_lock(link):
        gen = parallel.resumable(link, store, settings)
        generations.remove_stale(link, keep=gen)
        gen = gen or generations.new_generation(link)
        try:
            report = parallel.build(
                store, settings, gen, workers=workers, use_ray=use_ray, progress=progress, total=total
            )
        except KeyboardInterrupt:  # keep what was checkpointed: the next rebuild continues it
            if parallel.read_checkpoint(gen) is None:
                shutil.rmtree(gen, ignore_errors=True)
            raise
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        generations.swap(link, gen)
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
