"""The interaction checker on a tiny illustrative label (tests/monograph/fixtures/spl_quorvex.xml).

The lexicon here is made in the test: invented drugs and two classes, so every rule (name, MeSH
class, multiplier-prefix name, no-change wording, co-use filter, no label) is exercised without
the shared data.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.ingest.pipeline import ingest_paths
from medref.monograph.interactions import UnknownDrugsError, check_interactions
from medref.monograph.severity import Severity, classify
from medref.retrieve.lexicon import Concept, Lexicon
from medref.store.repository import Store

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "spl_quorvex.xml"


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    cyp = "Cytochrome P-450 CYP3A Inhibitors"
    return Lexicon(
        [
            Concept("D1", "drug", "Quorvastide", synonyms=("Quorvex",)),
            Concept("D2", "drug", "Ketozolin", classes=(cyp,)),
            Concept("D3", "drug", "Examplomab"),
            Concept("D4", "drug", "Exampsorbide dinitrate"),
            Concept("D5", "drug", "Examplacid", classes=("Antacids",)),
            Concept("D6", "drug", "Exampleprofen"),
            Concept("D7", "drug", "Otherzine"),
            Concept("C1", "other", cyp, synonyms=("CYP3A4 Inhibitors",), is_class=True),
            Concept("C2", "other", "Antacids", synonyms=("Antacid",), is_class=True),
        ],
        source="test",
    )


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    s = Store.open(f"sqlite:///{tmp_path_factory.mktemp('interactions') / 'x.sqlite'}")
    assert ingest_paths(s, [FIXTURE]).ok
    yield s
    s.close()


def _pair(store: Store, lexicon: Lexicon, other: str):  # type: ignore[no-untyped-def]
    report = check_interactions(["Quorvex", other], store=store, lexicon=lexicon)
    assert len(report.pairs) == 1
    return report, report.pairs[0]


def test_class_named_in_interactions_and_dosing(store: Store, lexicon: Lexicon) -> None:
    report, pair = _pair(store, lexicon, "ketozolin")
    assert pair.severity is Severity.ADJUST_DOSE and pair.has_interaction
    assert {f.section.split(" > ")[0] for f in pair.findings} >= {
        "Drug interactions",
        "Dosage and administration",
    }
    first = pair.findings[0]
    assert first.label_of == "Quorvastide" and "cyp3a4 inhibitors" in first.matched.lower()
    assert "Cytochrome P-450 CYP3A Inhibitors" in first.via
    # every quote is the exact span of a stored passage
    doc = store.get_document(report.drugs[0].doc_uid or "")
    texts = {p.id: p.text for p in doc.passages}
    for f in pair.findings:
        span = f.quote.spans[0]
        assert texts[span.passage_id][span.start : span.end] == f.quote.text
        assert f.quote.citations == [1]
    assert [r.number for r in report.references] == [1]


def test_named_drug_avoid(store: Store, lexicon: Lexicon) -> None:
    _, pair = _pair(store, lexicon, "Examplomab")
    assert pair.severity is Severity.AVOID
    assert pair.findings[0].quote.text.startswith("Giving Quorvex together with examplomab")


def test_chemical_class_by_name_is_contraindicated(store: Store, lexicon: Lexicon) -> None:
    _, pair = _pair(store, lexicon, "exampsorbide dinitrate")
    assert pair.severity is Severity.CONTRAINDICATED
    assert pair.findings[0].matched == "nitrates" and "dinitrate" in pair.findings[0].via


def test_no_change_is_shown_but_not_an_interaction(store: Store, lexicon: Lexicon) -> None:
    _, pair = _pair(store, lexicon, "examplacid")
    assert [f.severity for f in pair.findings] == [Severity.NO_CHANGE]
    assert not pair.has_interaction
    assert pair.note and "no change is needed" in pair.note


def test_mention_without_co_use_is_not_a_finding(store: Store, lexicon: Lexicon) -> None:
    _, pair = _pair(store, lexicon, "exampleprofen")
    assert pair.findings == []


def test_none_found_names_labels_searched_and_missing(store: Store, lexicon: Lexicon) -> None:
    _, pair = _pair(store, lexicon, "otherzine")
    assert pair.severity is None and pair.findings == []
    assert pair.note is not None
    assert pair.note.startswith("No interaction found in the sources.")
    assert "QUORVEX (quorvastide) tablets" in pair.note
    assert "No label for Otherzine is in the store" in pair.note


def test_same_drug_twice(store: Store, lexicon: Lexicon) -> None:
    report = check_interactions(["Quorvex", "quorvastide"], store=store, lexicon=lexicon)
    assert report.pairs[0].findings == [] and "same drug" in (report.pairs[0].note or "")


def test_unknown_names_get_suggestions(store: Store, lexicon: Lexicon) -> None:
    with pytest.raises(UnknownDrugsError) as err:
        check_interactions(["Quorvexx", "ketozolin", "examplomabb"], store=store, lexicon=lexicon)
    assert set(err.value.unknown) == {"Quorvexx", "examplomabb"}
    assert "Quorvex" in err.value.unknown["Quorvexx"]
    assert "Examplomab" in err.value.suggestions


@pytest.mark.parametrize(
    ("text", "kind", "expected"),
    [
        ("Anything at all.", "contraindications", Severity.CONTRAINDICATED),
        ("Use of the two drugs together is not recommended.", "interactions", Severity.AVOID),
        ("Patients may receive vaccinations, except for live vaccines.", "warnings", Severity.AVOID),
        ("Do not exceed 20 mg daily with this drug.", "interactions", Severity.ADJUST_DOSE),
        (
            "The data do not suggest the need for dose adjustment of either drug.",
            "interactions",
            Severity.NO_CHANGE,
        ),
        ("Patients taking digoxin should be monitored.", "interactions", Severity.MONITOR),
        ("Exposure rose twofold.", "interactions", Severity.MONITOR),
    ],
)
def test_severity_wording(text: str, kind: str, expected: Severity) -> None:
    assert classify(text, kind)[0] is expected
