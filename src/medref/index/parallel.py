"""Index rebuilds with the embedding fanned out over worker processes or a Ray cluster.

``medref index rebuild --workers N`` reads the stored passages in id order, in batches of
:data:`medref.index.sync.BATCH`, and hands each batch to an embedding worker; the results
are written to the new index generation strictly in batch order, as the one-process rebuild
writes them. A batch is embedded whole, in the same order of texts, by the same model, so
each vector is the one the one-process path computes (both paths go through :func:`build`;
one worker embeds in the calling process).

Workers are, by default, local processes (``multiprocessing``, nothing to install); with
``--ray`` they are Ray actors, on a local Ray started for the rebuild or on the cluster at
``index.ray_address`` (``pip install 'medref[ray]'``; every node needs medref and the
embedding model installed). Lexical indexing stays in the calling process and overlaps with
the embedding.

**What is indexed.** The store's change-log head and its largest passage id are read once,
at the start: the rebuild indexes the live passages up to that id and commits the indexes at
that head, so ``medref index sync`` (run by every ingest) replays from there whatever changed
since, as it does after a one-process rebuild.

**Resuming** (file backends; not the in-database ones, whose ``commit`` publishes the
generation, see :mod:`medref.index.pg_common`). Every :data:`CHECKPOINT_S` seconds the
indexes are committed and the last passage id written is saved in the generation folder
(:data:`CHECKPOINT`, written after the commit). A rebuild killed at any point leaves that unfinished generation; the next rebuild
with the same backends and model continues it from the checkpoint instead of starting over
(passages written after the checkpoint are written again: every backend's ``add`` replaces).
"""

from __future__ import annotations

import json
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from sqlalchemy import func, select

from medref.errors import ConfigError, MissingExtraError
from medref.index.base import IndexedPassage
from medref.settings import Settings
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import changes, passages

CHECKPOINT = "rebuild-progress.json"
#: Seconds between two checkpoints (an index commit each: a usearch commit saves the graph).
CHECKPOINT_S = 60.0
Progress = Callable[[int], None]


# --------------------------------------------------------------------------- embedding workers
def embedder_options(settings: Settings, *, threads: int | None = None) -> dict[str, Any]:
    """The options :func:`medref.index.embed.get_embedder` is given for these settings."""
    options: dict[str, Any] = {"threads": threads or settings.index.threads}
    if settings.index.embed_model_path:
        options["model_path"] = str(settings.index.embed_model_path)
    if settings.index.embed_tokenizer_path:
        options["tokenizer_path"] = str(settings.index.embed_tokenizer_path)
    return options


class Pool(Protocol):
    def submit(self, texts: list[str]) -> Any: ...

    def result(self, handle: Any) -> np.ndarray: ...

    def close(self) -> None: ...


class InlinePool:
    """One worker: embeds in the calling process when the result is asked for."""

    def __init__(self, embedder: Any) -> None:
        self.embedder = embedder

    def submit(self, texts: list[str]) -> Any:
        return texts

    def result(self, handle: Any) -> np.ndarray:
        return np.asarray(self.embedder.embed(handle))

    def close(self) -> None:
        pass


_worker: Any = None  # the embedder of a worker process


def _start_worker(name: str, options: dict[str, Any]) -> None:
    global _worker
    from medref.index.embed import get_embedder

    _worker = get_embedder(name, **options)


def _embed_in_worker(texts: list[str]) -> np.ndarray:
    return np.asarray(_worker.embed(texts))


class ProcessPool:
    """Local worker processes (spawned: no inherited database connections or model threads)."""

    def __init__(self, workers: int, name: str, options: dict[str, Any]) -> None:
        self.executor = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_start_worker,
            initargs=(name, options),
        )

    def submit(self, texts: list[str]) -> Future[np.ndarray]:
        return self.executor.submit(_embed_in_worker, texts)

    def result(self, handle: Future[np.ndarray]) -> np.ndarray:
        return handle.result()

    def close(self) -> None:
        self.executor.shutdown(wait=False, cancel_futures=True)


class _RayEmbedder:
    """A Ray actor holding one embedder (made a remote class in :class:`RayPool`)."""

    def __init__(self, name: str, options: dict[str, Any]) -> None:
        _start_worker(name, options)

    def embed(self, texts: list[str]) -> np.ndarray:
        return _embed_in_worker(texts)


class RayPool:
    """Ray actors, one per worker, on a local Ray or the cluster at ``address``."""

    def __init__(self, workers: int, name: str, options: dict[str, Any], address: str | None) -> None:
        try:
            import ray
        except ImportError as exc:
            raise MissingExtraError("embedding on Ray", "ray", "ray") from exc
        self.ray: Any = ray
        self.started = not ray.is_initialized()
        if self.started:
            cpus = workers if address is None else None  # a cluster says what it has
            self.ray.init(address=address, num_cpus=cpus, include_dashboard=False, log_to_driver=False)
        actor: Any = self.ray.remote(num_cpus=1)(_RayEmbedder)
        self.actors: list[Any] = [actor.remote(name, options) for _ in range(workers)]
        self.turn = 0

    def submit(self, texts: list[str]) -> Any:
        actor = self.actors[self.turn % len(self.actors)]
        self.turn += 1
        return actor.embed.remote(texts)

    def result(self, handle: Any) -> np.ndarray:
        return np.asarray(self.ray.get(handle))

    def close(self) -> None:
        for actor in self.actors:
            self.ray.kill(actor)
        if self.started:
            self.ray.shutdown()


def make_pool(settings: Settings, embedder: Any, *, workers: int, use_ray: bool) -> Pool:
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1, not {workers}")
    if workers == 1 and not use_ray:
        return InlinePool(embedder)
    # The workers share this machine's cores (a cluster's nodes have their own).
    threads = settings.index.threads if use_ray and settings.index.ray_address else None
    threads = threads or max(1, (os.cpu_count() or 1) // workers)
    options = embedder_options(settings, threads=threads)
    if use_ray:
        return RayPool(workers, settings.index.embedder, options, settings.index.ray_address)
    return ProcessPool(workers, settings.index.embedder, options)


# --------------------------------------------------------------------------- checkpoints
@dataclass
class Checkpoint:
    head: int  # change-log head the rebuild commits at
    max_id: int  # the largest passage id it indexes
    last_id: int  # passages up to this id are committed in the generation
    config: dict[str, Any]


def build_config(settings: Settings) -> dict[str, Any]:
    """What must not change for a rebuild to be resumed (backends and model)."""
    ix = settings.index
    return {
        "lexical": ix.lexical,
        "dense": ix.dense,
        "embedder": ix.embedder,
        "model": str(ix.embed_model_path or ""),
        "tokenizer": str(ix.embed_tokenizer_path or ""),
    }


def in_database(settings: Settings) -> bool:
    """Whether an index lives in the store's database: its ``commit`` publishes a generation, so
    such a rebuild is not checkpointed (a failed one is dropped by the backend, not resumed)."""
    from medref.index.factory import DENSE_IN_DATABASE, LEXICAL_IN_DATABASE

    ix = settings.index
    return ix.lexical.strip().lower() in LEXICAL_IN_DATABASE or ix.dense.strip().lower() in DENSE_IN_DATABASE


def read_checkpoint(gen: Path) -> Checkpoint | None:
    try:
        return Checkpoint(**json.loads((gen / CHECKPOINT).read_text()))
    except (OSError, ValueError, TypeError):
        return None


def _write_checkpoint(gen: Path, point: Checkpoint) -> None:
    tmp = gen / f".{CHECKPOINT}.tmp"
    with open(tmp, "w") as fh:
        json.dump(asdict(point), fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, gen / CHECKPOINT)


def resumable(link: Path, store: Store, settings: Settings) -> Path | None:
    """An unfinished generation a killed rebuild left that this one can continue, or None."""
    from medref.index import generations

    live = generations.live_generation(link)
    head = _head(store)[0]
    found = []
    for gen in link.parent.glob(f"{link.name}{generations.GEN}*"):
        point = read_checkpoint(gen)
        if gen.resolve() == live or point is None:
            continue
        if point.config == build_config(settings) and point.head <= head:
            found.append((gen.stat().st_mtime, gen))
    return max(found)[1] if found else None


# --------------------------------------------------------------------------- the build
def _head(store: Store) -> tuple[int, int]:
    with read_tx(store.engine) as conn:
        head = conn.execute(select(func.coalesce(func.max(changes.c.seq), 0))).scalar_one()
        top = conn.execute(select(func.coalesce(func.max(passages.c.id), 0))).scalar_one()
    return int(head), int(top)


def _count(store: Store, after: int, upto: int) -> int:
    with read_tx(store.engine) as conn:
        q = select(func.count()).where(passages.c.id > after, passages.c.id <= upto)
        return int(conn.execute(q).scalar_one())


def batches(store: Store, after: int, upto: int, size: int) -> Iterator[tuple[int, list[IndexedPassage]]]:
    """(last id read, live passages in id order) for ids in (after, upto], ``size`` ids a batch."""
    from medref.index.sync import _load_passages

    last = after
    while last < upto:
        with read_tx(store.engine) as conn:
            ids = list(
                conn.execute(
                    select(passages.c.id)
                    .where(passages.c.id > last, passages.c.id <= upto)
                    .order_by(passages.c.id)
                    .limit(size)
                ).scalars()
            )
        if not ids:
            return
        last = int(ids[-1])
        yield last, sorted(_load_passages(store, ids), key=lambda p: p.id)


def build(
    store: Store,
    settings: Settings,
    root: Path,
    *,
    workers: int = 1,
    use_ray: bool = False,
    progress: Progress | None = None,
    total: Callable[[int, int], None] | None = None,
) -> Any:
    """Fill the generation at ``root`` (continuing its checkpoint, if any); returns a SyncReport.

    ``total(all, done)`` is told how many passage rows the rebuild covers and how many a
    resumed checkpoint already holds; ``progress(n)`` after each batch written.
    """
    from medref.index.sync import BATCH, SyncReport, _dense_text, _open_at

    indexes = _open_at(root, settings, create=True)
    point = read_checkpoint(root)
    if point is None:
        head, top = _head(store)
        point = Checkpoint(head=head, max_id=top, last_id=0, config=build_config(settings))
    report = SyncReport(watermark=point.head, rebuilt=True)
    if total:
        total(_count(store, 0, point.max_id), _count(store, 0, point.last_id))
    dense = indexes.dense is not None and indexes.embedder is not None
    pool: Pool | None = (
        make_pool(settings, indexes.embedder, workers=workers, use_ray=use_ray) if dense else None
    )
    window: deque[tuple[int, list[IndexedPassage], Any]] = deque()
    saved = time.monotonic()
    resumable_here = not in_database(settings)

    def write_oldest() -> None:
        nonlocal saved
        last, batch, handle = window.popleft()
        indexes.lexical.add(batch)
        if handle is not None and pool is not None and indexes.dense is not None:
            vectors = pool.result(handle)
            indexes.dense.add([p.id for p in batch], vectors)
        report.added += len(batch)
        if progress:
            progress(len(batch))
        if resumable_here and time.monotonic() - saved >= CHECKPOINT_S:
            for ix in indexes.all():
                ix.commit(0)  # not servable yet: a generation is only swapped in when complete
            point.last_id = last
            _write_checkpoint(root, point)
            saved = time.monotonic()

    try:
        for last, batch in batches(store, point.last_id, point.max_id, BATCH):
            handle = pool.submit([_dense_text(p) for p in batch]) if pool is not None and batch else None
            window.append((last, batch, handle))
            if len(window) > 2 * max(1, workers):  # bounded: memory stays flat
                write_oldest()
        while window:
            write_oldest()
        for ix in indexes.all():
            ix.commit(point.head)
        (root / CHECKPOINT).unlink(missing_ok=True)
    finally:
        if pool is not None:
            pool.close()
        indexes.close()
    return report
