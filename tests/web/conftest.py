"""Fixtures for the web tests: the app on the demo corpus (numpy dense index, hashing embedder).

``demo_app`` is module-scoped (ingesting and indexing take a few seconds); asking questions
adds answers to its store, so tests look up what they themselves created.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import Settings, load_settings
from medref.store.repository import Store
from medref.web.app import create_app


def indexed_settings(folder: Path, files: list[Path]) -> tuple[Settings, Retriever]:
    """Store and index ``files`` under ``folder``; returns the settings and a Retriever on them."""
    settings = load_settings(data_dir=folder, index={"dense": "numpy", "embedder": "hashing"})
    store = Store.open(settings.url)
    assert ingest_paths(store, files).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    retriever = Retriever(
        store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval
    )
    return settings, retriever


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[FastAPI]:
    settings, retriever = indexed_settings(tmp_path_factory.mktemp("web-demo"), demo_files())
    yield create_app(settings, retriever=retriever)
    retriever.close()


@pytest.fixture
def client(demo_app: FastAPI) -> TestClient:
    return TestClient(demo_app)
