"""Indexes follow the store: incremental sync, staleness, rebuild."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.errors import IndexNotReadyError
from medref.index.base import LexicalQuery
from medref.index.sync import check_fresh, open_indexes, rebuild, store_watermark, sync
from medref.ingest.base import DocumentBuilder
from medref.models import Deletion, Document, SourceKind
from medref.settings import load_settings
from medref.store.repository import Store


def doc(uid: str, body: str) -> Document:
    b = DocumentBuilder()
    b.add("Title", f"Record {uid}", kind="title", split=False)
    b.add("Abstract", body)
    return b.build(uid=uid, kind=SourceKind.RCT, title=f"Record {uid}")


def ids_for(indexes, word: str) -> set[int]:  # type: ignore[no-untyped-def]
    return {h.id for h in indexes.lexical.search(LexicalQuery(terms=[(word, 1.0)]), 50)}


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path, index={"dense": "numpy", "embedder": "hashing"})
    store = Store.open(settings.url)
    return settings, store


def test_incremental_add_update_delete(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    store.write_file(
        [doc("pmid:1", "tacrolimus trough levels"), doc("pmid:2", "belatacept infusion")], path="a", fmt="x"
    )
    indexes = open_indexes(settings)
    rep = sync(store, indexes)
    assert rep.added == 4 and indexes.lexical.count() == 4 and indexes.dense is not None
    assert indexes.dense.count() == 4
    assert len(ids_for(indexes, "tacrolimus")) == 1
    # update pmid:1 (passages replaced), delete pmid:2
    store.write_file([doc("pmid:1", "cyclosporine exposure"), Deletion(uid="pmid:2")], path="b", fmt="x")
    assert check_fresh(store, indexes) > 0
    rep = sync(store, indexes)
    assert rep.removed >= 4
    assert ids_for(indexes, "tacrolimus") == set() and ids_for(indexes, "belatacept") == set()
    assert len(ids_for(indexes, "cyclosporine")) == 1
    assert indexes.lexical.count() == 2 and indexes.dense.count() == 2
    assert check_fresh(store, indexes) == 0
    indexes.close()
    # state survives reopening
    again = open_indexes(settings, create=False)
    assert again.lexical.watermark == store_watermark(store)
    assert len(ids_for(again, "cyclosporine")) == 1
    again.close()


def test_missing_and_foreign_indexes_name_the_fix(env, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    with pytest.raises(IndexNotReadyError, match="medref index rebuild"):
        open_indexes(settings, create=False)
    store.write_file([doc("pmid:1", "one")], path="a", fmt="x")
    indexes = open_indexes(settings)
    sync(store, indexes)
    indexes.close()
    # a brand-new store behind the same index folder: the index is ahead of it
    other = Store.open(f"sqlite:///{tmp_path / 'other.sqlite'}")
    reopened = open_indexes(settings)
    with pytest.raises(IndexNotReadyError, match="rebuild"):
        check_fresh(other, reopened)
    reopened.close()


def test_rebuild_matches_incremental(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    store.write_file([doc(f"pmid:{i}", f"word{i} shared") for i in range(30)], path="a", fmt="x")
    store.write_file([Deletion(uid="pmid:3")], path="b", fmt="x")
    indexes = open_indexes(settings)
    sync(store, indexes)
    incremental = ids_for(indexes, "shared")
    indexes.close()
    rep = rebuild(store, settings)
    assert rep.rebuilt and rep.added == 58
    fresh = open_indexes(settings, create=False)
    assert ids_for(fresh, "shared") == incremental and len(incremental) == 29
    assert fresh.lexical.watermark == store_watermark(store)
    fresh.close()


def test_usearch_then_onnx_does_not_crash(tmp_path: Path) -> None:
    """Regression: a usearch add followed by an ONNX session used to segfault the process."""
    import subprocess
    import sys

    pytest.importorskip("onnxruntime")
    pytest.importorskip("usearch")
    code = (
        "import numpy as np\n"
        "from medref.index.dense_usearch import UsearchDenseIndex\n"
        "ix = UsearchDenseIndex(__import__('pathlib').Path(r'%s'), dim=384)\n"
        "v = np.random.default_rng(0).normal(size=(500, 384)).astype('float32')\n"
        "v /= np.linalg.norm(v, axis=1, keepdims=True)\n"
        "ix.add(list(range(500)), v)\n"
        "from medref.index.embed import get_embedder\n"
        "print(get_embedder('minilm-onnx').embed(['belatacept']).shape)\n" % (tmp_path / "u")
    )
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "(1, 384)" in proc.stdout


def test_ingest_rebuilds_an_index_it_cannot_use(env) -> None:  # type: ignore[no-untyped-def]
    from medref.index.sync import sync_after_ingest

    settings, store = env
    store.write_file([doc("pmid:1", "tacrolimus")], path="a", fmt="x")
    assert sync_after_ingest(store, settings).added == 2
    state = settings.index_dir / "lexical" / "state.json"
    assert state.is_file()
    state.write_text('{"backend": "tantivy", "analyzer": -1, "watermark": 0}')  # an older on-disk format
    store.write_file([doc("pmid:2", "cyclosporine")], path="b", fmt="x")
    report = sync_after_ingest(store, settings)
    assert report.rebuilt and report.added == 4
    fresh = open_indexes(settings, create=False)
    assert len(ids_for(fresh, "cyclosporine")) == 1
    fresh.close()
