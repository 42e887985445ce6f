"""The public web app: pages, JSON twins, content negotiation, escaping, errors, OpenAPI."""

from __future__ import annotations

import datetime as dt
import html as htmlmod
import re
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.models import (
    Answer,
    AnswerSection,
    Audience,
    CitedSentence,
    DocumentRef,
    EvidenceStatus,
    Reference,
    Review,
    ReviewStatus,
    SourceKind,
)
from medref.store.answers import AnswerStore
from medref.web.app import create_app
from medref.web.deps import open_asker
from medref.web.routes import pages
from medref.web.views import PENDING_BANNER

from .conftest import indexed_settings
from .test_privacy import approve

ROLE_Q = "What is the role of CD40 ligand blockers?"
XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


def ask(client: TestClient, q: str, **params: Any) -> dict[str, Any]:
    """A stored draft of ``q``, as an editor saves one (GET /ask itself never stores: see below)."""
    app = client.app
    assert isinstance(app, FastAPI)
    audience = Audience(params.get("audience", "clinician"))
    answer = open_asker(app).ask(q, audience=audience, thread_id=params.get("thread"), store=True)
    assert answer.id is not None
    r = client.get(f"/questions/{answer.id}.json")
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


def answers_of(app: FastAPI) -> AnswerStore:
    store: AnswerStore = app.state.answers
    return store


def anchors(html: str) -> tuple[set[int], set[int]]:
    """(numbers linked as #ref-n, numbers of reference list items with id ref-n)."""
    links = {int(n) for n in re.findall(r'href="#ref-(\d+)"', html)}
    targets = {int(n) for n in re.findall(r'<li id="ref-(\d+)"', html)}
    return links, targets


# ----------------------------------------------------------------------------- home


def test_home_has_ask_box_and_audience_selector(client: TestClient) -> None:
    r = client.get("/")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    assert "Which best describes you?" in html
    assert re.search(r'<form[^>]*action="/ask"[^>]*method="get"', html)
    assert 'name="q"' in html
    for audience in ("clinician", "patient", "pharmacist"):
        assert f'type="radio" name="audience" value="{audience}"' in html
    # works without JavaScript: at most the one deferred enhancement file, no inline script
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/medref.js" defer>']


def test_home_does_not_list_visitors_questions(client: TestClient) -> None:
    # the approved pages it does list: tests/web/test_privacy.py
    ask(client, "Is belatacept used after kidney transplantation?")
    html = client.get("/").text
    assert "Is belatacept used after kidney transplantation?" not in html
    data = client.get("/index.json").json()
    assert all("belatacept" not in p["title"] for p in data["published"])
    assert data["index_ready"] is True and data["fix"] is None


# ----------------------------------------------------------------------------- ask + question page


def test_ask_redirects_to_the_question_page_with_cited_sections(
    client: TestClient, demo_app: FastAPI
) -> None:
    body = ask(client, ROLE_Q)
    r = client.get(f"/questions/{body['id']}", follow_redirects=False)
    assert r.status_code == 200
    answer = answers_of(demo_app).get(body["id"])
    assert answer.question == ROLE_Q
    html = r.text
    assert "<h1>What is the role of CD40 ligand blockers?</h1>" in html
    assert "From the Guidelines" in html and "From the Research" in html
    # each marker opens its evidence panel, which links on to the reference
    assert re.search(
        r'<a class="cite" id="cite-[a-z0-9]+-1" href="#ev-[a-z0-9]+-1" aria-controls="ev-[a-z0-9]+-1"', html
    )
    links, targets = anchors(html)
    cited = {n for s in answer.sentences() for n in s.citations}
    assert links == cited and targets == {ref.number for ref in answer.references}
    assert links <= targets
    assert PENDING_BANNER in html
    assert "Review status" in html and "Draft" in html
    assert "Last updated" in html
    assert answer.disclaimer in html.replace("&#39;", "'")
    # every reference is listed under its label, with its outbound link
    for ref in answer.references:
        item = re.search(rf'<li id="ref-{ref.number}".*?</li>', html, re.S)
        assert item, ref.number
        assert f">{ref.label}</span>" in item.group(0)
        if ref.document.url:
            assert f'href="{ref.document.url}"' in item.group(0)
        if ref.document.year:
            assert str(ref.document.year) in item.group(0)
    labels = {ref.label for ref in answer.references}
    assert {"Guideline", "Research"} <= labels
    # the bottom line stands above the sections; its first sentence is followed by its citation links
    assert answer.bottom_line is not None and answer.bottom_line.summary
    assert html.index('id="sec-bottom-line"') < html.index('id="sec-guidelines"')
    first = answer.sentences()[0]
    assert first is answer.bottom_line.summary[0]
    after = html.split(first.text.replace("'", "&#39;"), 1)[1][:200]
    assert re.search(
        rf'<a class="cite" id="cite-b1-{first.citations[0]}" href="#ev-b1-{first.citations[0]}"', after
    )


def test_json_twin_equals_the_stored_answer(client: TestClient, demo_app: FastAPI) -> None:
    body = ask(client, ROLE_Q)
    stored = answers_of(demo_app).get(body["id"]).model_dump(mode="json")
    assert body == stored
    twin = client.get(f"/questions/{body['id']}.json")
    assert twin.status_code == 200 and twin.headers["content-type"] == "application/json"
    assert twin.json() == stored
    assert Answer.model_validate(twin.json()).id == body["id"]


def test_accept_header_negotiates_html_or_json(client: TestClient) -> None:
    body = ask(client, ROLE_Q)
    path = f"/questions/{body['id']}"
    as_json = client.get(path, headers={"Accept": "application/json"})
    assert as_json.headers["content-type"] == "application/json"
    assert as_json.json() == body
    as_html = client.get(path, headers={"Accept": BROWSER_ACCEPT})
    assert as_html.headers["content-type"].startswith("text/html")
    assert "Accept" in as_html.headers["vary"]
    # /ask with Accept: application/json answers directly (not stored: no id), no redirect
    direct = client.get("/ask", params={"q": ROLE_Q}, headers={"Accept": "application/json"})
    assert direct.status_code == 200 and direct.json()["question"] == ROLE_Q and direct.json()["id"] is None
    assert client.get("/", headers={"Accept": "application/json"}).json()["audiences"] == [
        "clinician",
        "patient",
        "pharmacist",
    ]


def test_follow_up_form_keeps_the_thread(client: TestClient) -> None:
    first = ask(client, "Is belatacept used after kidney transplantation?")
    html = client.get(f"/questions/{first['id']}").text
    follow_form = re.search(r'<section class="follow-up".*?</section>', html, re.S)
    assert follow_form
    assert f'<input type="hidden" name="thread" value="{first["thread_id"]}">' in follow_form.group(0)
    # submitting the form (a GET with the hidden fields) continues the thread, storing nothing
    r = client.get(
        "/ask.json", params={"q": "and in pregnancy?", "thread": first["thread_id"], "audience": "clinician"}
    )
    assert r.status_code == 200 and r.json()["id"] is None
    follow = r.json()
    assert follow["thread_id"] is None or follow["thread_id"] == first["thread_id"]
    assert follow["resolved_question"] and "belatacept" in follow["resolved_question"].lower()
    page = client.get(
        "/ask", params={"q": "and in pregnancy?", "thread": first["thread_id"], "audience": "clinician"}
    ).text
    assert "Read as:" in page
    # a page that was never stored carries its subject instead of a thread: the follow-up still resolves
    unstored = client.get("/ask", params={"q": "Is belatacept used after kidney transplantation?"}).text
    about = re.search(r'<input type="hidden" name="about" value="([^"]*)">', unstored)
    assert about and "Belatacept" in about.group(1)
    again = client.get(
        "/ask.json", params={"q": "and in pregnancy?", "about": htmlmod.unescape(about.group(1))}
    ).json()
    assert again["resolved_question"] and "belatacept" in again["resolved_question"].lower()


def test_related_questions_link_to_their_published_pages(client: TestClient, demo_app: FastAPI) -> None:
    kidney = ask(client, "Is belatacept used after kidney transplantation?")
    approve(demo_app, kidney["id"])  # related questions are published pages only (test_privacy.py)
    third = ask(client, "Is belatacept used after liver transplantation?")
    assert third["related_questions"]
    html = client.get(f"/questions/{third['id']}").text
    assert "Related Questions" in html
    for q in third["related_questions"]:
        assert q in html
    assert 'href="/pages/is-belatacept-used-after-kidney-transplantation"' in html  # its stable address


def test_patient_audience_page(client: TestClient) -> None:
    body = ask(client, "Is belatacept safe after a kidney transplant?", audience="patient")
    assert body["audience"] == "patient" and body["reading_grade"] is not None
    html = client.get(f"/questions/{body['id']}").text
    assert f"Reading grade (Flesch-Kincaid): {body['reading_grade']:.1f}" in html
    assert "written for: Patient or caregiver" in html
    reask = re.search(r'<section class="reask".*?</section>', html, re.S)
    assert reask and 'value="patient" checked' in reask.group(0)
    clinician = ask(client, "Is belatacept safe after a kidney transplant?")
    assert "Reading grade" not in client.get(f"/questions/{clinician['id']}").text


def test_emergency_box_comes_first(client: TestClient) -> None:
    body = ask(client, "I took too many of my belatacept tablets and feel faint, what do I do?")
    assert body["emergency"]
    html = client.get(f"/questions/{body['id']}").text
    box = html.index('class="emergency"')
    assert box < html.index("<h1>") < html.index("From the Guidelines")
    calm = ask(client, ROLE_Q)
    assert 'class="emergency"' not in client.get(f"/questions/{calm['id']}").text


def test_older_versions_are_shown_with_the_version_param(client: TestClient, demo_app: FastAPI) -> None:
    body = ask(client, ROLE_Q)
    store = answers_of(demo_app)
    v1 = store.get(body["id"])
    edited = v1.model_copy(update={"notes": [*v1.notes, "An edited related question?"]})
    store.add_version(body["id"], edited, expected_version=1, created_by="editor", note="edit")
    current = client.get(f"/questions/{body['id']}").text
    assert "An edited related question?" in current
    old = client.get(f"/questions/{body['id']}", params={"version": 1}).text
    assert "You are viewing version 1 of this answer." in old
    assert "An edited related question?" not in old
    assert client.get(f"/questions/{body['id']}.json", params={"version": 1}).json() == v1.model_dump(
        mode="json"
    )
    assert client.get(f"/questions/{body['id']}.json").json()["version"] == 2
    missing = client.get(f"/questions/{body['id']}.json", params={"version": 9})
    assert missing.status_code == 404 and "no version 9" in missing.json()["detail"]


def test_review_status_comes_from_the_review_workflow(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    body = ask(client, ROLE_Q)
    approved_at = dt.datetime(2025, 3, 4, 10, 0, tzinfo=dt.UTC)

    def review_info(_engine: Any, item_id: str) -> Review:
        return Review(
            item_id=item_id,
            item_kind="answer",
            status=ReviewStatus.APPROVED,
            version=1,
            reviewer="rui",  # the login name: never shown on a public page
            reviewer_name="Dr. A. Rivera, PharmD",
            approved_at=approved_at,
            updated_at=approved_at,
        )

    monkeypatch.setattr("medref.web.deps._review_info_function", lambda: review_info)
    html = client.get(f"/questions/{body['id']}").text
    assert "Approved by a Medical Advisory Board" in html
    assert re.search(r"Reviewed by Dr\. A\. Rivera, PharmD, <time[^>]*>4 March 2025</time>", html)
    assert "rui" not in html
    assert PENDING_BANNER not in html

    def under_review(_engine: Any, item_id: str) -> Review:
        return Review(item_id=item_id, item_kind="answer", status=ReviewStatus.UNDER_REVIEW)

    monkeypatch.setattr("medref.web.deps._review_info_function", lambda: under_review)
    html = client.get(f"/questions/{body['id']}").text
    assert "Under Review" in html and PENDING_BANNER in html


# ----------------------------------------------------------------------------- search


def test_search_page_and_json(client: TestClient) -> None:
    html = client.get("/search", params={"q": "belatacept EBV seronegative"}).text
    assert "Direct</span>" in html
    assert '<span class="label label-' in html
    data = client.get("/search.json", params={"q": "belatacept EBV seronegative"}).json()
    assert data["hits"] and data["key_entities"] == ["Belatacept"]
    first = data["hits"][0]
    assert {"final", "fused", "lexical_rank", "dense_rank", "evidence_bonus", "directness_bonus"} <= set(
        first["scores"]
    )
    assert first["document"]["title"] in html.replace("&#39;", "'")
    direct_marks = html.count("mark-direct")
    assert direct_marks == sum(1 for h in data["hits"] if h["direct"])
    # kind filter (the form's select) and JSON with every score part
    only = client.get("/search.json", params={"q": "belatacept", "kind": "guideline"}).json()
    assert only["hits"] and {h["document"]["kind"] for h in only["hits"]} == {"guideline"}
    assert client.get("/search", params={"q": "belatacept", "kind": ""}).status_code == 200
    bad = client.get("/search.json", params={"q": "belatacept", "kind": "horoscope"})
    assert bad.status_code == 422 and "kind" in bad.json()["detail"]
    empty = client.get("/search")
    assert empty.status_code == 200 and "Search the sources" in empty.text


def test_search_marks_indirect_evidence(client: TestClient) -> None:
    data = client.get("/search.json", params={"q": "adalimumab psoriasis"}).json()
    html = client.get("/search", params={"q": "adalimumab psoriasis"}).text
    if data["key_entities"] and not data["has_direct_evidence"]:
        assert "No direct evidence" in html
    assert html.count("mark-indirect") == sum(1 for h in data["hits"] if not h["direct"])


# ----------------------------------------------------------------------------- escaping


def _hostile_answer() -> Answer:
    ref_doc = DocumentRef(
        uid="guideline:hostile",
        kind=SourceKind.GUIDELINE,
        title=f"Guidance {XSS}",
        journal=f"Issuer {XSS}",
        year=2024,
        url="javascript:alert(1)",
        evidence_level=1,
    )
    sentence = CitedSentence(text=f"Claim {XSS}", citations=[1])
    return Answer(
        question=f"Question {XSS}",
        resolved_question=f"Resolved {XSS}",
        emergency=f"Emergency {XSS}",
        evidence_status=EvidenceStatus.INDIRECT_ONLY,
        guidelines=AnswerSection(title=f"From the Guidelines {XSS}", summary=[sentence], notice=XSS),
        research=AnswerSection(title="From the Research", key_points=[sentence]),
        references=[Reference(number=1, label="Guideline", document=ref_doc)],
        related_questions=[f"Related {XSS}"],
        key_entities=[f"Entity {XSS}"],
        disclaimer=f"Disclaimer {XSS}",
        notes=[f"Note {XSS}"],
    )


def test_answer_text_is_escaped(
    client: TestClient, demo_app: FastAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(pages, "published_only", lambda _answers, questions: questions)  # show them all
    stored = answers_of(demo_app).save_new(_hostile_answer())
    html = client.get(f"/questions/{stored.id}").text
    assert XSS not in html and "<script>" not in html
    assert "javascript:" not in html  # no link from a URL that is not http(s)
    for field in (
        "Question",
        "Resolved",
        "Emergency",
        "Claim",
        "Guidance",
        "Issuer",
        "Disclaimer",
    ):
        assert f"{field} {XSS_ESCAPED}" in html, field
    assert f"What is Entity {XSS_ESCAPED} used for?" in html  # a suggested question, escaped
    assert client.get(f"/questions/{stored.id}.json").json()["question"] == f"Question {XSS}"


def test_document_text_is_escaped_in_search(tmp_path: Path) -> None:
    doc = tmp_path / "hostile.md"
    doc.write_text(
        "---\ntitle: Zorblaxumab guidance <script>alert(1)</script>\nissuer: Test panel\nyear: 2024\n---\n\n"
        "# Zorblaxumab\n\n## Recommendations\n\n"
        "Zorblaxumab should be avoided in pregnancy <script>alert(1)</script> according to this test.\n",
        encoding="utf-8",
    )
    settings, retriever = indexed_settings(tmp_path / "data", [doc])
    try:
        client = TestClient(create_app(settings, retriever=retriever))
        data = client.get("/search.json", params={"q": "zorblaxumab pregnancy"}).json()
        assert any(XSS in h["passage"]["text"] or XSS in h["document"]["title"] for h in data["hits"])
        html = client.get("/search", params={"q": "zorblaxumab pregnancy"}).text
        assert XSS not in html and "<script>" not in html and XSS_ESCAPED in html
    finally:
        retriever.close()
