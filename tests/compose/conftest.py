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
    """The illustrative demo corpus behind the retriever a user gets: the real MiniLM embedder
    when the dense extra is installed (the relevance model was fitted on its scores), otherwise
    lexical search alone with the lexical relevance model.

    Module-scoped: composing never writes to the store or the indexes.
    """
    tmp: Path = tmp_path_factory.mktemp("compose-demo")
    try:
        import onnxruntime  # noqa: F401

        index = {"dense": "numpy", "embedder": "minilm-onnx"}
    except ImportError:
        index = {"dense": "off"}
    settings = load_settings(data_dir=tmp, index=index)
    store = Store.open(settings.url)
    assert ingest_paths(store, demo_files()).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    r = Retriever(store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval)
    yield r
    r.close()
