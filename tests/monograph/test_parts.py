"""The monograph's parts on their own: names, tables, Drugs@FDA reading, approval order, label tree."""

from __future__ import annotations

import datetime as dt
import zipfile
from pathlib import Path

from medref.models import Document, DocumentRef, Passage, SourceKind
from medref.monograph import approval as ap
from medref.monograph.dosing import sentence_row
from medref.monograph.label import LabelView
from medref.monograph.names import ingredients, strip_salts, suggest
from medref.store.repository import Store
from tests.monograph.checks import texts


def _ref(uid: str = "spl:x:v1") -> DocumentRef:
    return DocumentRef(uid=uid, kind=SourceKind.DRUG_LABEL, title="t", evidence_level=1)


def test_salt_words_and_ingredients() -> None:
    assert strip_salts("Atorvastatin Calcium") == "atorvastatin"
    assert strip_salts("sodium chloride") == "sodium chloride"  # nothing but salt words: kept
    assert ingredients("Diphenhydramine HCl, Phenylephrine HCl") == [
        "Diphenhydramine HCl",
        "Phenylephrine HCl",
    ]
    assert ingredients("abacavir and lamivudine") == ["abacavir", "lamivudine"]


def test_suggestions_are_close_names() -> None:
    names = {n.casefold(): n for n in ["Belatacept", "Abatacept", "Etanercept", "Atorvastatin"]}
    assert suggest("belatacpet", names)[0] == "Belatacept"
    assert suggest("zzzzzz", names) == []


def test_dosing_cells_come_from_the_sentence() -> None:
    row = sentence_row("The usual dose for adults with gout is 100 mg by mouth twice daily for 7 days.")
    assert row == ["100 mg", "twice daily", "by mouth", "for 7 days", "adults with gout"]
    assert sentence_row("Store at room temperature.") is None
    assert sentence_row("Reconstitute each 100 mg vial with 10 mL of water.") is None
    assert sentence_row("Give 5 mg/kg.", heading="Renal Impairment") == [
        "5 mg/kg",
        "",
        "",
        "",
        "Renal Impairment",
    ]


def _label(sections: list[dict[str, object]], passages: list[Passage]) -> Document:
    return Document(
        uid="spl:s:v1",
        kind=SourceKind.DRUG_LABEL,
        title="t",
        spl_setid="s",
        spl_version=1,
        passages=passages,
        meta={"sections": sections},
    )


def _p(ordinal: int, section: str, loinc: str) -> Passage:
    return Passage(
        ordinal=ordinal,
        section=section,
        text=f"Text {ordinal} here.",
        start=0,
        end=14,
        loinc=loinc,
        id=f"spl:s:v1#{ordinal}",
    )


def test_label_view_reads_sections_through_unclassified_children() -> None:
    sections = [
        {
            "loinc": "34084-4",
            "title": "ADVERSE REACTIONS",
            "path": "ADVERSE REACTIONS",
            "depth": 0,
            "passages": [0],
        },
        {
            "loinc": "42229-5",
            "title": "Trials",
            "path": "ADVERSE REACTIONS > Trials",
            "depth": 1,
            "passages": [1],
        },
        {
            "loinc": "42229-5",
            "title": "Unclassified",
            "path": "ADVERSE REACTIONS > Trials",
            "depth": 2,
            "passages": [2],
        },
        {"loinc": "34068-7", "title": "DOSAGE", "path": "DOSAGE", "depth": 0, "passages": []},
        {
            "loinc": "34066-1",
            "title": "Boxed Warning",
            "path": "DOSAGE > Boxed Warning",
            "depth": 1,
            "passages": [3],
        },
    ]
    plist = [
        _p(0, "ADVERSE REACTIONS", "34084-4"),
        _p(1, "ADVERSE REACTIONS > Trials", "42229-5"),
        _p(2, "ADVERSE REACTIONS > Trials", "42229-5"),
        _p(3, "DOSAGE > Boxed Warning", "34066-1"),
    ]
    view = LabelView(_label(sections, plist))
    assert [p.ordinal for p in view.passages(["34084-4"])] == [0, 1, 2]
    assert [p.ordinal for p in view.passages(["34068-7"])] == [3]
    assert view.passages(["34066-1"], top_only=True) == [] and not view.has(["34066-1"], top_only=True)
    assert view.has(["34066-1"])
    # stored without a section list: the passages' own codes
    bare = LabelView(_label([], plist))
    assert [p.ordinal for p in bare.passages(["34084-4"])] == [0]


def _zip(tmp: Path) -> Path:
    """A tiny file in the Drugs@FDA layout, for an invented product."""
    path = tmp / "drugsatfda.zip"
    files = {
        "Products.txt": "ApplNo\tProductNo\tForm\tStrength\tReferenceDrug\tDrugName\tActiveIngredient\tReferenceStandard\r\n"
        "777001\t001\tINJECTABLE;INJECTION\t50MG\t0\tXAMPLO\tEXAMPLIMAB\t0\r\n"
        "077002\t001\tINJECTABLE;INJECTION\t50MG\t0\tEXAMPLIMAB\tEXAMPLIMAB SODIUM\t0\r\n",
        "Applications.txt": "ApplNo\tApplType\tApplPublicNotes\tSponsorName\r\n777001\tBLA\t\tEXAMPLAR BIO\r\n"
        "077002\tANDA\t\tOTHER MAKER\r\n",
        "Submissions.txt": "ApplNo\tSubmissionClassCodeID\tSubmissionType\tSubmissionNo\tSubmissionStatus\t"
        "SubmissionStatusDate\tSubmissionsPublicNotes\tReviewPriority\r\n"
        "777001\t7\tORIG\t1\tAP\t2020-05-04 00:00:00\t\tSTANDARD\r\n777001\t3\tSUPPL\t2\tAP\t2022-01-01 00:00:00\t\t\r\n"
        "077002\t7\tORIG\t1\tAP\t2023-02-03 00:00:00\t\tSTANDARD\r\n",
        "MarketingStatus.txt": "MarketingStatusID\tApplNo\tProductNo\r\n1\t777001\t001\r\n3\t077002\t001\r\n",
        "MarketingStatus_Lookup.txt": "MarketingStatusID\tMarketingStatusDescription\r\n1\tPrescription\r\n3\tDiscontinued\r\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            zf.writestr(name, text)
    return path


def test_drugsatfda_reading_and_the_order_of_approval_evidence(tmp_path: Path) -> None:
    fda = ap.load_drugsatfda(_zip(tmp_path))
    assert fda is not None and ap.load_drugsatfda(tmp_path / "missing.zip") is None
    apps = fda.find(ingredient_sets=[frozenset({"examplimab"})], brands={"Xamplo"}, sponsor=None)
    assert [a.number for a in apps] == ["BLA777001", "ANDA077002"]  # salt words dropped: same ingredient
    assert apps[0].original_date == dt.date(2020, 5, 4) and apps[0].statuses == ["Prescription"]
    label = Document(
        uid="spl:e:v1",
        kind=SourceKind.DRUG_LABEL,
        title="t",
        spl_setid="e",
        spl_version=1,
        meta={"initial_us_approval": "2019", "document_type": "HUMAN PRESCRIPTION DRUG LABEL"},
    )
    trial = Document(
        uid="nct:NCT1",
        kind=SourceKind.TRIAL_REGISTRATION,
        title="t",
        nct_id="NCT1",
        meta={"phases": ["PHASE2"]},
    )
    keys = [frozenset({"examplimab"})]
    r = ap.approval(
        ingredient_sets=keys, brands={"Xamplo"}, names=set(), label=label, trials=[trial], fda=fda
    )
    assert r.status == "approved" and r.quotes[0].text.startswith("BLA777001: XAMPLO (EXAMPLIMAB)")
    assert "original approval 2020-05-04" in r.quotes[0].text and "ANDA077002" in r.quotes[1].text
    r = ap.approval(ingredient_sets=keys, brands=set(), names=set(), label=label, trials=[trial], fda=None)
    assert r.status == "approved" and r.quotes[0].text == "Initial U.S. approval: 2019"
    r = ap.approval(ingredient_sets=keys, brands=set(), names=set(), label=None, trials=[trial], fda=None)
    assert r.status == "investigational" and "NCT1" in r.quotes[0].text and "phase 2" in r.quotes[0].text
    r = ap.approval(
        ingredient_sets=[frozenset({"other"})], brands=set(), names=set(), label=None, trials=[], fda=fda
    )
    assert r.status == "unknown" and not r.quotes and r.note


def test_belatacept_approval_from_the_real_drugsatfda(shared_data: Path, real_store: Store) -> None:
    from medref.monograph import build_monograph
    from medref.retrieve.lexicon import Lexicon

    zip_path = shared_data / "fda_spl" / "drugsatfda.zip"
    m = build_monograph(
        "belatacept", store=real_store, retriever=None, lexicon=Lexicon.load(None), drugsatfda=zip_path
    )
    assert m.approval_status == "approved"
    assert (
        "BLA125288" in texts(m.field("approval_status"))[0]
        and "2011-06-15" in texts(m.field("approval_status"))[0]
    )
    assert "Nulojix" in texts(m.field("brand_names"))
    assert m.data_as_of == dt.date(2025, 3, 15)  # the label is newer than the Drugs@FDA dump
