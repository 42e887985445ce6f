"""A drug with no label (letolizumab in the demo corpus): its kind of agent and the conditions under
study, quoted from its trial registrations and never shown as indications."""

from __future__ import annotations

import pytest

from medref.models import Monograph
from medref.monograph import build_monograph
from medref.monograph.investigational import _after, _before, _described_as, _other_names
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.store.repository import Store
from tests.monograph.checks import check_citations, passage, texts


@pytest.fixture(scope="module")
def letolizumab(demo: tuple[Store, Retriever], lexicon: Lexicon) -> Monograph:
    store, retriever = demo
    return build_monograph("letolizumab", store=store, retriever=retriever, lexicon=lexicon)


def test_class_quotes_the_registration_words(demo: tuple[Store, Retriever], letolizumab: Monograph) -> None:
    store, _ = demo
    cls = letolizumab.field("drug_class")
    assert cls is not None and cls.found
    assert cls.note and "trial registrations" in cls.note and "not an approved class" in cls.note
    for v in cls.values:  # each value is an exact span of the registration, ending in an agent noun
        assert v.spans, v.text
        doc, p = passage(store, v.spans[0].passage_id)
        assert doc.uid == "nct:NCT99000001"
        assert p.text[v.spans[0].start : v.spans[0].end] == v.text
        assert v.text.rstrip(")").split()[-1].lower().startswith("antibod") or "antibody" in v.text.lower()
    assert "anti-CD40L domain antibody" in texts(cls)  # an intervention other name
    check_citations(letolizumab, store)


def test_conditions_under_study_are_not_indications(
    demo: tuple[Store, Retriever], letolizumab: Monograph
) -> None:
    store, _ = demo
    f = letolizumab.field("conditions_under_study")
    assert f is not None and "not approved indications" in f.title.lower()
    assert texts(f) == ["Kidney Transplantation", "Kidney Transplant Rejection"]
    for v in f.values:
        doc, p = passage(store, v.spans[0].passage_id)
        assert doc.uid == "nct:NCT99000001" and p.section == "Conditions"
    assert f.note and "NCT99000001" in f.note and "not approved indications" in f.note
    for key in ("indications_oncological", "indications_non_oncological"):
        ind = letolizumab.field(key)
        assert ind is not None and not ind.found
        assert ind.note and "Conditions under study" in ind.note


def test_a_comparator_gives_no_condition_under_study(demo: tuple[Store, Retriever], lexicon: Lexicon) -> None:
    store, retriever = demo
    m = build_monograph("tacrolimus", store=store, retriever=retriever, lexicon=lexicon)
    f = m.field("conditions_under_study")
    assert f is not None and not f.found
    assert f.note and "comparator" in f.note and "NCT99000001" in f.note


def test_a_labelled_drug_keeps_its_class_from_the_lexicon(
    demo: tuple[Store, Retriever], lexicon: Lexicon
) -> None:
    store, retriever = demo
    m = build_monograph("belatacept", store=store, retriever=retriever, lexicon=lexicon)
    cls = m.field("drug_class")
    assert cls is not None
    assert all(not v.spans for v in cls.values)  # no registration quotes for a drug with a label


@pytest.mark.parametrize(
    ("text", "name", "expected"),
    [
        (
            "whether letolizumab, an investigational domain antibody that blocks CD40 ligand (CD40L, CD154), can",
            "letolizumab",
            "an investigational domain antibody that blocks CD40 ligand (CD40L, CD154)",
        ),
        ("Zorbitan, a selective JAK1 inhibitor, was given", "Zorbitan", "a selective JAK1 inhibitor"),
        ("Zorbitan, an investigational agent, was given", "Zorbitan", None),  # says nothing
        ("Zorbitan, a novel inhibitor, was given", "Zorbitan", None),
        ("Zorbitan, given twice daily, is an inhibitor", "Zorbitan", None),
        (
            "Zorbitan is an oral JAK1 inhibitor that is taken daily.",
            "Zorbitan",
            "an oral JAK1 inhibitor that is taken daily",
        ),
    ],
)
def test_apposition_after_the_name(text: str, name: str, expected: str | None) -> None:
    got = _after(text, text.index(name) + len(name))
    assert (text[got[0] : got[1]] if got else None) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Study of the CD40L-Blocking Domain Antibody Zorbitan Compared With",
            "CD40L-Blocking Domain Antibody",
        ),
        ("Study of Oral Zorbitan in Adults", None),
        ("Study of the Novel Agent Zorbitan", None),
    ],
)
def test_apposition_before_the_name(text: str, expected: str | None) -> None:
    got = _before(text, text.index("Zorbitan"))
    assert (text[got[0] : got[1]] if got else None) == expected


def test_other_names_that_describe_an_agent() -> None:
    text = "Zorbitan (Drug): Oral, 10 mg daily. Other names: ZB-101, oral JAK1 inhibitor, Zorbix."
    got = [text[s:e] for s, e in _other_names(text, {"zorbitan"})]
    assert got == ["oral JAK1 inhibitor"]


def test_study_safety_findings_split_common_from_serious(
    demo: tuple[Store, Retriever], letolizumab: Monograph
) -> None:
    store, _ = demo
    common, serious = (
        letolizumab.field("common_adverse_reactions"),
        letolizumab.field("serious_adverse_events"),
    )
    assert common is not None and serious is not None
    assert texts(common) == ["Headache and fatigue were the most common adverse events."]
    assert common.note and "not label frequencies" in common.note
    assert "No thromboembolic events were observed." in texts(serious)
    assert not any("most common" in t for t in texts(serious))
    for v in [*common.values, *serious.values]:
        doc, _ = passage(store, v.spans[0].passage_id)
        assert doc.kind.value != "drug_label"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Zorbitan (Drug): A selective JAK1 inhibitor, 10 mg by mouth daily.", "A selective JAK1 inhibitor"),
        ("Zorbitan (Drug): Oral, 10 mg daily.", None),
        ("Zorbitan (Drug): An oral tablet taken daily.", None),
    ],
)
def test_intervention_description_that_says_what_the_drug_is(text: str, expected: str | None) -> None:
    got = _described_as(text)
    assert (text[got[0] : got[1]] if got else None) == expected
