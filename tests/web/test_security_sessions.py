"""Idle and absolute expiry of web sessions, over HTTP (the clock is moved, not waited for)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from medref.review.sessions import IDLE_TIMEOUT, SESSION_TTL
from medref.review.users import add_user
from medref.settings import load_settings
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import sessions
from medref.web.security import SESSION_COOKIE
from tests.review.factories import fast_hasher
from tests.web.test_review_routes import PASSWORD, Env


class Clock:
    def __init__(self) -> None:
        self.now = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    c = Clock()
    monkeypatch.setattr("medref.review.sessions._now", c)
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)
    return c


@pytest.fixture
def env(sqlite_url: str, tmp_path: Path) -> Iterator[Env]:
    store = Store.open(sqlite_url)
    add_user(store.engine, "erin", PASSWORD, role="editor")
    yield Env(load_settings(data_dir=tmp_path / "data", database_url=sqlite_url), store)
    store.close()


def _count(env: Env) -> int:
    with read_tx(env.store.engine) as conn:
        return int(conn.execute(select(func.count()).select_from(sessions)).scalar_one())


def test_an_idle_session_ends(env: Env, clock: Clock) -> None:
    c, _ = env.login("erin")
    clock.now += IDLE_TIMEOUT - timedelta(minutes=1)
    assert c.get("/review.json").status_code == 200  # still within the idle limit: and touched
    clock.now += IDLE_TIMEOUT - timedelta(minutes=1)
    assert c.get("/review.json").status_code == 200  # the last request counts, not the login
    clock.now += IDLE_TIMEOUT + timedelta(seconds=1)
    r = c.get("/review.json")
    assert r.status_code == 401
    assert any(
        h.startswith(f"{SESSION_COOKIE}=") and "Max-Age=0" in h for h in r.headers.get_list("set-cookie")
    )
    assert _count(env) == 0


def test_an_active_session_ends_at_the_absolute_limit(env: Env, clock: Clock) -> None:
    c, _ = env.login("erin")
    start = clock.now
    while clock.now + timedelta(hours=1) < start + SESSION_TTL:
        clock.now += timedelta(hours=1)
        assert c.get("/review.json").status_code == 200
    clock.now = start + SESSION_TTL
    assert c.get("/review.json").status_code == 401
    cookie = env.login("erin", client=c)[0].cookies[SESSION_COOKIE]  # signing in again works
    assert cookie and _count(env) == 1
