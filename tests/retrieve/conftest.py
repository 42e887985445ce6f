"""A demo-corpus store with indexes, shared by the retrieval tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.models import ScoreParts
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import Settings, load_settings
from medref.store.repository import Store


def demo_settings(tmp: Path, *, dense: str = "numpy", embedder: str = "hashing") -> Settings:
    return load_settings(data_dir=tmp, index={"dense": dense, "embedder": embedder})


@pytest.fixture
def demo_retriever(tmp_path: Path) -> Iterator[Retriever]:
    settings = demo_settings(tmp_path)
    store = Store.open(settings.url)
    assert ingest_paths(store, demo_files()).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    r = Retriever(store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval)
    yield r
    r.close()


def parts_sum(s: ScoreParts) -> float:
    """What a hit's final score must be: every visible part added up."""
    return (
        s.fused
        + s.lexical_anchor
        + s.evidence_bonus
        + s.directness_bonus
        + s.current_label_bonus
        + s.recency_bonus
    )
