"""Drug monograph pages: rendering (with a stand-in builder), 404s, and the real builder when present."""

from __future__ import annotations

import datetime as dt
import importlib.util
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medref.deps import demo_files
from medref.errors import NotFoundError
from medref.ingest.pipeline import ingest_paths
from medref.models import (
    NOT_FOUND,
    Audience,
    DocumentRef,
    Monograph,
    MonographField,
    MonographSection,
    Reference,
    SourcedValue,
    SourceKind,
)
from medref.settings import load_settings
from medref.store.repository import Store
from medref.web.app import create_app
from medref.web.routes import monographs
from medref.web.views import PENDING_BANNER

XSS = "<script>alert(1)</script>"
XSS_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
LABEL = DocumentRef(
    uid="spl:zorblax-set:v2",
    kind=SourceKind.DRUG_LABEL,
    title="ZORBLAX (zorblaxumab) injection",
    journal="Example Pharma",
    year=2025,
    url="https://dailymed.nlm.nih.gov/dailymed/lookup.cfm?setid=zorblax-set",
    evidence_level=1,
    spl_setid="zorblax-set",
    spl_version=2,
)


def fake_monograph(drug: str, audience: Audience) -> Monograph:
    return Monograph(
        drug="Zorblax",
        query=drug,
        audience=audience,
        approval_status="investigational",
        label=LABEL,
        label_note="Label version 2 used; version 1 is superseded.",
        sections=[
            MonographSection(
                key="overview",
                title="Overview",
                fields=[
                    MonographField(
                        key="indications",
                        title="Indications",
                        values=[SourcedValue(text=f"Used for itch {XSS}", citations=[1])],
                    ),
                    MonographField(key="boxed_warning", title="Boxed warning"),
                ],
            ),
            MonographSection(
                key="dosing",
                title="Dosing",
                fields=[
                    MonographField(
                        key="dose_table",
                        title="Dose",
                        table=[["Population", "Dose"], ["Adults", f"5 mg/kg {XSS}"]],
                        table_citations=[1],
                    )
                ],
            ),
        ],
        references=[Reference(number=1, label="Drug label", document=LABEL)],
        disclaimer="Monograph disclaimer for the test.",
        data_as_of=dt.date(2025, 1, 2),
    )


@pytest.fixture
def fake_builder(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    calls: list[dict[str, Any]] = []

    def build(
        drug: str, *, store: Any, retriever: Any, lexicon: Any, audience: Audience, drugsatfda: Any = None
    ) -> Monograph:
        calls.append({"drug": drug, "audience": audience, "lexicon": lexicon, "store": store})
        if drug.casefold() != "zorblax":
            raise NotFoundError(f"unknown drug {drug!r}; did you mean: Zorblax, Zorblaxin?")
        return fake_monograph(drug, audience)

    monkeypatch.setattr(monographs, "builder", lambda: build)
    return calls


def test_monograph_page_renders_every_part(client: TestClient, fake_builder: list[dict[str, Any]]) -> None:
    r = client.get("/monographs/zorblax")
    assert r.status_code == 200
    html = r.text
    assert "<h1>Zorblax</h1>" in html
    assert "Overview" in html and "Dosing" in html
    missing = html.split('id="not-found"', 1)[1].split("</div>", 1)[0]  # fields with no source: one line
    assert NOT_FOUND in missing and "boxed warning" in missing
    assert '<a class="cite" href="#ref-1"' in html and '<li id="ref-1"' in html
    assert ">Drug label</span>" in html
    assert "Label version 2 used; version 1 is superseded." in html
    assert 'href="/labels/zorblax-set/diff">See what changed from the previous version</a>' in html
    assert "Investigational" in html and "2 January 2025" in html
    assert "Monograph disclaimer for the test." in html
    assert PENDING_BANNER in html  # nothing approved it
    assert "<td>Adults</td>" in html
    assert XSS not in html and html.count(XSS_ESCAPED) == 2
    assert fake_builder[-1]["audience"] is Audience.CLINICIAN


def test_monograph_json_twin_and_audience(client: TestClient, fake_builder: list[dict[str, Any]]) -> None:
    data = client.get("/monographs/zorblax.json", params={"audience": "patient"}).json()
    assert data == fake_monograph("zorblax", Audience.PATIENT).model_dump(mode="json")
    assert fake_builder[-1]["audience"] is Audience.PATIENT
    negotiated = client.get("/monographs/zorblax", headers={"Accept": "application/json"})
    assert negotiated.json()["drug"] == "Zorblax"


def test_unknown_drug_is_404_with_suggestions(client: TestClient, fake_builder: list[dict[str, Any]]) -> None:
    r = client.get("/monographs/zorblux")
    assert r.status_code == 404
    assert "did you mean: Zorblax, Zorblaxin?" in r.text
    assert 'href="/monographs/Zorblax"' in r.text and 'href="/monographs/Zorblaxin"' in r.text
    j = client.get("/monographs/zorblux.json").json()
    assert j["status"] == 404 and j["suggestions"] == ["Zorblax", "Zorblaxin"]


def test_lookup_form_redirects(client: TestClient, fake_builder: list[dict[str, Any]]) -> None:
    r = client.get("/monographs", params={"drug": "zorblax"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/monographs/zorblax"
    r = client.get("/monographs", params={"drug": "two words", "audience": "patient"}, follow_redirects=False)
    assert r.headers["location"] == "/monographs/two%20words?audience=patient"
    assert 'action="/monographs"' in client.get("/").text  # the home page offers the lookup


def test_without_the_builder_monographs_are_404(client: TestClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(monographs, "builder", lambda: None)
    r = client.get("/monographs/belatacept.json")
    assert r.status_code == 404 and "not available" in r.json()["detail"]
    assert 'action="/monographs"' not in client.get("/").text


@pytest.mark.skipif(
    importlib.util.find_spec("medref.monograph.builder") is None,
    reason="medref.monograph.builder not installed",
)
def test_real_builder_on_the_demo_corpus(client: TestClient) -> None:
    r = client.get("/monographs/belatacept.json")
    assert r.status_code == 200, r.text
    mono = Monograph.model_validate(r.json())
    assert mono.drug.casefold() == "belatacept" and mono.sections
    html = client.get("/monographs/belatacept").text
    assert all(section.title in html.replace("&amp;", "&") for section in mono.sections)
    missing = client.get("/monographs/belatacepz.json")
    assert missing.status_code == 404 and "unknown drug" in missing.json()["detail"]


@pytest.mark.skipif(
    importlib.util.find_spec("medref.monograph.builder") is None,
    reason="medref.monograph.builder not installed",
)
def test_real_builder_works_without_the_search_index(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path)
    assert ingest_paths(Store.open(settings.url), demo_files()).ok  # stored, never indexed
    client = TestClient(create_app(settings))
    assert client.get("/search.json", params={"q": "belatacept"}).status_code == 503
    r = client.get("/monographs/belatacept.json")
    assert r.status_code == 200, r.text
    assert r.json()["drug"].casefold() == "belatacept"
