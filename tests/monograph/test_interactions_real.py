"""The interaction checker on the real labels (../shared/data), with the DrugBank + MeSH lexicon.

The lexicon is built once for the module from the shared data (about 20 s). Pairs are read from
the labels themselves: Humira's Drug Interactions and Warnings (abatacept, anakinra, live
vaccines, other TNF blockers), Lipitor's Drug Interactions, Dosage and Table 1 (clarithromycin,
cyclosporine, gemfibrozil, strong CYP3A4 inhibitors), the Triaminic Drug Facts "Do not use"
(MAO inhibitors), and pairs the labels do not name.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.monograph.interaction_terms import DrugTerms, drug_terms
from medref.monograph.interactions import InteractionPair, check_interactions
from medref.monograph.names import resolve
from medref.monograph.severity import Severity
from medref.retrieve.lexicon import Lexicon, build_default
from medref.store.repository import Store


@pytest.fixture(scope="module")
def full_lexicon(tmp_path_factory: pytest.TempPathFactory) -> Lexicon:
    from tests.conftest import SHARED_DATA

    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    out = tmp_path_factory.mktemp("lexicon") / "lexicon.jsonl.gz"
    build_default(SHARED_DATA, out)
    return Lexicon.load(out)


def _terms(store: Store, lexicon: Lexicon, drug: str) -> DrugTerms:
    return drug_terms(resolve(drug, store=store, lexicon=lexicon), lexicon)


def _pair(store: Store, lexicon: Lexicon, a: str, b: str) -> InteractionPair:
    return check_interactions([a, b], store=store, lexicon=lexicon).pairs[0]


@pytest.mark.parametrize(
    ("a", "b", "severity", "matched"),
    [
        ("Humira", "abatacept", Severity.AVOID, "abatacept"),
        ("Humira", "anakinra", Severity.AVOID, "anakinra"),
        ("Humira", "Typhoid Vaccine Live", Severity.AVOID, "live vaccines"),
        ("Humira", "infliximab", Severity.AVOID, "TNF blockers"),
        ("Lipitor", "clarithromycin", Severity.ADJUST_DOSE, "clarithromycin"),
        ("Lipitor", "cyclosporine", Severity.AVOID, "cyclosporine"),
        ("Lipitor", "gemfibrozil", Severity.AVOID, "gemfibrozil"),
        ("Lipitor", "ritonavir", Severity.AVOID, "ritonavir"),
        # "avoid ... the HIV protease inhibitor tipranavir plus ritonavir" is not about nelfinavir
        ("Lipitor", "nelfinavir", Severity.ADJUST_DOSE, "nelfinavir"),
        ("Triaminic", "phenelzine", Severity.CONTRAINDICATED, "monoamine oxidase inhibitor"),
    ],
)
def test_pairs_the_labels_name(
    shared_data: Path,
    real_store: Store,
    full_lexicon: Lexicon,
    a: str,
    b: str,
    severity: Severity,
    matched: str,
) -> None:
    pair = _pair(real_store, full_lexicon, a, b)
    assert pair.severity is severity
    assert matched.lower() in [f.matched.lower() for f in pair.findings]


def test_class_only_pairs(shared_data: Path, real_store: Store, full_lexicon: Lexicon) -> None:
    keto = _pair(real_store, full_lexicon, "Lipitor", "ketoconazole")
    assert any("CYP3A" in f.via and "3A4" in f.matched for f in keto.findings)
    fenofibrate = _pair(real_store, full_lexicon, "Lipitor", "fenofibrate")
    assert any("Fibric Acids" in f.via for f in fenofibrate.findings)


def test_own_class_is_not_an_interaction(shared_data: Path, real_store: Store, full_lexicon: Lexicon) -> None:
    pair = _pair(real_store, full_lexicon, "Humira", "infliximab")
    assert all("including HUMIRA" not in f.quote.text for f in pair.findings)


@pytest.mark.parametrize(
    ("a", "b"), [("Lipitor", "metformin"), ("Humira", "Lipitor"), ("haloperidol", "Humira")]
)
def test_pairs_with_no_interaction(
    shared_data: Path, real_store: Store, full_lexicon: Lexicon, a: str, b: str
) -> None:
    pair = _pair(real_store, full_lexicon, a, b)
    assert not pair.has_interaction
    assert pair.note is not None and pair.note.startswith("No interaction found in the sources.")


def test_no_change_statement(shared_data: Path, real_store: Store, full_lexicon: Lexicon) -> None:
    pair = _pair(real_store, full_lexicon, "Lipitor", "warfarin")
    assert [f.severity for f in pair.findings] == [Severity.NO_CHANGE]
    assert not pair.has_interaction


def test_narrower_class_in_the_sentence_is_not_the_broad_class(
    shared_data: Path, real_store: Store, full_lexicon: Lexicon
) -> None:
    # MeSH files ACE inhibitors under Protease Inhibitors; the label's "HIV protease inhibitors" do not cover them
    pair = _pair(real_store, full_lexicon, "Lipitor", "lisinopril")
    assert pair.findings == []


def test_otc_list_names_a_class_of_the_products_own_ingredient(
    shared_data: Path, real_store: Store, full_lexicon: Lexicon
) -> None:
    pair = _pair(real_store, full_lexicon, "Triaminic", "lorazepam")
    assert pair.severity is Severity.MONITOR
    assert (
        pair.findings[0].matched == "sedatives" and "Ask a doctor or pharmacist" in pair.findings[0].section
    )


@pytest.mark.parametrize(
    ("drug", "sentence", "matched"),
    [
        ("nitroglycerin", "Do not give it to patients who use organic nitrates.", "nitrates"),
        ("isosorbide mononitrate", "Do not give it to patients who use organic nitrates.", "nitrates"),
        ("doxazosin", "Take care when it is given with alpha-blockers.", "alpha-blockers"),
        ("sildenafil", "Do not combine it with other PDE5 inhibitors.", "PDE5 inhibitors"),
        ("ketoconazole", "Exposure rises with strong inhibitors of CYP 3A4.", "inhibitors of CYP 3A4"),
    ],
)
def test_class_words_written_in_our_own_sentences(
    shared_data: Path, real_store: Store, full_lexicon: Lexicon, drug: str, sentence: str, matched: str
) -> None:
    assert matched in [h.surface for h in _terms(real_store, full_lexicon, drug).find(sentence)]


def test_salt_word_alone_is_not_a_chemical_class(
    shared_data: Path, real_store: Store, full_lexicon: Lexicon
) -> None:
    terms = _terms(real_store, full_lexicon, "miconazole nitrate")
    assert terms.find("Do not give it to patients who use organic nitrates.") == []
