"""Sign in and out: ``GET/POST /login``, ``POST /logout`` (HTML pages with JSON twins).

A successful login always starts a new server-side session (the old one, if the browser had
one, is deleted: the id is rotated) and sets a fresh ``medref_session`` cookie. Wrong
credentials answer 401; a locked account name or client address 429 with ``Retry-After``
(throttling: :mod:`medref.review.throttle`; the client address is the socket peer, or the
``X-Forwarded-For`` of a proxy uvicorn trusts, see ``medref serve``). Both forms carry the CSRF
token (:func:`medref.web.security.verify_csrf`).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from medref.review.sessions import create_session, end_session
from medref.review.users import LoginError, authenticate
from medref.web.render import page, wants_json
from medref.web.security import (
    ANON_COOKIE,
    SESSION_COOKIE,
    SESSION_MAX_AGE,
    auth_of,
    cookie_header,
    csrf_token,
    current_user,
    engine_of,
    is_https,
    mark_cookies_handled,
    verify_csrf,
)

router = APIRouter(dependencies=[Depends(verify_csrf)], tags=["accounts"])
DEFAULT_NEXT = "/review"


class LoginPage(BaseModel):
    """The sign-in form (and the answer to a login attempt)."""

    username: str | None = None
    role: str | None = None
    signed_in: bool = False
    next: str = DEFAULT_NEXT
    error: str | None = None
    locked_until: datetime | None = None
    csrf_token: str | None = Field(
        default=None, description="send it back with every POST (form field or X-CSRF-Token)"
    )


def safe_next(target: str | None) -> str:
    """A local path to go to after login; anything else (another site, a scheme) is dropped."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return DEFAULT_NEXT
    if any(ord(c) < 32 for c in target):
        return DEFAULT_NEXT
    return target


@router.get("/login", name="login", summary="Sign-in form")
def login_form(request: Request, next: str | None = None) -> Response:
    user = current_user(request)
    data = LoginPage(
        username=user.username if user else None,
        role=user.role if user else None,
        signed_in=user is not None,
        next=safe_next(next),
        csrf_token=csrf_token(request),
    )
    return page(request, "auth/login.html", data=data)


@router.post("/login", name="login_submit", summary="Sign in")
def login(
    request: Request,
    username: str = Form(..., max_length=200),
    password: str = Form(..., max_length=1024),
    next: str = Form(DEFAULT_NEXT, max_length=2000),
) -> Response:
    auth = auth_of(request)
    engine = engine_of(request)
    assert auth.settings is not None
    target = safe_next(next)
    try:
        user = authenticate(
            engine,
            username,
            password,
            max_attempts=auth.settings.web.login_attempts,
            client=request.client.host if request.client else None,
            client_max_attempts=auth.settings.web.login_client_attempts,
        )
    except LoginError as exc:
        data = LoginPage(
            username=username,
            next=target,
            error=str(exc),
            locked_until=exc.locked_until,
            csrf_token=csrf_token(request),
        )
        headers: dict[str, str] = {}
        status = 401
        if exc.locked_until is not None:
            status = 429
            wait = (exc.locked_until - datetime.now(UTC)).total_seconds()
            headers["Retry-After"] = str(max(1, math.ceil(wait)))
        response = page(request, "auth/login.html", data=data, status_code=status)
        response.headers.update(headers)
        return response

    old = auth.unseal("session", request.cookies.get(SESSION_COOKIE))
    token, session = create_session(engine, user, replaces=old)
    data = LoginPage(
        username=user.username, role=user.role, signed_in=True, next=target, csrf_token=session.csrf_token
    )
    response = (
        JSONResponse(data.model_dump(mode="json"))
        if wants_json(request)
        else RedirectResponse(target, status_code=303)
    )
    secure = is_https(request)
    sealed = auth.seal("session", token)
    response.headers.append(
        "set-cookie", cookie_header(SESSION_COOKIE, sealed, secure=secure, max_age=SESSION_MAX_AGE)
    )
    response.headers.append("set-cookie", cookie_header(ANON_COOKIE, "", secure=secure, max_age=0))
    mark_cookies_handled(request)
    return response


@router.post("/logout", name="logout", summary="Sign out")
def logout(request: Request) -> Response:
    auth = auth_of(request)
    token = auth.unseal("session", request.cookies.get(SESSION_COOKIE))
    if token is not None:
        end_session(engine_of(request), token)
    response: Response = (
        JSONResponse({"signed_in": False}) if wants_json(request) else RedirectResponse("/", status_code=303)
    )
    response.headers.append(
        "set-cookie", cookie_header(SESSION_COOKIE, "", secure=is_https(request), max_age=0)
    )
    mark_cookies_handled(request)
    return response
