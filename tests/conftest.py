"""Shared test fixtures."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(__import__("os").environ.get("MEDREF_SHARED_DATA", str(ROOT.parent / "shared" / "data")))


@pytest.fixture
def fixtures() -> Path:
    """Folder of the tiny real-format fixture files."""
    return FIXTURES


@pytest.fixture
def shared_data() -> Path:
    """../shared/data (real public datasets); skips the test when it is absent."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    return SHARED_DATA


# ---------------------------------------------------------------- stores
PG_URL = __import__("os").environ.get(
    "MEDREF_TEST_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _pg_available() -> str | None:
    """None when the PostgreSQL test server answers, else the reason it does not."""
    try:
        import psycopg
    except ImportError:
        return "psycopg is not installed (pip install 'medref[postgres]')"
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    try:
        conn = psycopg.connect(
            host=u.host,
            port=u.port or 5432,
            dbname=u.database,
            user=u.username,
            password=u.password,
            connect_timeout=3,
        )
        conn.close()
    except Exception as exc:  # any failure to connect means: skip
        return f"no PostgreSQL server answers at {u.host}:{u.port}: {exc.__class__.__name__}"
    return None


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'medref.sqlite'}"


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A private schema on the PostgreSQL test server, dropped afterwards; skips if none answers."""
    import uuid

    reason = _pg_available()
    if reason:
        pytest.skip(reason)
    import psycopg
    from sqlalchemy.engine import make_url

    u = make_url(PG_URL)
    schema = f"medref_test_{uuid.uuid4().hex[:10]}"
    dsn = dict(host=u.host, port=u.port or 5432, dbname=u.database, user=u.username, password=u.password)
    with psycopg.connect(**dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    url = u.set(drivername="postgresql+psycopg", query={"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with psycopg.connect(**dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", "postgres"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Both backends: SQLite always, PostgreSQL when the server answers."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'medref.sqlite'}"
    return str(request.getfixturevalue("pg_url"))


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test reads or writes the user's data dir or picks up their MEDREF_* settings."""
    import os

    for key in list(os.environ):
        if key.startswith("MEDREF_") and key not in ("MEDREF_TEST_PG_URL", "MEDREF_SHARED_DATA"):
            monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("MEDREF_DATA_DIR", str(tmp_path_factory.mktemp("medref-data")))
