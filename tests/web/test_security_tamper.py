"""The public question page with the real review workflow: approved text rewritten in SQL loses "Approved"."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select, text, update

from medref.review.users import User
from medref.review.workflow import transition
from medref.store.db import write_tx
from medref.store.schema import answer_versions
from medref.web.views import PENDING_BANNER

APPROVED = "Approved by a Medical Advisory Board"
QUESTION = "What is belatacept used for?"


def _approve(app: FastAPI, item: str) -> None:
    engine = app.state.store.engine
    for actor, action in (
        (User("erin", "editor"), "submit"),
        (User("rui", "reviewer"), "start"),
        (User("rui", "reviewer"), "approve"),
    ):
        transition(engine, item, action, actor=actor, expected_version=1)


def _rewrite_first_sentence(app: FastAPI, item: str, new_text: str) -> None:
    """What someone with SQL access would do: change the stored text, trigger switched off."""
    with write_tx(app.state.store.engine) as conn:
        payload: dict[str, Any] = conn.execute(
            select(answer_versions.c.payload).where(answer_versions.c.answer_id == item)
        ).scalar_one()
        sentences = [
            s
            for part in ("guidelines", "research")
            for key in ("summary", "key_points")
            for s in payload[part][key]
        ]
        assert sentences, "the demo answer has no sentence to rewrite"
        sentences[0]["text"] = new_text
        conn.execute(text("DROP TRIGGER IF EXISTS answer_versions_no_update"))
        conn.execute(
            update(answer_versions).where(answer_versions.c.answer_id == item).values(payload=payload)
        )


def test_public_page_refuses_approved_for_rewritten_text(demo_app: FastAPI, client: TestClient) -> None:
    from medref.web.deps import open_asker

    item = open_asker(demo_app).ask(QUESTION, store=True).id
    assert item is not None
    _approve(demo_app, item)
    html = client.get(f"/questions/{item}").text
    assert APPROVED in html and PENDING_BANNER not in html
    # named by the reviewer profile (rui has none here: the role title), never by the login name
    assert "Reviewed by a member of the Medical Advisory Board" in html and "by rui" not in html

    _rewrite_first_sentence(demo_app, item, "Belatacept cures every transplant problem.")
    html = client.get(f"/questions/{item}").text
    assert "Belatacept cures every transplant problem." in html  # the page shows what is stored...
    assert APPROVED not in html and "Reviewed by" not in html  # ...but never as approved
    assert PENDING_BANNER in html
