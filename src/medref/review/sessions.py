"""Server-side web sessions of signed-in users.

The browser holds a random token (in a signed cookie, :mod:`medref.web.security`); the
``sessions`` table holds only its SHA-256, the user, a per-session CSRF token and the times.
A session ends on logout, when the same browser logs in again (a new id: rotation), after
``SESSION_TTL`` in all, or after ``IDLE_TIMEOUT`` without a request. The user's role is read
with the session on every request, so a changed role or a deleted user applies at once.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Engine, delete, insert, select, update

from medref.review.users import User
from medref.store.db import read_tx, write_tx
from medref.store.schema import sessions, users

SESSION_TTL = timedelta(hours=12)
IDLE_TIMEOUT = timedelta(hours=2)
TOUCH_EVERY = timedelta(minutes=5)  # last_seen_at is written at most this often


@dataclass(frozen=True)
class Session:
    key: str  # sha256 of the token: the row id
    user: User
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def session_key(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_session(
    engine: Engine, user: User, *, replaces: str | None = None, now: datetime | None = None
) -> tuple[str, Session]:
    """Start a session for ``user`` (ending the one with token ``replaces``); returns (token, it)."""
    now = now or _now()
    token = secrets.token_urlsafe(32)
    key = session_key(token)
    session = Session(key, user, secrets.token_urlsafe(32), now, now + SESSION_TTL)
    with write_tx(engine) as conn:
        if replaces:
            conn.execute(delete(sessions).where(sessions.c.id == session_key(replaces)))
        conn.execute(delete(sessions).where(sessions.c.expires_at < now))  # housekeeping
        conn.execute(
            insert(sessions).values(
                id=key,
                username=user.username,
                csrf_token=session.csrf_token,
                created_at=now,
                last_seen_at=now,
                expires_at=session.expires_at,
            )
        )
    return token, session


def load_session(engine: Engine, token: str, *, now: datetime | None = None) -> Session | None:
    """The live session for ``token``, or None (unknown, expired or idle too long: then deleted)."""
    now = now or _now()
    key = session_key(token)
    with read_tx(engine) as conn:
        row = (
            conn.execute(
                select(sessions, users.c.role)
                .join(users, users.c.username == sessions.c.username)
                .where(sessions.c.id == key)
            )
            .mappings()
            .first()
        )
    if row is None:
        return None
    expires, seen = _aware(row["expires_at"]), _aware(row["last_seen_at"])
    if expires <= now or seen + IDLE_TIMEOUT <= now:
        end_session(engine, token)
        return None
    if now - seen >= TOUCH_EVERY:
        with write_tx(engine) as conn:
            conn.execute(update(sessions).where(sessions.c.id == key).values(last_seen_at=now))
    return Session(
        key, User(row["username"], row["role"]), row["csrf_token"], _aware(row["created_at"]), expires
    )


def end_session(engine: Engine, token: str) -> None:
    with write_tx(engine) as conn:
        conn.execute(delete(sessions).where(sessions.c.id == session_key(token)))


def end_sessions_of(engine: Engine, username: str) -> int:
    with write_tx(engine) as conn:
        return int(conn.execute(delete(sessions).where(sessions.c.username == username)).rowcount)
