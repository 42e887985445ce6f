"""Sign-in sessions, CSRF protection and role checks for the web app.

``install(app)`` adds :class:`AuthMiddleware`, which sets ``request.state.user`` (None or a
:class:`~medref.review.users.User`) from the ``medref_session`` cookie on every request. The
cookie is ``<token>.<HMAC-SHA256 signature>``, HttpOnly, SameSite=Lax and Secure over https; it
points at a server-side ``sessions`` row (:mod:`medref.review.sessions`), so logging out, logging
in again (a fresh id every time) or expiry really ends it. A forged, unknown or expired cookie is
ignored and cleared.

CSRF: every state-changing request must carry the token of :func:`csrf_token` as the form field
``csrf_token`` or the ``X-CSRF-Token`` header (:func:`verify_csrf`). Signed-in users have one
per session (stored with it); before sign-in it is an HMAC of a random nonce kept in a signed
``medref_csrf`` cookie, set only when a page asks for a token (the login form).

Dependencies: :func:`require_user` (401, or a redirect to /login for a browser GET),
:func:`require_role` ``(*roles)`` (403; admin passes every check). Templates get
``csrf_token(request)`` as a global.

The signing key is ``settings.web.secret_key``, else ``<data_dir>/secret_key``, generated on
first use with mode 0600.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.parse import quote

import anyio
from fastapi import Depends, FastAPI, HTTPException, Request
from sqlalchemy import Engine
from starlette.datastructures import MutableHeaders
from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medref.review.sessions import SESSION_TTL, Session, load_session
from medref.review.users import User
from medref.settings import Settings
from medref.web.render import TEMPLATES, wants_json

__all__ = [
    "AuthMiddleware",
    "User",
    "csrf_token",
    "current_user",
    "install",
    "require_role",
    "require_user",
    "verify_csrf",
]

SESSION_COOKIE = "medref_session"
ANON_COOKIE = "medref_csrf"
CSRF_FIELD, CSRF_HEADER = "csrf_token", "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})
SESSION_MAX_AGE = int(SESSION_TTL.total_seconds())
# keys in the per-request state dict (request.state)
_USER, _SESSION, _NONCE, _NEW_NONCE, _COOKIES_DONE = (
    "user",
    "session",
    "_csrf_nonce",
    "_csrf_new",
    "_auth_cookies",
)


def load_secret_key(settings: Settings) -> bytes:
    """``settings.web.secret_key``, else the key in ``<data_dir>/secret_key`` (created 0600 once)."""
    if settings.web.secret_key:
        return settings.web.secret_key.encode()
    path = Path(settings.data_dir) / "secret_key"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        key = path.read_text(encoding="ascii").strip()
        if key:
            return key.encode()
        raise RuntimeError(f"{path} is empty: delete it to generate a new key") from None
    key = secrets.token_urlsafe(48)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(key + "\n")
    return key.encode()


@dataclass
class Auth:
    """What the middleware and routes share (``app.state.auth``); resolved on first use.

    The engine is, in order: the one given to :func:`install`, ``app.state.engine``,
    ``app.state.store.engine``, else one opened on ``settings.url`` (schema upgraded).
    """

    settings: Settings | None = None
    engine_: Engine | None = None
    secret: bytes | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def resolve(self, app: Any) -> tuple[Engine, bytes]:
        if self.engine_ is not None and self.secret is not None:
            return self.engine_, self.secret
        with self._lock:
            state = getattr(app, "state", None)
            if self.settings is None:
                from medref.deps import get_settings

                self.settings = getattr(state, "settings", None) or get_settings()
            if self.engine_ is None:
                self.engine_ = getattr(state, "engine", None) or getattr(
                    getattr(state, "store", None), "engine", None
                )
            if self.engine_ is None:
                from medref.store.db import make_engine

                self.settings.data_dir.mkdir(parents=True, exist_ok=True)
                self.engine_ = make_engine(self.settings.url)
            from medref.store.migrate import ensure_schema

            ensure_schema(self.engine_)
            if self.secret is None:
                self.secret = load_secret_key(self.settings)
            return self.engine_, self.secret

    def sign(self, purpose: str, value: str) -> str:
        assert self.secret is not None
        mac = hmac.new(self.secret, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac).rstrip(b"=").decode()

    def seal(self, purpose: str, value: str) -> str:
        return f"{value}.{self.sign(purpose, value)}"

    def unseal(self, purpose: str, sealed: str | None) -> str | None:
        if not sealed or "." not in sealed:
            return None
        value, _, sig = sealed.rpartition(".")
        return value if value and hmac.compare_digest(sig, self.sign(purpose, value)) else None


def auth_of(request: Request) -> Auth:
    auth = getattr(request.app.state, "auth", None)
    if not isinstance(auth, Auth):
        raise RuntimeError("medref.web.security.install(app) was not called")
    return auth


def engine_of(request: Request) -> Engine:
    """The engine the accounts and review routes use."""
    return auth_of(request).resolve(request.app)[0]


def cookie_header(name: str, value: str, *, secure: bool, max_age: int | None = None) -> str:
    """One ``Set-Cookie`` value: path /, HttpOnly, SameSite=Lax, Secure over https."""
    jar: SimpleCookie = SimpleCookie()
    jar[name] = value
    morsel = jar[name]
    morsel["path"] = "/"
    morsel["httponly"] = True
    morsel["samesite"] = "Lax"
    if secure:
        morsel["secure"] = True
    if max_age is not None:
        morsel["max-age"] = max_age
    return morsel.OutputString()


def is_https(request: Request) -> bool:
    return request.url.scheme == "https"


class AuthMiddleware:
    """Pure ASGI middleware: loads the session, sets ``request.state.user``, manages cookies."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app, self.auth = app, auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.auth.engine_ is not None and self.auth.secret is not None:
            engine = self.auth.engine_
        else:  # first request: may open the store, upgrade its schema, create the key file
            engine, _ = await anyio.to_thread.run_sync(self.auth.resolve, scope.get("app"))
        state: dict[str, Any] = scope.setdefault("state", {})
        cookies: dict[str, str] = {}
        for key, value in scope.get("headers", []):
            if key == b"cookie":
                cookies.update(cookie_parser(value.decode("latin-1")))
        raw = cookies.get(SESSION_COOKIE)
        token = self.auth.unseal("session", raw)
        session: Session | None = None
        if token is not None:
            session = await anyio.to_thread.run_sync(load_session, engine, token)
        state[_USER] = session.user if session else None
        state[_SESSION] = session
        state[_NONCE] = None if session else self.auth.unseal("anon", cookies.get(ANON_COOKIE))
        secure = scope.get("scheme") == "https"
        clear_session = raw is not None and session is None

        async def send_with_cookies(message: Message) -> None:
            if message["type"] == "http.response.start" and not state.get(_COOKIES_DONE):
                headers = MutableHeaders(scope=message)
                if clear_session:
                    headers.append("set-cookie", cookie_header(SESSION_COOKIE, "", secure=secure, max_age=0))
                if state.get(_NEW_NONCE):
                    sealed = self.auth.seal("anon", state[_NEW_NONCE])
                    headers.append("set-cookie", cookie_header(ANON_COOKIE, sealed, secure=secure))
            await send(message)

        await self.app(scope, receive, send_with_cookies)


def install(app: FastAPI, *, settings: Settings | None = None, engine: Engine | None = None) -> None:
    """Add sessions, CSRF and roles to ``app`` (call once, before it starts)."""
    auth = Auth(settings=settings, engine_=engine)
    app.state.auth = auth
    app.add_middleware(AuthMiddleware, auth=auth)
    TEMPLATES.env.globals.setdefault("csrf_token", csrf_token)


# ------------------------------------------------------------------ per request
def current_user(request: Request) -> User | None:
    user = getattr(request.state, _USER, None)
    return user if isinstance(user, User) else None


def current_session(request: Request) -> Session | None:
    session = getattr(request.state, _SESSION, None)
    return session if isinstance(session, Session) else None


def csrf_token(request: Request) -> str:
    """The CSRF token to put in this page's forms (see the module doc)."""
    session = current_session(request)
    if session is not None:
        return session.csrf_token
    auth = auth_of(request)
    state = request.state
    nonce = getattr(state, _NONCE, None) or getattr(state, _NEW_NONCE, None)
    if nonce is None:
        nonce = secrets.token_urlsafe(24)
        setattr(state, _NEW_NONCE, nonce)
    auth.resolve(request.app)
    return auth.sign("csrf", nonce)


def _expected_csrf(request: Request) -> str | None:
    session = current_session(request)
    if session is not None:
        return session.csrf_token
    nonce = getattr(request.state, _NONCE, None)
    return auth_of(request).sign("csrf", nonce) if nonce else None


async def verify_csrf(request: Request) -> None:
    """Dependency: 403 unless a state-changing request carries this session's CSRF token."""
    if request.method in SAFE_METHODS:
        return
    sent = request.headers.get(CSRF_HEADER)
    if not sent:
        ctype = request.headers.get("content-type", "")
        if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            value = (await request.form()).get(CSRF_FIELD)
            sent = value if isinstance(value, str) else None
    expected = _expected_csrf(request)
    if not sent or expected is None or not hmac.compare_digest(sent.encode(), expected.encode()):
        raise HTTPException(403, "missing or invalid CSRF token: reload the page and try again")


def require_user(request: Request) -> User:
    """Dependency: the signed-in user; else 401 (a browser GET is sent to the login page)."""
    user = current_user(request)
    if user is not None:
        return user
    if request.method == "GET" and not wants_json(request):
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise HTTPException(
            303, "sign in first", headers={"Location": f"/login?next={quote(target, safe='')}"}
        )
    raise HTTPException(401, "sign in first")


def require_role(*roles: str) -> Callable[..., Awaitable[User] | User]:
    """Dependency factory: the signed-in user when their role is one of ``roles`` (or admin), else 403."""

    def dependency(user: User = Depends(require_user)) -> User:
        if not user.has_role(*roles):
            raise HTTPException(403, f"this needs the {' or '.join(roles)} role (you are {user.role})")
        return user

    return dependency


def mark_cookies_handled(request: Request) -> None:
    """The route sets the auth cookies itself (login, logout): the middleware leaves them alone."""
    setattr(request.state, _COOKIES_DONE, True)
