"""Follow-up questions resolved against the thread's entities."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.compose.threads import resolve_followup, strip_connectors
from medref.models import Answer, AnswerSection, EvidenceStatus
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.query import analyze
from medref.store.answers import AnswerStore


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.load(None)


def key_names(question: str, lex: Lexicon) -> list[str]:
    return [c.preferred for c in analyze(question, lex).key_entities]


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("and in pregnancy?", "Belatacept in pregnancy?"),
        ("And during breastfeeding?", "Belatacept during breastfeeding?"),
        ("what about children?", "Belatacept: children?"),
        ("How about in the elderly?", "Belatacept in the elderly?"),
        ("and the dose?", "Belatacept: the dose?"),
        ("side effects?", "Belatacept: side effects?"),
        ("is it safe in kidney disease?", "Is Belatacept safe in kidney disease?"),
        ("what are its side effects?", "What are Belatacept's side effects?"),
        ("How does this drug work?", "How does Belatacept work?"),
        ("and in lupus?", "Belatacept in lupus?"),  # a condition alone is still about the drug
        ("Is it true that it causes PTLD?", "Is it true that Belatacept causes PTLD?"),
        ("Is it possible to stop?", "Belatacept: Is it possible to stop?"),
        ("is it worth it?", "Belatacept: is it worth it?"),
        ("Can they breastfeed?", "Belatacept: Can they breastfeed?"),  # "they": the patients
        ("and?", "Belatacept?"),
    ],
)
def test_short_followups_get_the_thread_entity(question: str, expected: str, lex: Lexicon) -> None:
    resolved, used = resolve_followup(question, ["Belatacept", "Abatacept"], lex)
    assert (resolved, used) == (expected, ["Belatacept"])
    assert key_names(question, lex) in (
        [],
        ["Systemic lupus erythematosus"],
        ["Post-transplant lymphoproliferative disorder"],
    )
    assert "Belatacept" in key_names(resolved, lex)  # retrieval now sees the drug


@pytest.mark.parametrize(
    "question",
    [
        "What about abatacept in pregnancy?",
        "and LEA29Y?",  # a synonym of the thread's own drug still counts as naming it
        "Is it safe with belatacept?",  # names the thread's drug itself
        "How do CD40 ligand blockers work?",
        "What is tacrolimus and is it safe?",  # "it" comes after the name: it is tacrolimus
        "Is it true that tacrolimus is safer?",  # impersonal "it"
        "Is it worth trying abatacept first?",
    ],
)
def test_questions_naming_their_own_agent_are_unchanged(question: str, lex: Lexicon) -> None:
    assert resolve_followup(question, ["Belatacept"], lex) == (question, [])


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("Does it interact with tacrolimus?", "Does Belatacept interact with tacrolimus?"),
        ("and is it better than tacrolimus?", "Is Belatacept better than tacrolimus?"),
        ("can this drug be given with MMF?", "Can Belatacept be given with MMF?"),
    ],
)
def test_a_pronoun_before_another_drug_is_the_thread_entity(
    question: str, expected: str, lex: Lexicon
) -> None:
    resolved, used = resolve_followup(question, ["Belatacept"], lex)
    assert (resolved, used) == (expected, ["Belatacept"])
    assert "Belatacept" in key_names(resolved, lex) and len(key_names(resolved, lex)) == 2


def test_plural_pronouns_stand_for_a_class(lex: Lexicon) -> None:
    assert resolve_followup("are they safe in pregnancy?", ["Statins"], lex) == (
        "Are Statins safe in pregnancy?",
        ["Statins"],
    )
    resolved, used = resolve_followup("How about their safety?", ["CD40 ligand blockers"], lex)
    assert resolved == "CD40 ligand blockers' safety?" and used == ["CD40 ligand blockers"]
    assert key_names(resolved, lex) == ["CD40 ligand blockers"]


def test_condition_threads(lex: Lexicon) -> None:
    assert resolve_followup("and in children?", ["Lupus nephritis"], lex) == (
        "Lupus nephritis in children?",
        ["Lupus nephritis"],
    )
    # a condition thread: a question naming another condition stands on its own
    q = "what about rheumatoid arthritis?"
    assert resolve_followup(q, ["Lupus nephritis"], lex) == (q, [])
    # and one naming a drug, too
    assert resolve_followup("and belimumab?", ["Lupus nephritis"], lex) == ("and belimumab?", [])


def test_nothing_to_resolve_against(lex: Lexicon) -> None:
    assert resolve_followup("and in pregnancy?", [], lex) == ("and in pregnancy?", [])
    assert resolve_followup("and in pregnancy?", ["", "  "], lex) == ("and in pregnancy?", [])
    assert resolve_followup("   ", ["Belatacept"], lex) == ("   ", [])
    # an entity the lexicon does not know is still used (as a drug-like name)
    assert resolve_followup("and the dose?", ["Zanolimumab"], lex) == (
        "Zanolimumab: the dose?",
        ["Zanolimumab"],
    )


def test_strip_connectors() -> None:
    assert strip_connectors("And, what about the dose?") == "the dose?"
    assert strip_connectors("so how about kids") == "kids"
    assert strip_connectors("Andexanet?") == "Andexanet?"  # a word that starts like a connector
    assert strip_connectors("What is the dose?") == "What is the dose?"


def test_resolution_against_a_stored_thread(tmp_path: Path, lex: Lexicon) -> None:
    store = AnswerStore.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        first = store.save_new(
            Answer(
                question="Is belatacept used after kidney transplantation?",
                evidence_status=EvidenceStatus.NONE,
                key_entities=key_names("Is belatacept used after kidney transplantation?", lex),
                guidelines=AnswerSection(title="Guidelines"),
                research=AnswerSection(title="Research"),
                disclaimer="Not medical advice.",
            )
        )
        assert first.thread_id is not None
        thread = store.thread(first.thread_id)
        assert resolve_followup("and in pregnancy?", thread.entities, lex) == (
            "Belatacept in pregnancy?",
            ["Belatacept"],
        )
    finally:
        store.close()
