"""Every citation marker on the question page reveals the passage it quotes, span highlighted."""

from __future__ import annotations

import html as htmlmod
import re

from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.models import Answer, Citation, CitedSentence, DocumentRef, Quote, Reference, SourceKind
from medref.store.repository import Store
from medref.web.evidence import ELLIPSIS, excerpt, ordinal_of, panels
from tests.web.test_pages import ask

DEMO_Q = "What is the role of CD40 ligand blockers?"
MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def _document(app: FastAPI, uid: str) -> str:
    store: Store = app.state.store
    return store.get_document(uid).text


def test_every_marker_reveals_the_cited_span(client: TestClient, demo_app: FastAPI) -> None:
    body = ask(client, DEMO_Q)
    answer = Answer.model_validate(body)
    assert answer.sentences(), "the demo question has cited sentences"
    page = client.get(f"/questions/{answer.id}").text
    marks = 0
    for sentence in answer.sentences():
        for span in sentence.spans:
            ref = next(r for r in answer.references if r.number == span.number)
            quote = ref.quote(span.passage_id)
            assert quote is not None, "each cited passage travels with the page"
            cited = quote.text[span.start : span.end]
            # the stored document still holds the same text: the quote is the source's words
            assert cited in _document(demo_app, span.doc_uid)
            assert f"<mark>{htmlmod.escape(cited, quote=True)}</mark>" in page
            marks += 1
    assert marks >= len(answer.sentences())
    # each marker points at a panel that exists (hidden until opened) and says which reference it is
    for panel_id in re.findall(r'<a class="cite" id="cite-[^"]+" href="#(ev-[^"]+)"', page):
        assert f'id="{panel_id}"' in page
    assert 'aria-expanded="false"' in page and "medref.js" in page


def test_panels_follow_the_sentence_spans() -> None:
    doc = DocumentRef(uid="pmid:90000001", kind=SourceKind.RCT, title="T", evidence_level=2)
    text = "Background words. " * 40 + "The drug lowered relapse rates." + " Later words." * 40
    start = text.index("The drug")
    end = start + len("The drug lowered relapse rates.")
    ref = Reference(
        number=1,
        label="Research",
        document=doc,
        passage_ids=["pmid:90000001#3"],
        quotes=[Quote(passage_id="pmid:90000001#3", section="RESULTS", text=text)],
    )
    sentence = CitedSentence(
        text=text[start:end],
        citations=[1],
        spans=[Citation(number=1, doc_uid=doc.uid, passage_id="pmid:90000001#3", start=start, end=end)],
    )
    [panel] = panels(sentence, [ref])
    [ex] = panel.excerpts
    assert ex.span == sentence.text and ex.section == "RESULTS" and ex.ordinal == 3
    assert ex.before.startswith(ELLIPSIS) and ex.after.endswith(ELLIPSIS)  # long passage: a window
    assert (ex.before + ex.span + ex.after).replace(ELLIPSIS, "") in text
    # a reference without stored quotes (an answer saved before quotes existed): an empty panel
    [bare] = panels(sentence, [ref.model_copy(update={"quotes": []})])
    assert bare.excerpts == ()


def test_excerpt_rejects_offsets_outside_the_passage() -> None:
    assert excerpt("short", 2, 9, section="s", doc_uid="d", passage_id="d#0") is None
    assert excerpt("short", 3, 3, section="s", doc_uid="d", passage_id="d#0") is None
    ex = excerpt("short text", 0, 5, section="s", doc_uid="d", passage_id="d#x")
    assert ex is not None and ex.before == "" and ex.after == " text" and ex.ordinal is None
    assert ordinal_of("spl:abc:v2#14") == 14


def test_evidence_text_is_escaped(client: TestClient, demo_app: FastAPI) -> None:
    body = ask(client, DEMO_Q)
    page = client.get(f"/questions/{body['id']}").text
    for m in MARK.findall(page):
        assert "<" not in m


def test_monograph_values_reveal_their_label_text(client: TestClient, demo_app: FastAPI) -> None:
    r = client.get("/monographs/belatacept.json")
    assert r.status_code == 200
    refs = [Reference.model_validate(x) for x in r.json()["references"]]
    label = next(x for x in refs if x.document.kind is SourceKind.DRUG_LABEL)
    assert label.quotes, "the label passages cited by the monograph travel with it"
    page = client.get("/monographs/belatacept").text
    marks = [htmlmod.unescape(m) for m in MARK.findall(page)]
    assert len(marks) >= 5
    texts = [_document(demo_app, x.document.uid) for x in refs]
    assert all(any(m in t for t in texts) for m in marks)  # every highlighted span is a source's words
    assert any(m in texts[refs.index(label)] for m in marks)
