"""Query analysis: entity detection, key entities, expansions, intent flags and the directness rule."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from medref.errors import QueryError
from medref.retrieve.lexicon import Lexicon, LexiconStats
from medref.retrieve.query import (
    MAX_ANALYSED_CHARS,
    QueryAnalysis,
    analyze,
    expansion_terms,
    matched_entities,
    mentions_entity,
    normalize_question,
)
from tests.retrieve.test_lexicon import real_lexicon

SYNTAX = set('"*():^~[]{}')


@pytest.fixture(scope="module")
def lx() -> Lexicon:
    return Lexicon.load(None)


def key_ids(a: QueryAnalysis) -> list[str]:
    return [c.id for c in a.key_entities]


def concept(lexicon: Lexicon, cid: str):  # type: ignore[no-untyped-def]
    c = lexicon.get(cid)
    assert c is not None, cid
    return c


# ------------------------------------------------------------------ detection and key entities
def test_drug_question(lx: Lexicon) -> None:
    a = analyze("Is belatacept recommended for EBV-seronegative kidney transplant recipients?", lx)
    assert key_ids(a) == ["DB06681"]
    assert {c.id for c in a.conditions} == {"D016030"}
    assert [m.concept.id for m in a.mentions] == ["DB06681", "D004854", "D016030"]
    assert a.is_role_question and not a.is_dosing
    for m in a.mentions:
        assert a.normalized[m.start : m.end] == m.surface


def test_class_question_has_the_class_as_key(lx: Lexicon) -> None:
    a = analyze("What is the role of CD40 ligand blockers in SLE?", lx)
    assert key_ids(a) == ["medref:cd40l-blockers"]
    assert a.classes and a.classes[0].id == "medref:cd40l-blockers"
    assert [c.id for c in a.conditions] == ["D008180"]
    assert a.is_role_question


def test_condition_only_question_falls_back_to_conditions(lx: Lexicon) -> None:
    a = analyze("What causes post-transplant lymphoproliferative disorder after kidney transplant?", lx)
    assert key_ids(a) == ["medref:ptld", "D016030"]


def test_other_concepts_are_the_last_resort(lx: Lexicon) -> None:
    assert key_ids(analyze("How is EBV spread?", lx)) == ["D004854"]
    assert key_ids(analyze("How are you today?", lx)) == []


def test_multiple_drugs_in_order(lx: Lexicon) -> None:
    a = analyze("Does atorvastatin (Lipitor) interact with ciclosporin?", lx)
    assert key_ids(a) == ["DB01076", "DB00091"]  # Lipitor is the same concept as atorvastatin
    assert a.is_safety


# ------------------------------------------------------------------ expansions and terms
def test_expansions_never_cross_to_another_drug(lx: Lexicon) -> None:
    bela = analyze("belatacept", lx).expansions["Belatacept"]
    assert {"LEA29Y", "Nulojix"} <= set(bela)
    assert not {"Abatacept", "Orencia", "CTLA4-Ig"} & set(bela)
    aba = analyze("abatacept", lx).expansions["Abatacept"]
    assert "Orencia" in aba and not {"Belatacept", "LEA29Y", "Nulojix"} & set(aba)
    for name, values in {**analyze("Humira or tacrolimus or LEA29Y", lx).expansions}.items():
        for v in values:
            assert [c.preferred for c in lx.lookup(v)] == [name], v


def test_class_expansions_list_members_and_target(lx: Lexicon) -> None:
    exp = analyze("anti-CD40L antibodies", lx).expansions["CD40 ligand blockers"]
    assert {"Letolizumab", "Dapirolizumab pegol", "Ruplizumab", "CD40L", "CD154"} <= set(exp)
    assert "Belatacept" not in exp and "Iscalimab" not in exp  # iscalimab targets CD40, not its ligand


def test_expansions_are_plain_text(lx: Lexicon) -> None:
    for c in lx:
        for s in expansion_terms(c, lx):
            assert not SYNTAX & set(s), (c.id, s)
            assert ", " not in s


def test_terms_drop_stopwords_and_syntax(lx: Lexicon) -> None:
    a = analyze('What is the role of "anti-CD40L" (dapirolizumab*) in lupus?', lx)
    assert a.terms == ("anti", "cd40l", "dapirolizumab", "lupus")
    assert a.expanded_terms[: len(a.terms)] == list(a.terms)
    assert "Dapirolizumab pegol" in a.expanded_terms
    assert all(not SYNTAX & set(t) for t in a.expanded_terms)


# ------------------------------------------------------------------ intent flags
@pytest.mark.parametrize(
    "question, role, dosing, safety",
    [
        ("What is the role of belatacept in kidney transplantation?", True, False, False),
        ("Should I switch from tacrolimus to belatacept?", True, False, False),
        ("Is methotrexate recommended as first-line therapy for RA?", True, False, False),
        ("Is adalimumab indicated for psoriasis?", True, False, False),
        ("What dose of atorvastatin is used?", False, True, False),
        ("Humira 40 mg every other week", False, True, False),
        ("How often should guaifenesin be taken?", True, True, False),
        ("Is dextromethorphan safe in pregnancy?", False, False, True),
        ("Side effects of cyclosporine", False, False, True),
        ("How does CD40 ligand signal?", False, False, False),
    ],
)
def test_intent(lx: Lexicon, question: str, role: bool, dosing: bool, safety: bool) -> None:
    a = analyze(question, lx)
    assert (a.is_role_question, a.is_dosing, a.is_safety) == (role, dosing, safety)
    assert a.intent["role"] is role


def test_comparison_flag(lx: Lexicon) -> None:
    assert analyze("belatacept vs tacrolimus", lx).is_comparison
    assert not analyze("belatacept after tacrolimus", lx).is_comparison


# ------------------------------------------------------------------ directness
def test_directness_for_a_drug(lx: Lexicon) -> None:
    bela = concept(lx, "DB06681")
    assert mentions_entity("Conversion to LEA29Y improved renal function.", bela, lx)
    assert mentions_entity("NULOJIX was given monthly.", bela, lx)
    assert not mentions_entity("Abatacept (CTLA4-Ig) in arthritis.", bela, lx)
    assert not mentions_entity("Costimulation blockers in transplantation.", bela, lx)
    assert not mentions_entity("", bela, lx)


def test_directness_for_a_class_goes_through_explicit_membership(lx: Lexicon) -> None:
    cls = concept(lx, "medref:cd40l-blockers")
    assert mentions_entity("Dapirolizumab pegol reduced disease activity in SLE.", cls, lx)
    assert mentions_entity("The hu5c8 trial was stopped for thromboembolic events.", cls, lx)
    assert mentions_entity("CD154 is expressed on activated T cells.", cls, lx)  # the class's target
    assert mentions_entity("Anti-CD40L antibodies were tested in ITP.", cls, lx)
    assert not mentions_entity("Iscalimab blocks CD40 itself.", cls, lx)  # a CD40 blocker, not a member
    assert not mentions_entity("Belatacept after kidney transplantation.", cls, lx)


def test_directness_never_jumps_between_sibling_drugs(lx: Lexicon) -> None:
    leto = concept(lx, "DB19072")
    assert not mentions_entity("Dapirolizumab pegol in SLE.", leto, lx)
    assert not mentions_entity("CD40L blockers in transplantation.", leto, lx)
    assert mentions_entity("Letolizumab in ITP.", leto, lx)


def test_directness_for_a_target(lx: Lexicon) -> None:
    target = concept(lx, "D023201")
    assert mentions_entity("Anti-CD40L antibody therapy", target, lx)  # the class name contains the target
    assert mentions_entity("levels of CD40-ligand", target, lx)
    assert not mentions_entity("Dapirolizumab pegol in SLE.", target, lx)


def test_matched_entities(lx: Lexicon) -> None:
    a = analyze("belatacept or abatacept in RA?", lx)
    got = matched_entities("Orencia was compared with placebo.", a.key_entities, lx)
    assert [c.id for c in got] == ["DB01281"]


# ------------------------------------------------------------------ bad input
@pytest.mark.parametrize("question", ["", "   ", "\t\n", "\u200b\u200d\ufeff", "\x00\x07"])
def test_empty_questions_raise_query_error(lx: Lexicon, question: str) -> None:
    with pytest.raises(QueryError):
        analyze(question, lx)


@pytest.mark.parametrize(
    "question",
    [
        '"*():^~[]{}',
        'belatacept AND (abatacept OR "LEA29Y")^2 ~3 [x TO y] {a}',
        "***",
        "\\",
        "🙂🙂",
        "\ud800 half a surrogate",
        "Ｈｕｍｉｒａ　ｄｏｓｅ",
        "be\u200blatacept",
        "\u202ebelatacept\u202c",
    ],
)
def test_odd_questions_do_not_crash(lx: Lexicon, question: str) -> None:
    a = analyze(question, lx)
    assert isinstance(a.terms, tuple)
    assert all(not SYNTAX & set(t) for t in a.terms)


def test_unicode_is_normalised(lx: Lexicon) -> None:
    assert key_ids(analyze("Ｈｕｍｉｒａ　ｄｏｓｅ", lx)) == ["DB00051"]
    assert key_ids(analyze("be\u200blatacept", lx)) == ["DB06681"]
    assert normalize_question("a\u200bb\x00c\n\nd") == "ab c d"


def test_huge_question(lx: Lexicon) -> None:
    a = analyze("belatacept " * 10_000, lx)  # ~110k characters
    assert len(a.normalized) == MAX_ANALYSED_CHARS
    assert a.notes and key_ids(a) == ["DB06681"]
    assert len(a.terms) == 1


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_analyze_never_fails_unexpectedly(text: str) -> None:
    lexicon = Lexicon.load(None)
    try:
        a = analyze(text, lexicon)
    except QueryError:
        assert normalize_question(text) == ""
        return
    for m in a.mentions:
        assert a.normalized[m.start : m.end] == m.surface


# ------------------------------------------------------------------ real lexicon
@pytest.fixture(scope="module")
def real(tmp_path_factory: pytest.TempPathFactory) -> tuple[Lexicon, LexiconStats]:
    return real_lexicon(tmp_path_factory)


@pytest.mark.shared_data
def test_real_cd40l_question(shared_data: Path, real: tuple[Lexicon, LexiconStats]) -> None:
    lexicon, _ = real
    a = analyze("What is the role of CD40 ligand blockers in kidney transplantation?", lexicon)
    assert key_ids(a) == ["medref:cd40l-blockers"]
    cls = a.key_entities[0]
    assert mentions_entity("Dapirolizumab pegol was well tolerated.", cls, lexicon)
    assert not mentions_entity("Belatacept was well tolerated.", cls, lexicon)


@pytest.mark.shared_data
def test_real_expansions_stay_on_one_drug(shared_data: Path, real: tuple[Lexicon, LexiconStats]) -> None:
    lexicon, _ = real
    a = analyze("Should belatacept or abatacept be used with Humira or Lipitor?", lexicon)
    assert key_ids(a) == ["DB06681", "DB01281", "DB00051", "DB01076"]
    for c in a.key_entities:
        for v in a.expansions[c.preferred]:
            assert [x.id for x in lexicon.lookup(v)] == [c.id], (c.preferred, v)
    assert "Belatacept" not in a.expansions["Abatacept"]
    assert "LEA29Y" in a.expansions["Belatacept"]
