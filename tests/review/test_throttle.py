"""Sign-in throttling per account name and per client address, sequential and under parallel attempts."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine

from medref.review import throttle
from medref.review.users import LoginError, add_user, authenticate, set_password

PASSWORD = "correct horse battery"


class CountingHasher(PasswordHasher):
    """Cheap argon2id that counts password checks and makes each one last a while (a wider race)."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__(time_cost=1, memory_cost=1024, parallelism=1)
        self.delay, self.checks, self._lock = delay, 0, threading.Lock()

    def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
        with self._lock:
            self.checks += 1
        time.sleep(self.delay)
        return super().verify(hash, password)


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher()
    monkeypatch.setattr("medref.review.users._hasher", lambda: counting)
    monkeypatch.setattr("medref.review.users._dummy_hash", lambda: counting.hash("not a password of anyone"))
    return counting


def _attempt(engine: Engine, name: str, password: str, **kw: Any) -> str:
    try:
        authenticate(engine, name, password, **kw)
    except LoginError as exc:
        return "locked" if exc.locked_until is not None else "wrong"
    return "ok"


def test_forty_parallel_guesses_make_at_most_the_limit_of_checks(
    engine: Engine, hasher: CountingHasher
) -> None:
    add_user(engine, "rui", PASSWORD, role="reviewer")
    hasher.checks, hasher.delay = 0, 0.05
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(
            pool.map(
                lambda i: _attempt(engine, "rui", f"guess number {i}", max_attempts=5, client="203.0.113.7"),
                range(40),
            )
        )
    assert hasher.checks <= 5
    assert outcomes.count("wrong") + outcomes.count("locked") == 40
    assert outcomes.count("locked") >= 35
    # the account is locked now: even the right password is not checked
    before = hasher.checks
    assert _attempt(engine, "rui", PASSWORD, max_attempts=5) == "locked"
    assert hasher.checks == before


def test_forty_parallel_guesses_at_an_unknown_name_are_limited_alike(
    engine: Engine, hasher: CountingHasher
) -> None:
    hasher.checks, hasher.delay = 0, 0.05
    with ThreadPoolExecutor(max_workers=40) as pool:
        outcomes = list(
            pool.map(lambda i: _attempt(engine, "ghost", f"guess {i}", max_attempts=5), range(40))
        )
    assert hasher.checks <= 5 and outcomes.count("locked") >= 35


def test_a_client_spraying_many_names_is_locked_out(engine: Engine, hasher: CountingHasher) -> None:
    add_user(engine, "erin", PASSWORD, role="editor")
    t0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    kw: dict[str, Any] = {"max_attempts": 5, "client_max_attempts": 10, "now": t0}
    outcomes = [_attempt(engine, f"user{i}", "Winter2026!!", client="198.51.100.4", **kw) for i in range(30)]
    assert outcomes == ["wrong"] * 9 + ["locked"] * 21
    assert hasher.checks == 10
    # the address is locked out, even for a right password; another address is not
    assert _attempt(engine, "erin", PASSWORD, client="198.51.100.4", **kw) == "locked"
    assert _attempt(engine, "erin", PASSWORD, client="198.51.100.5", **kw) == "ok"
    later = {**kw, "now": t0 + timedelta(minutes=16)}
    assert _attempt(engine, "erin", PASSWORD, client="198.51.100.4", **later) == "ok"


def test_parallel_spray_from_one_client_is_limited(engine: Engine, hasher: CountingHasher) -> None:
    hasher.checks, hasher.delay = 0, 0.05
    with ThreadPoolExecutor(max_workers=30) as pool:
        outcomes = list(
            pool.map(
                lambda i: _attempt(
                    engine,
                    f"name{i}",
                    "Spring2026!!",
                    max_attempts=5,
                    client="2001:db8::1",
                    client_max_attempts=8,
                ),
                range(30),
            )
        )
    assert hasher.checks <= 8 and outcomes.count("locked") >= 22
    # the rest of the IPv6 /64 is the same client
    assert _attempt(engine, "nameX", "x" * 12, max_attempts=5, client="2001:db8::ffff") == "locked"


def test_successes_do_not_reset_a_client_count(engine: Engine, hasher: CountingHasher) -> None:
    """An attacker with one valid account cannot log in between guesses to keep spraying."""
    add_user(engine, "erin", PASSWORD, role="editor")
    kw: dict[str, Any] = {"max_attempts": 5, "client": "192.0.2.9", "client_max_attempts": 4}
    for i in range(3):
        assert _attempt(engine, f"victim{i}", "guess-guess-1", **kw) == "wrong"
        assert _attempt(engine, "erin", PASSWORD, **kw) == "ok"
    assert throttle.state(engine, "client:192.0.2.9") == (3, None)
    assert _attempt(engine, "victim9", "guess-guess-1", **kw) == "locked"


def test_set_password_clears_the_account_lock(engine: Engine, hasher: CountingHasher) -> None:
    add_user(engine, "ada", PASSWORD, role="admin")
    for _ in range(3):
        _attempt(engine, "ada", "guess-guess-1", max_attempts=3)
    assert _attempt(engine, "ada", PASSWORD, max_attempts=3) == "locked"
    set_password(engine, "ada", PASSWORD + " new")
    assert _attempt(engine, "ada", PASSWORD + " new", max_attempts=3) == "ok"


def test_client_keys() -> None:
    assert throttle.client_key("192.0.2.1", 5).key == "client:192.0.2.1"
    assert throttle.client_key("::ffff:192.0.2.1", 5).key == "client:192.0.2.1"
    assert throttle.client_key("2001:db8:1:2:3:4:5:6", 5).key == "client:2001:db8:1:2::/64"
    assert throttle.client_key(" testclient ", 5).key == "client:testclient"
