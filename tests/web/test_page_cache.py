"""Monograph pages are built once per corpus version, drug and audience; an ingest rebuilds them,
and the review state shown with a cached monograph is still read on every request."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.ingest.pipeline import ingest_paths
from medref.models import Monograph, Review, ReviewStatus
from medref.web.cache import LRUCache, corpus_version
from medref.web.routes import monographs

DRUG = "belatacept"
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def builds(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Counts real monograph builds (the drug of each)."""
    real = monographs.builder()
    assert real is not None
    calls: list[str] = []

    def counting(drug: str, **kwargs: Any) -> Monograph:
        calls.append(drug)
        return real(drug, **kwargs)

    monkeypatch.setattr(monographs, "builder", lambda: counting)
    return calls


def test_second_request_is_served_from_the_cache_and_an_ingest_rebuilds(
    client: TestClient, demo_app: FastAPI, builds: list[str]
) -> None:
    first = client.get(f"/monographs/{DRUG}.json")
    assert first.status_code == 200, first.text
    assert client.get(f"/monographs/{DRUG}").status_code == 200  # the HTML twin shares the build
    assert client.get(f"/monographs/{DRUG}.json").json() == first.json()
    assert builds == [DRUG]

    assert client.get(f"/monographs/{DRUG}.json", params={"audience": "patient"}).status_code == 200
    assert builds == [DRUG, DRUG]  # another audience is another page

    before = corpus_version(demo_app.state.store)
    pubmed = FIXTURES / "pubmed" / "articles.xml"
    assert ingest_paths(demo_app.state.store, [pubmed]).ok
    assert corpus_version(demo_app.state.store) > before
    assert client.get(f"/monographs/{DRUG}.json").status_code == 200
    assert builds == [DRUG, DRUG, DRUG]


def test_review_state_is_fresh_on_a_cached_page(
    client: TestClient, builds: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    client.get(f"/monographs/{DRUG}?audience=pharmacist")
    seen: list[str] = []

    def review(engine: Any, item_id: str | None) -> Review | None:
        seen.append(str(item_id))
        return Review(
            item_id=str(item_id), item_kind="monograph", status=ReviewStatus.UNDER_REVIEW, version=1
        )

    monkeypatch.setattr(monographs, "item_review", review)
    html = client.get(f"/monographs/{DRUG}?audience=pharmacist").text
    assert len(builds) == 1 and len(seen) == 1  # served from the cache, review read anyway
    assert "Under Review" in html


def test_lru_keeps_the_most_recently_used_and_does_not_cache_errors() -> None:
    cache: LRUCache[int] = LRUCache(2)
    made: list[str] = []

    def make(key: str, value: int) -> Callable[[], int]:
        def build() -> int:
            made.append(key)
            return value

        return build

    cache.get_or_build("a", make("a", 1))
    cache.get_or_build("b", make("b", 2))
    assert cache.get_or_build("a", make("a", 9)) == 1  # hit; "a" is now the most recent
    cache.get_or_build("c", make("c", 3))  # drops "b"
    assert len(cache) == 2 and made == ["a", "b", "c"]
    assert cache.get_or_build("b", make("b", 4)) == 4 and made[-1] == "b"

    def broken() -> int:
        raise RuntimeError("no")

    with pytest.raises(RuntimeError):
        cache.get_or_build("x", broken)
    assert cache.get_or_build("x", make("x", 5)) == 5
    assert cache.stats.hits == 1
