"""Monographs over the demo corpus (and a tiny invented oncology label), with and without a retriever."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from medref.compose.patient import DOSE_AMOUNT, DOSING_SENTENCE
from medref.errors import NotFoundError, QueryError
from medref.ingest.pipeline import ingest_paths
from medref.models import NOT_FOUND, Audience, Monograph
from medref.monograph import build_monograph
from medref.monograph.builder import NO_LABEL
from medref.monograph.render import missing_line, to_text
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.store.repository import Store
from tests.monograph.checks import check_citations, fields, passage, texts
from tests.monograph.conftest import FIXTURES

BELATACEPT_V2 = "spl:00000000-4d3e-4000-8000-00000000be1a:v2"
BELATACEPT_V1 = "spl:00000000-4d3e-4000-8000-00000000be1a:v1"


@pytest.fixture(scope="module")
def belatacept(demo: tuple[Store, Retriever], lexicon: Lexicon) -> Monograph:
    store, retriever = demo
    return build_monograph("belatacept", store=store, retriever=retriever, lexicon=lexicon)


@pytest.fixture(scope="module")
def letolizumab(demo: tuple[Store, Retriever], lexicon: Lexicon) -> Monograph:
    store, retriever = demo
    return build_monograph("letolizumab", store=store, retriever=retriever, lexicon=lexicon)


def test_belatacept_uses_the_newest_label_version(
    demo: tuple[Store, Retriever], belatacept: Monograph
) -> None:
    store, _ = demo
    m = belatacept
    assert m.label is not None and m.label.uid == BELATACEPT_V2 and m.label.spl_version == 2
    assert m.label_note == (
        "Label version 2 (effective 2025-03-15) used; version 1 is superseded and kept as history."
    )
    cited = {c.doc_uid for f in fields(m) for v in f.values for c in v.spans}
    assert BELATACEPT_V2 in cited and BELATACEPT_V1 not in cited
    assert f"medref label diff {m.label.spl_setid}" in to_text(m)  # the CLI page points to the diff
    assert any("plus or minus 3 days" in t for t in texts(m.field("dosing")))  # version 2's wording
    check_citations(m, store)


def test_belatacept_fields(belatacept: Monograph) -> None:
    m = belatacept
    assert m.drug == "Belatacept" and m.query == "belatacept"
    assert any("post-transplant lymphoproliferative disorder" in t for t in texts(m.field("boxed_warning")))
    assert "DrugBank: DB06681" in texts(m.field("codes"))
    assert texts(m.field("route")) == ["Intravenous"]
    ar = m.field("common_adverse_reactions")
    assert ar is not None and ar.table
    assert {r[0] for r in ar.table[1:]} >= {"Anemia", "Diarrhea", "Urinary tract infection"}
    dosing = m.field("dosing")
    assert dosing is not None and dosing.table
    assert ["5 mg/kg", "every 4 weeks"] in [r[:2] for r in dosing.table[1:]]
    assert not any("250 mg" in r[0] for r in dosing.table[1:])  # a vial strength is not a dose
    # literature adds efficacy after the label, and research areas from the studies
    eff = m.field("clinical_efficacy")
    assert eff is not None and eff.values[0].spans[0].doc_uid == BELATACEPT_V2
    assert any(c.doc_uid.startswith("pmid:") for v in eff.values for c in v.spans)
    assert any("systematic review" in t for t in texts(m.field("research_areas")))
    # no Drugs@FDA file given: the demo label states no approval, so the status is unknown
    assert m.approval_status == "unknown"
    assert m.data_as_of is not None and m.data_as_of.isoformat() == "2025-03-15"


def test_letolizumab_is_investigational_with_honest_empty_fields(
    demo: tuple[Store, Retriever], letolizumab: Monograph
) -> None:
    store, _ = demo
    m = letolizumab
    assert m.approval_status == "investigational" and m.label is None and m.label_note is None
    check_citations(m, store)
    approval = m.field("approval_status")
    assert approval is not None and "NCT99000001" in approval.values[0].text
    refs = {r.number: r.document.uid for r in m.references}
    assert "nct:NCT99000001" in {refs[n] for n in approval.values[0].citations}
    for key in (
        "boxed_warning",
        "contraindications",
        "indications_oncological",
        "dose_pregnancy",
        "interactions",
    ):
        f = m.field(key)
        assert f is not None and not f.found and f.note and NO_LABEL in f.note, key
    dosing = m.field("dosing")
    assert dosing is not None and dosing.table and dosing.note and "not approved dosing" in dosing.note
    assert dosing.table[1][:4] == ["15 mg/kg", "every 4 weeks", "Intravenous", "through month 12"]
    route = m.field("route")
    assert route is not None and route.values[0].text == "Intravenous"
    _, p = passage(store, route.values[0].spans[0].passage_id)
    assert p.section == "Interventions"
    assert any("Kidney Transplant" in t for t in texts(m.field("research_areas")))
    assert any("9 of 24" in t for t in texts(m.field("clinical_efficacy")))
    assert any(t == "BMS-986004" for t in texts(m.field("synonyms")))


def test_without_a_retriever_the_store_is_searched(demo: tuple[Store, Retriever], lexicon: Lexicon) -> None:
    store, _ = demo
    m = build_monograph("letolizumab", store=store, retriever=None, lexicon=lexicon)
    assert any("9 of 24" in t for t in texts(m.field("clinical_efficacy")))
    assert any("text search" in n for n in m.notes)
    check_citations(m, store)


def test_unknown_name_suggests_the_closest(demo: tuple[Store, Retriever], lexicon: Lexicon) -> None:
    store, retriever = demo
    with pytest.raises(NotFoundError) as err:
        build_monograph("belatacpet", store=store, retriever=retriever, lexicon=lexicon)
    message = str(err.value)
    assert message.startswith("unknown drug 'belatacpet'; did you mean: ")
    assert getattr(err.value, "suggestions", [])[0].lower() == "belatacept"
    assert message.split("did you mean: ")[1].split(",")[0].rstrip("?").lower() == "belatacept"
    with pytest.raises(NotFoundError, match="no similar drug name"):
        build_monograph("qqqqqqqqzz", store=store, retriever=retriever, lexicon=lexicon)
    with pytest.raises(QueryError):
        build_monograph("   ", store=store, retriever=retriever, lexicon=lexicon)


def test_names_reach_the_label_by_brand_and_set_id(demo: tuple[Store, Retriever], lexicon: Lexicon) -> None:
    store, _ = demo
    by_brand = build_monograph("Zorvanta", store=store, retriever=None, lexicon=lexicon)
    by_setid = build_monograph(
        "7c1e0d52-0b6a-4f3e-9a41-5e2f000000aa", store=store, retriever=None, lexicon=lexicon
    )
    assert by_brand.label == by_setid.label and by_brand.drug == "Exampletinib"


def test_oncological_split_table_reading_and_label_approval(
    demo: tuple[Store, Retriever], lexicon: Lexicon
) -> None:
    store, _ = demo
    m = build_monograph("exampletinib", store=store, retriever=None, lexicon=lexicon)
    check_citations(m, store)
    onc, other = m.field("indications_oncological"), m.field("indications_non_oncological")
    assert [t for t in texts(onc) if "lymphoma" in t] and not [t for t in texts(onc) if "rheumatoid" in t]
    assert [t for t in texts(other) if "rheumatoid" in t]
    assert onc is not None and onc.note and "Lymphoma" in onc.note
    ar = m.field("common_adverse_reactions")
    assert ar is not None and ar.table
    rows = {r[0]: r for r in ar.table[1:]}
    assert set(rows) == {"Fatigue", "Nausea", "Headache"}  # rash 9% is left out; placebo column ignored
    assert rows["Fatigue"][1] == "30 (25%)" and rows["Fatigue"][2].startswith("Zorvanta")
    dosing = m.field("dosing")
    assert dosing is not None and dosing.table
    assert dosing.table[1][:5] == [
        "200 mg",
        "once daily",
        "",
        "for 28 days",
        "Patients: Adults with lymphoma",
    ]
    assert any("100 mg once daily" in t for t in texts(m.field("dose_hepatic")))
    boxed = texts(m.field("boxed_warning"))
    assert boxed and not any("Swallow" in t for t in boxed)  # a nested 34066-1 box is not the boxed warning
    assert m.approval_status == "approved"
    assert texts(m.field("approval_status")) == ["Initial U.S. approval: 2021"]
    contra = m.field("contraindications")
    assert contra is not None and not contra.found and contra.note == "The label has no section for this."


def test_patient_version(demo: tuple[Store, Retriever], lexicon: Lexicon, belatacept: Monograph) -> None:
    store, retriever = demo
    m = build_monograph(
        "belatacept", store=store, retriever=retriever, lexicon=lexicon, audience=Audience.PATIENT
    )
    assert m.audience is Audience.PATIENT
    dosing = m.field("dosing")
    assert dosing is not None and dosing.table is None and texts(dosing) == [DOSING_SENTENCE]
    assert dosing.values[0].spans  # still cited
    published = [v.text for f in fields(m) for v in f.values if v.spans]
    assert not [t for t in published if DOSE_AMOUNT.search(t)], "a dose amount reached the patient page"
    assert not [t for t in published if re.search(r"\bmg\b", t)]
    ar = m.field("common_adverse_reactions")
    assert ar is not None and "Anemia" in texts(ar) and ar.table is None
    assert m.disclaimer != belatacept.disclaimer and "not medical advice" in m.disclaimer
    assert any(n.startswith("Reading grade") or "textstat" in n for n in m.notes)

    # the evidence is unchanged: every span of the patient page is a span of the clinician page
    def spans(page: Monograph) -> set[tuple[int, str, int, int]]:
        return {
            (c.number, c.passage_id, c.start, c.end) for f in fields(page) for v in f.values for c in v.spans
        }

    assert spans(m) <= spans(belatacept)
    check_citations(m, store, exact=False)


def test_text_rendering(belatacept: Monograph, letolizumab: Monograph) -> None:
    text = to_text(letolizumab)
    gaps = str(missing_line(letolizumab))  # fields with no source: one line under the page head
    assert gaps.startswith(f"{NOT_FOUND}: ") and "boxed warning" in gaps and gaps[:60] in text
    assert "REFERENCES" in text and "[1] Trial:" in text
    assert "Approval status: investigational" in text
    assert Monograph.model_validate_json(belatacept.model_dump_json()) == belatacept  # the --json form
    page = to_text(belatacept)
    assert "Label version 2" in page and page.rstrip().endswith(belatacept.disclaimer.split()[-1])


def test_a_drug_known_only_to_the_lexicon(demo: tuple[Store, Retriever], lexicon: Lexicon) -> None:
    store, retriever = demo
    m = build_monograph("golimumab", store=store, retriever=retriever, lexicon=lexicon)
    assert m.label is None and m.approval_status == "unknown" and m.references == []
    assert texts(m.field("generic_name")) == ["Golimumab"] and "DrugBank: DB06674" in texts(m.field("codes"))
    quoted = [f for f in fields(m) if any(v.spans for v in f.values)]
    assert quoted == []  # nothing in the store names it, so nothing is quoted
    overview = m.field("overview")
    assert overview is not None and overview.note == NO_LABEL
    assert m.data_as_of is None
    check_citations(m, store)


def test_two_label_sets_the_newest_is_used(tmp_path: Path, lexicon: Lexicon) -> None:
    source = (FIXTURES / "spl_zorvanta.xml").read_text()
    other = source.replace("5e2f000000aa", "5e2f000000bb").replace('"20240601"', '"20250101"')
    (tmp_path / "other.xml").write_text(other.replace("Examplar Oncology Ltd.", "Second Labeler Inc."))
    store = Store.open(f"sqlite:///{tmp_path / 's.sqlite'}")
    assert ingest_paths(store, [FIXTURES / "spl_zorvanta.xml", tmp_path / "other.xml"]).ok
    m = build_monograph("Zorvanta", store=store, retriever=None, lexicon=lexicon)
    assert m.label is not None and m.label.spl_setid == "7c1e0d52-0b6a-4f3e-9a41-5e2f000000bb"
    assert any("7c1e0d52-0b6a-4f3e-9a41-5e2f000000aa" in n and "not used" in n for n in m.notes)
    check_citations(m, store)
    store.close()


def test_a_comparator_in_a_trial_is_not_investigational(
    demo: tuple[Store, Retriever], lexicon: Lexicon
) -> None:
    store, retriever = demo
    m = build_monograph("tacrolimus", store=store, retriever=retriever, lexicon=lexicon)
    approval = m.field("approval_status")
    assert m.approval_status == "unknown" and approval is not None and not approval.found
    assert approval.note and "comparator" in approval.note and "NCT99000001" in approval.note
    assert any("Kidney Transplant" in t for t in texts(m.field("research_areas")))
