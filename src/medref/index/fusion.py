"""Rank fusion: reciprocal rank fusion (default) with per-list weights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from medref.index.base import Hit


@dataclass(slots=True)
class Fused:
    id: int
    score: float = 0.0
    ranks: dict[str, int] = field(default_factory=dict)  # 1-based rank in each list
    scores: dict[str, float] = field(default_factory=dict)  # the backend's own score


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
