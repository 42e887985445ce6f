"""Related questions from the stored ones, and the labelled template suggestions."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.compose.ask import Asker
from medref.compose.base import make_composer
from medref.compose.related import (
    discover,
    related_questions,
    similarity,
    stem,
    stems,
    suggested_questions,
)
from medref.models import Answer, AnswerSection, EvidenceStatus
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.review.users import User
from medref.review.workflow import transition
from medref.store.answers import AnswerStore

POOL = [
    "What is the dose of belatacept?",
    "What are the side effects of abatacept?",
    "Is belatacept safe during pregnancy?",  # same content words as the question below
    "How is belatacept dosed after kidney transplantation?",
    "What is the weather like today?",
    "Belatacept side effects?",
    "Is Belatacept safe in pregnancy",  # the question itself, other case and punctuation
    "belatacept dosing",
]


@pytest.fixture(scope="module")
def lex() -> Lexicon:
    return Lexicon.load(None)


def test_light_stemming_joins_word_forms() -> None:
    assert stem("doses") == stem("dosing") == stem("dose") == stem("dosed")
    assert stem("therapies") == "therapy" and stem("lupus") == "lupus" and stem("mass") == "mass"
    assert stems("What are its side effects?") == stems("side effect")
    assert "what" not in stems("What is it?")


def test_ranks_by_shared_words_and_drops_duplicates(lex: Lexicon) -> None:
    got = related_questions("Is belatacept safe in pregnancy?", POOL, lexicon=lex)
    assert "Is Belatacept safe in pregnancy" not in got
    assert "Is belatacept safe during pregnancy?" not in got  # near-duplicate of the question
    assert "What is the weather like today?" not in got
    assert got[0] == "What is the dose of belatacept?"  # the same drug, few other words
    assert "What are the side effects of abatacept?" not in got  # shares nothing
    # "belatacept dosing" says what an earlier pick says: only the first is kept
    assert ("What is the dose of belatacept?" in got) != ("belatacept dosing" in got)
    scores = [similarity("Is belatacept safe in pregnancy?", q, lex) for q in got]
    assert scores == sorted(scores, reverse=True)


def test_limit_order_and_determinism(lex: Lexicon) -> None:
    q = "How should belatacept doses be adjusted?"
    first = related_questions(q, POOL, lexicon=lex, limit=2)
    assert len(first) == 2 and first == related_questions(q, POOL, lexicon=lex, limit=2)
    assert first == [
        "What is the dose of belatacept?",
        "How is belatacept dosed after kidney transplantation?",
    ]
    assert related_questions(q, POOL, limit=0) == []
    assert related_questions("", POOL) == []
    assert related_questions(q, []) == []
    # equal scores keep the candidates' order (the store gives newest first)
    ties = ["Belatacept and lupus?", "Belatacept and asthma?"]
    assert related_questions("Belatacept and gout?", ties) == ties
    assert related_questions("Belatacept and gout?", ties[::-1]) == ties[::-1]


def test_the_lexicon_links_synonyms(lex: Lexicon) -> None:
    q = "Is LEA29Y safe in pregnancy?"
    cand = ["How is Nulojix given?", "How is Orencia given?"]
    assert related_questions(q, cand) == []  # no shared words at all
    assert related_questions(q, cand, lexicon=lex) == ["How is Nulojix given?"]  # same drug


def test_min_score_filters_weak_matches() -> None:
    q = "Belatacept dose in kidney transplantation with delayed graft function?"
    weak = "Kidney stones and diet?"
    assert related_questions(q, [weak], min_score=0.0) == [weak]
    assert related_questions(q, [weak]) == []


def test_suggestions_are_template_questions(lex: Lexicon) -> None:
    got = suggested_questions(["Belatacept", "Lupus nephritis"], lex, limit=4)
    assert got == [
        "What is Belatacept used for?",
        "How is Lupus nephritis treated?",
        "What are the main safety concerns with Belatacept?",
        "What do guidelines recommend for Lupus nephritis?",
    ]
    assert all(q.endswith("?") for q in suggested_questions(["Belatacept"], lex, limit=10))
    skipped = suggested_questions(["Belatacept"], lex, exclude=["what is belatacept used for"])
    assert "What is Belatacept used for?" not in skipped and len(skipped) == 4
    assert suggested_questions([], lex) == [] and suggested_questions(["  "], lex) == []
    assert suggested_questions(["Foo"], None, limit=1) == ["What is Foo used for?"]


def test_related_from_a_store(tmp_path: Path, lex: Lexicon) -> None:
    store = AnswerStore.open(f"sqlite:///{tmp_path / 'a.sqlite'}")
    try:
        for q in ("Is belatacept safe in pregnancy?", "What is the dose of abatacept?", "Belatacept dose?"):
            store.save_new(
                Answer(
                    question=q,
                    evidence_status=EvidenceStatus.NONE,
                    guidelines=AnswerSection(title="G"),
                    research=AnswerSection(title="R"),
                    disclaimer="Not medical advice.",
                )
            )
        pool = store.recent_questions(50)
        # "Belatacept dose?" says the same as the question: left out
        plain = related_questions("How is belatacept dosed?", pool)
        assert plain == ["What is the dose of abatacept?", "Is belatacept safe in pregnancy?"]
        # the shared drug outweighs a shared word once the lexicon is used
        got = related_questions("How is belatacept dosed in children?", pool, lexicon=lex)
        assert got == [
            "Belatacept dose?",
            "Is belatacept safe in pregnancy?",
            "What is the dose of abatacept?",
        ]
    finally:
        store.close()


# ----------------------------------------------------------------------------- discover


def test_discover_prefers_related_published_pages(lex: Lexicon) -> None:
    found = discover("Is belatacept safe during pregnancy?", POOL, ["Belatacept"], lexicon=lex)
    assert found.related and found.suggested == []
    assert "Is Belatacept safe in pregnancy" not in found.related  # the page itself


def test_discover_suggests_only_when_nothing_published_is_related(lex: Lexicon) -> None:
    found = discover("Is belatacept safe?", ["What is the weather like today?"], ["Belatacept"], lexicon=lex)
    assert found.related == []
    assert found.suggested and all("Belatacept" in q for q in found.suggested)
    condition = discover(
        "How is kidney transplantation managed?", [], ["Kidney transplantation"], lexicon=lex
    )
    assert "How is Kidney transplantation treated?" in condition.suggested
    assert not any("dosed" in q for q in condition.suggested)  # drug templates are for drugs
    assert discover("Is zorblax safe?", [], ["Zorblax"], lexicon=lex, evidence=False).suggested == []


def test_suggestions_read_right_for_classes_and_targets(lex: Lexicon) -> None:
    classes = suggested_questions(["CD40 ligand blockers"], lex)
    assert "How do CD40 ligand blockers compare with alternatives?" in classes
    assert not any(q.startswith(("How is", "What is")) for q in classes)  # a class is plural
    assert not any("dosed" in q for q in suggested_questions(["CD40 ligand"], lex))  # a target is no drug


def test_the_asker_never_offers_a_visitors_question(demo_retriever: Retriever) -> None:
    asker = Asker(
        retriever=demo_retriever,
        composer=make_composer("extractive"),
        answers=AnswerStore(demo_retriever.store.engine),
    )
    visitor = "Is belatacept used after liver transplantation?"
    stored = asker.ask(visitor)  # stored, never reviewed
    assert stored.id is not None
    answer = asker.ask("Is belatacept used after heart transplantation?")
    assert answer.related_questions == []
    assert answer.suggested_questions, "no published page is related: suggestions instead"
    assert visitor not in answer.suggested_questions
    assert all("Belatacept" in q for q in answer.suggested_questions)
    for actor, action in (("erin", "submit"), ("rui", "start"), ("rui", "approve")):
        role = "editor" if actor == "erin" else "reviewer"
        transition(asker.answers.engine, stored.id, action, actor=User(actor, role), expected_version=1)  # type: ignore[union-attr]
    again = asker.ask("Is belatacept used after heart transplantation?")
    assert again.related_questions == [visitor] and again.suggested_questions == []
