"""Fixtures for the composer tests: the demo corpus, stored and indexed, behind a Retriever."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.repository import Store


@pytest.fixture(scope="module")
def demo_retriever(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Retriever]:
    """The illustrative demo corpus with the numpy dense index and the (fake) hashing embedder.

    Module-scoped: composing never writes to the store or the indexes.
    """
    tmp: Path = tmp_path_factory.mktemp("compose-demo")
    # The hashing fake is a bag of words, not a semantic model: weigh its list like the lexical
    # one instead of the default dense_weight, which was tuned for all-MiniLM-L6-v2.
    settings = load_settings(
        data_dir=tmp, index={"dense": "numpy", "embedder": "hashing"}, retrieval={"dense_weight": 1.0}
    )
    store = Store.open(settings.url)
    assert ingest_paths(store, demo_files()).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    r = Retriever(store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval)
    yield r
    r.close()
