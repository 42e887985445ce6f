"""FDA SPL parser: the invented fixture label, error handling, and the real labels in ../shared/data."""

from __future__ import annotations

import datetime as dt
import gzip
from pathlib import Path

import pytest

from medref.errors import ParseError, UnsafeXMLError
from medref.ingest import spl
from medref.ingest.registry import get_parser
from medref.ingest.spl_names import SECTION_NAMES, section_name, split_number
from medref.models import Document, SourceKind

SETID = "3f2a9c1e-7b44-4d0a-9e51-2c8d6f1a0b77"


def _one(path: Path, **options: bool) -> Document:
    docs = list(spl.parse(path, **options))
    assert len(docs) == 1
    return docs[0]


def _check_offsets(doc: Document) -> None:
    assert [p.ordinal for p in doc.passages] == list(range(len(doc.passages)))
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text.strip() and p.section.strip()


@pytest.fixture
def label_path(fixtures: Path) -> Path:
    return fixtures / "spl" / "velmora.xml"


@pytest.fixture
def label(label_path: Path) -> Document:
    return _one(label_path)


def _variant(tmp_path: Path, label_path: Path, old: str, new: str, name: str = "variant.xml") -> Path:
    text = label_path.read_text(encoding="utf-8")
    assert old in text
    out = tmp_path / name
    out.write_text(text.replace(old, new, 1), encoding="utf-8")
    return out


# ------------------------------------------------------------------ fixture label
def test_header_fields(label: Document, label_path: Path) -> None:
    assert label.uid == f"spl:{SETID}:v7"  # set id is lower-cased (it is upper case in the file)
    assert label.kind is SourceKind.DRUG_LABEL
    assert label.spl_setid == SETID and label.spl_version == 7
    assert label.journal == "Examplar Biologics Ltd."
    assert label.date == dt.date(2024, 3, 15) and label.year == 2024
    assert label.language == "en"
    assert label.source_path == str(label_path)
    # highlights boilerplate and the approval line are cut from the shown title
    assert label.title == "VELMORA® (quintabamab) injection, for subcutaneous use"
    assert label.meta["full_title"].startswith("These highlights do not include")
    assert label.meta["initial_us_approval"] == "2019"


def test_meta_products_and_flattened_lists(label: Document) -> None:
    meta = label.meta
    assert meta["setid"] == SETID and meta["version"] == 7
    assert meta["document_type"] == "HUMAN PRESCRIPTION DRUG LABEL"
    assert meta["effective_time"] == "20240315"
    injection, kit = meta["products"]  # two packages of the same product merge into one entry
    assert injection == {
        "name": "Velmora",
        "generic_name": "quintabamab",
        "form": "INJECTION, SOLUTION",
        "routes": ["SUBCUTANEOUS"],
        "ndc": ["99999-101", "99999-102"],
    }
    # a kit takes the route of the part carrying its own drug, not the cleansing pad's
    assert kit["name"] == "Velmora Starter Kit" and kit["form"] == "KIT"
    assert kit["routes"] == ["SUBCUTANEOUS"]
    assert meta["generic_names"] == ["quintabamab"]
    assert meta["brand_names"] == ["Velmora", "Velmora Starter Kit"]
    assert meta["routes"] == ["SUBCUTANEOUS"]
    assert meta["has_boxed_warning"] is True


def test_sections_meta(label: Document) -> None:
    sections = label.meta["sections"]
    assert [s["loinc"] for s in sections] == [
        "48780-1",
        "34066-1",
        "34067-9",
        "34068-7",
        "34070-3",
        "42229-5",
        "42229-5",
        "34084-4",
        "34084-4",
        "42229-5",
        "34088-5",
        "51945-4",
    ]
    assert [s["ordinal"] for s in sections] == list(range(len(sections)))
    nested = sections[8]
    assert nested["title"] == "Clinical Trials Experience" and nested["number"] == "6.1"
    assert nested["depth"] == 1 and nested["parent_loinc"] == "34084-4"
    assert sections[9]["depth"] == 2
    assert sections[9]["path"] == "ADVERSE REACTIONS > Clinical Trials Experience"
    assert sections[10]["title"] == "Overdosage"  # no title in the file: named from its LOINC code
    for s in sections:
        for ordinal in s["passages"]:
            assert label.passages[ordinal].loinc == s["loinc"]


def test_passages_follow_sections(label: Document) -> None:
    _check_offsets(label)
    loincs = [p.loinc for p in label.passages]
    assert loincs[0] == "34066-1"  # document order; the product data section has no text
    assert "48780-1" not in loincs
    boxed = [p for p in label.passages if p.loinc == "34066-1"]
    assert boxed[0].section == "WARNING: RISK OF SEVERE NEUTROPENIA"
    assert "lower the neutrophil count to dangerous levels" in boxed[0].text
    # a list keeps its layout: the caption on a line of its own, then one line per item
    listed = "Hold treatment when:\n• the absolute neutrophil count falls below 1000 cells/mm3\n• a fever"
    assert listed in boxed[0].text
    assert boxed[1].section.startswith("Highlights: ")
    indications = next(p for p in label.passages if p.loinc == "34067-9")
    assert (
        "\n\nAdults\n1. moderate to severe imaginary arthritis\n2. fictional plaque dermatitis"
        in indications.text
    )
    overdose = next(p for p in label.passages if p.loinc == "34088-5")
    assert overdose.section == "Overdosage"


def test_nested_sections_keep_their_own_loinc(label: Document) -> None:
    trials = [p for p in label.passages if p.section == "ADVERSE REACTIONS > Clinical Trials Experience"]
    assert {p.loinc for p in trials} == {"34084-4", "42229-5"}  # 6.1 itself and its untitled child
    child = next(p for p in trials if p.loinc == "42229-5")
    assert "Antibodies to quintabamab formed in 2%" in child.text
    contra = [p for p in label.passages if p.section.startswith("CONTRAINDICATIONS > ")]
    # a title-only sub-section carries its content in the title; a bare heading adds nothing
    assert [p.text for p in contra] == ["Known serious allergy to quintabamab or to any inactive ingredient"]


def test_tables(label: Document) -> None:
    tables = [p for p in label.passages if p.kind == "table"]
    assert len(tables) == 2
    dosing, adverse = tables
    assert dosing.loinc == "34068-7"
    assert dosing.table == [
        ["Body weight", "Dose"],
        ["under 60 kg", "40 mg every 2 weeks"],
        ["60 kg or more", "80 mg every 2 weeks"],
        ["mg = milligrams"],  # the footer row comes last although tfoot precedes tbody in the file
    ]
    before, after = label.passages[dosing.ordinal - 1], label.passages[dosing.ordinal + 1]
    assert before.kind == "text" and before.text == "Table 1. Dose by Body Weight"
    assert after.text == "Table notes: Round the weight to the nearest whole kilogram."
    assert adverse.loinc == "34084-4" and adverse.section == "ADVERSE REACTIONS > Clinical Trials Experience"
    assert adverse.table is not None
    assert adverse.table[0] == ["Reaction", "Velmora (N=206)", "Placebo (N=206)"]
    assert ["Neutropenia", "3%", "<1%"] in adverse.table
    assert adverse.text.splitlines()[1] == "Injection site redness | 12% | 4%"


def test_highlights_can_be_left_out(label_path: Path) -> None:
    doc = _one(label_path, highlights=False)
    assert not any(p.section.startswith("Highlights") for p in doc.passages)
    _check_offsets(doc)
    with pytest.raises(TypeError, match="unknown option"):
        list(spl.parse(label_path, colour=True))


def test_gzipped_label_parses(tmp_path: Path, label_path: Path, label: Document) -> None:
    gz = tmp_path / "velmora.xml.gz"
    gz.write_bytes(gzip.compress(label_path.read_bytes()))
    doc = _one(gz)
    assert doc.uid == label.uid and doc.text == label.text


def test_sniff(label_path: Path) -> None:
    assert spl.FORMAT == "spl"
    assert get_parser("spl") is spl
    assert spl.sniff(label_path.read_bytes()[:65536], label_path)
    pubmed = b'<?xml version="1.0"?>\n<PubmedArticleSet><PubmedArticle/></PubmedArticleSet>'
    assert not spl.sniff(pubmed, label_path)
    cda = b'<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><setId root="x"/>'
    assert not spl.sniff(cda, label_path)
    other_ns = b'<?xml version="1.0"?><document xmlns="urn:example"><setId root="x"/></document>'
    assert not spl.sniff(other_ns, label_path)
    assert not spl.sniff(b'{"studies": []}', label_path)


def test_section_name_helpers() -> None:
    assert split_number("6.1 Clinical Trials Experience") == ("6.1", "Clinical Trials Experience")
    assert split_number("10 OVERDOSAGE") == ("10", "OVERDOSAGE")
    assert split_number("5 mg tablets") == (None, "5 mg tablets")
    assert section_name("34066-1") == SECTION_NAMES["34066-1"] == "Boxed Warning"
    assert section_name("99999-9", "SOME NEW THING SECTION") == "Some New Thing"
    assert section_name(None, None) == "Section"


# ------------------------------------------------------------------ errors
def test_missing_setid(tmp_path: Path, label_path: Path) -> None:
    bad = _variant(tmp_path, label_path, '<setId root="3F2A9C1E-7B44-4D0A-9E51-2C8D6F1A0B77"/>', "")
    with pytest.raises(ParseError, match="setId") as err:
        list(spl.parse(bad))
    assert err.value.path == str(bad)
    assert err.value.record == "9d0e4b7a-1c2f-4e8b-a3d5-6f7081920abc"  # falls back to the document id


@pytest.mark.parametrize(
    ("replacement", "reason"),
    [("", "no versionNumber"), ('<versionNumber value="7b"/>', "'7b' is not a whole number")],
)
def test_bad_version(tmp_path: Path, label_path: Path, replacement: str, reason: str) -> None:
    bad = _variant(tmp_path, label_path, '<versionNumber value="7"/>', replacement)
    with pytest.raises(ParseError, match=reason) as err:
        list(spl.parse(bad))
    assert err.value.record == SETID
    assert str(bad) in str(err.value) and SETID in str(err.value)


def test_malformed_empty_and_foreign_xml(tmp_path: Path, label_path: Path) -> None:
    broken = _variant(tmp_path, label_path, "</structuredBody>", "", name="broken.xml")
    with pytest.raises(ParseError, match="malformed XML") as err:
        list(spl.parse(broken))
    assert err.value.path == str(broken)

    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"  \n")
    with pytest.raises(ParseError, match="empty"):
        list(spl.parse(empty))

    foreign = tmp_path / "foreign.xml"
    foreign.write_text('<?xml version="1.0"?><PubmedArticleSet><PubmedArticle/></PubmedArticleSet>')
    with pytest.raises(ParseError, match="not an SPL document"):
        list(spl.parse(foreign))

    no_body = _variant(tmp_path, label_path, "structuredBody>", "nonXMLBody>")
    no_body.write_text(no_body.read_text().replace("structuredBody>", "nonXMLBody>"))
    with pytest.raises(ParseError, match="structuredBody") as err:
        list(spl.parse(no_body))
    assert err.value.record == SETID


def test_entities_are_refused(tmp_path: Path, label_path: Path) -> None:
    text = label_path.read_text(encoding="utf-8")
    head, _, rest = text.partition("\n")
    bomb = tmp_path / "entity.xml"
    bomb.write_text(
        head + '\n<!DOCTYPE document [<!ENTITY boom "boom">]>\n' + rest.replace("Velmora can", "&boom; can"),
        encoding="utf-8",
    )
    with pytest.raises(UnsafeXMLError):
        list(spl.parse(bomb))


# ------------------------------------------------------------------ real labels (../shared/data)
def _real(shared_data: Path, name: str) -> Document:
    path = shared_data / "fda_spl" / name
    if not path.is_file():
        pytest.skip(f"{path} is absent")
    assert spl.sniff(path.read_bytes()[:65536], path)
    doc = _one(path)
    _check_offsets(doc)
    return doc


def test_humira(shared_data: Path) -> None:
    doc = _real(shared_data, "humira.xml")
    assert doc.uid == "spl:608d4f0d-b19f-46d3-749a-7159aa5f933d:v1560"
    assert doc.spl_version == 1560 and doc.date == dt.date(2013, 9, 30)
    assert doc.journal == "AbbVie Inc."
    assert doc.title.startswith("HUMIRA (adalimumab) injection")
    assert doc.meta["initial_us_approval"] == "2002"
    assert doc.meta["generic_names"] == ["Adalimumab"] and doc.meta["brand_names"] == ["Humira"]
    assert doc.meta["routes"] == ["SUBCUTANEOUS"]  # the kits' alcohol pads are topical; not the drug
    boxed = [p for p in doc.passages if p.loinc == "34066-1" and not p.section.startswith("Highlights")]
    assert boxed and boxed[0].section == "WARNING: SERIOUS INFECTIONS AND MALIGNANCY"
    boxed_text = " ".join(p.text for p in boxed).lower()
    assert "serious infections" in boxed_text and "malignancy" in boxed_text and "lymphoma" in boxed_text
    assert doc.meta["has_boxed_warning"] is True
    assert any(s["loinc"] == "34067-9" for s in doc.meta["sections"])
    assert any(p.loinc == "34067-9" for p in doc.passages)
    assert any(p.section == "INDICATIONS AND USAGE > Rheumatoid Arthritis" for p in doc.passages)
    adverse_tables = [p for p in doc.passages if p.kind == "table" and p.loinc == "34084-4"]
    assert adverse_tables and adverse_tables[0].table is not None
    assert ["Upper respiratory infection", "17%", "13%"] in adverse_tables[0].table
    assert adverse_tables[0].section == "ADVERSE REACTIONS > Clinical Trials Experience"


def test_lipitor(shared_data: Path) -> None:
    doc = _real(shared_data, "lipitor-orig.xml")
    assert doc.uid == "spl:c6e131fe-e7df-4876-83f7-9156fc4e8228:v11"
    assert doc.title == "LIPITOR® (atorvastatin calcium) Tablets for oral administration"
    assert doc.meta["generic_names"] == ["atorvastatin calcium"] and doc.meta["routes"] == ["ORAL"]
    assert any(s["loinc"] == "34068-7" for s in doc.meta["sections"])
    dosing = [p for p in doc.passages if p.section.startswith("DOSAGE AND ADMINISTRATION > ")]
    assert any("recommended starting dose of LIPITOR is 10 or 20 mg once daily" in p.text for p in dosing)
    # contraindications 4.1 and 4.2 exist only as titles in this label
    contra = [p.text for p in doc.passages if p.section.startswith("CONTRAINDICATIONS > ")]
    assert "Hypersensitivity to any component of this medication" in contra
    tables = [p for p in doc.passages if p.kind == "table" and p.table]
    table1 = next(p for p in tables if p.table and p.table[0][0] == "Interacting Agents")
    assert doc.passages[table1.ordinal - 1].text.startswith("Table 1. Drug Interactions")
    assert doc.meta["has_boxed_warning"] is False


def test_cough_otc(shared_data: Path) -> None:
    doc = _real(shared_data, "cough.xml")
    assert doc.meta["document_type"] == "HUMAN OTC DRUG LABEL"
    assert doc.title.endswith("Drug Facts") and "TRIAMINIC" in doc.title
    by_loinc = {p.loinc: p for p in doc.passages}
    assert by_loinc["55106-9"].text.startswith("Diphenhydramine HCl 6.25 mg")
    assert by_loinc["55106-9"].section == "Active ingredient"
    assert "Nasal decongestant" in by_loinc["55105-1"].text
    assert any(s["loinc"] == "34071-1" and s["title"] == "Warnings" for s in doc.meta["sections"])
    assert by_loinc["50570-1"].section == "Warnings > Do not use"
    assert "in a child under 4 years of age" in by_loinc["50570-1"].text
    directions = next(p for p in doc.passages if p.kind == "table")
    assert directions.loinc == "34068-7" and directions.table and directions.table[0] == ["Age", "Dose"]
    # a tamper-evidence note nested under another section is coded 34066-1 in this file; it is
    # kept as a passage but does not make the label one with a boxed warning
    assert doc.meta["has_boxed_warning"] is False


def test_label_without_title(shared_data: Path) -> None:
    doc = _real(shared_data, "no-title.xml")
    assert doc.meta["full_title"] == ""
    assert doc.title == "Haloperidol label"
    assert doc.journal == "Contract Pharmacy Services-PA"
    assert doc.passages[0].loinc == "34066-1" and doc.passages[0].section == "Boxed Warning"
