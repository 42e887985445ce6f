"""Lexical anchors in the Retriever: an exact rare name the dense side misses is not buried.

The corpus is a tiny PubMedQA-format file written for these tests (invented abstracts about
skin gene therapy; one names "beremagene geperpavec"). The dense side is a stand-in that ranks
passages in a fixed order, so each test says exactly what the dense model "found": the case
the fusion rule is for (the dense side never finds the rare name) and the cases it must leave
alone (the dense side found it; no rare term; a rare word that only phrases the question).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest

from medref.index.base import Hit
from medref.index.embed import HashingEmbedder
from medref.index.sync import open_indexes, store_watermark, sync
from medref.ingest.pipeline import ingest_paths
from medref.models import RetrievalResult
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import MAX_RARE_PASSAGES, Retriever, rare_limit
from medref.settings import load_settings
from medref.store.repository import Store
from tests.retrieve.conftest import parts_sum

FIXTURE = Path(__file__).parents[1] / "fixtures" / "benchmarks" / "pubmedqa_anchor.json"
RARE_NAME = "geperpavec"


class FixedDense:
    """A dense index whose ranking is given: the passages in ``order`` (score falls with rank)."""

    name = "fixed"
    dim = 8

    def __init__(self, order: list[int], watermark: int) -> None:
        self.order = order
        self.path = Path("fixed")
        self._watermark = watermark

    @property
    def watermark(self) -> int:
        return self._watermark

    def search(self, vector: np.ndarray, k: int) -> list[Hit]:
        return [Hit(pid, 1.0 - i / 1000) for i, pid in enumerate(self.order[:k])]

    def count(self) -> int:
        return len(self.order)

    def close(self) -> None:
        pass


@pytest.fixture
def corpus(tmp_path: Path) -> Iterator[tuple[Retriever, dict[int, str]]]:
    settings = load_settings(data_dir=tmp_path, index={"dense": "off"})
    store = Store.open(settings.url)
    assert ingest_paths(store, [FIXTURE]).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    texts = {pid: p.text for pid, (p, _doc) in store.passages_by_ids(list(range(1, 200))).items()}
    assert len(texts) == 26
    indexes.embedder = HashingEmbedder()
    r = Retriever(store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval)
    yield r, texts
    r.close()
    store.close()


def use_dense(r: Retriever, order: list[int]) -> None:
    r.indexes.dense = FixedDense(order, store_watermark(r.store))  # type: ignore[assignment]


def dense_missing(texts: dict[int, str], missing: Callable[[str], bool]) -> list[int]:
    """Every passage the predicate does not pick, in id order: a dense side that never finds them."""
    return [pid for pid in sorted(texts) if not missing(texts[pid])]


def rank_of(res: RetrievalResult, pred: Callable[[str], bool]) -> int:
    return next(i for i, h in enumerate(res.hits, start=1) if pred(h.passage.text))


def names_it(text: str) -> bool:
    return RARE_NAME in text.lower()


def check_parts(res: RetrievalResult) -> None:
    for h in res.hits:
        assert h.scores.final == pytest.approx(parts_sum(h.scores))
    assert max(h.scores.fused + h.scores.lexical_anchor for h in res.hits) == pytest.approx(1.0)


def test_rare_exact_name_missed_by_dense_is_anchored(corpus: tuple[Retriever, dict[int, str]]) -> None:
    r, texts = corpus
    use_dense(r, dense_missing(texts, names_it))
    q = "What is beremagene geperpavec used for?"

    r.settings = r.settings.model_copy(update={"anchor_top": 0})
    plain = r.search(q, k=26)
    buried = rank_of(plain, names_it)
    assert buried > 20  # RRF alone: a lexical-only hit loses to every passage the dense side lists
    assert all(h.scores.lexical_anchor == 0 for h in plain.hits)

    r.settings = r.settings.model_copy(update={"anchor_top": 3})
    res = r.search(q, k=26)
    assert rank_of(res, names_it) == 1
    top = res.hits[0].scores
    assert top.lexical_rank == 1 and top.dense_rank is None
    assert top.lexical_anchor > 0
    assert top.fused < plain.hits[0].scores.fused  # the plain RRF part is unchanged, the lift is apart
    assert sum(h.scores.lexical_anchor > 0 for h in res.hits) == 1
    check_parts(res)


def test_anchor_not_needed_when_dense_found_the_name(corpus: tuple[Retriever, dict[int, str]]) -> None:
    r, texts = corpus
    named = [pid for pid in sorted(texts) if names_it(texts[pid])]
    use_dense(r, named + dense_missing(texts, names_it))  # the dense side ranks it first
    res = r.search("What is beremagene geperpavec used for?", k=10)
    assert rank_of(res, names_it) == 1
    assert res.hits[0].scores.dense_rank == 1
    assert all(h.scores.lexical_anchor == 0 for h in res.hits)  # already above the floor
    check_parts(res)


def test_common_terms_leave_the_fusion_alone(corpus: tuple[Retriever, dict[int, str]]) -> None:
    r, texts = corpus
    use_dense(r, sorted(texts, reverse=True))
    q = "How do skin wounds heal after gene therapy?"
    r.settings = r.settings.model_copy(update={"anchor_top": 0})
    plain = r.search(q, k=15)
    r.settings = r.settings.model_copy(update={"anchor_top": 30, "anchor_rare_share": 0.08})
    res = r.search(q, k=15)
    assert all(h.scores.lexical_anchor == 0 for h in res.hits)
    assert [h.passage.id for h in res.hits] == [h.passage.id for h in plain.hits]


def test_rare_share_decides_what_counts_as_rare(corpus: tuple[Retriever, dict[int, str]]) -> None:
    r, texts = corpus
    use_dense(r, dense_missing(texts, lambda t: "infection" in t.lower()))
    q = "Does infection slow healing?"  # 'infection' is in two of the 26 passages
    r.settings = r.settings.model_copy(update={"anchor_rare_share": 0.04})  # at most 1 passage: not rare
    assert all(h.scores.lexical_anchor == 0 for h in r.search(q, k=26).hits)
    r.settings = r.settings.model_copy(update={"anchor_rare_share": 0.08})  # at most 2 passages: rare
    res = r.search(q, k=26)
    lifted = [h for h in res.hits if h.scores.lexical_anchor > 0]
    assert len(lifted) == 2 and all("infection" in h.passage.text.lower() for h in lifted)
    assert {h.passage.id for h in res.hits[:2]} == {h.passage.id for h in lifted}


def test_question_phrasing_is_never_an_anchor(corpus: tuple[Retriever, dict[int, str]]) -> None:
    r, texts = corpus
    # 'list' is in one passage only, so it is rare, but it says how the question is put
    use_dense(r, dense_missing(texts, lambda t: "list" in t.lower()))
    res = r.search("List wound dressings", k=26)
    assert all(h.scores.lexical_anchor == 0 for h in res.hits)


def test_anchor_needs_a_second_list(corpus: tuple[Retriever, dict[int, str]]) -> None:
    r, _texts = corpus
    res = r.search("What is beremagene geperpavec used for?", k=5, dense=False)
    assert res.backends == ["lexical"]
    assert names_it(res.hits[0].passage.text)
    assert all(h.scores.lexical_anchor == 0 for h in res.hits)


def test_rare_limit_scales_with_the_corpus_and_is_capped() -> None:
    assert rare_limit(0.0015, 26) == 1  # a tiny corpus: a term in one passage is rare
    assert rare_limit(0.0015, 11_489) == 17
    assert rare_limit(0.0015, 1_000_000) == MAX_RARE_PASSAGES == 200  # the probe cost stays small
    assert rare_limit(0.0, 1_000_000) == 1
