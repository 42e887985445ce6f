"""Fixtures of the review tests."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import Engine

from medref.store.db import make_engine
from medref.store.migrate import ensure_schema


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    """An engine on a fresh store at the newest schema (SQLite, and PostgreSQL when it answers)."""
    e = make_engine(store_url)
    ensure_schema(e)
    yield e
    e.dispose()
