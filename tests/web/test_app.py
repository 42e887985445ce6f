"""App plumbing: error pages (404/422/500/503), OpenAPI, static files, headers, serve, sign-in header."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException
from fastapi.testclient import TestClient

from medref.settings import load_settings
from medref.web.app import create_app

from .conftest import indexed_settings

ROLE_Q = "What is the role of CD40 ligand blockers?"
TEMPLATES = Path(__file__).resolve().parents[2] / "src" / "medref" / "web" / "templates"


def test_no_template_marks_text_safe() -> None:
    """Autoescaping is the only defence the pages need: nothing may switch it off."""
    for template in TEMPLATES.rglob("*.html"):
        text = template.read_text(encoding="utf-8")
        assert not re.search(r"\|\s*safe\b", text), template
        assert "autoescape false" not in text, template


# ----------------------------------------------------------------------------- errors


def test_not_found_pages(client: TestClient) -> None:
    page = client.get("/no/such/page")
    assert page.status_code == 404 and page.headers["content-type"].startswith("text/html")
    assert "There is no page at /no/such/page" in page.text
    missing = client.get("/questions/not-an-answer")
    assert missing.status_code == 404 and "no answer with id" in missing.text
    as_json = client.get("/questions/not-an-answer.json")
    assert as_json.status_code == 404
    assert as_json.json()["status"] == 404 and "not-an-answer" in as_json.json()["detail"]
    negotiated = client.get("/no/such/page", headers={"Accept": "application/json"})
    assert negotiated.json()["title"] == "Not found"
    thread = client.get("/ask.json", params={"q": "and in pregnancy?", "thread": "no-such-thread"})
    assert thread.status_code == 404 and "no thread" in thread.json()["detail"]


def test_invalid_input_is_422(client: TestClient) -> None:
    no_q = client.get("/ask.json")
    assert no_q.status_code == 422
    body = no_q.json()
    assert body["errors"] and body["errors"][0]["loc"] == ["query", "q"]
    assert "q: Field required" in body["detail"]
    bad_audience = client.get("/ask", params={"q": ROLE_Q, "audience": "astronaut"})
    assert bad_audience.status_code == 422 and "audience" in bad_audience.text
    blank = client.get("/ask", params={"q": "   "})
    assert blank.status_code == 422 and "Type a question" in blank.text


def test_server_errors_are_pages_without_internals(tmp_path: Path) -> None:
    settings, retriever = indexed_settings(tmp_path, [])
    app = create_app(settings, retriever=retriever)

    def boom() -> None:
        raise RuntimeError("secret internal detail")

    app.add_api_route("/boom", boom)

    def needs_sign_in() -> None:
        raise HTTPException(303, "sign in first", headers={"Location": "/login?next=%2Fsecret"})

    app.add_api_route("/secret", needs_sign_in)
    client = TestClient(app, raise_server_exceptions=False)
    redirect = client.get("/secret", follow_redirects=False)
    assert redirect.status_code == 303 and redirect.headers["location"] == "/login?next=%2Fsecret"
    not_allowed = client.post("/", headers={"Accept": "application/json"})
    assert not_allowed.status_code == 405 and not_allowed.json()["title"] == "Method not allowed"
    r = client.get("/boom")
    assert r.status_code == 500 and "secret internal detail" not in r.text
    assert "Something went wrong" in r.text
    j = client.get("/boom", headers={"Accept": "application/json"})
    assert j.status_code == 500 and j.json()["status"] == 500
    retriever.close()


def test_missing_index_gives_the_cli_fix(tmp_path: Path) -> None:
    app = create_app(load_settings(data_dir=tmp_path))  # nothing ingested, no index
    client = TestClient(app)
    home = client.get("/")
    assert home.status_code == 200 and "medref index rebuild" in home.text
    r = client.get("/ask", params={"q": ROLE_Q})
    assert r.status_code == 503 and "medref index rebuild" in r.text
    j = client.get("/search.json", params={"q": "belatacept"})
    assert j.status_code == 503 and "medref index rebuild" in j.json()["fix"]
    # once the index exists the same app opens it, without a restart
    from medref.index.sync import rebuild
    from medref.store.repository import Store

    rebuild(Store.open(app.state.settings.url), app.state.settings)
    assert client.get("/search.json", params={"q": "belatacept"}).status_code == 200


# ----------------------------------------------------------------------------- app plumbing


def test_openapi_schema_lists_the_routes(client: TestClient) -> None:
    r = client.get("/openapi.json")
    assert r.status_code == 200
    schema = r.json()
    assert schema["openapi"].startswith("3.")
    for path in (
        "/",
        "/index.json",
        "/ask",
        "/ask.json",
        "/questions/{answer_id}",
        "/questions/{answer_id}.json",
        "/search",
        "/search.json",
        "/monographs/{drug}",
        "/monographs/{drug}.json",
    ):
        assert "get" in schema["paths"][path], path
    refs = set(re.findall(r'"\$ref": ?"#/components/schemas/([^"]+)"', r.text))
    assert refs and refs <= set(schema["components"]["schemas"])
    assert {"Answer", "RetrievalResult", "Monograph", "HomePage"} <= set(schema["components"]["schemas"])


def test_static_css_and_security_headers(client: TestClient) -> None:
    css = client.get("/static/medref.css")
    assert css.status_code == 200 and "text/css" in css.headers["content-type"]
    r = client.get("/")
    assert "default-src 'self'" in r.headers["content-security-policy"]
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def test_serve_runs_uvicorn_on_the_configured_address(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    import uvicorn

    from medref.web.serve import serve

    seen: dict[str, Any] = {}
    monkeypatch.setattr(uvicorn, "run", lambda app, **kw: seen.update(app=app, **kw))
    settings = load_settings(data_dir=tmp_path, web={"host": "0.0.0.0", "port": 8765})
    serve(settings=settings)
    assert (seen["host"], seen["port"]) == ("0.0.0.0", 8765)
    assert isinstance(seen["app"], FastAPI)
    serve("127.0.0.1", 9000, settings=settings)
    assert (seen["host"], seen["port"]) == ("127.0.0.1", 9000)


def test_header_shows_the_signed_in_user(demo_app: FastAPI) -> None:
    security = pytest.importorskip("medref.web.security")
    users = pytest.importorskip("medref.review.users")
    sessions = pytest.importorskip("medref.review.sessions")
    client = TestClient(demo_app)
    assert 'href="/login">Sign in</a>' in client.get("/").text
    engine = demo_app.state.store.engine
    user = users.add_user(engine, "header-test", "a long enough password 42", role="reviewer")
    token, session = sessions.create_session(engine, user)
    auth = demo_app.state.auth
    auth.resolve(demo_app)
    client.cookies.set(security.SESSION_COOKIE, auth.seal("session", token))
    html = client.get("/").text
    assert "Signed in as header-test (reviewer)" in html
    assert 'href="/review">Review</a>' in html
    logout = re.search(r'<form class="inline" action="/logout" method="post">.*?</form>', html, re.S)
    assert logout and f'name="csrf_token" value="{session.csrf_token}"' in logout.group(0)


def test_an_index_in_the_database_needs_no_local_folder(tmp_path: Path) -> None:
    """A web worker on a new host shares the PostgreSQL-held index: no local folder to wait for."""
    from types import SimpleNamespace

    from medref.web.deps import index_ready

    on_disk = load_settings(data_dir=tmp_path)
    in_db = load_settings(data_dir=tmp_path, index={"lexical": "postgres"})
    assert not index_ready(SimpleNamespace(state=SimpleNamespace(retriever=None, settings=on_disk)))
    assert index_ready(SimpleNamespace(state=SimpleNamespace(retriever=None, settings=in_db)))
