"""The bottom line: one to three cited sentences that answer the question, shown first.

Chosen from the candidates that passed the relevance gate, in this order:

1. **Relevant enough to lead**: a probability of at least ``LEAD_SHARE`` of the best candidate's
   (and at least the gate's threshold); background and methods sentences never lead.
2. **Most authoritative source first**: a guideline recommendation, then other guideline text,
   systematic reviews or meta-analyses and current drug labels, then randomised trials, then
   observational studies, then everything else (narrative reviews, case reports, registrations,
   articles whose design the source does not state).
3. Within a tier, conclusion sentences before results before others, then the higher probability.

Up to ``max_sentences`` are taken in that order, at most two from one document, never two
near-duplicates (word-stem Jaccard >= 0.6). Each is quoted verbatim and cited like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from medref.compose.relevance import section_flags
from medref.compose.sentences import jaccard
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
    conc, res, _bg, _meth = section_flags(c.hit.passage.section)
    return 0 if conc or c.recommendation else (1 if res else 2)


def select_lead(cands: Sequence[C], threshold: float, *, max_sentences: int = 3) -> list[C]:
    """The bottom-line sentences, in the order they are printed."""
    if not cands or max_sentences <= 0:
        return []
    best = max(c.probability for c in cands)
    bar = max(threshold, LEAD_SHARE * best)
    eligible = [
        c for c in cands if c.probability >= bar and not any(section_flags(c.hit.passage.section)[2:])
    ]
    eligible.sort(key=lambda c: (authority(c), _section_rank(c), -c.probability))
    chosen: list[C] = []
    for c in eligible:
        if len(chosen) >= max_sentences:
            break
        uid = c.hit.document.uid
        if sum(1 for o in chosen if o.hit.document.uid == uid) >= PER_DOCUMENT:
            continue
        if any(jaccard(c.stems, o.stems) >= DUPLICATE for o in chosen):
            continue
        chosen.append(c)
    return chosen
