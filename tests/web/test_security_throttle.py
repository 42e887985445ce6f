"""POST /login under parallel guessing and username spraying (SQLite and PostgreSQL)."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medref.review.users import add_user
from medref.settings import load_settings
from medref.store.repository import Store
from tests.review.test_throttle import CountingHasher
from tests.web.test_review_routes import JSON, PASSWORD, build_app


@pytest.fixture
def hasher(monkeypatch: pytest.MonkeyPatch) -> CountingHasher:
    counting = CountingHasher(delay=0.05)
    monkeypatch.setattr("medref.review.users._hasher", lambda: counting)
    monkeypatch.setattr("medref.review.users._dummy_hash", lambda: counting.hash("not a password of anyone"))
    return counting


@pytest.fixture
def app_store(store_url: str, tmp_path: Path, hasher: CountingHasher) -> Iterator[tuple[object, Store]]:
    settings = load_settings(
        data_dir=tmp_path / "data",
        database_url=store_url,
        web={"login_attempts": 5, "login_client_attempts": 10},
    )
    store = Store.open(store_url)
    add_user(store.engine, "rui", PASSWORD, role="reviewer")
    hasher.checks = 0
    yield build_app(settings, store), store
    store.close()


def _client(app: object, address: str) -> TestClient:
    return TestClient(app, client=(address, 50000), follow_redirects=False)  # type: ignore[arg-type]


def test_forty_parallel_guesses_over_http(app_store: tuple[object, Store], hasher: CountingHasher) -> None:
    app, _ = app_store
    with _client(app, "203.0.113.7") as c:
        token = c.get("/login", headers=JSON).json()["csrf_token"]

        def guess(i: int) -> int:
            form = {"username": "rui", "password": f"guess number {i}", "csrf_token": token}
            return c.post("/login", data=form, headers=JSON).status_code

        with ThreadPoolExecutor(max_workers=40) as pool:
            codes = list(pool.map(guess, range(40)))
        assert hasher.checks <= 5, f"{hasher.checks} password checks for a limit of 5"
        assert set(codes) <= {401, 429} and codes.count(429) >= 35
        right = c.post(
            "/login", data={"username": "rui", "password": PASSWORD, "csrf_token": token}, headers=JSON
        )
        assert right.status_code == 429 and int(right.headers["retry-after"]) > 0
    # another client still cannot get in to the locked account, but may sign in elsewhere
    with _client(app, "203.0.113.8") as other:
        token = other.get("/login", headers=JSON).json()["csrf_token"]
        r = other.post("/login", data={"username": "rui", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 429


def test_username_spraying_from_one_address_is_cut_off(
    app_store: tuple[object, Store], hasher: CountingHasher
) -> None:
    app, _ = app_store
    with _client(app, "198.51.100.4") as c:
        token = c.get("/login", headers=JSON).json()["csrf_token"]
        codes = [
            c.post(
                "/login", data={"username": f"user{i}", "password": "Winter2026!!", "csrf_token": token}
            ).status_code
            for i in range(30)
        ]
        assert codes == [401] * 9 + [429] * 21
        assert hasher.checks == 10
        page = c.post("/login", data={"username": "rui", "password": PASSWORD, "csrf_token": token})
        assert page.status_code == 429 and "network address" in page.text
    with _client(app, "198.51.100.5") as other:  # the account itself is fine
        token = other.get("/login", headers=JSON).json()["csrf_token"]
        r = other.post("/login", data={"username": "rui", "password": PASSWORD, "csrf_token": token})
        assert r.status_code == 303
