"""Accounts: argon2id hashes, roles, lockout after repeated failures, sessions, the signing key."""

from __future__ import annotations

import os
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher
from sqlalchemy import Engine, select, update

from medref.errors import InputError, NotFoundError
from medref.review import throttle
from medref.review.sessions import (
    IDLE_TIMEOUT,
    SESSION_TTL,
    create_session,
    end_session,
    load_session,
    session_key,
)
from medref.review.users import (
    LoginError,
    User,
    add_user,
    add_user_command,
    authenticate,
    get_user,
    list_users,
    set_password,
    set_role,
)
from medref.settings import load_settings
from medref.store.db import make_engine, read_tx, write_tx
from medref.store.schema import sessions, users
from tests.review.factories import fast_hasher

PASSWORD = "correct horse battery"


@pytest.fixture
def fast(monkeypatch: pytest.MonkeyPatch) -> None:
    """Cheap argon2id parameters where the test is about the login logic, not the hash."""
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)


def _throttle(engine: Engine, key: str) -> tuple[int, datetime | None] | None:
    return throttle.state(engine, key)


def _row(engine: Engine, name: str) -> dict[str, object]:
    with read_tx(engine) as conn:
        return dict(conn.execute(select(users).where(users.c.username == name)).mappings().one())


def test_passwords_are_stored_as_argon2id_hashes(engine: Engine) -> None:
    user = add_user(engine, "  Erin ", PASSWORD, role="Editor")
    assert user == User("erin", "editor")
    row = _row(engine, "erin")
    digest = str(row["password_hash"])
    assert digest.startswith("$argon2id$") and PASSWORD not in digest
    assert PasswordHasher().verify(digest, PASSWORD)
    assert row["failed_attempts"] == 0 and row["created_at"] is not None
    assert get_user(engine, "ERIN") == user and get_user(engine, "nobody") is None
    add_user(engine, "rui", PASSWORD + "!", role="reviewer")
    assert list_users(engine) == [User("erin", "editor"), User("rui", "reviewer")]
    assert _row(engine, "rui")["password_hash"] != digest  # salted


@pytest.mark.parametrize(
    ("name", "password", "role", "message"),
    [
        ("erin", PASSWORD, "editor", "already a user"),
        ("bad name", PASSWORD, "editor", "not valid"),
        ("", PASSWORD, "editor", "not valid"),
        ("ok", "short", "editor", "too short"),
        ("ok", PASSWORD, "owner", "unknown role"),
    ],
)
@pytest.mark.usefixtures("fast")
def test_bad_accounts_are_refused(engine: Engine, name: str, password: str, role: str, message: str) -> None:
    add_user(engine, "erin", PASSWORD, role="editor")
    with pytest.raises(InputError, match=message):
        add_user(engine, name, password, role=role)
    assert [u.username for u in list_users(engine)] == ["erin"]


@pytest.mark.usefixtures("fast")
def test_authenticate_right_wrong_and_unknown(engine: Engine) -> None:
    add_user(engine, "rui", PASSWORD, role="reviewer")
    assert authenticate(engine, "Rui", PASSWORD, max_attempts=5) == User("rui", "reviewer")
    assert _row(engine, "rui")["last_login_at"] is not None
    with pytest.raises(LoginError) as wrong:
        authenticate(engine, "rui", PASSWORD + "x", max_attempts=5)
    with pytest.raises(LoginError) as unknown:
        authenticate(engine, "nobody", PASSWORD, max_attempts=5)
    assert str(wrong.value) == str(unknown.value) == "wrong username or password"
    assert wrong.value.locked_until is None
    assert _throttle(engine, "account:rui") == (1, None)
    assert _throttle(engine, "account:nobody") == (1, None)  # unknown names are counted alike


@pytest.mark.usefixtures("fast")
def test_lockout_after_n_failures_then_unlocks(engine: Engine) -> None:
    add_user(engine, "erin", PASSWORD, role="editor")
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    for _ in range(2):  # below the limit; a success clears the count
        with pytest.raises(LoginError):
            authenticate(engine, "erin", "guess-guess", max_attempts=3, now=t0)
    assert authenticate(engine, "erin", PASSWORD, max_attempts=3, now=t0).username == "erin"
    assert _throttle(engine, "account:erin") == (0, None)

    for attempt in range(3):
        with pytest.raises(LoginError) as caught:
            authenticate(engine, "erin", f"guess-{attempt}", max_attempts=3, now=t0)
    assert caught.value.locked_until == t0 + timedelta(minutes=15)
    assert "locked until 2026-01-05 09:15 UTC" in str(caught.value)
    with pytest.raises(LoginError, match="locked"):  # even the right password, while locked
        authenticate(engine, "erin", PASSWORD, max_attempts=3, now=t0 + timedelta(minutes=14))
    assert (
        authenticate(engine, "erin", PASSWORD, max_attempts=3, now=t0 + timedelta(minutes=16)).role
        == "editor"
    )
    assert _throttle(engine, "account:erin") == (0, None)


def test_weak_old_hashes_are_upgraded_at_login(engine: Engine) -> None:
    add_user(engine, "ada", PASSWORD, role="admin")
    weak = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1).hash(PASSWORD)
    with write_tx(engine) as conn:
        conn.execute(update(users).where(users.c.username == "ada").values(password_hash=weak))
    authenticate(engine, "ada", PASSWORD, max_attempts=5)
    upgraded = str(_row(engine, "ada")["password_hash"])
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)


@pytest.mark.usefixtures("fast")
def test_sessions_rotate_expire_and_follow_the_account(engine: Engine) -> None:
    erin = add_user(engine, "erin", PASSWORD, role="editor")
    t0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
    token, session = create_session(engine, erin, now=t0)
    with read_tx(engine) as conn:
        stored = conn.execute(select(sessions.c.id, sessions.c.csrf_token)).all()
    assert [tuple(r) for r in stored] == [
        (session_key(token), session.csrf_token)
    ]  # the token itself is not stored
    loaded = load_session(engine, token, now=t0 + timedelta(minutes=1))
    assert loaded is not None and loaded.user == erin and loaded.csrf_token == session.csrf_token

    rotated, again = create_session(engine, erin, replaces=token, now=t0)
    assert rotated != token and again.csrf_token != session.csrf_token
    assert load_session(engine, token, now=t0) is None
    assert load_session(engine, rotated, now=t0) is not None

    set_role(engine, "erin", "reviewer")
    assert load_session(engine, rotated, now=t0).user.role == "reviewer"
    assert load_session(engine, rotated, now=t0 + IDLE_TIMEOUT + timedelta(seconds=1)) is None  # idle
    late, _ = create_session(engine, erin, now=t0)
    for minutes in range(60, int(SESSION_TTL.total_seconds() // 60) + 60, 60):  # active all day
        still = load_session(engine, late, now=t0 + timedelta(minutes=minutes))
        if still is None:
            break
    assert minutes == SESSION_TTL.total_seconds() // 60  # ends at the absolute limit

    token3, _ = create_session(engine, erin, now=datetime.now(UTC))
    set_password(engine, "erin", PASSWORD + " new")
    assert load_session(engine, token3) is None  # a new password ends every session
    token4, _ = create_session(engine, erin)
    end_session(engine, token4)
    assert load_session(engine, token4) is None
    with pytest.raises(NotFoundError):
        set_password(engine, "nobody", PASSWORD)


@pytest.mark.usefixtures("fast")
def test_add_user_command_uses_the_configured_store(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path / "data")
    assert add_user_command("Mab", "reviewer", PASSWORD, settings=settings) == "added reviewer 'mab'"
    engine = make_engine(settings.url)
    try:
        assert authenticate(engine, "mab", PASSWORD, max_attempts=5) == User("mab", "reviewer")
    finally:
        engine.dispose()
    with pytest.raises(InputError, match="already"):
        add_user_command("mab", "reviewer", PASSWORD, settings=settings)


def test_secret_key_is_generated_once_with_mode_0600(tmp_path: Path) -> None:
    from medref.web.security import load_secret_key

    settings = load_settings(data_dir=tmp_path / "d")
    key = load_secret_key(settings)
    path = tmp_path / "d" / "secret_key"
    assert len(key) >= 48 and stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert load_secret_key(settings) == key
    assert (
        load_secret_key(load_settings(data_dir=tmp_path / "d", web={"secret_key": "configured"}))
        == b"configured"
    )
