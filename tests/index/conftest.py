"""Fixtures for the index tests: a PostgreSQL server with pgvector from a pip package.

The local test server (tests/conftest.py ``pg_url``) has no pgvector, so the pgvector tests
start the PostgreSQL that the ``pgserver`` wheel ships (with pgvector built in; the
``pgvector`` extra installs it). Tests that need it are skipped when it is not installed or
does not start here.
"""

from __future__ import annotations

import shutil
import tempfile
import uuid
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def pgvector_server() -> Iterator[Any]:
    """A private pgserver instance for the session (run as a 'pgserver' user when we are root).

    Its data folder is not under pytest's temporary folder: as root, pgserver opens the folders
    above it to that user, and pytest (here or in a parallel run) closes its own again."""
    try:
        with warnings.catch_warnings():  # platformdirs warns when XDG_RUNTIME_DIR is unset
            warnings.simplefilter("ignore")
            import pgserver
    except ImportError:
        pytest.skip("pgserver is not installed (pip install 'medref[pgvector]')")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        pytest.skip("psycopg is not installed (pip install 'medref[postgres]')")
    top = Path(tempfile.mkdtemp(prefix="medref-pgvector-"))
    top.chmod(0o755)
    folder = top / "pgdata"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            server = pgserver.get_server(folder, cleanup_mode="delete")
        server.psql("SELECT 1")
    except Exception as exc:  # any failure to start means: skip
        shutil.rmtree(top, ignore_errors=True)
        pytest.skip(f"the pgserver PostgreSQL did not start here: {exc.__class__.__name__}: {exc}")
    try:
        yield server
    finally:
        server.cleanup()
        shutil.rmtree(top, ignore_errors=True)


@pytest.fixture
def pgvector_url(pgvector_server: Any) -> Iterator[str]:
    """A fresh database on the pgvector server (SQLAlchemy URL), dropped afterwards."""
    import psycopg
    from sqlalchemy.engine import make_url

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        admin = pgvector_server.get_uri()
    name = f"medref_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = make_url(admin).set(drivername="postgresql+psycopg", database=name)
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
