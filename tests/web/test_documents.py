"""Local document pages (``/documents/{uid}`` and ``.json``): metadata, passages with anchors,
label versions, highlighted spans, bad parameters, 404s, escaping, the References list's local
links, and the per-corpus-version cache."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.requests import Request

from medref.deps import DEMO_CORPUS
from medref.ingest.base import DocumentBuilder
from medref.ingest.pipeline import ingest_paths
from medref.models import DocumentRef, Quote, Reference, SourceKind
from medref.settings import load_settings
from medref.store.repository import Store
from medref.web.app import create_app
from medref.web.cache import app_cache, corpus_version
from medref.web.render import TEMPLATES

SETID = "00000000-4d3e-4000-8000-00000000be1a"
LABEL_V1, LABEL_V2 = f"spl:{SETID}:v1", f"spl:{SETID}:v2"
PMID = "pmid:90000001"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
MARK = re.compile(r"<mark>(.*?)</mark>", re.S)


def doc_path(uid: str, suffix: str = "") -> str:
    return f"/documents/{uid}{suffix}"


def marks(page: str) -> list[str]:
    return [html.unescape(m) for m in MARK.findall(page)]


# ----------------------------------------------------------------------------- demo corpus pages


def test_pubmed_page_shows_metadata_and_every_passage(client: TestClient, demo_app: FastAPI) -> None:
    doc = demo_app.state.store.get_document(PMID)
    response = client.get(doc_path(PMID))
    assert response.status_code == 200, response.text
    page = html.unescape(response.text)
    assert doc.title in page and doc.journal and doc.journal in page
    assert ", ".join(doc.authors) in page
    assert "Systematic review or meta-analysis" in page  # views.kind_name
    assert "Level 1, the strongest" in page
    for term in doc.mesh_terms + doc.publication_types:
        assert term in page
    for passage in doc.passages:
        assert f'id="p-{passage.ordinal}"' in response.text
        assert passage.section in page and passage.text in page
    assert "pubmed.ncbi.nlm.nih.gov" not in page  # an invented PMID gets no outbound link
    assert "<mark>" not in response.text


def test_json_twin_is_the_same_data(client: TestClient, demo_app: FastAPI) -> None:
    doc = demo_app.state.store.get_document(PMID)
    data = client.get(doc_path(PMID, ".json")).json()
    assert data["uid"] == PMID and data["document"]["title"] == doc.title
    assert [p["text"] for p in data["passages"]] == [p.text for p in doc.passages]
    assert data["kind_name"] == "Systematic review or meta-analysis"
    assert data["link"] is None and data["highlight"] is None and data["notices"] == []
    assert {"name": "PMID", "value": doc.pmid} in data["identifiers"]
    accept = client.get(doc_path(PMID), headers={"accept": "application/json"})
    assert accept.json() == data


def test_label_page_names_its_version_and_links_the_others(client: TestClient) -> None:
    old = client.get(doc_path(LABEL_V1))
    assert old.status_code == 200
    text = html.unescape(old.text)
    assert SETID in text and "version 1" in text and "superseded" in text
    assert f'href="/documents/spl%3A{SETID}%3Av2"' in old.text
    assert f"/labels/{SETID}/diff?from=1&amp;to=2" in old.text

    data = client.get(doc_path(LABEL_V2, ".json")).json()
    assert data["document"]["spl_version"] == 2 and data["document"]["is_current"]
    assert [(v["version"], v["current"], v["shown"]) for v in data["versions"]] == [
        (2, True, True),
        (1, False, False),
    ]
    assert "the current version" in client.get(doc_path(LABEL_V2)).text


def test_every_demo_document_has_a_page(client: TestClient, demo_app: FastAPI) -> None:
    for doc in demo_app.state.store.iter_documents():
        response = client.get(doc_path(doc.uid))
        assert response.status_code == 200, doc.uid
        assert f'id="p-{doc.passages[-1].ordinal}"' in response.text


# ----------------------------------------------------------------------------- highlighting


@pytest.mark.parametrize("where", ["start", "middle", "end", "whole"])
def test_highlight_marks_exactly_the_requested_span(
    client: TestClient, demo_app: FastAPI, where: str
) -> None:
    passage = max(demo_app.state.store.get_document(LABEL_V2).passages, key=lambda p: len(p.text))
    size = len(passage.text)
    start, end = {
        "start": (0, 17),
        "middle": (size // 3, size // 2),
        "end": (size - 25, size),
        "whole": (0, size),
    }[where]
    query = {"p": passage.ordinal, "s": start, "e": end}
    response = client.get(doc_path(LABEL_V2), params=query)
    assert response.status_code == 200
    assert marks(response.text) == [passage.text[start:end]]
    block = response.text.split(f'id="p-{passage.ordinal}"', 1)[1].split("</div>", 1)[0]
    assert html.unescape(re.sub(r"<[^>]+>", "", block.split("</a>", 1)[1])).strip() == passage.text.strip()
    assert f'href="#p-{passage.ordinal}"' in response.text  # the jump link
    data = client.get(doc_path(LABEL_V2, ".json"), params=query).json()
    assert data["highlight"] == {
        "ordinal": passage.ordinal,
        "start": start,
        "end": end,
        "text": passage.text[start:end],
    }
    assert data["target"] == passage.ordinal and data["notices"] == []


def test_passage_without_a_span_is_targeted_unmarked(client: TestClient) -> None:
    response = client.get(doc_path(PMID), params={"p": 2})
    assert response.status_code == 200 and "<mark>" not in response.text
    assert 'class="passage kind-text targeted" id="p-2"' in response.text


@pytest.mark.parametrize(
    "query",
    [
        {"p": "x"},
        {"p": "-1"},
        {"p": "999"},
        {"p": "1.5", "s": "0", "e": "3"},
        {"s": "0", "e": "4"},
        {"p": "1", "s": "5"},
        {"p": "1", "s": "9", "e": "3"},
        {"p": "1", "s": "4", "e": "4"},
        {"p": "1", "s": "0", "e": "100000"},
        {"p": "1", "s": "abc", "e": "3"},
        {"p": "1", "s": "-2", "e": "3"},
        {"p": "1", "s": "0", "e": "9999999999"},
    ],
)
def test_bad_highlight_parameters_show_the_page_with_a_notice(
    client: TestClient, query: dict[str, str]
) -> None:
    response = client.get(doc_path(PMID), params=query)
    assert response.status_code == 200, response.text
    assert "<mark>" not in response.text and "The highlight was ignored" in response.text
    data = client.get(doc_path(PMID, ".json"), params=query).json()
    assert data["highlight"] is None and len(data["notices"]) == 1


def test_overlong_parameter_is_a_validation_error_page(client: TestClient) -> None:
    response = client.get(doc_path(PMID), params={"p": "1" * 40})
    assert response.status_code == 422 and "error-page" in response.text


# ----------------------------------------------------------------------------- not found


@pytest.mark.parametrize("uid", ["pmid:1", "nothing-like-an-id", "~pmid:90000001", "x" * 600])
def test_unknown_uid_is_the_404_page(client: TestClient, uid: str) -> None:
    response = client.get(doc_path(uid))
    assert response.status_code == 404 and "error-page" in response.text
    assert "Ids look like" in html.unescape(response.text)
    assert client.get(doc_path(uid, ".json")).json()["status"] == 404


def test_missing_label_version_names_the_stored_ones(client: TestClient) -> None:
    detail = client.get(doc_path(f"spl:{SETID}:v9", ".json")).json()["detail"]
    assert "Version 9" in detail and "stored versions: 1, 2" in detail


# ----------------------------------------------------------------------------- references list


def test_references_link_to_local_pages(client: TestClient) -> None:
    response = client.get(f"/labels/{SETID}/diff")
    assert response.status_code == 200
    assert re.search(r'<a class="reftitle" href="/documents/spl%3A' + SETID + r'%3Av\d">', response.text)


def test_every_citation_of_an_answer_opens_its_span(client: TestClient, demo_app: FastAPI) -> None:
    """Citation offsets are into the passage's text: each one's page marks exactly that text."""
    from medref.web.deps import open_asker

    stored = open_asker(demo_app).ask("What is the role of CD40 ligand blockers?", store=True)
    assert stored.id is not None
    answer = demo_app.state.answers.get(stored.id)
    spans = {
        (c.doc_uid, c.passage_id, c.start, c.end) for sentence in answer.sentences() for c in sentence.spans
    }
    assert spans
    for uid, passage_id, start, end in sorted(spans):
        ordinal = int(passage_id.rsplit("#", 1)[1])
        text = next(p.text for p in demo_app.state.store.get_document(uid).passages if p.ordinal == ordinal)
        response = client.get(doc_path(uid), params={"p": ordinal, "s": start, "e": end})
        assert marks(response.text) == [text[start:end]], passage_id
    page = client.get(f"/questions/{answer.id}").text
    for uid in {ref.document.uid for ref in answer.references}:
        assert f'<a class="reftitle" href="/documents/{uid.replace(":", "%3A")}">' in page


def _render_references(app: FastAPI, refs: list[Reference]) -> str:
    scope = {
        "type": "http",
        "app": app,
        "root_path": "/medref",
        "path": "/",
        "headers": [],
        "query_string": b"",
    }
    template = TEMPLATES.env.from_string(
        '{% from "partials/references.html" import references with context %}{{ references(refs) }}'
    )
    return template.render(request=Request(scope), refs=refs)


def test_references_outbound_links_are_separate_and_name_the_label_version(demo_app: FastAPI) -> None:
    label = DocumentRef(
        uid="spl:7d1b2c3e-aaaa-4bbb-8ccc-123456789abc:v4",
        kind=SourceKind.DRUG_LABEL,
        title="Some label",
        url="https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=7d1b2c3e-aaaa-4bbb-8ccc-123456789abc",
        evidence_level=1,
        spl_setid="7d1b2c3e-aaaa-4bbb-8ccc-123456789abc",
        spl_version=4,
    )
    article = DocumentRef(
        uid="pmid:31000001",
        kind=SourceKind.RCT,
        title="A <b>trial</b>",
        url="https://pubmed.ncbi.nlm.nih.gov/31000001/",
        evidence_level=2,
        pmid="31000001",
    )
    refs = [
        Reference(number=1, label="Drug label", document=label, passage_ids=[f"{label.uid}#3"]),
        Reference(
            number=2,
            label="Research",
            document=article,
            passage_ids=["pmid:31000001#2"],
            quotes=[Quote(passage_id="pmid:31000001#2", section="RESULTS", text="...")],
        ),
    ]
    out = _render_references(demo_app, refs)
    assert (
        '<a class="reftitle" href="/medref/documents/spl%3A7d1b2c3e-aaaa-4bbb-8ccc-123456789abc%3Av4">' in out
    )
    assert "DailyMed (today's label; version 4 is quoted here)" in html.unescape(out)
    assert f'<a class="refout" href="{label.url}"' in out
    assert (
        '<a class="reftitle" href="/medref/documents/pmid%3A31000001">A &lt;b&gt;trial&lt;/b&gt;</a>' in out
    )
    assert ">PubMed</a>" in out
    assert 'href="/medref/documents/pmid%3A31000001?p=2#p-2" title="RESULTS"' in out


def test_references_without_request_fall_back_to_plain_titles(demo_app: FastAPI) -> None:
    ref = DocumentRef(uid="pmid:31000002", kind=SourceKind.OTHER, title="Plain", evidence_level=4)
    template = TEMPLATES.env.from_string(
        '{% from "partials/references.html" import references %}{{ references(refs) }}'
    )
    out = template.render(refs=[Reference(number=1, label="Research", document=ref)])
    assert '<span class="reftitle">Plain</span>' in out and "/documents/" not in out


# ----------------------------------------------------------------------------- a store of its own


SCRIPT_GUIDELINE = """---
id: escape-test
title: "Escaping <i>before</i> <script>alert('title')</script> <u>after</u>"
issuer: "Test <b>Panel</b>"
year: 2024
---

# Escaping test

## Advice

Clinicians should read <script>alert("x")</script> as text & never run it.
"""


@pytest.fixture
def own_app(tmp_path: Path) -> Iterator[FastAPI]:
    """An app on a store of its own (two label versions and a guideline with a public DOI)."""
    settings = load_settings(data_dir=tmp_path / "data")
    store = Store.open(settings.url)
    files = [DEMO_CORPUS / "spl_belatacept_v1.xml", DEMO_CORPUS / "spl_belatacept.xml"]
    assert ingest_paths(store, [*files, FIXTURES / "guideline" / "itch-guideline.md"]).ok
    store.close()
    app = create_app(settings)
    yield app
    app.state.store.close()


def _guideline_uid(store: Store, title_part: str) -> str:
    return next(d.uid for d in store.iter_documents(kind=SourceKind.GUIDELINE) if title_part in d.title)


def test_script_in_a_document_is_escaped(own_app: FastAPI, tmp_path: Path) -> None:
    source = tmp_path / "escape.md"
    source.write_text(SCRIPT_GUIDELINE, encoding="utf-8")
    store = own_app.state.store
    assert ingest_paths(store, [source]).ok
    uid = _guideline_uid(store, "Escaping")
    doc = store.get_document(uid)
    titled = next(p for p in doc.passages if "<script>" in p.text)  # the markdown body drops tags
    start = titled.text.index("<script>")
    end = titled.text.index("</script>") + len("</script>")
    response = TestClient(own_app).get(doc_path(uid), params={"p": titled.ordinal, "s": start, "e": end})
    assert response.status_code == 200
    for raw in ("<script>", "<b>Panel", "<i>before", "<u>after"):
        assert raw not in response.text
    assert (
        "<h1>Escaping &lt;i&gt;before&lt;/i&gt; &lt;script&gt;alert(" in response.text
        and "&amp; never run it" in response.text
    )
    assert marks(response.text) == ["<script>alert('title')</script>"]


def test_public_identifier_gets_an_outbound_link(own_app: FastAPI) -> None:
    store = own_app.state.store
    uid = _guideline_uid(store, "Itch")
    doc = store.get_document(uid)
    assert doc.url  # the fixture's DOI is not in the range reserved for invented records
    data = TestClient(own_app).get(doc_path(uid, ".json")).json()
    assert data["link"]["url"] == doc.url and data["link"]["site"] == "DOI"
    page = TestClient(own_app).get(doc_path(uid)).text
    assert f'<a class="outbound" href="{doc.url}" rel="external noopener noreferrer">' in page


def test_flags_and_sample_size_are_shown_and_retraction_is_prominent(own_app: FastAPI) -> None:
    builder = DocumentBuilder()
    builder.add("Title", "A withdrawn trial of something.", kind="title")
    builder.add("RESULTS", "The results were later found to be unreliable.")
    doc = builder.build(
        uid="pmid:31999999",
        kind=SourceKind.RCT,
        title="A withdrawn trial of something.",
        pmid="31999999",
        meta={"flags": ["retracted", "erratum"], "sample_size": 120},
    )
    own_app.state.store.write_file([doc], path="retracted.xml", fmt="pubmed")
    response = TestClient(own_app).get(doc_path(doc.uid))
    page = response.text
    assert 'class="notice retracted-banner" role="alert"' in page
    assert page.index("retracted-banner") < page.index("<h1>")  # above the title
    assert "Erratum published" in page and "<dt>Participants</dt><dd>120</dd>" in page
    data = TestClient(own_app).get(doc_path(doc.uid, ".json")).json()
    assert data["retracted"] and [f["label"] for f in data["flags"]] == ["Retracted", "Erratum published"]
    assert data["document"]["sample_size"] == 120


def test_second_request_is_cached_and_an_ingest_invalidates(own_app: FastAPI, tmp_path: Path) -> None:
    client = TestClient(own_app)
    cache = app_cache(own_app, "document_cache")
    first = client.get(doc_path(LABEL_V2, ".json"), params={"p": 1}).json()
    assert client.get(doc_path(LABEL_V2), params={"p": 2, "s": 0, "e": 5}).status_code == 200
    assert (cache.stats.misses, cache.stats.hits) == (1, 1)  # other highlight, other twin: one build
    assert first["document"]["is_current"] and [v["version"] for v in first["versions"]] == [2, 1]

    # version 3 of the set: the cached version-2 page must now say it is superseded
    v2 = (DEMO_CORPUS / "spl_belatacept.xml").read_text(encoding="utf-8")
    v3 = v2.replace('<versionNumber value="2"/>', '<versionNumber value="3"/>')
    v3 = v3.replace("00000000-4d3e-4000-8000-00000000d002", "00000000-4d3e-4000-8000-00000000d003")
    v3 = v3.replace("20250315", "20260105")
    (tmp_path / "label_v3.xml").write_text(v3, encoding="utf-8")
    before = corpus_version(own_app.state.store)
    assert ingest_paths(own_app.state.store, [tmp_path / "label_v3.xml"]).ok
    assert corpus_version(own_app.state.store) > before

    after = client.get(doc_path(LABEL_V2, ".json")).json()
    assert cache.stats.misses == 2
    assert not after["document"]["is_current"]
    assert [(v["version"], v["current"]) for v in after["versions"]] == [(3, True), (2, False), (1, False)]
    assert "superseded" in client.get(doc_path(LABEL_V2)).text and cache.stats.misses == 2
