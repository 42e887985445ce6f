"""Rank fusion: reciprocal rank fusion (default) with per-list weights, and lexical anchors.

Plain RRF buries a passage that only one list finds: a lexical-only hit at rank 1 scores
``w_lex / (k + 1)``, less than a passage both lists put near rank 30. When the lexical hit is an
exact match on a rare name (a tool, a gene, a new drug) that the dense model cannot represent,
that is the wrong way round. :func:`anchor` lifts such a hit to the score it would have had if
every list had ranked it where the lexical list did; the lift is kept apart (``Fused.anchor``)
so the ranking stays explainable.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from medref.index.base import Hit


@dataclass(slots=True)
class Fused:
    id: int
    score: float = 0.0  # the RRF score
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank in each list
    scores: dict[str, float] = field(default_factory=dict)  # the backend's own score
    anchor: float = 0.0  # lift from :func:`anchor` (0 for most hits)

    @property
    def total(self) -> float:
        return self.score + self.anchor


def rrf(
    lists: Mapping[str, Sequence[Hit]], *, weights: Mapping[str, float] | None = None, k: int = 60
) -> list[Fused]:
    """Reciprocal rank fusion: score(d) = sum_l w_l / (k + rank_l(d)). Ties keep first-seen order."""
    weights = weights or {}
    out: dict[int, Fused] = {}
    for name, hits in lists.items():
        w = weights.get(name, 1.0)
        for rank, hit in enumerate(hits, start=1):
            f = out.get(hit.id)
            if f is None:
                f = out[hit.id] = Fused(hit.id)
            f.ranks[name] = rank
            f.scores[name] = hit.score
            f.score += w / (k + rank)
    return sorted(out.values(), key=lambda f: f.score, reverse=True)


def anchor(
    fused: Sequence[Fused],
    anchored: Mapping[int, int],
    *,
    lists: Sequence[str],
    weights: Mapping[str, float] | None = None,
    k: int = 60,
) -> list[Fused]:
    """Lift each ``anchored`` hit (id -> its rank r in the list that vouches for it) to at least
    ``sum over lists of w_l / (k + r)``: the RRF score of a passage every list ranked r. Hits that
    already score that much are left alone. Returns the hits re-sorted by ``score + anchor``
    (ties keep the RRF order)."""
    weights = weights or {}
    total_w = sum(weights.get(name, 1.0) for name in lists)
    for f in fused:
        rank = anchored.get(f.id)
        if rank is not None and rank >= 1:
            f.anchor = max(0.0, total_w / (k + rank) - f.score)
    return sorted(fused, key=lambda f: f.total, reverse=True)
