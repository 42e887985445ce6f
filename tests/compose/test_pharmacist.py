"""The pharmacist view: label facts on dosing, interactions, contraindications, adjustment and
storage first; the drugs the question names that have a label in the corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.compose.ask import Asker
from medref.compose.base import DISCLAIMER, make_composer
from medref.compose.pharmacist import for_pharmacist, labelled_drugs, pharmacy_fact
from medref.deps import demo_files
from medref.ingest.pipeline import ingest_paths
from medref.models import (
    Answer,
    AnswerSection,
    Audience,
    Citation,
    CitedSentence,
    DocumentRef,
    EvidenceStatus,
    Quote,
    Reference,
    SourceKind,
)
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.repository import Store

LABEL = "spl:00000000-4d3e-4000-8000-00000000be1a:v2"
TRIAL = "pmid:90000003"


@pytest.fixture(scope="module")
def label_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    """The demo corpus stored (no index: the drug list reads only the labels' names)."""
    settings = load_settings(data_dir=tmp_path_factory.mktemp("pharm"))
    store = Store.open(settings.url)
    assert ingest_paths(store, [p for p in demo_files() if Path(p).suffix in {".xml", ".json"}]).ok
    yield store
    store.close()


def _sentence(text: str, number: int, doc: str, passage: str, theme: str | None = None) -> CitedSentence:
    span = Citation(number=number, doc_uid=doc, passage_id=f"{doc}#{passage}", start=0, end=len(text))
    return CitedSentence(text=text, citations=[number], spans=[span], theme=theme)


def _answer(
    question: str, research: list[CitedSentence], *, audience: Audience = Audience.PHARMACIST
) -> Answer:
    refs = [
        Reference(
            number=1,
            label="Research",
            document=DocumentRef(uid=TRIAL, kind=SourceKind.RCT, title="A trial", evidence_level=3),
            passage_ids=[f"{TRIAL}#3"],
            quotes=[Quote(passage_id=f"{TRIAL}#3", section="RESULTS", text="...")],
        ),
        Reference(
            number=2,
            label="Drug label",
            document=DocumentRef(
                uid=LABEL, kind=SourceKind.DRUG_LABEL, title="Belatacept label", evidence_level=2
            ),
            passage_ids=[f"{LABEL}#5", f"{LABEL}#12"],
            quotes=[
                Quote(passage_id=f"{LABEL}#5", section="2 DOSAGE AND ADMINISTRATION", text="..."),
                Quote(passage_id=f"{LABEL}#12", section="6 ADVERSE REACTIONS", text="..."),
            ],
        ),
    ]
    return Answer(
        question=question,
        audience=audience,
        evidence_status=EvidenceStatus.DIRECT,
        key_entities=["belatacept"],
        guidelines=AnswerSection(title="Guidelines"),
        research=AnswerSection(title="Research", key_points=research),
        references=refs,
        disclaimer=DISCLAIMER,
    )


TRIAL_FINDING = _sentence(
    "Kidney function was better with belatacept at 12 months.", 1, TRIAL, "3", "Efficacy"
)
DOSING = _sentence("Maintenance phase: 5 mg/kg every 4 weeks.", 2, LABEL, "5", "Efficacy")
ANAEMIA = _sentence("The most common adverse reactions were anemia and diarrhea.", 2, LABEL, "12", "Safety")
INTERACTION = _sentence("Do not infuse other agents in the same line.", 2, LABEL, "5", "Other findings")


def test_label_facts_come_first_and_references_follow_the_page(label_store: Store) -> None:
    answer = _answer("What dose of belatacept after kidney transplant?", [TRIAL_FINDING, DOSING, ANAEMIA])
    view = for_pharmacist(answer, store=label_store)
    assert [s.text for s in view.research.key_points] == [DOSING.text, TRIAL_FINDING.text, ANAEMIA.text]
    # references renumbered in the new page order: the label is now [1]
    assert view.research.key_points[0].citations == [1]
    assert [r.document.uid for r in view.references] == [LABEL, TRIAL]
    assert {c.number for s in view.research.key_points for c in s.spans} == {1, 2}


def test_a_theme_moves_as_a_whole_and_other_findings_stay_last(label_store: Store) -> None:
    answer = _answer("Belatacept dosing?", [ANAEMIA, TRIAL_FINDING, DOSING, INTERACTION])
    view = for_pharmacist(answer, store=label_store)
    themes = [s.theme for s in view.research.key_points]
    assert themes == ["Efficacy", "Efficacy", "Safety", "Other findings"]  # runs stay together
    assert view.research.key_points[0].text == DOSING.text


def test_other_audiences_keep_their_page(label_store: Store) -> None:
    for audience in (Audience.CLINICIAN, Audience.PATIENT):
        answer = _answer("What dose of belatacept?", [TRIAL_FINDING, DOSING], audience=audience)
        assert for_pharmacist(answer, store=label_store) == answer


def test_pharmacy_fact_needs_a_label_and_a_pharmacy_topic() -> None:
    refs = {r.number: r for r in _answer("q", []).references}
    assert pharmacy_fact(DOSING, refs)  # label, Dosage and Administration
    assert pharmacy_fact(INTERACTION, refs)
    assert not pharmacy_fact(ANAEMIA, refs)  # label, but adverse reactions
    trial_dose = _sentence("Belatacept 5 mg/kg every 4 weeks was given.", 1, TRIAL, "3")
    assert not pharmacy_fact(trial_dose, refs)  # a dose, but not from a label


@pytest.mark.parametrize(
    ("question", "drugs"),
    [
        ("What is the dose of belatacept in renal impairment?", ["belatacept"]),
        ("Can Illustrative Belatacept Injection be given with tacrolimus?", ["belatacept"]),
        ("BELATACEPT storage?", ["belatacept"]),
        ("What is the role of letolizumab?", []),  # trial registrations only: no label
        ("Is belataceptine a drug?", []),  # whole words only
    ],
)
def test_labelled_drugs_the_question_names(label_store: Store, question: str, drugs: list[str]) -> None:
    answer = _answer(question, []).model_copy(update={"key_entities": []})
    assert labelled_drugs(answer, store=label_store) == drugs
    assert for_pharmacist(answer, store=label_store).drugs == drugs


def test_a_synonym_reaches_the_label_through_the_key_entities(label_store: Store) -> None:
    lexicon = Lexicon.load(None)
    answer = _answer("What about Nulojix dosing?", []).model_copy(update={"key_entities": ["belatacept"]})
    assert labelled_drugs(answer, store=label_store, lexicon=lexicon) == ["belatacept"]


def test_asking_as_a_pharmacist(demo_retriever: Retriever) -> None:
    asker = Asker(retriever=demo_retriever, composer=make_composer("extractive"), answers=None)
    question = "What is the dose of belatacept after kidney transplantation?"
    pharmacist = asker.ask(question, audience=Audience.PHARMACIST)
    clinician = asker.ask(question, audience=Audience.CLINICIAN)
    assert pharmacist.drugs == ["belatacept"] and clinician.drugs == []
    refs = {r.number: r for r in pharmacist.references}
    lead = pharmacist.bottom_line.summary if pharmacist.bottom_line else []
    facts = [pharmacy_fact(s, refs) for s in lead]
    assert any(facts) and facts == sorted(facts, reverse=True), [s.text for s in lead]
    assert sorted(s.text for s in pharmacist.sentences()) == sorted(s.text for s in clinician.sentences())


def test_within_one_source_its_label_facts_come_first(label_store: Store) -> None:
    answer = _answer("Belatacept interactions?", [])
    plain = [
        s.model_copy(update={"theme": None}) for s in (ANAEMIA, INTERACTION)
    ]  # the bottom line has no themes
    lead = AnswerSection(title="Bottom line", summary=plain)
    view = for_pharmacist(answer.model_copy(update={"bottom_line": lead}), store=label_store)
    assert view.bottom_line is not None
    assert [s.text for s in view.bottom_line.summary] == [INTERACTION.text, ANAEMIA.text]
