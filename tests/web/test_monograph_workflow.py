"""Monographs in the editorial workflow, over HTTP on the demo corpus.

The store starts with version 1 of the demo belatacept label only (plus the rest of the demo
corpus); version 2 (``spl_belatacept.xml``) is ingested part-way through, as a real label update
would be.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.deps import demo_files
from medref.index.sync import sync
from medref.ingest.pipeline import ingest_paths
from medref.models import Monograph
from medref.review.items import get_item, list_items
from medref.review.users import add_user
from medref.web.app import create_app
from medref.web.routes import monographs
from tests.review.factories import fast_hasher
from tests.web.conftest import indexed_settings

PASSWORD = "a long enough password"
JSON = {"accept": "application/json"}
NEW_LABEL = "spl_belatacept.xml"


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)


@pytest.fixture
def app(tmp_path: Path) -> Iterator[FastAPI]:
    files = [f for f in demo_files() if f.name != NEW_LABEL]
    settings, retriever = indexed_settings(tmp_path / "data", files)
    app = create_app(settings, retriever=retriever)
    for name, role in (("erin", "editor"), ("rui", "reviewer"), ("rosa", "reviewer")):
        add_user(app.state.store.engine, name, PASSWORD, role=role)
    yield app
    retriever.close()


def login(app: FastAPI, username: str) -> tuple[TestClient, str]:
    c = TestClient(app, follow_redirects=False)
    anon = c.get("/login", headers=JSON).json()["csrf_token"]
    r = c.post("/login", data={"username": username, "password": PASSWORD, "csrf_token": anon}, headers=JSON)
    assert r.status_code == 200, r.text
    return c, r.json()["csrf_token"]


def monograph_items(app: FastAPI) -> list[str]:
    return [i.id for i in list_items(app.state.store.engine, kind="monograph")]


def create_draft(app: FastAPI) -> tuple[TestClient, str, str]:
    """Erin creates the draft from the page's own form; returns her client, token and the item id."""
    erin, token = login(app, "erin")
    html = erin.get("/monographs/belatacept").text
    form = re.search(
        r'<form method="post" action="([^"]+)">\s*<input type="hidden" name="csrf_token" value="([^"]+)"',
        html,
    )
    assert form, "an editor sees the 'Create a draft for review' form"
    assert "Create a draft for review" in html
    r = erin.post(form.group(1), data={"csrf_token": form.group(2)})
    assert r.status_code == 303, r.text
    item_id = r.headers["location"].rsplit("/", 1)[-1]
    assert monograph_items(app) == [item_id]
    return erin, token, item_id


def step(client: TestClient, token: str, item_id: str, action: str, version: int) -> None:
    r = client.post(
        f"/review/{item_id}/{action}",
        data={"csrf_token": token, "expected_version": str(version)},
        headers=JSON,
    )
    assert r.status_code == 200, r.text


def approve(app: FastAPI, erin: TestClient, token: str, item_id: str, version: int = 1) -> TestClient:
    step(erin, token, item_id, "submit", version)
    rui, rui_token = login(app, "rui")
    step(rui, rui_token, item_id, "start", version)
    step(rui, rui_token, item_id, "approve", version)
    return rui


def test_anonymous_reads_never_create_items_and_cannot_post(app: FastAPI) -> None:
    anon = TestClient(app, follow_redirects=False)
    for path in ("/monographs/belatacept", "/monographs/belatacept.json", "/monographs/Nulojix"):
        assert anon.get(path).status_code == 200
    page = anon.get("/monographs/belatacept").text
    assert "Create a draft for review" not in page and "Educational purpose only" in page
    assert "review" not in anon.get("/monographs/belatacept.json").json()
    assert anon.post("/monographs/belatacept/draft").status_code == 403  # no CSRF token
    assert monograph_items(app) == []


def test_only_editors_create_one_open_draft_per_drug_and_audience(app: FastAPI) -> None:
    erin, token, item_id = create_draft(app)
    assert erin.post("/monographs/belatacept/draft").status_code == 403  # the token is required
    again = erin.post("/monographs/Belatacept/draft", data={"csrf_token": token}, headers=JSON)
    assert again.status_code == 200
    assert {k: v for k, v in again.json().items() if k != "monograph"} == {
        "item_id": item_id,
        "created": False,
        "review_url": f"/review/{item_id}",
    }
    assert Monograph.model_validate(again.json()["monograph"]).id == item_id
    patient = erin.post(
        "/monographs/belatacept/draft",
        params={"audience": "patient"},
        data={"csrf_token": token},
        headers=JSON,
    )
    assert patient.status_code == 201 and patient.json()["item_id"] != item_id
    assert len(monograph_items(app)) == 2
    stored = get_item(app.state.store.engine, item_id)
    assert stored.id == item_id and stored.version == 1
    # the page now links the item's review page instead of offering a second draft
    assert f'href="/review/{item_id}"' in erin.get("/monographs/belatacept").text


def test_approved_version_is_served_then_goes_stale_with_a_label_diff_and_is_regenerated(
    app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    erin, token, item_id = create_draft(app)
    anon = TestClient(app)
    assert "review" not in anon.get("/monographs/belatacept.json").json()  # a draft is not published

    # four eyes: erin saved version 1 and may not approve it even as a reviewer would
    step(erin, token, item_id, "submit", 1)
    rui, rui_token = login(app, "rui")
    step(rui, rui_token, item_id, "start", 1)
    step(rui, rui_token, item_id, "approve", 1)

    data = anon.get("/monographs/belatacept.json").json()
    assert data["id"] == item_id and data["version"] == 1
    assert data["review"]["status"] == "approved" and data["review"]["approved_at"]
    assert data["review"]["item_id"] == item_id and data["review"]["stale"] is False
    assert data["label"]["spl_version"] == 1
    html = anon.get("/monographs/belatacept").text
    assert "Approved by a Medical Advisory Board" in html and "Educational purpose only" not in html
    assert '<li class="step done current" aria-current="step">' in html  # the tracker reached Approved
    assert "due for another review" not in html
    # the stored version is what is served: the page no longer needs the builder
    with monkeypatch.context() as m:
        m.setattr(monographs, "builder", lambda: None)
        assert anon.get("/monographs/belatacept.json").json()["id"] == item_id

    # a new version of the label set arrives
    store = app.state.store
    assert ingest_paths(store, [p for p in demo_files() if p.name == NEW_LABEL]).ok
    sync(store, app.state.retriever.indexes)
    data = anon.get("/monographs/belatacept.json").json()
    assert data["id"] == item_id and data["label"]["spl_version"] == 1  # still the approved text
    assert data["review"]["stale"] is True
    assert "due for another review" in anon.get("/monographs/belatacept").text

    flagged = erin.post("/review/refresh-stale", data={"csrf_token": token}, headers=JSON)
    assert flagged.status_code == 200 and flagged.json()["flagged"] >= 1
    assert next(i for i in list_items(store.engine, kind="monograph") if i.id == item_id).stale

    # the reviewer sees the section-by-section label diff, both sides cited
    assert TestClient(app).get(f"/monographs/items/{item_id}/changes.json").status_code == 401
    panel = rui.get(f"/monographs/items/{item_id}/changes.json").json()
    assert panel["stale"] and panel["cited_label"] == 1 and panel["newest_label"] == 2
    diff = panel["label_diff"]
    assert diff["from_version"]["version"] == 1 and diff["to_version"]["version"] == 2
    assert diff["sections"], "the demo label versions differ"
    refs = {r["number"]: r["document"]["uid"] for r in diff["references"]}
    assert refs[1].endswith(":v1") and not refs[2].endswith(":v1")
    spans = [s for sec in diff["sections"] for h in sec["hunks"] for s in (*h["removed"], *h["added"])]
    assert {s["citation"]["doc_uid"] for s in spans} == {refs[1], refs[2]}
    page = rui.get(f"/monographs/items/{item_id}/changes").text
    assert "version 2 of the label is stored" in page
    assert f"/documents/{refs[1]}" in page.replace("%3A", ":") and f"/documents/{refs[2]}" in page.replace(
        "%3A", ":"
    )
    assert "Regenerate from the newest label" in page
    review_page = rui.get(f"/review/{item_id}").text  # the same panel, embedded in the review page
    assert (
        "Label changes, version 1 → version 2" in review_page
        and "version 2 of the label is stored" in review_page
    )

    # a stale version cannot be approved again; regenerating makes version 2 from the newest label
    r = rui.post(
        f"/monographs/items/{item_id}/regenerate", data={"csrf_token": rui_token, "expected_version": "1"}
    )
    assert r.status_code == 303 and r.headers["location"] == f"/review/{item_id}"
    stale_again = rui.post(
        f"/monographs/items/{item_id}/regenerate", data={"csrf_token": rui_token, "expected_version": "1"}
    )
    assert stale_again.status_code == 409
    fresh = get_item(store.engine, item_id)
    assert isinstance(fresh, Monograph)
    assert fresh.version == 2 and fresh.label is not None and fresh.label.spl_version == 2
    item = next(i for i in list_items(store.engine, kind="monograph") if i.id == item_id)
    assert item.status.value == "submitted" and not item.stale
    detail = rui.get(f"/review/{item_id}.json").json()
    assert detail["versions"][-1]["note"].startswith("regenerated: version 2 of the label")
    # back in review: the public page shows the live monograph, not reviewed
    public = anon.get("/monographs/belatacept.json").json()
    assert "review" not in public and public["id"] is None
    assert "Educational purpose only" in anon.get("/monographs/belatacept").text

    # rui regenerated version 2, so rosa approves it; it is then served again
    step(rui, rui_token, item_id, "start", 2)
    rosa, rosa_token = login(app, "rosa")
    step(rosa, rosa_token, item_id, "approve", 2)
    served = anon.get("/monographs/belatacept.json").json()
    assert served["version"] == 2 and served["review"]["status"] == "approved"
    assert not served["review"]["stale"] and served["label"]["spl_version"] == 2


def test_regenerate_needs_an_editor_and_the_token(app: FastAPI) -> None:
    erin, token, item_id = create_draft(app)
    anon = TestClient(app, follow_redirects=False)
    assert (
        anon.post(f"/monographs/items/{item_id}/regenerate", data={"expected_version": "1"}).status_code
        == 403
    )
    assert (
        erin.post(f"/monographs/items/{item_id}/regenerate", data={"expected_version": "1"}).status_code
        == 403
    )
    missing = erin.post(
        "/monographs/items/no-such-item/regenerate", data={"csrf_token": token, "expected_version": "1"}
    )
    assert missing.status_code == 404
