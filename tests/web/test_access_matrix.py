"""Access control as a matrix: every route of the app x anonymous / editor / reviewer / admin.

``MATRIX`` holds one line per route (method and path as the app declares them) with the status
each role gets. The routes are read from the app itself, so a route added without a line here
fails :func:`test_every_route_has_a_matrix_line`. POSTs carry a valid CSRF token (the anonymous
one from the sign-in form, or the session's), so a refusal is the role check, not the token.
A POST that changes an item gets a fresh item in the status the step needs (``setup``).

Beside the matrix: four eyes (whoever saved a version cannot approve it, whatever their role),
sign-in throttling per client address independent of the account and per account independent of
the address, and idle / absolute session expiry with a controllable clock.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.models import Answer
from medref.review.sessions import IDLE_TIMEOUT, SESSION_TTL
from medref.review.users import User, add_user
from medref.review.workflow import edit, transition
from medref.store.answers import AnswerStore
from medref.web.deps import open_asker
from tests.review.factories import fast_hasher
from tests.web.test_documents import PMID
from tests.web.test_documents import SETID as LABEL_SETID
from tests.web.test_security_sessions import Clock

ROLES = ("anonymous", "editor", "reviewer", "admin")
PASSWORD = "matrix test password"
LOGIN = {"editor": "mx-erin", "reviewer": "mx-rui", "admin": "mx-ada"}
SECOND_REVIEWER = "mx-rosa"
JSON = {"accept": "application/json"}
QUESTION = "What is belatacept used for?"  # published by the fixture: /ask sends visitors to its page
Q = quote("What is the role of CD40 ligand blockers?")  # never published here: answered live


@dataclass(frozen=True)
class Cell:
    """What one route answers each role: ``expect`` in ROLES order (anonymous, editor, reviewer, admin).

    ``url``: the URL to request (placeholders: {item}, {slug}, {doc}, {setid}, {mono}, {topic});
    default the path. ``setup``: the review status a fresh item needs before each request ({item} is then it).
    ``form``: form fields of a POST (the CSRF token is added; {version}: the current version of
    the monograph item {mono}).
    """

    expect: tuple[int, int, int, int]
    url: str = ""
    setup: str | None = None
    form: dict[str, str] = field(default_factory=dict)


def everyone(code: int, url: str = "") -> Cell:
    return Cell((code, code, code, code), url)


STAFF_PAGE = (303, 200, 200, 200)  # a browser is sent to /login
STAFF_JSON = (401, 200, 200, 200)
EDITORS = (401, 303, 303, 303)  # editor and reviewer roles (and admin) may
EDITOR_ONLY = (401, 303, 403, 303)
REVIEWER_ONLY = (401, 403, 303, 303)
STEP = {"expected_version": "1"}
NOTE = {"expected_version": "1", "note": "please cite the label instead"}

# One line per route: (method, path as declared) -> Cell. A new route needs a new line.
MATRIX: dict[tuple[str, str], Cell] = {
    ("GET", "/openapi.json"): everyone(200),
    ("GET", "/static"): everyone(200, "/static/medref.css"),
    ("GET", "/index.json"): everyone(200),
    ("GET", "/"): everyone(200),
    ("GET", "/ask.json"): everyone(200, f"/ask.json?q={Q}"),
    ("GET", "/ask"): everyone(200, f"/ask?q={Q}"),
    ("GET", "/questions/{answer_id}.json"): everyone(200, "/questions/{item}.json"),
    ("GET", "/questions/{answer_id}"): everyone(200, "/questions/{item}"),
    ("GET", "/pages/{slug}.json"): everyone(200, "/pages/{slug}.json"),
    ("GET", "/pages/{slug}"): everyone(200, "/pages/{slug}"),
    ("GET", "/search.json"): everyone(200, "/search.json?q=belatacept"),
    ("GET", "/search"): everyone(200, "/search?q=belatacept"),
    ("GET", "/monographs"): everyone(303, "/monographs?drug=belatacept"),
    ("GET", "/monographs/{drug}.json"): everyone(200, "/monographs/belatacept.json"),
    ("GET", "/monographs/{drug}"): everyone(200, "/monographs/belatacept"),
    ("GET", "/interactions.json"): everyone(200, "/interactions.json?drug=belatacept&drug=tacrolimus"),
    ("GET", "/interactions"): everyone(200),
    ("GET", "/labels/{setid}/diff.json"): everyone(200, "/labels/{setid}/diff.json"),
    ("GET", "/labels/{setid}/diff"): everyone(200, "/labels/{setid}/diff"),
    ("GET", "/documents/{uid:path}.json"): everyone(200, "/documents/{doc}.json"),
    ("GET", "/documents/{uid:path}"): everyone(200, "/documents/{doc}"),
    ("GET", "/editorial-policy.json"): everyone(200),
    ("GET", "/editorial-policy"): everyone(200),
    ("GET", "/ready"): everyone(200),
    ("GET", "/healthz"): everyone(200),
    ("GET", "/login"): everyone(200),
    ("POST", "/login"): Cell((401, 303, 303, 303)),  # own credentials; anonymous: an unknown name
    ("POST", "/logout"): everyone(303),
    ("GET", "/review.json"): Cell(STAFF_JSON),
    ("GET", "/review"): Cell(STAFF_PAGE),
    ("POST", "/review/refresh-stale"): Cell(EDITORS),
    ("GET", "/review/{item_id}.json"): Cell(STAFF_JSON, "/review/{item}.json"),
    ("GET", "/review/{item_id}"): Cell(STAFF_PAGE, "/review/{item}"),
    ("POST", "/review/{item_id}/submit"): Cell(EDITOR_ONLY, "/review/{item}/submit", "draft", STEP),
    ("POST", "/review/{item_id}/start"): Cell(REVIEWER_ONLY, "/review/{item}/start", "submitted", STEP),
    ("POST", "/review/{item_id}/approve"): Cell(
        REVIEWER_ONLY, "/review/{item}/approve", "under_review", STEP
    ),
    ("POST", "/review/{item_id}/request-changes"): Cell(
        REVIEWER_ONLY, "/review/{item}/request-changes", "submitted", NOTE
    ),
    ("POST", "/review/{item_id}/reject"): Cell(REVIEWER_ONLY, "/review/{item}/reject", "submitted", NOTE),
    ("POST", "/review/{item_id}/edit"): Cell(EDITORS, "/review/{item}/edit", "draft", NOTE),
    ("POST", "/review/{item_id}/regenerate"): Cell(EDITORS, "/review/{item}/regenerate", "draft", STEP),
    ("POST", "/drafts"): Cell(EDITORS, "/drafts", form={"q": QUESTION}),
    ("GET", "/topics.json"): everyone(200),
    ("GET", "/topics"): everyone(200),
    ("GET", "/topics/{kind}/{name}.json"): everyone(200, "/topics/{topic}.json"),
    ("GET", "/topics/{kind}/{name}"): everyone(200, "/topics/{topic}"),
    ("GET", "/sitemap.xml"): everyone(200),
    ("GET", "/robots.txt"): everyone(200),
    ("POST", "/monographs/{drug}/draft"): Cell(EDITORS, "/monographs/belatacept/draft"),
    ("GET", "/monographs/items/{item_id}/changes.json"): Cell(
        STAFF_JSON, "/monographs/items/{mono}/changes.json"
    ),
    ("GET", "/monographs/items/{item_id}/changes"): Cell(STAFF_PAGE, "/monographs/items/{mono}/changes"),
    ("POST", "/monographs/items/{item_id}/regenerate"): Cell(
        EDITORS, "/monographs/items/{mono}/regenerate", form={"expected_version": "{version}"}
    ),
}


def app_routes(app: FastAPI) -> set[tuple[str, str]]:
    """(method, path) of every route the app serves (HEAD beside GET left out; a mount as GET)."""
    try:
        from fastapi.routing import iter_route_contexts  # FastAPI >= 0.165: included routers

        routes: list[Any] = list(iter_route_contexts(app.routes))
    except ImportError:  # pragma: no cover - older FastAPI lists every route in app.routes
        routes = list(app.routes)
    out: set[tuple[str, str]] = set()
    for route in routes:
        methods = set(getattr(route, "methods", None) or {"GET"}) - {"HEAD"}
        out.update((m, str(route.path)) for m in methods)
    return out


# ------------------------------------------------------------------ the app and its people
class World:
    """The demo app with accounts, a published page and items made to order."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.engine = app.state.store.engine
        self.answers = AnswerStore(self.engine)
        self.template: Answer = open_asker(app).ask(QUESTION, store=False)
        self.draft = self.make("draft")
        self.slug = self.published_slug()
        self._mono: str | None = None

    @property
    def mono(self) -> str:
        """A monograph item under review (stored on first use, by an editor's POST)."""
        if self._mono is None:
            c, token = self.client("editor")
            r = c.post("/monographs/belatacept/draft", data={"csrf_token": token}, headers=JSON)
            assert r.status_code in (200, 201), r.text
            self._mono = str(r.json()["item_id"])
        return self._mono

    @property
    def topic(self) -> str:
        """``<kind>/<slug>`` of a topic the published page is about."""
        index = TestClient(self.app).get("/topics.json").json()
        found = [f"{t['kind']}/{t['slug']}" for t in index["drugs"] + index["conditions"]]
        assert found, "the published page names no drug or condition"
        return found[0]

    def make(self, status: str, *, saved_by: str = "composer") -> str:
        """A new stored answer brought to ``status`` by the right people (never by ``saved_by``)."""
        saved = self.answers.save_new(self.template.model_copy(update={"id": None}), created_by=saved_by)
        assert saved.id is not None
        steps = {"draft": [], "submitted": ["submit"], "under_review": ["submit", "start"]}
        steps["approved"] = [*steps["under_review"], "approve"]
        for action in steps[status]:
            actor = (
                User(LOGIN["editor"], "editor") if action == "submit" else User(SECOND_REVIEWER, "reviewer")
            )
            transition(self.engine, saved.id, action, actor=actor, expected_version=1)
        return saved.id

    def published_slug(self) -> str:
        from medref.store.schema import answers

        item = self.make("approved")
        with self.engine.connect() as conn:
            slug = conn.execute(answers.select().where(answers.c.id == item)).mappings().one()["slug"]
        assert slug, "an approved answer gets a public address"
        return str(slug)

    def client(self, role: str, *, address: str = "testclient") -> tuple[TestClient, str]:
        """A client signed in as ``role`` (anonymous: not signed in) and its CSRF token."""
        c = TestClient(self.app, follow_redirects=False, client=(address, 50000))
        anon = c.get("/login", headers=JSON).json()["csrf_token"]
        if role == "anonymous":
            return c, anon
        r = c.post(
            "/login", data={"username": LOGIN[role], "password": PASSWORD, "csrf_token": anon}, headers=JSON
        )
        assert r.status_code == 200, r.text
        return c, r.json()["csrf_token"]


@pytest.fixture(scope="module")
def world(demo_app: FastAPI) -> Iterator[World]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("medref.review.users._hasher", fast_hasher)
        engine = demo_app.state.store.engine
        for role, name in LOGIN.items():
            add_user(engine, name, PASSWORD, role=role)
        add_user(
            engine, SECOND_REVIEWER, PASSWORD, role="reviewer", display_name="Dr. R. Osei", credentials="MD"
        )
        yield World(demo_app)


def _url(world: World, path: str, cell: Cell, item: str) -> str:
    url = cell.url or path
    mono = world.mono if "{mono}" in url else ""
    topic = world.topic if "{topic}" in url else ""
    return url.format(item=item, slug=world.slug, doc=PMID, setid=LABEL_SETID, mono=mono, topic=topic)


def _request(world: World, role: str, method: str, path: str, cell: Cell) -> int:
    c, token = world.client(role)
    item = world.make(cell.setup) if cell.setup else world.draft
    url = _url(world, path, cell, item)
    if method == "GET":
        return c.get(url).status_code
    version = world.answers.info(world.mono).current_version if "{mono}" in cell.url else 0
    form = {k: v.format(version=version) for k, v in cell.form.items()}
    if path == "/login":
        form.update(username=LOGIN.get(role, "nobody-at-all"), password=PASSWORD)
    return c.request(method, url, data={**form, "csrf_token": token}).status_code


# ------------------------------------------------------------------ the matrix
def test_every_route_has_a_matrix_line(world: World) -> None:
    served = app_routes(world.app)
    missing = sorted(served - MATRIX.keys())
    gone = sorted(MATRIX.keys() - served)
    assert not missing, f"routes without a line in MATRIX (add one each): {missing}"
    assert not gone, f"MATRIX lines for routes the app no longer has: {gone}"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(MATRIX), ids=lambda v: str(v))
def test_route_answers_each_role(world: World, method: str, path: str, role: str) -> None:
    cell = MATRIX[(method, path)]
    expected = cell.expect[ROLES.index(role)]
    assert _request(world, role, method, path, cell) == expected, f"{method} {path} as {role}"


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_a_method_a_route_does_not_take_is_405(world: World, role: str) -> None:
    c, token = world.client(role)
    wrong = []
    for method, path in sorted(MATRIX):
        cell = MATRIX[(method, path)]
        url = _url(world, path, cell, world.draft)
        code = c.request("PUT", url.split("?")[0], headers={"x-csrf-token": token}).status_code
        if code != 405:
            wrong.append(f"PUT {url}: {code}")
    assert not wrong


@pytest.mark.parametrize("role", ["anonymous", "admin"])
def test_every_post_needs_the_csrf_token(world: World, role: str) -> None:
    c, token = world.client(role)
    posts = sorted(path for method, path in MATRIX if method == "POST")
    assert posts, "no POST route in the matrix"
    for path in posts:
        cell = MATRIX[("POST", path)]
        url = _url(world, path, cell, world.draft)
        assert c.post(url, data=dict(cell.form)).status_code == 403, f"POST {path} without a token"
        assert c.post(url, data={**cell.form, "csrf_token": token + "x"}).status_code == 403, path


# ------------------------------------------------------------------ four eyes
@pytest.mark.parametrize("role", ["reviewer", "admin"])
def test_whoever_saved_a_version_cannot_approve_it(world: World, role: str) -> None:
    item = world.make("under_review")
    editor = User(LOGIN[role], role)
    review = edit(world.engine, item, actor=editor, expected_version=1, note="tightened the wording")
    assert review.version == 2 and review.status.value == "under_review"  # still in review, as version 2
    c, token = world.client(role)
    offered = [s["action"] for s in c.get(f"/review/{item}.json").json()["steps"]]
    assert "approve" not in offered and "reject" in offered  # the page does not offer it...
    refused = c.post(
        f"/review/{item}/approve", data={"expected_version": "2", "csrf_token": token}, headers=JSON
    )
    assert refused.status_code == 403 and "four-eyes" in refused.json()["error"]  # ...and refuses it
    other, other_token = world.client("reviewer" if role == "admin" else "admin")
    done = other.post(f"/review/{item}/approve", data={"expected_version": "2", "csrf_token": other_token})
    assert done.status_code == 303
    assert world.answers.info(item).status == "approved"


# ------------------------------------------------------------------ throttling
def _try(world: World, address: str, username: str, password: str) -> int:
    c, token = world.client("anonymous", address=address)
    form = {"username": username, "password": password, "csrf_token": token}
    return c.post("/login", data=form, headers=JSON).status_code


def test_a_client_address_is_throttled_whatever_names_it_tries(world: World) -> None:
    limit = world.app.state.settings.web.login_client_attempts
    spray = "198.51.100.23"
    codes = [_try(world, spray, f"sprayed-name-{i}", "not the password") for i in range(limit)]
    # each name failed once (no account reached its own limit): the address locks at its limit
    assert codes == [401] * (limit - 1) + [429]
    assert _try(world, spray, LOGIN["reviewer"], PASSWORD) == 429  # locked out, right password or not
    assert _try(world, "198.51.100.24", LOGIN["reviewer"], PASSWORD) == 200  # the account is not locked


def test_an_account_is_locked_whatever_address_tries_it(world: World) -> None:
    limit = world.app.state.settings.web.login_attempts
    add_user(world.engine, "mx-locked", PASSWORD, role="editor")
    codes = [_try(world, f"192.0.2.{i + 1}", "mx-locked", "not the password") for i in range(limit)]
    assert codes == [401] * (limit - 1) + [429]  # one failure per address: the account locks at its limit
    assert _try(world, "192.0.2.200", "mx-locked", PASSWORD) == 429  # a fresh address: still locked
    assert _try(world, "192.0.2.201", LOGIN["editor"], PASSWORD) == 200  # other accounts are not


# ------------------------------------------------------------------ session expiry
@pytest.fixture
def fake_clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The sessions' clock, moved by the test (nothing waits)."""
    c = Clock()
    monkeypatch.setattr("medref.review.sessions._now", c)
    return c


@pytest.mark.parametrize("role", ["editor", "reviewer", "admin"])
def test_an_idle_session_ends(world: World, fake_clock: Clock, role: str) -> None:
    c, _ = world.client(role)
    fake_clock.now += IDLE_TIMEOUT - timedelta(minutes=1)
    assert c.get("/review.json").status_code == 200
    fake_clock.now += IDLE_TIMEOUT - timedelta(minutes=1)  # the last request counts, not the sign-in
    assert c.get("/review.json").status_code == 200
    fake_clock.now += IDLE_TIMEOUT + timedelta(seconds=1)
    assert c.get("/review.json").status_code == 401
    assert c.get("/review").status_code == 303  # the browser is sent to sign in again


@pytest.mark.parametrize("role", ["editor", "reviewer", "admin"])
def test_a_busy_session_still_ends_after_its_lifetime(world: World, fake_clock: Clock, role: str) -> None:
    c, _ = world.client(role)
    started = fake_clock.now
    while fake_clock.now + IDLE_TIMEOUT / 2 < started + SESSION_TTL:
        fake_clock.now += IDLE_TIMEOUT / 2
        assert c.get("/review.json").status_code == 200, fake_clock.now - started
    fake_clock.now = started + SESSION_TTL + timedelta(seconds=1)
    assert c.get("/review.json").status_code == 401
