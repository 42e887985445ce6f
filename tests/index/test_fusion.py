"""Reciprocal rank fusion and lexical anchors (medref.index.fusion)."""

from __future__ import annotations

import pytest

from medref.index.base import Hit
from medref.index.fusion import anchor, rrf


def hits(*ids: int) -> list[Hit]:
    return [Hit(i, 10.0 - r) for r, i in enumerate(ids)]


def test_rrf_sums_weighted_reciprocal_ranks() -> None:
    fused = rrf({"lexical": hits(1, 2), "dense": hits(2, 3)}, weights={"dense": 2.0}, k=10)
    by_id = {f.id: f for f in fused}
    assert by_id[2].score == pytest.approx(1 / 12 + 2 / 11)
    assert by_id[1].score == pytest.approx(1 / 11)
    assert by_id[3].score == pytest.approx(2 / 12)
    assert [f.id for f in fused] == [2, 3, 1]
    assert by_id[2].ranks == {"lexical": 2, "dense": 1}
    assert all(f.anchor == 0 for f in fused)


def test_lexical_only_top_hit_is_buried_by_plain_rrf_and_lifted_by_anchor() -> None:
    dense = hits(*range(100, 140))  # 40 passages the lexical side never finds
    lexical = hits(7, *range(100, 110))  # rank 1: an exact match the dense side misses
    weights = {"lexical": 1.0, "dense": 2.0}
    fused = rrf({"lexical": lexical, "dense": dense}, weights=weights, k=60)
    assert [f.id for f in fused].index(7) > 20

    lifted = anchor(fused, {7: 1}, lists=["lexical", "dense"], weights=weights, k=60)
    assert lifted[0].id == 7
    top = lifted[0]
    assert top.score == pytest.approx(1 / 61)  # the RRF part is kept as it was
    assert top.total == pytest.approx(3 / 61)  # as if both lists had ranked it first
    assert top.anchor == pytest.approx(3 / 61 - 1 / 61)
    assert sum(f.anchor > 0 for f in lifted) == 1


def test_anchor_rank_sets_how_high_the_hit_goes() -> None:
    weights = {"lexical": 1.0, "dense": 1.0}
    fused = rrf({"lexical": hits(7, 1, 2), "dense": hits(1, 2, 3, 4, 5)}, weights=weights, k=10)
    lifted = anchor(fused, {7: 3}, lists=["lexical", "dense"], weights=weights, k=10)
    # floor 2/13: above passage 3 (dense rank 3 = 1/13), below passages 1 and 2 (in both lists)
    assert [f.id for f in lifted][:3] == [1, 2, 7]
    assert lifted[2].total == pytest.approx(2 / 13)


def test_anchor_leaves_hits_above_the_floor_alone() -> None:
    weights = {"lexical": 1.0, "dense": 2.0}
    fused = rrf({"lexical": hits(1, 2), "dense": hits(1, 2)}, weights=weights, k=60)
    before = [(f.id, f.score) for f in fused]
    lifted = anchor(fused, {1: 1, 2: 5}, lists=["lexical", "dense"], weights=weights, k=60)
    assert [(f.id, f.score) for f in lifted] == before
    assert all(f.anchor == 0 for f in lifted)


def test_anchor_with_one_list_changes_nothing() -> None:
    fused = rrf({"lexical": hits(1, 2, 3)}, k=60)
    lifted = anchor(fused, {3: 3}, lists=["lexical"], k=60)
    assert [f.id for f in lifted] == [1, 2, 3]
    assert all(f.anchor == 0 for f in lifted)


def test_unknown_ids_and_bad_ranks_are_ignored() -> None:
    fused = rrf({"lexical": hits(1), "dense": hits(2)}, k=60)
    lifted = anchor(fused, {99: 1, 1: 0}, lists=["lexical", "dense"], k=60)
    assert all(f.anchor == 0 for f in lifted)
