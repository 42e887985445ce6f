"""Editorial accounts: usernames, argon2id password hashes, roles and login throttling.

Roles: ``editor`` writes and submits, ``reviewer`` (the Medical Advisory Board) starts reviews,
approves, requests changes and rejects, ``admin`` may do everything. Passwords are hashed with
argon2-cffi's :class:`~argon2.PasswordHasher` (argon2id, its default parameters) and re-hashed
on the next successful login when those defaults grow.

Throttling (:mod:`medref.review.throttle`, counted before the password is checked, so it holds
under parallel attempts): every wrong password counts; the ``max_attempts``-th in a row locks the
account name for ``lock_for`` (sign-in is refused, even with the right password, until then) and
starts the count again; a successful login clears the count. Per client address, the
``client_max_attempts``-th failure within 15 minutes locks that address out the same way, whatever
names it tries. An unknown username costs the same hashing time as a known one, is throttled
alike and gets the same message as a wrong password.

Profiles: public pages never print a login name. A reviewer is named by their ``display_name``
and ``credentials`` ("Dr. A. Rivera, PharmD"; :func:`public_name`), or, without a display name,
by the role title :data:`BOARD_MEMBER`. Set them with :func:`set_profile` (``medref user
profile``) or when the account is created.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from medref.errors import InputError, MedrefError, MissingExtraError, NotFoundError
from medref.review import throttle
from medref.store.db import read_tx, write_tx
from medref.store.schema import sessions, users

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from medref.settings import Settings

ROLES = ("editor", "reviewer", "admin")
LOCK_FOR = timedelta(minutes=15)
CLIENT_ATTEMPTS = 20  # failed sign-ins per client address per 15 minutes (settings.web.login_client_attempts)
MIN_PASSWORD = 10
MAX_PASSWORD = 1024  # argon2 hashes anything; this only bounds the work per request
_NAME = re.compile(r"[a-z0-9][a-z0-9._@-]{0,63}")
_BAD_LOGIN = "wrong username or password"
PROFILE_MAX = 120  # users.display_name / users.credentials are String(120)
BOARD_MEMBER = "a member of the Medical Advisory Board"  # a reviewer without a display name


@dataclass(frozen=True)
class User:
    """A signed-in account as the web layer sees it (``request.state.user``)."""

    username: str
    role: str

    def has_role(self, *roles: str) -> bool:
        """True for an admin, else when the user's role is one of ``roles``."""
        return self.role == "admin" or self.role in roles


class LoginError(MedrefError):
    """Sign-in refused: wrong username or password, or the account is locked for a while."""

    def __init__(self, message: str, *, locked_until: datetime | None = None) -> None:
        self.locked_until = locked_until
        super().__init__(message)


@cache
def _hasher() -> PasswordHasher:
    try:
        from argon2 import PasswordHasher
    except ImportError as exc:  # pragma: no cover - the web extra brings it
        raise MissingExtraError("accounts", "web", "argon2-cffi") from exc
    return PasswordHasher()  # argon2id (RFC 9106 low-memory profile)


@cache
def _dummy_hash() -> str:
    return _hasher().hash("not a password of anyone")


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def normalize_username(username: str) -> str:
    return (username or "").strip().lower()


def check_role(role: str) -> str:
    role = (role or "").strip().lower()
    if role not in ROLES:
        raise InputError(f"unknown role {role!r}: use one of {', '.join(ROLES)}")
    return role


def check_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"the password is too long: use at most {MAX_PASSWORD} characters")
    return password


def hash_password(password: str) -> str:
    return _hasher().hash(check_password(password))


def add_user(
    engine: Engine,
    username: str,
    password: str,
    *,
    role: str,
    display_name: str | None = None,
    credentials: str | None = None,
) -> User:
    """Create an account; raises :class:`InputError` for a bad or taken name, role, password or profile."""
    name = normalize_username(username)
    if not _NAME.fullmatch(name):
        raise InputError(
            f"username {username!r} is not valid: 1-64 of a-z, 0-9 and . _ @ -, starting with a letter or digit"
        )
    role = check_role(role)
    shown, creds = (
        check_profile_text(display_name, "display name"),
        check_profile_text(credentials, "credentials"),
    )
    digest = hash_password(password)
    try:
        with write_tx(engine) as conn:
            conn.execute(
                insert(users).values(
                    username=name,
                    password_hash=digest,
                    role=role,
                    failed_attempts=0,
                    created_at=_now(),
                    display_name=shown,
                    credentials=creds,
                )
            )
    except IntegrityError as exc:
        raise InputError(f"there is already a user named {name!r}") from exc
    return User(name, role)


def get_user(engine: Engine, username: str) -> User | None:
    with read_tx(engine) as conn:
        row = conn.execute(
            select(users.c.username, users.c.role).where(users.c.username == normalize_username(username))
        ).first()
    return User(row.username, row.role) if row else None


def list_users(engine: Engine) -> list[User]:
    with read_tx(engine) as conn:
        rows = conn.execute(select(users.c.username, users.c.role).order_by(users.c.username)).all()
    return [User(r.username, r.role) for r in rows]


def set_password(engine: Engine, username: str, password: str) -> None:
    """Replace the password, clear the account's sign-in lock and end every session of the account."""
    digest = hash_password(password)
    name = normalize_username(username)
    with write_tx(engine) as conn:
        done = conn.execute(
            update(users)
            .where(users.c.username == name)
            .values(password_hash=digest, failed_attempts=0, locked_until=None)
        )
        if done.rowcount != 1:
            raise NotFoundError(f"no user named {name!r}")
        conn.execute(delete(sessions).where(sessions.c.username == name))
    throttle.clear(engine, throttle.account_key(name, 1).key)


def set_role(engine: Engine, username: str, role: str) -> User:
    """Change a user's role (it applies to their open sessions at once)."""
    name, role = normalize_username(username), check_role(role)
    with write_tx(engine) as conn:
        if conn.execute(update(users).where(users.c.username == name).values(role=role)).rowcount != 1:
            raise NotFoundError(f"no user named {name!r}")
    return User(name, role)


# ------------------------------------------------------------------ public profiles
@dataclass(frozen=True)
class Profile:
    """How an account is named on public pages (never by its login name)."""

    username: str
    role: str
    display_name: str | None = None
    credentials: str | None = None

    @property
    def public_name(self) -> str:
        return public_name(self.display_name, self.credentials)


def check_profile_text(value: str | None, what: str) -> str | None:
    """``value`` with its spaces tidied (None when empty); :class:`InputError` when unusable."""
    if value is None:
        return None
    text = " ".join(value.split())
    if len(text) > PROFILE_MAX:
        raise InputError(f"the {what} is too long: use at most {PROFILE_MAX} characters")
    if any(ord(c) < 32 or c in "<>" for c in text):
        raise InputError(f"the {what} {value!r} contains control characters or angle brackets")
    return text or None


def public_name(display_name: str | None, credentials: str | None) -> str:
    """'Dr. A. Rivera, PharmD'; the role title :data:`BOARD_MEMBER` without a display name."""
    shown = (display_name or "").strip()
    if not shown:
        return BOARD_MEMBER
    creds = (credentials or "").strip()
    if not creds or shown.casefold().endswith(creds.casefold()):
        return shown
    return f"{shown}, {creds}"


def get_profile(engine: Engine, username: str) -> Profile | None:
    """The account's public profile, or None when there is no such account."""
    c = users.c
    with read_tx(engine) as conn:
        row = conn.execute(
            select(c.username, c.role, c.display_name, c.credentials).where(
                c.username == normalize_username(username)
            )
        ).first()
    return Profile(row.username, row.role, row.display_name, row.credentials) if row else None


def reviewer_name(engine: Engine, username: str | None) -> str | None:
    """What a public page prints for the reviewer ``username`` (None when there is none)."""
    if not username:
        return None
    profile = get_profile(engine, username)
    return profile.public_name if profile is not None else BOARD_MEMBER


def set_profile(
    engine: Engine, username: str, *, display_name: str | None = None, credentials: str | None = None
) -> Profile:
    """Change the display name and/or credentials: None keeps a value, an empty string clears it."""
    name = normalize_username(username)
    values: dict[str, str | None] = {}
    if display_name is not None:
        values["display_name"] = check_profile_text(display_name, "display name")
    if credentials is not None:
        values["credentials"] = check_profile_text(credentials, "credentials")
    if values:
        with write_tx(engine) as conn:
            if conn.execute(update(users).where(users.c.username == name).values(**values)).rowcount != 1:
                raise NotFoundError(f"no user named {name!r}")
    profile = get_profile(engine, name)
    if profile is None:
        raise NotFoundError(f"no user named {name!r}")
    return profile


def authenticate(
    engine: Engine,
    username: str,
    password: str,
    *,
    max_attempts: int,
    client: str | None = None,
    client_max_attempts: int = CLIENT_ATTEMPTS,
    lock_for: timedelta = LOCK_FOR,
    now: datetime | None = None,
) -> User:
    """The user for a correct username and password, else :class:`LoginError` (see module doc).

    ``client`` is the address the attempt comes from (None: not throttled per client).
    """
    from argon2.exceptions import InvalidHashError, VerificationError

    now = now or _now()
    name = normalize_username(username)
    keys = [throttle.account_key(name, max_attempts)]
    if client:
        keys.append(throttle.client_key(client, client_max_attempts))
    refused = throttle.reserve(engine, keys, now=now, lock_for=lock_for)
    if refused is not None:
        raise _locked_error(refused)
    hasher = _hasher()
    with read_tx(engine) as conn:
        row = conn.execute(select(users).where(users.c.username == name)).mappings().first()
    ok = False
    if row is None or len(password) > MAX_PASSWORD:
        with suppress(VerificationError):  # the same work as for a real account
            hasher.verify(_dummy_hash(), password[:MAX_PASSWORD])
    else:
        with suppress(VerificationError, InvalidHashError):
            ok = hasher.verify(row["password_hash"], password)
    if row is None or not ok:
        refused = throttle.failed(engine, keys, now=now, lock_for=lock_for)
        raise _locked_error(refused) if refused is not None else LoginError(_BAD_LOGIN)
    throttle.succeeded(engine, keys)
    values: dict[str, object] = {"last_login_at": now}
    if hasher.check_needs_rehash(row["password_hash"]):
        values["password_hash"] = hasher.hash(password)
    with write_tx(engine) as conn:
        conn.execute(update(users).where(users.c.username == name).values(**values))
    return User(row["username"], row["role"])


def _locked_error(refused: throttle.Refusal) -> LoginError:
    if refused.key.startswith("client:"):
        message = (
            "too many failed sign-in attempts from your network address: try again after "
            f"{refused.until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
        )
        return LoginError(message, locked_until=refused.until)
    return LoginError(_locked_message(refused.until), locked_until=refused.until)


def _locked_message(until: datetime) -> str:
    return (
        "too many failed sign-in attempts: this account is locked until "
        f"{until.astimezone(UTC):%Y-%m-%d %H:%M} UTC"
    )


def add_user_command(
    username: str,
    role: str,
    password: str,
    *,
    settings: Settings | None = None,
    display_name: str | None = None,
    credentials: str | None = None,
) -> str:
    """``medref user add``: create an account in the configured store; returns what to print.

    Raises :class:`InputError` (bad or taken name, unknown role, short password, bad profile).
    """
    from medref.settings import load_settings
    from medref.store.db import make_engine
    from medref.store.migrate import ensure_schema

    settings = settings or load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    try:
        ensure_schema(engine)
        user = add_user(
            engine, username, password, role=role, display_name=display_name, credentials=credentials
        )
    finally:
        engine.dispose()
    shown = f", shown as {public_name(display_name, credentials)!r}" if display_name else ""
    return f"added {user.role} {user.username!r}{shown}"
