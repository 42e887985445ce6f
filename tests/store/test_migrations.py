"""Alembic migrations create exactly the tables the models describe."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text

from medref.store.db import make_engine
from medref.store.migrate import current_revision, head_revision, upgrade
from medref.store.schema import Base


def test_migrations_match_models(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    assert diff == []
    assert {"documents", "passages", "passage_changes", "ingest_log"} <= set(
        inspect(engine).get_table_names()
    )
    engine.dispose()


def test_sqlite_pragmas(sqlite_url: str) -> None:
    engine = make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 2  # FULL
        assert conn.execute(text("PRAGMA foreign_keys")).scalar() == 1
    engine.dispose()


def test_write_transactions_take_the_write_lock_at_begin(sqlite_url: str, tmp_path: object) -> None:
    import sqlite3

    import pytest

    from medref.store.db import write_tx

    engine = make_engine(sqlite_url)
    upgrade(engine)
    db_file = sqlite_url.removeprefix("sqlite:///")
    with write_tx(engine):
        other = sqlite3.connect(db_file, timeout=0.05, isolation_level=None)
        with pytest.raises(sqlite3.OperationalError, match="locked"):
            other.execute("BEGIN IMMEDIATE")
        other.close()
    engine.dispose()
