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

from medref.monograph.interactions import InteractionPair, check_interactions
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
        ("Lipitor", "ritonavir", Severity.AVOID, "HIV protease inhibitor"),
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
