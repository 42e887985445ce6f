"""Public pages name the reviewer by profile ("Dr. A. Rivera, PharmD") and never by login name.

The HTML of question, published and monograph pages and their JSON twins are searched for the
login names of everyone who touched the item; the staff review page still shows them.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.review.users import BOARD_MEMBER, User, add_user
from medref.review.workflow import transition
from medref.store.answers import AnswerStore
from medref.store.schema import answers as answers_table
from medref.web.deps import open_asker
from tests.review.factories import fast_hasher

PASSWORD = "profile test password"
EDITOR = User("edlogin-q7", "editor")
RIVERA = User("rvlogin-k3", "reviewer")  # has a profile
PLAIN = User("pllogin-m9", "reviewer")  # has none
LOGINS = (EDITOR.username, RIVERA.username, PLAIN.username)
RIVERA_SHOWN = "Dr. A. Rivera, PharmD"
JSON = {"accept": "application/json"}


@pytest.fixture(scope="module")
def app(demo_app: FastAPI) -> Iterator[FastAPI]:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("medref.review.users._hasher", fast_hasher)
        engine = demo_app.state.store.engine
        add_user(engine, EDITOR.username, PASSWORD, role="editor")
        add_user(
            engine,
            RIVERA.username,
            PASSWORD,
            role="reviewer",
            display_name="Dr. A. Rivera",
            credentials="PharmD",
        )
        add_user(engine, PLAIN.username, PASSWORD, role="reviewer")
        yield demo_app


def _approve(app: FastAPI, item: str, reviewer: User) -> None:
    for actor, action in ((EDITOR, "submit"), (reviewer, "start"), (reviewer, "approve")):
        transition(app.state.store.engine, item, action, actor=actor, expected_version=1)


def _approved_answer(app: FastAPI, question: str, reviewer: User) -> str:
    answers = AnswerStore(app.state.store.engine)
    saved = answers.save_new(open_asker(app).ask(question, store=False), created_by=EDITOR.username)
    assert saved.id is not None
    _approve(app, saved.id, reviewer)
    return saved.id


def _no_login(text: str) -> None:
    for login in LOGINS:
        assert login not in text, login


def _status_texts(html: str) -> list[str]:
    """The review tracker note and the review status entry, tags stripped."""
    found = re.findall(r'<p class="tracker-note">(.*?)</p>|<dd class="status[^"]*">(.*?)</dd>', html, re.S)
    return [" ".join(re.sub(r"<[^>]+>", "", a or b).split()) for a, b in found]


def test_question_page_names_the_reviewer_by_profile(app: FastAPI) -> None:
    item = _approved_answer(app, "What is belatacept used for?", RIVERA)
    client = TestClient(app)
    html = client.get(f"/questions/{item}").text
    texts = _status_texts(html)
    assert len(texts) == 2, texts  # the tracker and the status block
    assert all(re.search(r"Reviewed by Dr\. A\. Rivera, PharmD, \d{1,2} \w+ \d{4}", t) for t in texts), texts
    assert re.search(
        r'<p class="tracker-note">.*href="/editorial-policy">View editorial policy</a>', html, re.S
    )
    _no_login(html)
    _no_login(client.get(f"/questions/{item}.json").text)


def test_without_a_profile_the_page_says_a_board_member(app: FastAPI) -> None:
    item = _approved_answer(app, "Does belatacept cause post-transplant lymphoproliferative disorder?", PLAIN)
    client = TestClient(app)
    html = client.get(f"/questions/{item}").text
    assert all(f"Reviewed by {BOARD_MEMBER}, " in t for t in _status_texts(html))
    _no_login(html)
    _no_login(client.get(f"/questions/{item}.json").text)


def _slug(app: FastAPI, item: str) -> str:
    with app.state.store.engine.connect() as conn:
        slug = conn.execute(answers_table.select().where(answers_table.c.id == item)).mappings().one()["slug"]
    assert slug
    return str(slug)


def test_published_page_and_its_json_carry_no_login_name(app: FastAPI) -> None:
    item = _approved_answer(app, "Is belatacept given by infusion?", RIVERA)
    client = TestClient(app)
    slug = _slug(app, item)
    html = client.get(f"/pages/{slug}").text
    assert "Approved by a Medical Advisory Board" in html
    _no_login(html)
    _no_login(client.get(f"/pages/{slug}.json").text)


def test_published_page_names_the_reviewer_by_profile(app: FastAPI) -> None:
    item = _approved_answer(app, "Is belatacept a fusion protein?", RIVERA)
    html = TestClient(app).get(f"/pages/{_slug(app, item)}").text
    assert all(f"Reviewed by {RIVERA_SHOWN}, " in t for t in _status_texts(html))


def _signed_in(app: FastAPI, user: User) -> tuple[TestClient, str]:
    client = TestClient(app, follow_redirects=False)
    token = client.get("/login", headers=JSON).json()["csrf_token"]
    form = {"username": user.username, "password": PASSWORD, "csrf_token": token}
    signed = client.post("/login", data=form, headers=JSON)
    assert signed.status_code == 200, signed.text
    return client, signed.json()["csrf_token"]


def test_monograph_page_and_json_name_the_reviewer_by_profile(app: FastAPI) -> None:
    editor, token = _signed_in(app, EDITOR)
    drafted = editor.post("/monographs/belatacept/draft", data={"csrf_token": token}, headers=JSON)
    assert drafted.status_code in (200, 201), drafted.text
    _approve(app, drafted.json()["item_id"], RIVERA)
    client = TestClient(app)
    body = client.get("/monographs/belatacept.json").json()
    assert body["review"]["reviewer_name"] == RIVERA_SHOWN and body["review"]["reviewer"] is None
    assert body["review"]["history"] == []  # the audit events name accounts: staff pages only
    _no_login(str(body))
    html = client.get("/monographs/belatacept").text
    assert any(f"Reviewed by {RIVERA_SHOWN}, " in t for t in _status_texts(html))
    _no_login(html)


def test_staff_review_page_still_shows_the_login(app: FastAPI) -> None:
    item = _approved_answer(app, "How is belatacept dosed?", RIVERA)
    client, _ = _signed_in(app, RIVERA)
    assert client.get(f"/review/{item}.json").json()["review"]["reviewer"] == RIVERA.username
