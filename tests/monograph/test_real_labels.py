"""Monographs from real FDA labels (../shared/data/fda_spl): fields checked against the label text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medref.compose.patient import DOSE_AMOUNT, DOSING_SENTENCE
from medref.models import NOT_FOUND, Monograph
from medref.monograph import build_monograph
from medref.monograph.fields import INDICATION_FIELDS, LABEL_CODES
from medref.monograph.render import missing_line, to_text
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store
from tests.monograph.checks import check_citations, fields, passage, section_codes, texts, top_section
from tests.monograph.conftest import REAL_LABELS, label_doc

# population fields may add the label's dosing or warning sub-sections headed for that population
_HEADED = {"34068-7", "43684-0", "42232-9", "34071-1", "43685-7", "34070-3"}
EXTRA = {k: _HEADED for k in ("dose_pregnancy", "dose_lactation", "dose_pediatric", "dose_geriatric")}


def _cited_codes(m: Monograph, store: Store, key: str) -> list[list[str]]:
    """The LOINC codes around every passage cited by field ``key``."""
    f = m.field(key)
    assert f is not None and f.found, f"{key} is empty"
    doc = label_doc(store, m)
    codes = section_codes(doc)
    out = []
    for v in f.values:
        for c in v.spans:
            assert c.doc_uid == doc.uid
            _, p = passage(store, c.passage_id)
            out.append(codes[p.ordinal])
    return out


@pytest.mark.parametrize("key", list(REAL_LABELS))
def test_every_value_is_sourced_and_spans_match(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph], key: str
) -> None:
    m = real_monographs[key]
    assert m.label is not None and m.label.kind.value == "drug_label"
    assert check_citations(m, real_store) > 10
    assert m.label_note and "used" in m.label_note
    assert m.data_as_of is not None and m.label.date is not None and m.data_as_of >= m.label.date


@pytest.mark.parametrize("key", list(REAL_LABELS))
def test_every_field_the_label_supports_is_filled_from_that_section(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph], key: str
) -> None:
    """The coverage goal of the benchmark, checked here with the test's own section reading."""
    m = real_monographs[key]
    doc = label_doc(real_store, m)
    codes_of = section_codes(doc)
    own = top_section(doc)
    otc = "OTC" in str(doc.meta.get("document_type"))
    for field_key, spec in LABEL_CODES.items():
        wanted = set(spec.for_label(otc=otc))
        if spec.top_only:
            supported = any(c in wanted and depth == 0 for c, depth in own.values())
        else:
            supported = any(wanted & set(cs) for cs in codes_of.values())
        keys = INDICATION_FIELDS if field_key == "indications" else (field_key,)
        found = [f for f in (m.field(k) for k in keys) if f is not None and f.found]
        if not supported:  # may still be filled from a titled sub-section (e.g. "Usage in Pregnancy"): cited
            assert all(v.spans for f in found for v in f.values)
            continue
        assert found, f"{key}: {field_key} is supported by the label but empty"
        allowed = wanted | EXTRA.get(field_key, set())
        in_wanted = 0
        for f in found:
            for v in f.values:
                assert v.spans, f"{key}: {field_key} value without a span"
                for c in v.spans:
                    _, p = passage(real_store, c.passage_id)
                    around = set(codes_of[p.ordinal])
                    assert allowed & around, f"{key}: {field_key} cites outside its sections"
                    in_wanted += bool(wanted & around)
        assert in_wanted, f"{key}: {field_key} cites none of its own sections"


def test_humira_boxed_warning_is_the_34066_1_text(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["humira"]
    assert all("34066-1" in codes for codes in _cited_codes(m, real_store, "boxed_warning"))
    joined = " ".join(texts(m.field("boxed_warning")))
    assert "serious infections" in joined.lower() and "lymphoma" in joined.lower()


def test_humira_common_reactions_come_from_the_adverse_reaction_table(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    f = real_monographs["humira"].field("common_adverse_reactions")
    assert f is not None and f.table
    rows = {r[0]: r for r in f.table[1:]}
    assert rows["Upper respiratory infection"][1] == "17%"
    assert "Accidental injury" not in rows  # 10% is not above 10%
    for v in f.values[: len(f.table) - 1]:  # the table rows (sentences stating an incidence follow)
        _, p = passage(real_store, v.spans[0].passage_id)
        assert p.kind == "table" and p.table is not None
        assert v.text.split(" | ")[0] in {r[0] for r in p.table}
        pct = float(re.search(r"(\d+(?:\.\d+)?)%", v.text.split(" | ")[1]).group(1))  # type: ignore[union-attr]
        assert pct > 10
    assert all(
        "34084-4" in c
        for c in _cited_codes(real_monographs["humira"], real_store, "common_adverse_reactions")
    )


def test_humira_names_class_and_approval(shared_data: Path, real_monographs: dict[str, Monograph]) -> None:
    m = real_monographs["humira"]
    assert m.drug == "Adalimumab"
    assert "Humira" in texts(m.field("brand_names"))
    assert "Tumor Necrosis Factor Inhibitors" in texts(m.field("drug_class"))
    assert any("DB00051" in t for t in texts(m.field("codes")))
    assert m.approval_status == "approved"
    approval = " ".join(texts(m.field("approval_status")))
    assert "BLA125057" in approval and "2002-12-31" in approval
    assert texts(m.field("route")) == ["Subcutaneous"]


def test_lipitor_dosing_table(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["lipitor"]
    f = m.field("dosing")
    assert f is not None and f.table is not None
    assert any("10 or 20 mg once daily" in t for t in texts(f))
    header, *rows = f.table
    assert header[:5] == ["Dose", "Frequency", "Route", "Duration", "Population"]
    assert ["10 or 20 mg", "once daily"] in [r[:2] for r in rows]
    for row, v in zip(rows, f.values[: len(rows)], strict=True):  # rows first, then condition sentences
        _, p = passage(real_store, v.spans[0].passage_id)
        for cell in row[:4]:  # dose, frequency, route, duration: read from the quoted text itself
            assert cell in v.text
        assert row[4] in v.text or row[4] in p.section  # population: the text or its sub-heading
        assert row[5] == "".join(f"[{n}]" for n in v.citations)
    assert all("34068-7" in c for c in _cited_codes(m, real_store, "dosing"))


def test_lipitor_fields_it_lacks_read_not_found(
    shared_data: Path, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["lipitor"]
    boxed = m.field("boxed_warning")
    assert boxed is not None and not boxed.found and boxed.values == []
    assert boxed.note == "The label has no section for this."
    # a field read out of a wider section (the indications) is empty, but its section is not missing
    onc = m.field("indications_oncological")
    assert onc is not None and not onc.found and onc.note != "The label has no section for this."
    gaps = str(missing_line(m))  # fields with no source: one line under the page head
    assert gaps.startswith(f"{NOT_FOUND}: ") and "boxed warning" in gaps and gaps[:60] in to_text(m)
    renal = " ".join(texts(m.field("dose_renal")))
    assert "renal" in renal.lower()  # the label's own sub-section on renal impairment


def test_cough_otc_label(shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]) -> None:
    m = real_monographs["cough"]
    assert "Diphenhydramine HCl" in " ".join(texts(m.field("active_ingredients")))
    assert "Nasal decongestant" in " ".join(texts(m.field("purpose")))
    assert all("34071-1" in c for c in _cited_codes(m, real_store, "warnings_precautions"))
    assert any("drowsiness" in t for t in texts(m.field("warnings_precautions")))
    # the tamper-evident notice coded as a nested boxed warning is not a boxed warning
    boxed = m.field("boxed_warning")
    assert boxed is not None and not boxed.found
    mech = m.field("mechanism")
    assert mech is not None and not mech.found
    assert m.approval_status == "unknown"  # OTC monograph product: no Drugs@FDA application, no approval line


def test_label_without_title(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["no-title"]
    assert m.drug == "Haloperidol" and m.label is not None
    doc = label_doc(real_store, m)
    own = top_section(doc)
    boxed = m.field("boxed_warning")
    assert boxed is not None and boxed.found
    for v in boxed.values:  # only the top-level boxed warning, not the boxes nested in the dosing section
        _, p = passage(real_store, v.spans[0].passage_id)
        assert own[p.ordinal] == ("34066-1", 0)
    dosing = m.field("dosing")
    assert dosing is not None and dosing.table
    assert "The precise mechanism of action has not been clearly established." in texts(m.field("mechanism"))
    cls = m.field("drug_class")
    assert cls is not None and not cls.found and cls.note  # the built-in lexicon does not know haloperidol


def test_unknown_name_with_real_labels(shared_data: Path, real_store: Store) -> None:
    from medref.errors import NotFoundError

    with pytest.raises(NotFoundError, match=r"(?i)did you mean: .*(adalimumab|humira)"):
        build_monograph("adalimunab", store=real_store, retriever=None, lexicon=Lexicon.load(None))


def test_patient_version_of_the_otc_label_gives_no_amounts(shared_data: Path, real_store: Store) -> None:
    m = build_monograph(
        "Triaminic", store=real_store, retriever=None, lexicon=Lexicon.load(None), audience="patient"
    )
    published = [v.text for f in fields(m) for v in f.values if v.spans]
    assert published and not [t for t in published if DOSE_AMOUNT.search(t) or "teaspoon" in t]
    assert m.field("active_ingredients") is None  # its lines state amounts per dose
    assert texts(m.field("dosing")) == [DOSING_SENTENCE]
    assert m.field("dosing").values[0].spans  # type: ignore[union-attr]
