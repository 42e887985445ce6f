"""The ask pipeline end to end on the demo corpus: triage, threads, storage, related questions."""

from __future__ import annotations

import re

from medref.compose.ask import Asker
from medref.compose.base import make_composer
from medref.models import Audience, EvidenceStatus
from medref.retrieve.retriever import Retriever
from medref.review.users import User
from medref.review.workflow import transition
from medref.store.answers import AnswerStore

EDITOR, REVIEWER = User("erin", "editor"), User("rui", "reviewer")


def make_asker(r: Retriever) -> Asker:
    return Asker(retriever=r, composer=make_composer("extractive"), answers=AnswerStore(r.store.engine))


def test_clinician_answer_is_cited_stored_and_versioned(demo_retriever: Retriever) -> None:
    asker = make_asker(demo_retriever)
    ans = asker.ask("What is the role of CD40 ligand blockers?")
    assert ans.evidence_status is EvidenceStatus.DIRECT
    assert ans.id and ans.thread_id and ans.version == 1
    assert ans.bottom_line is not None and ans.bottom_line.summary
    g = ans.guidelines  # may hold only its notice: the demo guideline's other text does not stand alone
    assert (g.summary or g.key_points or g.notice) and ans.research.key_points
    numbers = {r.number for r in ans.references}
    for s in ans.sentences():
        assert s.citations and set(s.citations) <= numbers
    stored = asker.answers.get(ans.id)  # type: ignore[union-attr]
    assert stored.model_dump(mode="json") == ans.model_dump(mode="json")
    assert ans.emergency is None


def test_follow_up_is_resolved_against_the_thread(demo_retriever: Retriever) -> None:
    asker = make_asker(demo_retriever)
    first = asker.ask("Is belatacept used after kidney transplantation?")
    follow = asker.ask("and in pregnancy?", thread_id=first.thread_id)
    assert follow.thread_id == first.thread_id
    assert follow.resolved_question and "belatacept" in follow.resolved_question.lower()
    assert "Belatacept" in follow.key_entities
    # a visitor's question is never suggested to others: not while it is unreviewed ...
    second = asker.ask("Is belatacept used after liver transplantation?")
    assert "Is belatacept used after kidney transplantation?" not in second.related_questions
    # ... and once reviewers approve its page, other answers see it as a related question
    assert asker.answers is not None and first.id is not None
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(asker.answers.engine, first.id, action, actor=actor, expected_version=1)
    third = asker.ask("Is belatacept used after heart transplantation?")
    assert "Is belatacept used after kidney transplantation?" in third.related_questions


def test_patient_version_is_plain_and_has_no_doses(demo_retriever: Retriever) -> None:
    asker = make_asker(demo_retriever)
    clin = asker.ask("What is the dose of belatacept?")
    pat = asker.ask("What is the dose of belatacept?", audience=Audience.PATIENT)
    dose = re.compile(r"\d+(\.\d+)?\s*(mg|mg/kg|mcg|units?)\b", re.I)
    assert any(dose.search(s.text) for s in clin.sentences()), "the clinician version quotes the label dose"
    assert not any(dose.search(s.text) for s in pat.sentences())
    assert pat.reading_grade is not None and clin.reading_grade is not None
    assert pat.reading_grade < clin.reading_grade
    assert pat.disclaimer != clin.disclaimer


def test_emergency_questions_lead_with_emergency_care(demo_retriever: Retriever) -> None:
    asker = make_asker(demo_retriever)
    ans = asker.ask("I took too many of my belatacept tablets and feel faint, what do I do?")
    assert ans.emergency and "emergency" in ans.emergency.lower()
    calm = asker.ask("Does belatacept raise the risk of stroke?")
    assert calm.emergency is None


def test_absent_entity_says_not_enough_evidence(demo_retriever: Retriever) -> None:
    asker = make_asker(demo_retriever)
    ans = asker.ask("What is the role of adalimumab in psoriasis?")
    assert ans.evidence_status is not EvidenceStatus.DIRECT
    assert not ans.sentences()
    notices = " ".join(n for n in (ans.guidelines.notice, ans.research.notice) if n)
    assert "Adalimumab" in notices


def test_patient_page_drops_hard_sentences_and_renumbers(demo_retriever: Retriever) -> None:
    from medref.compose.patient import reading_grade

    asker = make_asker(demo_retriever)
    pat = asker.ask("Is belatacept safe after a kidney transplant?", audience=Audience.PATIENT)
    assert pat.sentences(), "the page still answers"
    cited = [n for s in pat.sentences() for n in s.citations]
    assert [r.number for r in pat.references] == list(range(1, len(pat.references) + 1))
    assert set(cited) == {r.number for r in pat.references}
    for s in pat.sentences():
        assert {c.number for c in s.spans} == set(s.citations)
    sections = [pat.guidelines, pat.research]
    for sec in sections:
        items = sec.summary + sec.key_points
        hard = [s for s in items if (reading_grade(s.text) or 0) > 10.0]
        assert len(hard) <= 1 and (not hard or len(items) == 1)


# ----------------------------------------------------------------------------- issue 9: answers answer


def test_follow_up_answers_what_it_adds(demo_retriever: Retriever) -> None:
    """'and in pregnancy?' searches belatacept AND pregnancy and publishes only what speaks of it."""
    asker = make_asker(demo_retriever)
    first = asker.ask("Is belatacept used after kidney transplantation?")
    preg = asker.ask("and in pregnancy?", thread_id=first.thread_id)
    assert preg.sentences(), "the demo label has a pregnancy section"
    for s in preg.sentences():
        spans = s.spans
        sections = {
            demo_retriever.store.get_document(sp.doc_uid)
            .passages[int(sp.passage_id.rsplit("#", 1)[1])]
            .section
            for sp in spans
        }
        assert re.search(r"pregnan", s.text, re.I) or any(
            re.search(r"pregnan", sec, re.I) for sec in sections
        ), s.text
    assert not set(s.text for s in preg.sentences()) & set(s.text for s in first.sentences())
    dose = asker.ask("what about its dosing?", thread_id=first.thread_id)
    assert dose.bottom_line is not None and dose.bottom_line.summary
    assert re.search(r"\d+\s*mg", dose.bottom_line.summary[0].text)
    nothing = asker.ask("and in children with liver failure?", thread_id=first.thread_id)
    assert not nothing.sentences()
    assert nothing.bottom_line is not None and nothing.bottom_line.notice
    assert "No direct evidence in the sources" in nothing.bottom_line.notice
    assert "children with liver failure" in nothing.bottom_line.notice
    assert nothing.related_reading, "the closest sources are offered as reading, not as claims"


def test_bad_questions_get_a_clear_message_not_a_padded_page(demo_retriever: Retriever) -> None:
    from medref.compose.intake import NOTHING_TO_SEARCH, PASTED_TEXT

    asker = make_asker(demo_retriever)
    abstract = (
        "Belatacept was compared with cyclosporine in 600 recipients. Renal function was better at one year. "
        "Acute rejection was more frequent. PTLD occurred mostly in EBV-seronegative patients."
    )
    cases = {
        "what is it and how is it": NOTHING_TO_SEARCH,
        "belatacept " * 200: PASTED_TEXT,
        abstract: PASTED_TEXT,
    }
    for question, message in cases.items():
        ans = asker.ask(question)
        assert not ans.sentences() and not ans.references
        assert ans.bottom_line is not None and ans.bottom_line.notice == message
        assert ans.id is None, "nothing is stored for a question that cannot be answered"
    foreign = asker.ask("¿Es seguro el belatacept durante el embarazo?")
    assert not foreign.sentences(), "no English source addresses 'embarazo'"
    assert foreign.evidence_status is not EvidenceStatus.DIRECT


def test_a_population_the_sources_do_not_study_gets_no_claims(demo_retriever: Retriever) -> None:
    asker = make_asker(demo_retriever)
    ans = asker.ask("Is letolizumab effective in pregnancy?")
    assert not ans.sentences(), [s.text for s in ans.sentences()]
    assert ans.verdict is not None and ans.verdict.label.value == "No direct evidence"
    assert ans.bottom_line is not None and "No direct evidence" in (ans.bottom_line.notice or "")
