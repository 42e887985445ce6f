"""Engines and transactions for SQLite (default) and PostgreSQL.

SQLite runs in WAL mode with ``synchronous=FULL`` and foreign keys on; write
transactions start with ``BEGIN IMMEDIATE`` so two writers queue (for up to
``BUSY_TIMEOUT_MS``) instead of failing half-way. Read transactions use a plain deferred
``BEGIN`` so readers never block.

Every write transaction is meant to be short: an ingest writes a file in batches of a few
hundred records (:mod:`medref.store.staging`), so a web write waits at most one batch, and
two ingests queue on the ingest lock (:mod:`medref.store.locks`), not on the database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from medref.errors import ConfigError, MissingExtraError, StoreError

WRITE = "medref_write"
#: How long a SQLite writer waits for another one before "database is locked".
BUSY_TIMEOUT_MS = 30_000


def _sqlite_events(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Connection) -> None:
        if conn.get_execution_options().get(WRITE):
            conn.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            conn.exec_driver_sql("BEGIN")


def make_engine(url: str) -> Engine:
    """Create an engine for ``url``; SQLite files get their folder created."""
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise ConfigError(f"database URL {url!r} is not valid: {exc}") from exc
    backend = parsed.get_backend_name()
    if backend == "postgresql" and parsed.drivername == "postgresql":
        parsed = parsed.set(drivername="postgresql+psycopg")
    try:
        if backend == "sqlite":
            if parsed.database and parsed.database != ":memory:":
                Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
            engine = create_engine(parsed)
            _sqlite_events(engine)
            return engine
        return create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        if backend == "postgresql":
            raise MissingExtraError("PostgreSQL storage", "postgres", "psycopg") from exc
        raise ConfigError(f"no driver for database URL {url!r}: {exc}") from exc


@contextmanager
def write_tx(engine: Engine) -> Iterator[Connection]:
    """One all-or-nothing write transaction (BEGIN IMMEDIATE on SQLite)."""
    try:
        with engine.connect() as raw:
            conn = raw.execution_options(**{WRITE: True})
            with conn.begin():
                yield conn
    except OperationalError as exc:
        raise StoreError(f"database write failed: {exc.orig}") from exc


@contextmanager
def read_tx(engine: Engine) -> Iterator[Connection]:
    """A read-only snapshot."""
    try:
        with engine.connect() as conn, conn.begin():
            yield conn
    except OperationalError as exc:
        raise StoreError(f"database read failed: {exc.orig}") from exc
