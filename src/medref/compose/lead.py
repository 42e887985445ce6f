"""The bottom line: one to three cited sentences that answer the question, shown first.

Chosen from the candidates that passed the relevance gate, in this order:

1. **Relevant enough to lead**: past the relevance gate, and a relevance (the model's probability
   with the dosing and safety ordering nudges) of at least ``LEAD_SHARE`` of the best candidate's;
   background and methods sentences never lead.
2. **Most authoritative source first**: a guideline recommendation, then other guideline text,
   systematic reviews or meta-analyses and current drug labels, then randomised trials, then
   observational studies, then everything else (narrative reviews, case reports, registrations,
   articles whose design the source does not state).
3. Within a tier, the most relevant document first (by its best sentence), and within a document
   conclusion sentences before results before others, then the sentence that names more of what was
   asked ("reduced disease activity" before "is investigational"), then the more relevant.

Up to ``max_sentences`` are taken in that order, at most two from one document, never two
near-duplicates (word-stem Jaccard >= 0.6). Each is quoted verbatim and cited like any other.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, TypeVar

from medref.compose.relevance import section_flags
from medref.compose.sentences import contained, jaccard
from medref.models import RetrievedPassage, SourceKind

LEAD_SHARE = 0.75
PER_DOCUMENT = 2
DUPLICATE = 0.6

_TIER = {
    SourceKind.GUIDELINE: 1,
    SourceKind.SYSTEMATIC_REVIEW: 1,
    SourceKind.DRUG_LABEL: 1,
    SourceKind.RCT: 2,
    SourceKind.OBSERVATIONAL: 3,
}


class Sourced(Protocol):
    hit: RetrievedPassage
    recommendation: bool


class LeadCandidate(Sourced, Protocol):
    probability: float
    relevance: float  # the probability with the dosing / safety ordering nudges
    aspect: float  # share of the question's aspects (beyond its subject) the sentence itself names
    stems: frozenset[str]


C = TypeVar("C", bound=LeadCandidate)


def kind_tier(kind: SourceKind) -> int:
    """1 (guideline, systematic review, drug label) .. 4 (a source of unstated or weak design)."""
    return _TIER.get(kind, 4)


def authority(c: Sourced) -> int:
    """0 (a guideline recommendation) .. 4 (a source of unstated or weak design)."""
    kind = c.hit.document.kind
    if kind is SourceKind.GUIDELINE and c.recommendation:
        return 0
    return kind_tier(kind)


def _section_rank(c: LeadCandidate) -> int:
    """0: a conclusion or a guideline's recommendation; 1: a result; 2: anything else."""
    conc, res, _bg, _meth = section_flags(c.hit.passage.section)
    if conc or (c.recommendation and c.hit.document.kind is SourceKind.GUIDELINE):
        return 0
    return 1 if res else 2


def select_lead(
    cands: Sequence[C],
    threshold: float,
    *,
    max_sentences: int = 3,
    prefer: Callable[[C], bool] | None = None,
) -> list[C]:
    """The bottom-line sentences, in the order they are printed.

    ``prefer``: when some candidates satisfy it (a dosing question: sentences that state a dose),
    only those may lead.
    """
    if prefer is not None and any(prefer(c) for c in cands if c.probability >= threshold):
        cands = [c for c in cands if prefer(c)]
    if not cands or max_sentences <= 0:
        return []
    best = max(c.relevance for c in cands)
    bar = LEAD_SHARE * best
    eligible = [
        c
        for c in cands
        if c.probability >= threshold
        and c.relevance >= bar
        and not any(section_flags(c.hit.passage.section)[2:])
    ]
    doc_best: dict[str, float] = {}
    for c in eligible:
        uid = c.hit.document.uid
        doc_best[uid] = max(doc_best.get(uid, 0.0), c.relevance)
    eligible.sort(
        key=lambda c: (
            authority(c),
            -doc_best[c.hit.document.uid],
            c.hit.document.uid,
            _section_rank(c),
            -round(c.aspect, 1),
            -c.relevance,
        )
    )
    chosen: list[C] = []
    for c in eligible:
        if len(chosen) >= max_sentences:
            break
        uid = c.hit.document.uid
        if sum(1 for o in chosen if o.hit.document.uid == uid) >= PER_DOCUMENT:
            continue
        if any(jaccard(c.stems, o.stems) >= DUPLICATE or contained(c.stems, o.stems) for o in chosen):
            continue
        chosen.append(c)
    return chosen
