"""The question-answering pipeline behind `medref ask` and the question page.

triage (emergency first) -> follow-up resolution against the thread
-> retrieval -> composition (extractive by default) -> audience adaptation
-> related questions -> storage with evidence and version

>>> from medref.compose.ask import Asker          # doctest: +SKIP
>>> answer = Asker.open().ask("What is the role of CD40 ligand blockers?")
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field

from medref.compose.base import DISCLAIMER, Composer, make_composer
from medref.compose.extractive import BOTTOM_LINE_TITLE, GUIDELINES_TITLE, RESEARCH_TITLE
from medref.compose.intake import question_problem
from medref.compose.patient import adapt, explain_abbreviations, published_text, reading_grade
from medref.compose.pharmacist import for_pharmacist
from medref.compose.readable import keep_readable
from medref.compose.related import discover
from medref.compose.safety import triage
from medref.compose.standalone import without_dangling
from medref.compose.themes import grouped, without_retracted
from medref.compose.threads import resolve_followup, strip_connectors
from medref.models import Answer, AnswerSection, Audience, EvidenceStatus
from medref.retrieve.retriever import Retriever
from medref.settings import Settings
from medref.store.answers import AnswerStore

RETRIEVE_K = 40  # the composer is cheap; a shallower pool missed guideline recommendations
RELATED_POOL = 500
MAX_ABOUT = 8  # entities a stateless follow-up may carry


@dataclass
class Asker:
    retriever: Retriever
    composer: Composer
    answers: AnswerStore | None = None
    k: int = RETRIEVE_K
    notes: list[str] = field(default_factory=list)

    @classmethod
    def open(
        cls, settings: Settings | None = None, *, composer: str = "extractive", store_answers: bool = True
    ) -> Asker:
        from medref.deps import get_settings

        settings = settings or get_settings()
        retriever = Retriever.open(settings)
        options = {"settings": settings.llm} if composer == "generative" else {}
        answers = AnswerStore(retriever.store.engine) if store_answers else None
        return cls(retriever=retriever, composer=make_composer(composer, **options), answers=answers)

    def close(self) -> None:
        self.retriever.close()
        close = getattr(self.composer, "close", None)
        if callable(close):
            close()

    def ask(
        self,
        question: str,
        *,
        audience: Audience = Audience.CLINICIAN,
        thread_id: str | None = None,
        about: Sequence[str] = (),
        store: bool = True,
    ) -> Answer:
        """Answer one question.

        A follow-up when ``thread_id`` names a stored thread, or when ``about`` lists the entities of
        the page it follows (the stateless follow-up of a page that was never stored). ``store``:
        save the answer as a new draft (editorial work; the public ask path passes False).
        """
        urgent = triage(question)
        problem = question_problem(question)
        if problem is not None and urgent.message is None:
            return unanswerable(question, problem, audience=audience)  # not stored: no editorial work
        resolved = question
        focus: str | None = None
        entities: list[str] = [e for e in about if e.strip()][:MAX_ABOUT]
        if thread_id and self.answers is not None:
            entities = self.answers.thread(thread_id).entities
        if entities:
            resolved, used = resolve_followup(question, entities, self.retriever.lexicon)
            if used:  # a follow-up: what it adds ("and in pregnancy?") must be what the page answers
                focus = strip_connectors(question)
        retrieval, withheld = without_retracted(self.retriever.search(resolved, k=self.k))
        answer = grouped(self.composer.compose(resolved, retrieval, audience=audience, focus=focus), withheld)
        answer = answer.model_copy(
            update={
                "question": question,
                "resolved_question": resolved if resolved != question else None,
                "emergency": urgent.message,
                "notes": [*answer.notes, *retrieval.notes],
            }
        )
        answer = adapt(answer, audience=audience)
        answer = for_pharmacist(answer, store=self.retriever.store, lexicon=self.retriever.lexicon)
        answer = without_dangling(answer)  # a clause split off for plain reading may not stand alone
        if audience is Audience.PATIENT and answer.reading_grade is not None:
            answer = keep_readable(answer, reading_grade)
            answer = explain_abbreviations(answer)  # a sentence left out may have held the first explanation
            answer = answer.model_copy(update={"reading_grade": reading_grade(published_text(answer))})
        if self.answers is not None:
            # Related questions come from published pages only: never another visitor's question;
            # with none related, labelled template suggestions about the key entities instead.
            published = self.answers.recent_questions(RELATED_POOL, published_only=True)
            pool = [q for q in published if q != question]
            found = discover(
                resolved,
                pool,
                answer.key_entities,
                lexicon=self.retriever.lexicon,
                evidence=answer.evidence_status is not EvidenceStatus.NONE,
            )
            answer = answer.model_copy(
                update={"related_questions": found.related, "suggested_questions": found.suggested}
            )
            if store:
                answer = self.answers.save_new(answer, thread_id=thread_id)
        return answer


def unanswerable(question: str, problem: str, *, audience: Audience) -> Answer:
    """The page for a question that cannot be answered as asked: the reason, and nothing else."""
    now = dt.datetime.now(dt.UTC)
    return Answer(
        question=question,
        audience=audience,
        evidence_status=EvidenceStatus.NONE,
        bottom_line=AnswerSection(title=BOTTOM_LINE_TITLE, notice=problem),
        guidelines=AnswerSection(title=GUIDELINES_TITLE),
        research=AnswerSection(title=RESEARCH_TITLE),
        disclaimer=DISCLAIMER,
        notes=[problem],
        created_at=now,
        updated_at=now,
    )
