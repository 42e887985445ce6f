"""Sign-in throttling per account name and per client address that holds under parallel attempts.

Each counter is a ``login_throttle`` row (key ``account:<name>`` or ``client:<address>``). A
password check is paid for *before* it runs: :func:`reserve` counts it against every key of the
attempt in one transaction, under row locks, and refuses (no password check at all) when a key
is locked or has used up its ``limit`` already. So 40 parallel guesses at an account with a limit
of 5 make at most 5 password checks, however they interleave.

After the check: :func:`failed` locks a key whose count reached its limit (for ``lock_for``, and
starts its count again); :func:`succeeded` clears an account's count (failures "in a row") and
gives a client back the one check it reserved (so a client's count is its failures in the
current window, and a valid login of one account does not clear the count of a spray).

Every account name is throttled alike, whether or not the account exists, so locking does not
tell which names exist. Client addresses are counted per IPv4 address and per IPv6 /64 network.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from medref.store.db import read_tx, write_tx
from medref.store.schema import login_throttle

T = login_throttle
ACCOUNT_WINDOW = timedelta(days=1)  # failures "in a row" are forgotten after a quiet day
CLIENT_WINDOW = timedelta(minutes=15)


@dataclass(frozen=True)
class Key:
    """One counter of an attempt: its key, limit and counting window."""

    key: str
    limit: int
    window: timedelta

    @property
    def is_account(self) -> bool:
        return self.key.startswith("account:")


@dataclass(frozen=True)
class Refusal:
    """Why an attempt was refused: which key, and until when."""

    key: str
    until: datetime


def account_key(name: str, limit: int) -> Key:
    return Key(f"account:{name[:200]}", limit, ACCOUNT_WINDOW)


def client_key(address: str, limit: int) -> Key:
    """The counter of a client address (IPv6: its /64 network; anything else as given)."""
    text = address.strip()
    try:
        ip = ipaddress.ip_address(text)
    except ValueError:
        return Key(f"client:{text[:200]}", limit, CLIENT_WINDOW)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return Key(f"client:{ip.ipv4_mapped}", limit, CLIENT_WINDOW)
        return Key(f"client:{ipaddress.ip_network(f'{ip}/64', strict=False)}", limit, CLIENT_WINDOW)
    return Key(f"client:{ip}", limit, CLIENT_WINDOW)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _insert_missing(conn: Connection, key: Key, now: datetime) -> None:
    values = {"key": key.key, "failures": 0, "window_start": now, "expires_at": now + key.window}
    if conn.dialect.name == "postgresql":
        conn.execute(postgresql.insert(T).values(**values).on_conflict_do_nothing(index_elements=["key"]))
    else:
        conn.execute(sqlite.insert(T).values(**values).on_conflict_do_nothing(index_elements=["key"]))


def _locked(conn: Connection, key: Key, now: datetime) -> tuple[int, datetime | None]:
    """(failures in the current window, end of a lock still running), the row locked for update."""
    _insert_missing(conn, key, now)
    row = conn.execute(
        select(T.c.failures, T.c.window_start, T.c.locked_until).where(T.c.key == key.key).with_for_update()
    ).one()
    until = _aware(row.locked_until)
    if until is not None and until > now:
        return int(row.failures), until
    start = _aware(row.window_start)
    if until is not None or (start is not None and start + key.window <= now):  # lock or window over
        conn.execute(
            update(T)
            .where(T.c.key == key.key)
            .values(failures=0, window_start=now, locked_until=None, expires_at=now + key.window)
        )
        return 0, None
    return int(row.failures), None


def _lock(conn: Connection, key: Key, now: datetime, lock_for: timedelta) -> datetime:
    until = now + lock_for
    conn.execute(
        update(T)
        .where(T.c.key == key.key)
        .values(failures=0, window_start=now, locked_until=until, expires_at=max(until, now + key.window))
    )
    return until


def reserve(engine: Engine, keys: Sequence[Key], *, now: datetime, lock_for: timedelta) -> Refusal | None:
    """Count one password check against every key, or refuse (counting nothing): see the module doc."""
    ordered = sorted(keys, key=lambda k: k.key)  # one lock order for every caller: no deadlocks
    with write_tx(engine) as conn:
        conn.execute(delete(T).where(T.c.expires_at < now))  # housekeeping
        counts: list[int] = []
        for key in ordered:
            failures, until = _locked(conn, key, now)
            if until is None and failures >= key.limit:  # its last checks are still running
                until = _lock(conn, key, now, lock_for)
            if until is not None:
                return Refusal(key.key, until)
            counts.append(failures)
        for key, failures in zip(ordered, counts, strict=True):
            conn.execute(update(T).where(T.c.key == key.key).values(failures=failures + 1))
    return None


def failed(engine: Engine, keys: Sequence[Key], *, now: datetime, lock_for: timedelta) -> Refusal | None:
    """After a wrong password: lock each key whose count reached its limit; the first lock, if any."""
    first: Refusal | None = None
    with write_tx(engine) as conn:
        for key in sorted(keys, key=lambda k: k.key):
            failures, until = _locked(conn, key, now)
            if until is None and failures >= key.limit:
                until = _lock(conn, key, now, lock_for)
            if until is not None and first is None:
                first = Refusal(key.key, until)
    return first


def succeeded(engine: Engine, keys: Sequence[Key]) -> None:
    """After a right password: clear the account's count, give the client its reserved check back."""
    with write_tx(engine) as conn:
        for key in sorted(keys, key=lambda k: k.key):
            if key.is_account:
                conn.execute(update(T).where(T.c.key == key.key).values(failures=0, locked_until=None))
            else:
                conn.execute(
                    update(T).where(T.c.key == key.key, T.c.failures > 0).values(failures=T.c.failures - 1)
                )


def clear(engine: Engine, key: str) -> None:
    """Forget a counter (an administrator reset a password)."""
    with write_tx(engine) as conn:
        conn.execute(delete(T).where(T.c.key == key))


def state(engine: Engine, key: str) -> tuple[int, datetime | None] | None:
    """(failures counted, locked until) of a key as stored, or None when it has no row."""
    with read_tx(engine) as conn:
        row = conn.execute(select(T.c.failures, T.c.locked_until).where(T.c.key == key)).first()
    return None if row is None else (int(row.failures), _aware(row.locked_until))
