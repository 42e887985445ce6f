"""Privacy: the public home page and its JSON twin list approved question pages only, never what
visitors asked (drafts, pending reviews, an approved page's newer unapproved version)."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.review.users import User
from medref.review.workflow import edit, transition
from medref.store.answers import AnswerStore
from medref.web.deps import open_asker
from medref.web.routes.pages import public_answer

VISITOR_Q = "My father has crushing chest pain after his infusion"
APPROVED_Q = "Is belatacept used after kidney transplantation?"
PENDING_Q = "Which trials tested letolizumab?"
EDITOR, REVIEWER = User("erin", "editor"), User("rui", "reviewer")


def _ask(client: TestClient, q: str) -> str:
    """A stored draft (an editor's; a visitor's GET /ask stores nothing)."""
    app = client.app
    assert isinstance(app, FastAPI)
    answer = open_asker(app).ask(q, store=True)
    assert answer.id is not None
    return answer.id


def _answers(app: FastAPI) -> AnswerStore:
    store: AnswerStore = app.state.answers
    return store


def approve(app: FastAPI, answer_id: str) -> None:
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(_answers(app).engine, answer_id, action, actor=actor, expected_version=1)


def _home(client: TestClient) -> tuple[str, dict[str, Any]]:
    html = client.get("/").text
    data: dict[str, Any] = client.get("/index.json").json()
    return html, data


def test_visitors_questions_never_appear_and_approved_pages_do(client: TestClient, demo_app: FastAPI) -> None:
    visitor_id = _ask(client, VISITOR_Q)
    assert VISITOR_Q in _answers(demo_app).recent_questions(50)  # it was stored: the check below can fail
    approved_id = _ask(client, APPROVED_Q)
    pending_id = _ask(client, PENDING_Q)
    approve(demo_app, approved_id)
    transition(_answers(demo_app).engine, pending_id, "submit", actor=EDITOR, expected_version=1)

    html, data = _home(client)
    assert VISITOR_Q not in html and "crushing chest pain" not in html.lower()
    assert PENDING_Q not in html
    listed = {p["id"]: p for p in data["published"]}
    assert set(listed) == {approved_id}
    assert visitor_id not in html and visitor_id not in str(data)
    assert listed[approved_id]["title"] == APPROVED_Q
    slug = listed[approved_id]["slug"]
    assert slug and APPROVED_Q in html and f'href="/pages/{slug}"' in html  # its published address
    assert "recent_questions" not in data
    assert "/ask?q=" not in html  # no link that would re-ask (and reveal) a question


def test_an_approved_page_with_a_newer_unapproved_version_is_not_listed(
    client: TestClient, demo_app: FastAPI
) -> None:
    answer_id = _ask(client, "Does abatacept block costimulation?")
    approve(demo_app, answer_id)
    assert answer_id in {p["id"] for p in _home(client)[1]["published"]}
    edit(_answers(demo_app).engine, answer_id, actor=EDITOR, expected_version=1, note="reword")
    html, data = _home(client)
    assert answer_id not in {p["id"] for p in data["published"]}
    assert f"/questions/{answer_id}" not in html


def test_related_questions_show_published_pages_only(client: TestClient, demo_app: FastAPI) -> None:
    approved = "Is belatacept safe after a kidney transplant in older adults?"
    hidden = ("Can belatacept be given after a kidney transplant in children?", VISITOR_Q)
    for q in hidden:
        _ask(client, q)
    approve(demo_app, _ask(client, approved))
    answer_id = _ask(client, "Is belatacept safe after a kidney transplant?")
    r = client.get(f"/questions/{answer_id}.json")
    stored = _answers(demo_app).get(answer_id).related_questions
    published = {p["title"] for p in client.get("/index.json").json()["published"]}
    # the composer only ever offers published pages: the visitors' questions are not even stored
    assert approved in stored and not set(hidden) & set(stored)
    for body in (r.json(), client.get(f"/questions/{answer_id}.json").json()):
        assert body["related_questions"] == stored
    html = client.get(f"/questions/{answer_id}").text
    assert approved in html and not [q for q in hidden if q in html]
    # and the page filters again when shown (a stored list from before, or a page no longer approved)
    old = _answers(demo_app).get(answer_id).model_copy(update={"related_questions": [*stored, *hidden]})
    shown = public_answer(_answers(demo_app), old).related_questions
    assert shown == [q for q in stored if q in published] and approved in shown
