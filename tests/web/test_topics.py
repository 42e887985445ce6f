"""Topic index pages: drugs and conditions of published pages, each with its JSON twin."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.models import Audience
from medref.review.users import User
from medref.review.workflow import transition
from medref.store.answers import AnswerStore
from medref.web.deps import open_asker

EDITOR, REVIEWER = User("erin", "editor"), User("rui", "reviewer")
KIDNEY = "Is belatacept used after kidney transplantation?"
UNPUBLISHED = "Does abatacept help rheumatoid arthritis?"


def _answers(app: FastAPI) -> AnswerStore:
    store: AnswerStore = app.state.answers
    return store


def publish(app: FastAPI, question: str, audience: str = "clinician", *, approve: bool = True) -> str:
    """Ask ``question`` as an editor would (stored), then submit and approve it."""
    answer = open_asker(app).ask(question, audience=Audience(audience), store=True)
    assert answer.id is not None
    steps = ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve"))
    for actor, action in steps if approve else steps[:1]:
        transition(_answers(app).engine, answer.id, action, actor=actor, expected_version=1)
    return answer.id


def test_topics_list_only_what_published_pages_are_about(client: TestClient, demo_app: FastAPI) -> None:
    assert client.get("/topics.json").json() == {"drugs": [], "conditions": [], "pages": []}
    publish(demo_app, UNPUBLISHED, approve=False)  # submitted, not approved: no topic
    assert client.get("/topics.json").json()["drugs"] == []
    publish(demo_app, KIDNEY)
    data = client.get("/topics.json").json()
    drugs = {t["slug"]: t for t in data["drugs"]}
    assert "belatacept" in drugs and drugs["belatacept"]["pages"] == 1
    assert "abatacept" not in drugs
    assert [p["title"] for p in data["pages"]] == [KIDNEY]
    html = client.get("/topics").text
    assert 'href="/topics/drug/belatacept"' in html and UNPUBLISHED not in html

    one = client.get("/topics/drug/belatacept.json").json()
    assert one["kind"] == "drug" and one["name"].casefold() == "belatacept"
    assert [p["slug"] for p in one["pages"]] == ["is-belatacept-used-after-kidney-transplantation"]
    page = client.get("/topics/drug/Belatacept").text  # a name in any case finds the topic
    assert 'href="/pages/is-belatacept-used-after-kidney-transplantation"' in page
    assert client.get("/topics/drug/abatacept").status_code == 404
    assert client.get("/topics/condition/belatacept").status_code == 404  # a drug, not a condition
    assert client.get("/topics/organ/belatacept").status_code == 422


def test_a_condition_topic_comes_from_the_lexicon_kind(client: TestClient, demo_app: FastAPI) -> None:
    conditions = client.get("/topics.json").json()["conditions"]
    if not conditions:
        publish(demo_app, KIDNEY)
        conditions = client.get("/topics.json").json()["conditions"]
    assert conditions, "kidney transplantation is a condition concept of the built-in lexicon"
    for topic in conditions:
        body = client.get(f"/topics/condition/{topic['slug']}.json").json()
        assert len(body["pages"]) == topic["pages"] >= 1
