"""Stores for the monograph tests: the demo corpus (with a retriever) and the real FDA labels.

The demo store is built once per module; the real-label store (humira, lipitor, cough, no-title
from ../shared/data/fda_spl plus the demo corpus) once per session, and tests using it also take
the ``shared_data`` fixture so they skip when the shared data folder is absent.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.models import Document, Monograph
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.repository import Store
from tests.conftest import SHARED_DATA

HERE = Path(__file__).resolve().parent
FIXTURES = HERE / "fixtures"
REAL_LABELS = {
    "humira": "humira.xml",
    "lipitor": "lipitor-orig.xml",
    "cough": "cough.xml",
    "no-title": "no-title.xml",
}
# the name each real label is asked for by
REAL_QUERIES = {
    "humira": "Humira",
    "lipitor": "atorvastatin",
    "cough": "Triaminic",
    "no-title": "haloperidol",
}


@pytest.fixture(scope="module")
def lexicon() -> Lexicon:
    return Lexicon.load(None)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Store, Retriever]]:
    """The demo corpus plus the tiny Zorvanta label, indexed (numpy dense, hashing embedder)."""
    tmp = tmp_path_factory.mktemp("monograph-demo")
    settings = load_settings(data_dir=tmp, index={"dense": "numpy", "embedder": "hashing"})
    store = Store.open(settings.url)
    assert ingest_paths(store, [*demo_files(), FIXTURES / "spl_zorvanta.xml"]).ok
    indexes = open_indexes(settings)
    sync(store, indexes)
    retriever = Retriever(
        store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval
    )
    yield store, retriever
    retriever.close()
    store.close()


@pytest.fixture(scope="session")
def real_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"shared data folder {SHARED_DATA} is absent")
    tmp = tmp_path_factory.mktemp("monograph-real")
    store = Store.open(f"sqlite:///{tmp / 'real.sqlite'}")
    files = [SHARED_DATA / "fda_spl" / name for name in REAL_LABELS.values()]
    assert ingest_paths(store, [*files, *demo_files()]).ok
    yield store
    store.close()


@pytest.fixture(scope="session")
def real_monographs(real_store: Store) -> dict[str, Monograph]:
    """One clinician monograph per real label (built-in lexicon, Drugs@FDA, no retriever)."""
    from medref.monograph import build_monograph

    lex = Lexicon.load(None)
    zip_path = SHARED_DATA / "fda_spl" / "drugsatfda.zip"
    return {
        key: build_monograph(
            REAL_QUERIES[key], store=real_store, retriever=None, lexicon=lex, drugsatfda=zip_path
        )
        for key in REAL_LABELS
    }


def label_doc(store: Store, m: Monograph) -> Document:
    assert m.label is not None
    return store.get_document(m.label.uid)
