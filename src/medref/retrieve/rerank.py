"""Rerank fused candidates so evidence that fits the question comes first.

final = fused (RRF, normalised so the best candidate's fused + anchor = 1.0)
      + lexical anchor      (a lexical top hit on a rare query term, lifted to the score of a
                             passage every list ranked there: :func:`medref.index.fusion.anchor`)
      + evidence bonus      (guidelines / systematic reviews / labels above single studies,
                             strong for "what is the role / should I" questions, mild otherwise;
                             a retracted article, or a retraction notice, is pushed down: the
                             search page still lists it, flagged, and answers never cite it)
      + directness bonus    (the passage or its title mentions a key entity of the question)
      + current-label bonus (a superseded label version is pushed down)
      + recency bonus       (a tie-breaker: at most ``recency`` for the newest year)

Every part is kept in :class:`medref.models.ScoreParts` so the JSON output explains the rank.
"""

from __future__ import annotations

from dataclasses import dataclass

from medref.models import EvidenceLevel, ScoreParts, SourceKind


@dataclass(frozen=True)
class RerankWeights:
    evidence_role: float = 0.25  # per level step on role/recommendation questions
    evidence_other: float = 0.04
    direct: float = 0.20
    superseded: float = -0.5
    retracted: float = -0.5
    recency: float = 0.02
    recency_floor: int = 1990


def evidence_bonus(level: int, kind: SourceKind, *, role_question: bool, w: RerankWeights) -> float:
    """Bonus by evidence level: SYNTHESIS gets the most, LOW none."""
    steps = max(0, int(EvidenceLevel.LOW) - level)  # 3 for synthesis ... 0 for low
    if kind is SourceKind.DRUG_LABEL and role_question:
        steps = max(0, steps - 1)  # a label is authoritative for use, not for "what is the role"
    per = w.evidence_role if role_question else w.evidence_other
    return per * steps / 3


def recency_bonus(year: int | None, newest: int, w: RerankWeights) -> float:
    if not year or newest <= w.recency_floor:
        return 0.0
    span = max(1, newest - w.recency_floor)
    return w.recency * max(0, min(year, newest) - w.recency_floor) / span


def combine(parts: ScoreParts) -> float:
    return (
        parts.fused
        + parts.lexical_anchor
        + parts.evidence_bonus
        + parts.directness_bonus
        + parts.current_label_bonus
        + parts.recency_bonus
    )
