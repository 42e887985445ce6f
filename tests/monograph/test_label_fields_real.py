"""Label fields on the real FDA labels (../shared/data/fda_spl): each from the sections its mapping allows."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.models import Monograph
from medref.monograph.mapping import section_allowed
from medref.store.repository import Store
from tests.monograph.checks import fields, passage, section_codes, texts
from tests.monograph.conftest import REAL_LABELS, label_doc

CLINICAL_STUDIES = "34092-7"
CLIN_PHARM = "34090-1"


@pytest.mark.parametrize("key", list(REAL_LABELS))
def test_no_value_from_a_section_its_mapping_does_not_allow(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph], key: str
) -> None:
    m = real_monographs[key]
    doc = label_doc(real_store, m)
    checked = 0
    for f in fields(m):
        for v in f.values:
            for c in v.spans:
                if c.doc_uid != doc.uid:
                    continue
                ordinal = int(c.passage_id.rpartition("#")[2])
                assert section_allowed(doc, f.key, ordinal), (
                    f"{key}: {f.key} cites {c.passage_id}: {v.text!r}"
                )
                checked += 1
    assert checked > 20


def test_lipitor_adverse_table_read_across_every_dose_column(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    f = real_monographs["lipitor"].field("common_adverse_reactions")
    assert f is not None and f.table is not None
    rows = {r[0]: r for r in f.table[1:]}
    # the any-dose column is below 10% for all three; single dose columns are above it
    assert {"Nasopharyngitis", "Arthralgia", "Diarrhea"} <= set(rows)
    assert rows["Diarrhea"][1:3] == ["14.1", "40 mg N=604"]
    for row, v in zip(f.table[1:], f.values, strict=False):  # rows first, then stated incidences
        for figure in row[1].split("; "):
            assert figure in v.text.split(" | ")
            assert float(figure.rstrip("%")) > 10
        assert "Placebo" not in row[2]


def test_humira_every_indication_regimen_is_in_the_dosing_table(
    shared_data: Path, real_monographs: dict[str, Monograph]
) -> None:
    f = real_monographs["humira"].field("dosing")
    assert f is not None and f.table is not None
    quoted = texts(f)
    assert any("Day 29" in t and "maintenance dose of 40 mg every other week" in t for t in quoted)  # Crohn's
    assert any("Day 29" in t and "continue with a dose of 40 mg every other week" in t for t in quoted)  # UC
    populations = " ".join(r[4] for r in f.table[1:]).lower()
    for indication in ("rheumatoid arthritis", "crohn", "ulcerative colitis", "plaque psoriasis"):
        assert indication in populations, indication


def test_humira_serious_events_and_pretreatment_tests_come_from_clinical_sections(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["humira"]
    doc = label_doc(real_store, m)
    codes = section_codes(doc)
    serious = m.field("serious_adverse_events")
    tests = m.field("pretreatment_tests")
    assert serious is not None and tests is not None
    assert any("serious infections" in t for t in texts(serious))
    assert any("malignancies" in t.lower() and "fatal" in t for t in texts(serious))
    assert any(("latent" in t and "TB" in t) or "tuberculosis" in t for t in texts(tests))
    for f in (serious, tests):
        for v in f.values:
            _, p = passage(real_store, v.spans[0].passage_id)
            around = codes[p.ordinal]
            assert CLINICAL_STUDIES not in around and CLIN_PHARM not in around
            assert "Clinical Trials Experience" not in p.section


def test_lipitor_pregnancy_lactation_renal_and_interaction_doses(
    shared_data: Path, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["lipitor"]
    pregnancy = " ".join(texts(m.field("dose_pregnancy")))
    assert "contraindicated in women who are or may become pregnant" in pregnancy  # 8.1, Category X
    assert "breast milk" in " ".join(texts(m.field("dose_lactation")))
    assert "dosage adjustment in patients with renal dysfunction is not necessary" in " ".join(
        texts(m.field("dose_renal"))
    )
    interactions = texts(m.field("dose_interactions"))
    assert any("clarithromycin" in t and "20 mg" in t for t in interactions)
    assert any("nelfinavir" in t and "40 mg" in t for t in interactions)


def test_haloperidol_unclassified_population_sections_found_by_title(
    shared_data: Path, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["no-title"]
    assert any("teratogenic" in t for t in texts(m.field("dose_pregnancy")))  # WARNINGS > Usage in Pregnancy
    assert any("nursed" in t for t in texts(m.field("dose_lactation")))
    geriatric = texts(m.field("dose_geriatric"))
    assert any("0.5 mg" in t and "Geriatric" in t for t in geriatric)  # the dosage text for older patients


def test_serious_events_stand_alone_and_otc_cautions_are_not_serious_events(
    shared_data: Path, real_monographs: dict[str, Monograph]
) -> None:
    for key in ("humira", "lipitor", "no-title"):
        got = texts(real_monographs[key].field("serious_adverse_events"))
        assert got, key
        assert not [t for t in got if t.split()[0].lower() in {"these", "this", "it", "they"}], key
        assert len(got) == len({t.casefold() for t in got}), key
    serious = real_monographs["cough"].field("serious_adverse_events")
    assert serious is not None and not serious.found  # Drug Facts warnings are cautions, not events


def test_humira_paediatric_doses_from_the_dosing_table_headed_for_children(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    f = real_monographs["humira"].field("dose_pediatric")
    assert f is not None
    rows = [v for v in f.values if "20 mg every other week" in v.text and " | " in v.text]
    assert rows
    _, p = passage(real_store, rows[0].spans[0].passage_id)
    assert p.kind == "table" and p.table is not None and "Pediatric" in p.table[0][0]


def test_humira_incidences_stated_in_the_text_join_the_table(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    f = real_monographs["humira"].field("common_adverse_reactions")
    assert f is not None and f.table is not None
    stated = [v.text for v in f.values[len(f.table) - 1 :]]
    assert any("20% of patients treated with HUMIRA developed injection site reactions" in t for t in stated)
    assert not [t for t in stated if "antibod" in t.lower()]
    for v in f.values[len(f.table) - 1 :]:
        _, p = passage(real_store, v.spans[0].passage_id)
        assert p.kind != "table" and "Postmarketing" not in p.section


def test_dosing_conditions_follow_the_table(shared_data: Path, real_monographs: dict[str, Monograph]) -> None:
    for key, wanted in (("humira", "(Day 57)"), ("lipitor", "within 2 to 4 weeks")):
        f = real_monographs[key].field("dosing")
        assert f is not None and f.table is not None
        after = [v.text for v in f.values[len(f.table) - 1 :]]
        assert any(wanted in t for t in after), key
        assert not set(after) & {v.text for v in f.values[: len(f.table) - 1]}


def test_a_list_lead_brings_its_items(shared_data: Path, real_monographs: dict[str, Monograph]) -> None:
    got = texts(real_monographs["no-title"].field("warnings_precautions"))
    lead = next(i for i, t in enumerate(got) if t.endswith("cautiously to patients:"))
    assert got[lead + 1].startswith("-with severe cardiovascular disorders")


def test_haloperidol_without_an_interactions_section_quotes_its_precautions_on_drugs_given_together(
    shared_data: Path, real_store: Store, real_monographs: dict[str, Monograph]
) -> None:
    m = real_monographs["no-title"]
    got = texts(m.field("interactions"))
    assert any("lithium" in t for t in got) and any("rifampin" in t for t in got)
    assert any("anticoagulant" in t for t in got)
    doc = label_doc(real_store, m)
    codes = section_codes(doc)
    for v in m.field("interactions").values:  # type: ignore[union-attr]
        _, p = passage(real_store, v.spans[0].passage_id)
        assert {"34071-1", "42232-9"} & set(codes[p.ordinal])  # WARNINGS or PRECAUTIONS
