"""Login, sessions, CSRF, roles and the review pages over HTTP (a minimal app with our routers)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text, update

from medref.models import Answer, Audience
from medref.review.users import add_user
from medref.settings import Settings, load_settings
from medref.store.answers import AnswerStore
from medref.store.db import read_tx, write_tx
from medref.store.repository import Store
from medref.store.schema import answer_versions, sessions
from medref.web.render import TEMPLATES
from medref.web.routes import auth, review
from medref.web.security import ANON_COOKIE, SESSION_COOKIE, install
from tests.review.factories import fast_hasher, make_answer, make_doc

PASSWORD = "a long enough password"
STATIC = Path(auth.__file__).resolve().parents[1] / "static"
JSON = {"accept": "application/json"}


def build_app(settings: Settings, store: Store) -> FastAPI:
    """Our routers + install(); plus the few names the shared base.html links to."""
    from medref.web.views import install_template_helpers

    app = FastAPI()
    install(app, settings=settings, engine=store.engine)
    app.include_router(auth.router)
    app.include_router(review.router)
    install_template_helpers(TEMPLATES.env)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.add_api_route("/", lambda: {}, name="home")
    app.add_api_route("/search", lambda: {}, name="search")
    app.state.nav = {"/login": "/login", "/logout": "/logout", "/review": "/review"}
    return app


class Env:
    def __init__(self, settings: Settings, store: Store) -> None:
        self.settings, self.store = settings, store
        self.answers = AnswerStore(store.engine)
        self.app = build_app(settings, store)

    def client(self, *, https: bool = False) -> TestClient:
        return TestClient(
            self.app, base_url="https://testserver" if https else "http://testserver", follow_redirects=False
        )

    def login(
        self, username: str, password: str = PASSWORD, *, client: TestClient | None = None
    ) -> tuple[TestClient, str]:
        """A signed-in client and its CSRF token (the JSON way)."""
        c = client or self.client()
        anon = c.get("/login", headers=JSON).json()["csrf_token"]
        r = c.post(
            "/login", data={"username": username, "password": password, "csrf_token": anon}, headers=JSON
        )
        assert r.status_code == 200, r.text
        return c, r.json()["csrf_token"]

    def seed(self, answer: Answer | None = None) -> str:
        saved = self.answers.save_new(answer or make_answer(), created_by="composer")
        assert saved.id is not None
        return saved.id


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)


@pytest.fixture
def env(store_url: str, tmp_path: Path) -> Iterator[Env]:
    settings = load_settings(data_dir=tmp_path / "data", database_url=store_url, web={"login_attempts": 3})
    store = Store.open(store_url)
    for name, role in (("erin", "editor"), ("rui", "reviewer"), ("rosa", "reviewer"), ("ada", "admin")):
        add_user(store.engine, name, PASSWORD, role=role)
    yield Env(settings, store)
    store.close()


def _form_token(html: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert found, "no CSRF field in the page"
    return found.group(1)


def _set_cookies(response: Any) -> list[str]:
    return list(response.headers.get_list("set-cookie"))


# ------------------------------------------------------------------ sign in
def test_login_form_sets_a_csrf_cookie_and_login_needs_its_token(env: Env) -> None:
    c = env.client()
    page = c.get("/login?next=/review/abc")
    assert page.status_code == 200 and 'name="password"' in page.text
    token = _form_token(page.text)
    assert 'value="/review/abc"' in page.text
    anon_cookie = next(h for h in _set_cookies(page) if h.startswith(ANON_COOKIE + "="))
    assert "HttpOnly" in anon_cookie and "SameSite=Lax" in anon_cookie

    form = {"username": "erin", "password": PASSWORD, "next": "/review/abc"}
    assert c.post("/login", data=form).status_code == 403  # no token
    assert c.post("/login", data={**form, "csrf_token": "forged"}).status_code == 403
    assert (
        TestClient(env.app).post("/login", data={**form, "csrf_token": token}).status_code == 403
    )  # no cookie

    done = c.post("/login", data={**form, "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"] == "/review/abc"
    cookie = next(h for h in _set_cookies(done) if h.startswith(SESSION_COOKIE + "="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert any(
        h.startswith(ANON_COOKIE + '=""') or h.startswith(ANON_COOKIE + "=;") for h in _set_cookies(done)
    )
    me = c.get("/login", headers=JSON).json()
    assert (me["signed_in"], me["username"], me["role"]) == (True, "erin", "editor")


def test_next_only_goes_to_local_paths(env: Env) -> None:
    c = env.client()
    token = _form_token(c.get("/login").text)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        r = c.post(
            "/login", data={"username": "rui", "password": PASSWORD, "next": target, "csrf_token": token}
        )
        assert r.headers["location"] == "/review"
        token = _form_token(c.get("/login").text)


def test_session_cookie_is_secure_over_https(env: Env) -> None:
    c = env.client(https=True)
    token = c.get("/login", headers=JSON).json()["csrf_token"]
    r = c.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": token}, headers=JSON)
    cookie = next(h for h in _set_cookies(r) if h.startswith(SESSION_COOKIE + "="))
    assert "Secure" in cookie and "HttpOnly" in cookie


def test_login_rotates_the_session_and_logout_ends_it(env: Env) -> None:
    c, token = env.login("erin")
    first = c.cookies[SESSION_COOKIE]
    assert c.get("/review.json").status_code == 200
    _, token2 = env.login("erin", client=c)  # logging in again: a new session id
    second = c.cookies[SESSION_COOKIE]
    assert second != first and token2 != token
    stale = TestClient(env.app, cookies={SESSION_COOKIE: first})
    r = stale.get("/review.json")
    assert r.status_code == 401  # the old id no longer works
    assert any(
        h.startswith(SESSION_COOKIE + '=""') or h.startswith(SESSION_COOKIE + "=;") for h in _set_cookies(r)
    )
    with read_tx(env.store.engine) as conn:
        assert conn.execute(select(func.count()).select_from(sessions)).scalar() == 1

    assert c.post("/logout").status_code == 403  # CSRF applies to logout too
    out = c.post("/logout", data={"csrf_token": token2})
    assert out.status_code == 303
    with read_tx(env.store.engine) as conn:
        assert conn.execute(select(func.count()).select_from(sessions)).scalar() == 0
    assert TestClient(env.app, cookies={SESSION_COOKIE: second}).get("/review.json").status_code == 401


def test_a_tampered_cookie_is_ignored(env: Env) -> None:
    c, _ = env.login("ada")
    value = c.cookies[SESSION_COOKIE]
    token, _, sig = value.rpartition(".")
    forged = TestClient(env.app, cookies={SESSION_COOKIE: token + "." + sig[::-1]})
    assert forged.get("/review.json").status_code == 401
    assert TestClient(env.app, cookies={SESSION_COOKIE: token}).get("/review.json").status_code == 401


def test_lockout_after_repeated_failures(env: Env) -> None:
    c = env.client()
    token = c.get("/login", headers=JSON).json()["csrf_token"]
    for _ in range(2):
        r = c.post("/login", data={"username": "rui", "password": "wrong password", "csrf_token": token})
        assert r.status_code == 401 and "wrong username or password" in r.text.lower()
    third = c.post("/login", data={"username": "rui", "password": "wrong password", "csrf_token": token})
    assert third.status_code == 429 and int(third.headers["retry-after"]) > 0
    right = c.post(
        "/login", data={"username": "rui", "password": PASSWORD, "csrf_token": token}, headers=JSON
    )
    assert right.status_code == 429 and right.json()["locked_until"]
    assert SESSION_COOKIE not in c.cookies
    env.login("rosa")  # other accounts are not affected


# ------------------------------------------------------------------ review pages
def test_review_pages_need_a_signed_in_user(env: Env) -> None:
    item = env.seed()
    c = env.client()
    r = c.get("/review")
    assert r.status_code == 303 and r.headers["location"] == "/login?next=%2Freview"
    assert c.get("/review.json").status_code == 401
    assert c.get(f"/review/{item}", headers=JSON).status_code == 401
    assert c.post(f"/review/{item}/submit", data={"expected_version": "1"}).status_code in (401, 403)


def test_workflow_over_http_with_role_and_csrf_checks(env: Env) -> None:
    item = env.seed()
    editor, etoken = env.login("erin")
    reviewer, rtoken = env.login("rui")

    assert editor.post(f"/review/{item}/submit", data={"expected_version": "1"}).status_code == 403  # no CSRF
    assert (
        editor.post(
            f"/review/{item}/submit", data={"expected_version": "1", "csrf_token": rtoken}
        ).status_code
        == 403
    )
    assert env.answers.info(item).status == "draft"
    r = editor.post(f"/review/{item}/submit", data={"expected_version": "1", "csrf_token": etoken})
    assert r.status_code == 303 and r.headers["location"] == f"/review/{item}"

    assert (
        editor.post(f"/review/{item}/start", data={"expected_version": "1", "csrf_token": etoken}).status_code
        == 403
    )
    started = reviewer.post(
        f"/review/{item}/start", data={"expected_version": "1"}, headers={**JSON, "x-csrf-token": rtoken}
    )
    assert started.status_code == 200 and started.json()["status"] == "under_review"
    denied = editor.post(
        f"/review/{item}/approve", data={"expected_version": "1", "csrf_token": etoken}, headers=JSON
    )
    assert denied.status_code == 403 and "reviewer" in denied.text
    assert env.answers.info(item).status == "under_review"

    approved = reviewer.post(
        f"/review/{item}/approve", data={"expected_version": "1", "csrf_token": rtoken}, headers=JSON
    )
    assert approved.status_code == 200
    body = approved.json()
    assert (body["status"], body["reviewer"], body["version"]) == ("approved", "rui", 1)
    assert [e["action"] for e in body["history"]] == ["created", "submitted", "review_started", "approved"]
    again = reviewer.post(
        f"/review/{item}/approve", data={"expected_version": "1", "csrf_token": rtoken}, headers=JSON
    )
    assert again.status_code == 409 and "approved" in again.json()["error"]

    board = editor.get("/review.json").json()
    assert board["counts"]["approved"] == 1 and [i["id"] for i in board["items"]] == [item]
    html = editor.get("/review")
    assert html.status_code == 200 and "Approved (1)" in html.text and f"/review/{item}" in html.text


def test_second_save_of_the_same_version_is_409_and_keeps_both_texts(env: Env) -> None:
    item = env.seed()
    rui, rtoken = env.login("rui")
    rosa, stoken = env.login("rosa")
    page = rosa.get(f"/review/{item}")
    assert (
        page.status_code == 200
        and 'name="text-0"' in page.text
        and 'name="expected_version" value="1"' in page.text
    )

    first = rui.post(
        f"/review/{item}/edit",
        data={
            "expected_version": "1",
            "text-0": "Rui's version.",
            "text-1": "Same.",
            "note": "tighter",
            "csrf_token": rtoken,
        },
    )
    assert first.status_code == 303
    late = {
        "expected_version": "1",
        "text-0": "Rosa's version.",
        "text-1": "Same.",
        "note": "mine",
        "csrf_token": stoken,
    }
    conflict = rosa.post(f"/review/{item}/edit", data=late, headers=JSON)
    assert conflict.status_code == 409
    problem = conflict.json()
    assert problem["current_version"] == 2 and problem["yours"]["text-0"] == "Rosa's version."
    html = rosa.post(f"/review/{item}/edit", data=late)
    assert (
        html.status_code == 409
        and "Rosa&#39;s version." in html.text
        and "The current version is 2" in html.text
    )

    assert [v.version for v in env.answers.versions(item)] == [1, 2]
    assert env.answers.get(item).research.summary[0].text == "Rui's version."
    assert env.answers.get(item, 1).research.summary[0].text == "Velmorast lowered itch scores in one trial."
    saved = rosa.post(f"/review/{item}/edit", data={**late, "expected_version": "2"}, headers=JSON)
    assert saved.status_code == 200 and saved.json()["version"] == 3


def test_detail_shows_versions_diff_and_history(env: Env) -> None:
    item = env.seed()
    erin, token = env.login("erin")
    erin.post(
        f"/review/{item}/edit",
        data={
            "expected_version": "1",
            "text-0": "Velmorast lowered itch scores in two trials.",
            "text-1": "Few people stopped it early.",
            "csrf_token": token,
        },
    )
    data = erin.get(f"/review/{item}.json").json()
    assert (data["diff_from"], data["diff_to"]) == (1, 2)
    lines = data["diff"].splitlines()
    assert "-summary: Velmorast lowered itch scores in one trial." in lines
    assert "+summary: Velmorast lowered itch scores in two trials. (edited, needs a source)" in lines
    assert not any(line.startswith(("+key point", "-key point")) for line in lines)
    assert [v["version"] for v in data["versions"]] == [1, 2] and data["versions"][1]["created_by"] == "erin"
    assert [e["action"] for e in data["review"]["history"]] == ["created", "version_added"]
    assert [s["action"] for s in data["steps"]] == ["submit"] and data["can_edit"]

    as_json = erin.get(f"/review/{item}.json?from=1&to=2&diff=json").json()["diff"]
    changed = [
        (line[0], line[1:].strip().rstrip(",")) for line in as_json.splitlines()[2:] if line[:1] in "+-"
    ]
    assert changed == [
        ("-", '"edited": false'),
        ("+", '"edited": true'),
        ("-", '"text": "Velmorast lowered itch scores in one trial."'),
        ("+", '"text": "Velmorast lowered itch scores in two trials."'),
    ]
    same = erin.get(f"/review/{item}.json?from=2&to=2").json()
    assert same["diff"] == ""
    page = erin.get(f"/review/{item}?from=1&to=2")
    assert page.status_code == 200
    assert "+summary: Velmorast lowered itch scores in two trials. (edited, needs a source)" in page.text
    assert "version added" in page.text and "(from v1)" in page.text
    assert erin.get("/review/nope.json").status_code == 404
    assert erin.get(f"/review/{item}.json?to=9").status_code == 404


class FakeAsker:
    def ask(
        self, question: str, *, audience: Audience = Audience.CLINICIAN, thread_id: str | None = None
    ) -> Answer:
        return make_answer("Velmorast results were withdrawn.", question=question)


def test_stale_answers_are_listed_and_regenerated_into_review(env: Env) -> None:
    env.store.write_file([make_doc("pmid:31")], path="x.xml", fmt="pubmed")
    item = env.seed(make_answer(docs=(env.store.get_document("pmid:31"),)))
    erin, token = env.login("erin")
    assert (
        erin.post(f"/review/{item}/submit", data={"expected_version": "1", "csrf_token": token}).status_code
        == 303
    )
    env.store.write_file([make_doc("pmid:31", body="Retracted.")], path="x.xml", fmt="pubmed")

    assert erin.post("/review/refresh-stale", data={"csrf_token": token}, headers=JSON).json() == {
        "flagged": 1
    }
    board = erin.get("/review.json").json()
    assert [i["id"] for i in board["stale"]] == [item]
    assert "Stale: evidence changed (1)" in erin.get("/review").text
    detail = erin.get(f"/review/{item}.json").json()
    assert detail["review"]["stale"] and detail["can_regenerate"]

    no_source = erin.post(
        f"/review/{item}/regenerate", data={"expected_version": "1", "csrf_token": token}, headers=JSON
    )
    assert no_source.status_code == 409  # no asker and no search index: nothing done
    env.app.state.asker = FakeAsker()
    done = erin.post(
        f"/review/{item}/regenerate", data={"expected_version": "1", "csrf_token": token}, headers=JSON
    )
    assert done.status_code == 200
    assert (done.json()["version"], done.json()["status"], done.json()["stale"]) == (2, "submitted", False)
    assert env.answers.get(item).research.summary[0].text == "Velmorast results were withdrawn."
    assert erin.get("/review.json").json()["stale"] == []


def test_bad_input_is_422_and_kept(env: Env) -> None:
    item = env.seed()
    rui, token = env.login("rui")
    rui.post(f"/review/{item}/submit", data={"expected_version": "1", "csrf_token": token})  # 403: reviewer
    ada, atoken = env.login("ada")
    ada.post(f"/review/{item}/submit", data={"expected_version": "1", "csrf_token": atoken})
    r = rui.post(
        f"/review/{item}/request-changes",
        data={"expected_version": "1", "note": "", "csrf_token": token},
        headers=JSON,
    )
    assert r.status_code == 422 and "note" in r.json()["error"]
    r = rui.post(f"/review/{item}/start", data={"expected_version": "one", "csrf_token": token}, headers=JSON)
    assert r.status_code == 422
    assert env.answers.info(item).status == "submitted"


def test_the_web_app_factory_installs_accounts_and_review(tmp_path: Path) -> None:
    """Through ``medref.web.app.create_app``: middleware, routers and templates fit together."""
    create_app = pytest.importorskip("medref.web.app").create_app
    app = create_app(load_settings(data_dir=tmp_path / "app"))
    engine = app.state.store.engine
    add_user(engine, "ada", PASSWORD, role="admin")
    saved = AnswerStore(engine).save_new(make_answer())
    c = TestClient(app, follow_redirects=False)
    assert c.get("/review").headers["location"] == "/login?next=%2Freview"
    token = _form_token(c.get("/login").text)
    assert (
        c.post("/login", data={"username": "ada", "password": PASSWORD, "csrf_token": token}).status_code
        == 303
    )
    page = c.get(f"/review/{saved.id}")
    assert page.status_code == 200 and "<main" in page.text and "ada" in page.text
    token = _form_token(page.text)
    for step in ("submit", "start", "approve"):
        assert (
            c.post(
                f"/review/{saved.id}/{step}", data={"expected_version": "1", "csrf_token": token}
            ).status_code
            == 303
        )
    assert c.post(f"/review/{saved.id}/reject", data={"expected_version": "1"}).status_code == 403
    assert c.get(f"/review/{saved.id}.json").json()["review"]["reviewer"] == "ada"
    # no search index in this data dir: regeneration says so instead of failing
    r = c.post(
        f"/review/{saved.id}/regenerate", data={"expected_version": "1", "csrf_token": token}, headers=JSON
    )
    assert r.status_code == 503 and "index" in r.json()["error"]


def test_the_last_editor_cannot_approve_and_tampering_shows_on_the_item(env: Env) -> None:
    item = env.seed()
    erin, etoken = env.login("erin")
    rui, rtoken = env.login("rui")
    rosa, stoken = env.login("rosa")
    erin.post(f"/review/{item}/submit", data={"expected_version": "1", "csrf_token": etoken})
    rui.post(f"/review/{item}/start", data={"expected_version": "1", "csrf_token": rtoken})
    saved = rui.post(
        f"/review/{item}/edit",
        data={
            "expected_version": "1",
            "text-0": "Rui's fix.",
            "text-1": "Kept.",
            "source-0": "editorial",
            "source-1": "editorial",
            "csrf_token": rtoken,
        },
        headers=JSON,
    )
    assert saved.status_code == 200 and saved.json()["status"] == "under_review"
    mine = rui.get(f"/review/{item}.json").json()
    assert "approve" not in [s["action"] for s in mine["steps"]] and mine["integrity"] == []
    refused = rui.post(
        f"/review/{item}/approve", data={"expected_version": "2", "csrf_token": rtoken}, headers=JSON
    )
    assert refused.status_code == 403 and "four-eyes" in refused.json()["error"]
    assert "approve" in [s["action"] for s in rosa.get(f"/review/{item}.json").json()["steps"]]
    done = rosa.post(
        f"/review/{item}/approve", data={"expected_version": "2", "csrf_token": stoken}, headers=JSON
    )
    assert done.status_code == 200 and done.json()["reviewer"] == "rosa"

    with write_tx(env.store.engine) as conn:  # someone rewrites the approved text in SQL
        if conn.dialect.name == "postgresql":
            conn.execute(text("ALTER TABLE answer_versions DISABLE TRIGGER answer_versions_no_update"))
        else:
            conn.execute(text("DROP TRIGGER answer_versions_no_update"))
        conn.execute(
            update(answer_versions)
            .where(answer_versions.c.answer_id == item, answer_versions.c.version == 2)
            .values(note="rewritten", payload=make_answer("Forged claim.").model_dump(mode="json"))
        )
    data = rosa.get(f"/review/{item}.json").json()
    assert data["review"]["status"] == "draft" and data["review"]["reviewer"] is None
    assert data["integrity"] == [
        "the text of version 2 does not match the hash stored with it",
        "the text of version 2 is not the text that was approved",
    ]
    page = rosa.get(f"/review/{item}")
    assert page.status_code == 200 and "Tamper check failed" in page.text
