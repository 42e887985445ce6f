"""The review page puts each sentence beside its evidence; edited sentences must get a source again.

Over HTTP through the real app factory (review and public pages together), on SQLite and
PostgreSQL: two small stored abstracts, an answer citing exact spans of the first.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medref.models import Answer, Citation, CitedSentence, Document, Quote
from medref.review.users import add_user
from medref.settings import load_settings
from medref.store.answers import AnswerStore
from tests.review.factories import fast_hasher, make_answer, make_doc

PASSWORD = "a long enough password"
JSON = {"accept": "application/json"}
ITCH = "Velmorast lowered itch scores by half over twelve weeks. Few people stopped taking it early."
SLEEP = "In a second trial, velmorast improved sleep in adults with eczema. Headache was the commonest side effect."
MARK = re.compile(r"<mark>(.*?)</mark>", re.S)
LABEL = "Editorial note, not from a cited source"


@dataclass
class Site:
    client: TestClient
    answers: AnswerStore
    docs: dict[str, Document]

    def login(self, username: str) -> tuple[TestClient, str]:
        c = TestClient(self.client.app, follow_redirects=False)
        anon = c.get("/login", headers=JSON).json()["csrf_token"]
        r = c.post(
            "/login", data={"username": username, "password": PASSWORD, "csrf_token": anon}, headers=JSON
        )
        assert r.status_code == 200, r.text
        return c, r.json()["csrf_token"]


@pytest.fixture(autouse=True)
def _fast_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)


@pytest.fixture
def site(store_url: str, tmp_path: Path) -> Iterator[Site]:
    create_app = pytest.importorskip("medref.web.app").create_app
    app = create_app(load_settings(data_dir=tmp_path / "site", database_url=store_url))
    store = app.state.store
    for name, role in (("erin", "editor"), ("rui", "reviewer")):
        add_user(store.engine, name, PASSWORD, role=role)
    store.write_file(
        [make_doc("pmid:11", body=ITCH), make_doc("pmid:22", body=SLEEP)], path="x.xml", fmt="pubmed"
    )
    docs = {uid: store.get_document(uid) for uid in ("pmid:11", "pmid:22")}
    yield Site(TestClient(app, follow_redirects=False), AnswerStore(store.engine), docs)


def _quote(doc: Document) -> Quote:
    p = doc.passages[1]
    assert p.id is not None
    return Quote(passage_id=p.id, section=p.section, text=p.text)


def _seed(site: Site) -> str:
    """An answer whose two sentences cite exact spans of the stored itch abstract."""
    doc = site.docs["pmid:11"]
    quote = _quote(doc)
    base = make_answer(docs=(doc,))
    ref = base.references[0].model_copy(update={"passage_ids": [quote.passage_id], "quotes": [quote]})

    def sentence(text: str) -> CitedSentence:
        start = quote.text.index(text)
        span = Citation(
            number=1, doc_uid=doc.uid, passage_id=quote.passage_id, start=start, end=start + len(text)
        )
        return CitedSentence(text=text, citations=[1], spans=[span])

    research = base.research.model_copy(
        update={
            "summary": [sentence("Velmorast lowered itch scores by half over twelve weeks.")],
            "key_points": [sentence("Few people stopped taking it early.")],
        }
    )
    saved = site.answers.save_new(
        base.model_copy(update={"research": research, "references": [ref]}), created_by="composer"
    )
    assert saved.id is not None
    return saved.id


def _edit(c: TestClient, token: str, item: str, version: int, **fields: str) -> dict[str, object]:
    r = c.post(
        f"/review/{item}/edit",
        data={"expected_version": str(version), "csrf_token": token, **fields},
        headers=JSON,
    )
    return {**r.json(), "http": r.status_code}


def _stored(site: Site, item: str) -> Answer:
    return site.answers.get(item)


def test_the_review_page_shows_each_sentence_beside_its_cited_span(site: Site) -> None:
    item = _seed(site)
    erin, _ = site.login("erin")
    page = erin.get(f"/review/{item}")
    assert page.status_code == 200
    answer = _stored(site, item)
    cited = [
        q.text[c.start : c.end]
        for s in answer.sentences()
        for c in s.spans
        for q in answer.references[0].quotes
    ]
    evidence = page.text.split('class="review-evidence"', 1)[1].split("</ol>", 1)[0]
    assert [html.unescape(m) for m in MARK.findall(evidence)] == cited
    assert cited == [
        "Velmorast lowered itch scores by half over twelve weeks.",
        "Few people stopped taking it early.",
    ]
    assert "review.css" in page.text and 'class="ev-row' in page.text
    data = erin.get(f"/review/{item}.json").json()
    rows = data["evidence"]
    assert [r["sources"][0]["spans"][0]["span"] for r in rows] == cited
    assert [(r["sources"][0]["number"], r["edited"], r["needs_source"]) for r in rows] == [
        (1, False, False)
    ] * 2
    assert [p["passage_id"] for p in data["passages"]] == ["pmid:11#1"]
    assert (
        "review.css" not in erin.get(f"/questions/{item}").text
    )  # the review stylesheet stays on review pages


def test_an_edited_sentence_blocks_submission_until_it_is_relinked_to_a_supporting_passage(
    site: Site,
) -> None:
    item = _seed(site)
    erin, token = site.login("erin")
    first = "Velmorast lowered itch scores by half over twelve weeks."
    saved = _edit(erin, token, item, 1, **{"text-0": first, "text-1": "Hardly anyone stopped early."})
    assert saved["http"] == 200 and saved["version"] == 2
    s = _stored(site, item).sentences()[1]
    assert (s.edited, s.citations, s.spans) == (True, [], [])  # the old span no longer claims support
    data = erin.get(f"/review/{item}.json").json()
    assert data["evidence"][1]["needs_source"] and data["unresolved"] == [
        'sentence 2 ("Hardly anyone stopped early.")'
    ]
    assert "Edited: needs a source" in erin.get(f"/review/{item}").text

    refused = erin.post(
        f"/review/{item}/submit", data={"expected_version": "2", "csrf_token": token}, headers=JSON
    )
    assert refused.status_code == 422
    assert 'sentence 2 ("Hardly anyone stopped early.") was edited' in refused.json()["error"]
    page = erin.post(f"/review/{item}/submit", data={"expected_version": "2", "csrf_token": token})
    assert page.status_code == 422 and "Re-link it to a passage that supports it" in page.text
    assert site.answers.info(item).status == "draft"

    unsupported = _edit(
        erin,
        token,
        item,
        2,
        **{"text-0": first, "text-1": "Hardly anyone stopped early.", "source-1": "pmid:11#1"},
    )
    assert unsupported["http"] == 422 and "does not support it" in str(unsupported["error"])
    assert [v.version for v in site.answers.versions(item)] == [1, 2]  # nothing saved

    fixed = _edit(
        erin,
        token,
        item,
        2,
        **{"text-0": first, "text-1": "Few people stopped taking it early.", "source-1": "pmid:11#1"},
    )
    assert fixed["http"] == 200 and fixed["version"] == 3
    s = _stored(site, item).sentences()[1]
    start = ITCH.index("Few people")
    assert s.edited and s.spans == [
        Citation(number=1, doc_uid="pmid:11", passage_id="pmid:11#1", start=start, end=len(ITCH))
    ]
    done = erin.post(
        f"/review/{item}/submit", data={"expected_version": "3", "csrf_token": token}, headers=JSON
    )
    assert done.status_code == 200 and done.json()["status"] == "submitted"


def test_relink_to_a_stored_passage_of_a_new_document_adds_a_reference_in_page_order(site: Site) -> None:
    item = _seed(site)
    rui, token = site.login("rui")
    new = "Velmorast improved sleep in adults with eczema."
    form = {"text-0": new, "text-1": "Few people stopped taking it early.", "passage-0": "pmid:22#1"}
    saved = _edit(rui, token, item, 1, **form)
    assert saved["http"] == 200
    answer = _stored(site, item)
    assert [(r.number, r.document.uid) for r in answer.references] == [(1, "pmid:22"), (2, "pmid:11")]
    first, second = answer.sentences()
    span = first.spans[0]
    assert (span.number, span.passage_id) == (1, "pmid:22#1")
    assert (
        SLEEP[span.start : span.end] == "In a second trial, velmorast improved sleep in adults with eczema."
    )
    assert second.citations == [2] and [c.number for c in second.spans] == [2]
    assert answer.references[0].quotes[0].text == SLEEP  # the passage is stored with the answer
    page = rui.get(f"/review/{item}")
    assert "In a second trial, velmorast improved sleep in adults with eczema." in [
        html.unescape(m) for m in MARK.findall(page.text)
    ]
    missing = _edit(rui, token, item, 2, **{"passage-0": "pmid:404#1"})
    assert missing["http"] == 422 and "no passage 'pmid:404#1'" in str(missing["error"])


def test_editorial_text_is_accepted_and_labelled_on_the_public_page(site: Site) -> None:
    item = _seed(site)
    erin, token = site.login("erin")
    note = "Ask your pharmacist when to take it."
    texts = {"text-0": note, "text-1": "Few people stopped taking it early."}
    saved = _edit(erin, token, item, 1, **texts, **{"source-0": "editorial", "source-1": "pmid:11#1"})
    assert saved["http"] == 200
    first, second = _stored(site, item).sentences()
    assert (first.edited, first.editorial, first.citations) == (True, True, [])
    assert second.citations == [1] and not second.edited  # unchanged text, re-checked against its passage
    assert "Editorial, no source" in erin.get(f"/review/{item}").text
    submitted = erin.post(
        f"/review/{item}/submit", data={"expected_version": "2", "csrf_token": token}, headers=JSON
    )
    assert submitted.status_code == 200

    public = TestClient(erin.app).get(f"/questions/{item}")
    assert public.status_code == 200
    body = public.text
    at = body.index(LABEL)
    assert body.index(html.escape(note), at) - at < 120  # the label sits right before the sentence
    after_note = body[body.index(html.escape(note)) :]
    assert after_note.index("Few people stopped taking it early.") < after_note.index('class="cite"')
    assert body.count(LABEL) == 1
