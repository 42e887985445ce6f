"""Warm start: with preload the lifespan loads models and indexes in the background; /ready is 503
until that is done and 200 after; /healthz is liveness; warming stores no answer."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.compose.ask import Asker
from medref.settings import load_settings
from medref.store.answers import AnswerStore
from medref.web import warm
from medref.web.app import create_app

WAIT_S = 120.0


def _wait_ready(client: TestClient) -> dict[str, Any]:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        r = client.get("/ready")
        if r.status_code == 200:
            body: dict[str, Any] = r.json()
            return body
        assert r.status_code == 503 and r.json()["ready"] is False
        time.sleep(0.05)
    raise AssertionError("never ready")


def test_without_preload_the_app_is_ready_at_once_and_loads_nothing(demo_app: FastAPI) -> None:
    client = TestClient(demo_app)
    r = client.get("/ready")
    assert r.status_code == 200 and r.json()["ready"] is True
    assert client.get("/healthz").json() == {"alive": True}
    assert r.headers["cache-control"] == "no-store"


def test_preload_is_503_while_loading_then_200_with_everything_open(
    demo_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    app = create_app(demo_app.state.settings, retriever=demo_app.state.retriever, preload=True)
    answers: AnswerStore = app.state.answers
    asked_before = set(answers.recent_questions(1000))
    release = threading.Event()
    real_open_asker = warm.open_asker

    def held_open_asker(app_: FastAPI) -> Asker:
        assert release.wait(WAIT_S)
        return real_open_asker(app_)

    monkeypatch.setattr(warm, "open_asker", held_open_asker)
    assert app.state.asker is None
    with TestClient(app) as client:
        r = client.get("/ready")
        assert r.status_code == 503
        body = r.json()
        assert body["ready"] is False and body["stage"]
        assert client.get("/healthz").status_code == 200  # alive while loading
        assert "Starting up" in client.get("/").text
        release.set()
        body = _wait_ready(client)
        assert body["stage"] == "ready" and body["error"] is None and body["seconds"] is not None
        assert app.state.asker is not None  # the composer was built before the first visitor
        assert "Starting up" not in client.get("/").text
    assert set(answers.recent_questions(1000)) == asked_before  # warming stored nothing
    assert warm.WARM_QUESTION not in answers.recent_questions(1000)


def test_preload_without_a_search_index_is_ready_and_says_so(tmp_path: Path) -> None:
    app = create_app(load_settings(data_dir=tmp_path), preload=True)
    with TestClient(app) as client:
        body = _wait_ready(client)
    assert "without a search index" in body["stage"]
    assert app.state.retriever is None
