"""The monograph page's layout: the boxed warning in a box under its own title, the fields with no
source in one line, a field's table followed by its other statements, document text escaped."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from medref import models as md
from medref.web.routes import monographs

XSS = "<img src=x onerror=alert(1)>"
LABEL = md.DocumentRef(
    uid="spl:quelta-set:v3",
    kind=md.SourceKind.DRUG_LABEL,
    title="QUELTA tablets",
    year=2024,
    evidence_level=1,
)
BOX_TITLE = "WARNING: HEPATOTOXICITY <b>AND</b> FALLS"
NO_LABEL = "No drug label for this drug is in the sources."


def _v(text: str) -> md.SourcedValue:
    return md.SourcedValue(text=text, citations=[1])


def page_monograph(boxed_title: str = BOX_TITLE) -> md.Monograph:
    dosing = md.MonographField(
        key="dosing",
        title="Dosing",
        table=[["Dose", "Population"], ["10 mg", "adults"]],
        table_citations=[1],
        values=[_v("Adults | 10 mg once daily"), _v(f"Take 10 mg once daily with food {XSS}.")],
    )
    return md.Monograph(
        drug="Quelta",
        query="quelta",
        approval_status="approved",
        label=LABEL,
        sections=[
            md.MonographSection(
                key="dosage",
                title="Dosage",
                fields=[dosing, md.MonographField(key="dose_renal", title="Renal impairment", note=NO_LABEL)],
            ),
            md.MonographSection(
                key="populations",
                title="Special populations",
                fields=[
                    md.MonographField(key="pregnancy", title="Pregnancy", note=NO_LABEL),
                    md.MonographField(
                        key="lactation", title="Lactation", note=f"Nothing in section 8.2 {XSS}"
                    ),
                    md.MonographField(key="drug_class", title="MeSH class"),
                ],
            ),
            md.MonographSection(
                key="safety",
                title="Safety",
                fields=[
                    md.MonographField(
                        key="boxed_warning",
                        title=boxed_title,
                        values=[_v("Quelta can cause liver failure."), _v("Check liver tests monthly.")],
                    )
                ],
            ),
        ],
        references=[md.Reference(number=1, label="Drug label", document=LABEL)],
        disclaimer="Disclaimer for the page test.",
    )


@pytest.fixture
def served(monkeypatch: pytest.MonkeyPatch) -> dict[str, md.Monograph]:
    shown: dict[str, md.Monograph] = {"m": page_monograph()}

    def build(drug: str, *, audience: md.Audience, **_: Any) -> md.Monograph:
        return shown["m"].model_copy(update={"audience": audience})

    monkeypatch.setattr(monographs, "builder", lambda: build)
    return shown


def _main(client: TestClient) -> str:
    r = client.get("/monographs/quelta")
    assert r.status_code == 200
    return r.text.split("<main", 1)[1].split("</main>", 1)[0]


def test_boxed_warning_box_with_the_labels_title(client: TestClient, served: dict[str, md.Monograph]) -> None:
    html = _main(client)
    box = html.split("boxed-warning", 1)[1].split("</div>", 1)[0]
    assert 'role="note"' in box and '<p class="kicker">Boxed warning</p>' in box
    assert "WARNING: HEPATOTOXICITY &lt;b&gt;AND&lt;/b&gt; FALLS</h3>" in box  # the title is text, escaped
    assert "<li>Quelta can cause liver failure." in box and "<li>Check liver tests monthly." in box
    served["m"] = page_monograph(boxed_title="Boxed warning")  # no title of its own: no kicker twice
    client.app.state.monograph_cache.clear()  # type: ignore[attr-defined]  # rebuilt, same corpus
    box = _main(client).split("boxed-warning", 1)[1].split("</div>", 1)[0]
    assert "kicker" not in box and ">Boxed warning</h3>" in box


def test_fields_without_source_in_one_line(client: TestClient, served: dict[str, md.Monograph]) -> None:
    html = _main(client)
    assert html.count(md.NOT_FOUND) == 1
    line = html.split('id="not-found"', 1)[1].split("</div>", 1)[0]
    names = re.findall(r'<span class="missing field-(\w+)"[^>]*>([^<]+)</span>', line)
    assert names == [
        ("dose_renal", "renal impairment"),
        ("pregnancy", "pregnancy"),
        ("lactation", "lactation"),
        ("drug_class", "MeSH class"),  # an acronym keeps its capitals
    ]
    assert f'title="{NO_LABEL}"' in line  # each field's note as its tooltip ...
    why = line.split("<details", 1)[1]
    # ... and listed once per note under the line
    assert why.count(NO_LABEL) == 1 and "Renal impairment, Pregnancy:</span>" in why
    assert "Nothing in section 8.2 &lt;img src=x onerror=alert(1)&gt;" in why
    # a section with nothing found is left out, in the page and in its table of contents
    assert "Special populations" not in html and 'id="sec-populations"' not in html
    assert html.index('id="not-found"') < html.index('id="sec-dosage"')


def test_table_then_the_other_statements(client: TestClient, served: dict[str, md.Monograph]) -> None:
    html = _main(client)
    field = html.split("field-dosing", 1)[1].split('<div class="mono-field', 1)[0]
    assert "<td>10 mg</td>" in field
    assert "Adults | 10 mg" not in field  # a quoted table row is already a row of the table
    assert field.index("</table>") < field.index("Quoted from the sources:") < field.index("Take 10 mg")
    assert "with food &lt;img src=x onerror=alert(1)&gt;." in field
    assert "<img" not in html


def test_json_twin_keeps_every_field(client: TestClient, served: dict[str, md.Monograph]) -> None:
    data = client.get("/monographs/quelta.json").json()
    keys = [f["key"] for s in data["sections"] for f in s["fields"]]
    assert keys == ["dosing", "dose_renal", "pregnancy", "lactation", "drug_class", "boxed_warning"]
    dosing = data["sections"][0]["fields"][0]
    assert dosing["values"][0]["text"] == "Adults | 10 mg once daily"
    assert data["sections"][1]["fields"][0]["note"] == NO_LABEL
