""" "From the Research" grouped under headings derived from what the sentences say.

A research sentence gets one theme from the words it uses -- what a reader scanning the section
looks for: whether it works (efficacy), whether it is safe, how it works (mechanism), how it is
given (dosing), in whom (populations), what is being studied (ongoing trials). Only themes that
some sentence fills become headings, ordered by their best-ranked sentence, so the most relevant
theme comes first; within a theme a study's sentences stay together so each study is introduced
once. A sentence no theme claims goes under "Other findings".

Retracted articles never reach the composer (:func:`without_retracted`); the ones that matched
the question are listed on the page as withheld, where they would have appeared.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from medref.compose.readable import renumber
from medref.models import Answer, AnswerSection, CitedSentence, DocumentRef, RetrievalResult, SourceKind

OTHER = "Other findings"


def _words(*stems: str) -> re.Pattern[str]:
    return re.compile(r"\b(?:" + "|".join(stems) + r")", re.I)


# (heading, pattern): the first theme whose pattern matches most often wins; ties go to the
# earlier theme. Stems are word starts, so "toxicit" matches toxicity and toxicities.
THEMES: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "Safety and adverse effects",
        _words(
            "adverse",
            "safety",
            "safe\\b",
            "toxicit",
            "side effect",
            "tolerab",
            "thrombo",
            "embol",
            "infection",
            "malignan",
            "lymphoprolif",
            "death",
            "mortality",
            "serious",
            "bleed",
            "hemorrhag",
            "haemorrhag",
            "hepatotox",
            "rash",
            "discontinu",
            "withdrawn",
            "complication",
            "harm",
        ),
    ),
    (
        "Efficacy and outcomes",
        _words(
            "efficac",
            "effective",
            "response",
            "remission",
            "improv",
            "reduc",
            "lower",
            "benefit",
            "outcome",
            "endpoint",
            "end point",
            "survival",
            "relapse",
            "rejection",
            "graft",
            "success",
            "superior",
            "non-?inferior",
            "inferior",
            "compar",
            "placebo",
            "versus",
            "vs\\b",
            "odds ratio",
            "hazard ratio",
            "relative risk",
            "significant",
            "disease activity",
        ),
    ),
    (
        "How it works",
        _words(
            "mechanis",
            "pathway",
            "receptor",
            "binding (?:to|of)",
            "binds",
            "signal",
            "costimulat",
            "co-stimulat",
            "cross-link",
            "activat",
            "express",
            "pharmacokinet",
            "pharmacodynam",
            "half-life",
            "clearance",
            "mode of action",
            "interaction of",
        ),
    ),
    (
        "Dosing and administration",
        _words(
            "dose",
            "dosing",
            "dosage",
            "mg\\b",
            "mg/kg",
            "infus",
            "administ",
            "regimen",
            "titrat",
            "dilut",
            "reconstitut",
            "vial",
            "syringe",
            "inject",
        ),
    ),
    (
        "Specific populations",
        _words(
            "child",
            "pediatric",
            "paediatric",
            "infant",
            "adolescen",
            "elderly",
            "older adult",
            "aged ",
            "pregnan",
            "lactat",
            "breast-?feed",
            "renal impairment",
            "hepatic impairment",
            "women",
            "men\\b",
        ),
    ),
    (
        "Studies under way",
        _words(
            "recruiting",
            "ongoing",
            "under way",
            "underway",
            "is being studied",
            "are being studied",
            "registered",
            "enrol",
            "late-stage trial",
            "phase (?:2|3|ii|iii) trials? (?:is|are)",
        ),
    ),
)


def theme_of(text: str, *, kind: SourceKind | None = None) -> str:
    """The heading a research sentence goes under (``OTHER`` when no theme's words appear)."""
    if kind is SourceKind.TRIAL_REGISTRATION:
        return "Studies under way"
    best, best_hits = OTHER, 0
    for heading, pattern in THEMES:
        hits = len(pattern.findall(text))
        if hits > best_hits:
            best, best_hits = heading, hits
    return best


def group_by_theme(section: AnswerSection, docs: dict[int, DocumentRef]) -> AnswerSection:
    """``section`` with each key point given a theme and the points ordered theme by theme.

    ``docs``: reference number -> document (for the source kind, and to keep a study's sentences
    together). Themes keep the order of their best-ranked sentence; so do studies within a theme.
    """
    points = section.key_points
    if not points:
        return section
    themed: list[CitedSentence] = []
    for s in points:
        doc = docs.get(s.citations[0]) if s.citations else None
        themed.append(s.model_copy(update={"theme": theme_of(s.text, kind=doc.kind if doc else None)}))
    theme_order: list[str] = []
    for s in themed:
        if s.theme not in theme_order:
            theme_order.append(str(s.theme))
    if OTHER in theme_order:  # "Other findings" always last
        theme_order.remove(OTHER)
        theme_order.append(OTHER)
    ordered: list[CitedSentence] = []
    for theme in theme_order:
        members = [s for s in themed if s.theme == theme]
        studies: list[int | None] = []
        for s in members:
            key = s.citations[0] if s.citations else None
            if key not in studies:
                studies.append(key)
        for key in studies:
            ordered.extend(s for s in members if (s.citations[0] if s.citations else None) == key)
    return section.model_copy(update={"key_points": ordered})


def without_retracted(retrieval: RetrievalResult) -> tuple[RetrievalResult, list[DocumentRef]]:
    """The retrieval without retracted articles, and those of them that named the question's subject."""
    kept = [h for h in retrieval.hits if not h.document.retracted]
    if len(kept) == len(retrieval.hits):
        return retrieval, []
    withheld: dict[str, DocumentRef] = {}
    for h in retrieval.hits:
        if h.document.retracted and (h.direct or not retrieval.key_entities):
            withheld.setdefault(h.document.uid, h.document)
    return retrieval.model_copy(update={"hits": kept}), list(withheld.values())


def grouped(answer: Answer, withheld: Sequence[DocumentRef] = ()) -> Answer:
    """``answer`` with its research grouped by theme, references renumbered in the new page
    order, and the retracted sources that matched listed as withheld under the research."""
    docs = {r.number: r.document for r in answer.references}
    research = group_by_theme(answer.research, docs)
    if withheld:
        research = research.model_copy(update={"withheld": list(withheld)})
    return renumber(answer.model_copy(update={"research": research}))
