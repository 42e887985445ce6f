"""The ingest lock: one file is written into a store at a time, across processes.

An ingest writes a file in many short transactions (see :mod:`medref.store.staging`), so the
database's own write lock no longer keeps two ingests apart; this lock does. A second
``medref ingest`` waits for it (the writes queue) instead of failing with "database is
locked". The lock dies with its holder, so a killed ingest never leaves it taken:

* SQLite: ``flock`` on ``<database file>.ingest-lock`` (released by the kernel when the
  process exits); an in-memory database uses a lock of this process.
* PostgreSQL: a session-level advisory lock keyed by the schema in use, held on its own
  connection (released by the server when that connection drops).
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from sqlalchemy import Engine, text

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: in-process locking only
    fcntl = None  # type: ignore[assignment]

_LOCAL: dict[str, threading.Lock] = {}
_LOCAL_GUARD = threading.Lock()


def _local(key: str) -> threading.Lock:
    with _LOCAL_GUARD:
        return _LOCAL.setdefault(key, threading.Lock())


class IngestLock:
    """``with lock.hold(): ...`` while writing one file; ``hold(wait=False)`` yields False
    instead of waiting when another writer has it."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.path: Path | None = None
        db = engine.url.database if engine.dialect.name == "sqlite" else None
        if db and db != ":memory:" and not db.startswith("file:"):
            self.path = Path(db).expanduser().with_name(Path(db).name + ".ingest-lock")

    @contextmanager
    def hold(self, *, wait: bool = True) -> Iterator[bool]:
        if self.engine.dialect.name == "postgresql":
            with self._pg(wait) as got:
                yield got
        elif self.path is not None and fcntl is not None:
            with self._flock(wait) as got:
                yield got
        else:
            lock = _local(str(self.engine.url))
            got = lock.acquire(blocking=wait)
            try:
                yield got
            finally:
                if got:
                    lock.release()

    @contextmanager
    def _flock(self, wait: bool) -> Iterator[bool]:
        assert self.path is not None and fcntl is not None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fh: IO[bytes] = open(self.path, "ab")  # noqa: SIM115 - closed below
        try:
            try:
                fcntl.flock(fh.fileno(), fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
        finally:
            fh.close()

    @contextmanager
    def _pg(self, wait: bool) -> Iterator[bool]:
        with self.engine.connect() as raw:
            conn = raw.execution_options(isolation_level="AUTOCOMMIT")
            schema = str(conn.execute(text("SELECT current_schema()")).scalar() or "public")
            key = zlib.crc32(f"medref-ingest:{schema}".encode())  # a bigint key
            if wait:
                conn.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                got = True
            else:
                got = bool(conn.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            try:
                yield got
            finally:
                if got:
                    conn.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
