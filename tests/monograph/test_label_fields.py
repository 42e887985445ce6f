"""Label fields from the sections their mapping allows, on a tiny illustrative SPL label.

The Fendorin fixture (invented, in our own words) has a dose-ranging adverse reaction table
(25 / 50 / 100 mg and placebo), a starting dose that names older patients, hepatic and renal
impairment in one sentence, a dose limit with strong CYP3A4 inhibitors, a postmarketing serious
event, an observational-study sentence in Warnings and Precautions, and a Use in Specific
Populations section and "8.1 Pregnancy" sub-section coded 42229-5 (unclassified).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.compose.sentences import Entity
from medref.ingest.pipeline import ingest_paths
from medref.models import Document, Monograph, Passage, SourceKind
from medref.monograph import build_monograph
from medref.monograph.evidence import Quote
from medref.monograph.label import LabelView
from medref.monograph.label_fields import LabelFields
from medref.monograph.mapping import MAPPING, REGIONS, section_allowed
from medref.monograph.patterns import KEEPS
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store
from tests.monograph.checks import check_citations, fields, passage, texts
from tests.monograph.conftest import FIXTURES, label_doc

START = "Start at 25 mg once daily in patients older than 65 years, in hepatic impairment and in severe renal impairment."


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Monograph, Document]]:
    tmp: Path = tmp_path_factory.mktemp("fendorin")
    store = Store.open(f"sqlite:///{tmp / 'f.sqlite'}")
    assert ingest_paths(store, [FIXTURES / "spl_fendorin.xml"]).ok
    m = build_monograph("Fendorin", store=store, retriever=None, lexicon=Lexicon.load(None))
    yield store, m, label_doc(store, m)
    store.close()


def _ordinal(passage_id: str) -> int:
    return int(passage_id.rpartition("#")[2])


def test_every_value_is_verbatim_and_in_a_section_its_mapping_allows(
    built: tuple[Store, Monograph, Document],
) -> None:
    store, m, doc = built
    assert check_citations(m, store) > 5
    outside = [
        (f.key, v.text)
        for f in fields(m)
        for v in f.values
        for c in v.spans
        if c.doc_uid == doc.uid and not section_allowed(doc, f.key, _ordinal(c.passage_id))
    ]
    assert outside == []


def test_dose_ranging_table_keeps_reactions_above_10_percent_in_any_dose(
    built: tuple[Store, Monograph, Document],
) -> None:
    f = built[1].field("common_adverse_reactions")
    assert f is not None and f.table is not None
    rows = {r[0]: r for r in f.table[1:]}
    assert set(rows) == {"Headache", "Flushing", "Indigestion", "Blurred vision"}  # back pain: placebo only
    assert rows["Flushing"][1:3] == ["19; 15", "Fendorin 50 mg (N=200); Fendorin 100 mg (N=200)"]
    assert rows["Blurred vision"][2] == "Fendorin 100 mg (N=200)"
    assert "Placebo (N=200): 1" in rows["Flushing"][3]


def test_unclassified_pregnancy_section_found_by_its_title(built: tuple[Store, Monograph, Document]) -> None:
    store, m, _ = built
    f = m.field("dose_pregnancy")
    assert f is not None and f.found
    assert any("Pregnancy Category B" in t for t in texts(f))
    for v in f.values:
        _, p = passage(store, v.spans[0].passage_id)
        assert "Pregnancy" in p.section


def test_starting_dose_sentence_fills_renal_hepatic_and_geriatric_before_pharmacokinetics(
    built: tuple[Store, Monograph, Document],
) -> None:
    m = built[1]
    for key in ("dose_renal", "dose_hepatic", "dose_geriatric"):
        assert texts(m.field(key))[0] == START, key
    renal = texts(m.field("dose_renal"))
    assert renal[1].startswith("Exposure to examplafil doubled")  # 8.6 after Dosage and Administration
    assert START not in texts(m.field("dose_pediatric"))


def test_dose_with_interacting_drugs(built: tuple[Store, Monograph, Document]) -> None:
    assert texts(built[1].field("dose_interactions")) == [
        "In patients taking strong CYP3A4 inhibitors, do not exceed 25 mg in 48 hours."
    ]


def test_serious_events_from_warnings_and_postmarketing_not_trials(
    built: tuple[Store, Monograph, Document],
) -> None:
    got = texts(built[1].field("serious_adverse_events"))
    assert "Fendorin can lower blood pressure enough to cause fainting." in got
    assert any(t.startswith("Serious heart events, including heart attack and sudden death") for t in got)
    assert not [t for t in got if "study" in t or "trial" in t]


def test_pretreatment_tests_are_label_instructions_not_study_text(
    built: tuple[Store, Monograph, Document],
) -> None:
    got = texts(built[1].field("pretreatment_tests"))
    assert got == ["Check blood pressure before starting Fendorin."]


def test_section_allowed_by_field(built: tuple[Store, Monograph, Document]) -> None:
    _, _, doc = built
    studies = next(p.ordinal for p in doc.passages if p.section.startswith("CLINICAL STUDIES"))
    pregnancy = next(p.ordinal for p in doc.passages if p.section.endswith("> Pregnancy"))
    assert section_allowed(doc, "clinical_efficacy", studies)
    assert not section_allowed(doc, "pretreatment_tests", studies)
    assert section_allowed(doc, "dose_pregnancy", pregnancy)
    adverse = next(p.ordinal for p in doc.passages if p.section.startswith("ADVERSE REACTIONS"))
    assert not section_allowed(doc, "dose_renal", adverse)
    assert section_allowed(doc, "common_adverse_reactions", adverse)
    assert not section_allowed(doc, "generic_name", pregnancy)  # not a label-section field


def test_mapping_names_known_regions_and_filters() -> None:
    for m in MAPPING.values():
        for tier in (*m.tiers, m.otc):
            for src in tier:
                assert src.region in REGIONS or src.region == "clinical", (m.key, src.region)
                assert (
                    not src.keep
                    or src.keep in KEEPS
                    or src.keep.startswith("names the population")
                    or (
                        src.keep
                        in {
                            "states a dose",
                            "names a neoplasm",
                            "names no neoplasm",
                            "results with a figure or comparison",
                            "table rows above 10% in any drug column",
                            "sub-section titles and their lead sentence",
                            "an action",
                            "overdose",
                            "imperative wording",
                            "names a class",
                        }
                    )
                ), (m.key, src.keep)


def test_every_mapped_field_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "monograph-fields.md").read_text()
    assert [k for k in MAPPING if f"| `{k}` |" not in doc] == []


def _doc(sections: list[dict[str, object]], texts_by_section: list[tuple[str, str]]) -> Document:
    passages = [
        Passage(ordinal=i, section=sec, text=t, start=0, end=len(t), id=f"spl:h:v1#{i}")
        for i, (sec, t) in enumerate(texts_by_section)
    ]
    return Document(
        uid="spl:h:v1",
        kind=SourceKind.DRUG_LABEL,
        title="t",
        spl_setid="h",
        spl_version=1,
        passages=passages,
        meta={"sections": sections},
    )


def test_a_dose_statement_only_in_the_highlights_still_leads_the_renal_field() -> None:
    doc = _doc(
        [
            {"loinc": "34068-7", "title": "DOSAGE AND ADMINISTRATION", "depth": 0, "passages": [0, 1]},
            {"loinc": "42229-5", "title": "USE IN SPECIFIC POPULATIONS", "depth": 0, "passages": []},
            {"loinc": "42229-5", "title": "Renal Impairment", "depth": 1, "passages": [2]},
        ],
        [
            ("DOSAGE AND ADMINISTRATION", "Take one tablet with water when needed."),
            ("Highlights: DOSAGE AND ADMINISTRATION", "Begin with 25 mg in severe renal impairment (2.3)."),
            (
                "USE IN SPECIFIC POPULATIONS > Renal Impairment",
                "Exposure rose in volunteers with renal impairment.",
            ),
        ],
    )
    drug = Entity(name="Examplafil", names=("Examplafil",), kind="drug", primary=("Examplafil",))
    lf = LabelFields(LabelView(doc), drug, Lexicon.load(None))
    assert texts_of(lf.population("dose_renal", "Renal impairment").quotes) == [
        "Begin with 25 mg in severe renal impairment (2.3).",
        "Exposure rose in volunteers with renal impairment.",
    ]
    assert section_allowed(doc, "dose_renal", 1) and section_allowed(doc, "dose_renal", 2)
    assert not section_allowed(doc, "common_adverse_reactions", 2)


def texts_of(quotes: list[Quote]) -> list[str]:
    return [q.text for q in quotes]


def test_sentence_patterns_for_label_fields() -> None:
    from medref.monograph.patterns import above_ten_percent, is_cross_reference, is_pretreatment

    assert is_cross_reference("Warnings and Precautions, Skeletal Muscle (5.1), Clinical Pharmacology (12.3)")
    assert not is_cross_reference(
        "Malignancies [see Warnings and Precautions (5.2)]"
    )  # an item with its pointer
    assert not is_cross_reference("Fendorin is indicated for leg cramps (1.1).")
    assert above_ten_percent("Flushing occurred in 19% of patients given Fendorin and 1% on placebo.")
    assert not above_ten_percent("Flushing occurred in 9% of patients.")
    assert is_pretreatment("Prior to starting Fendorin, test patients for anaemia.")
    assert not is_pretreatment("In an observational study, patients were tested before starting treatment.")
    assert not is_pretreatment("Monitor patients who tested negative before starting treatment.")


def test_paediatric_sentences_are_about_treating_children() -> None:
    from medref.monograph.patterns import KEEPS, POPULATION_DOSE

    children = KEEPS["names children"]
    assert children("Safety in children younger than 6 years has not been established.")
    assert not children("Women taking Fendorin should not breastfeed because of risks to nursing infants.")
    assert not children("In rats given 50 mg/kg/day, fewer pups survived to weaning.")
    assert POPULATION_DOSE["dose_pediatric"]("Children 6 to 11 years: 5 mg once daily.")
    assert not POPULATION_DOSE["dose_pediatric"]("Juvenile rats given 5 mg/kg showed no effect on growth.")


def test_a_label_stored_without_its_section_list_is_read_by_passage_codes() -> None:
    passages = [
        Passage(
            ordinal=0,
            section="PREGNANCY",
            text="Pregnancy Category C applies here.",
            start=0,
            end=34,
            loinc="42228-7",
            id="spl:n:v1#0",
        ),
        Passage(
            ordinal=1,
            section="MECHANISM",
            text="Examplafil blocks the example enzyme.",
            start=0,
            end=37,
            loinc="43679-0",
            id="spl:n:v1#1",
        ),
    ]
    doc = Document(
        uid="spl:n:v1",
        kind=SourceKind.DRUG_LABEL,
        title="t",
        spl_setid="n",
        spl_version=1,
        passages=passages,
        meta={},
    )
    drug = Entity(name="Examplafil", names=("Examplafil",), kind="drug", primary=("Examplafil",))
    lf = LabelFields(LabelView(doc), drug, Lexicon.load(None))
    assert texts_of(lf.population("dose_pregnancy", "Pregnancy").quotes) == [
        "Pregnancy Category C applies here."
    ]
    assert texts_of(lf.mechanism().quotes) == ["Examplafil blocks the example enzyme."]
    assert section_allowed(doc, "dose_pregnancy", 0) and not section_allowed(doc, "dose_pregnancy", 1)
