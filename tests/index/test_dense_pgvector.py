"""The pgvector dense backend, against the PostgreSQL with pgvector that the pgserver wheel ships
(``pgvector_url`` in tests/index/conftest.py; skipped when it is not installed or cannot start)."""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from medref.errors import ConfigError, IndexNotReadyError
from medref.index.base import LexicalQuery
from medref.index.dense_pgvector import PgvectorDenseIndex, copy_binary
from medref.index.factory import make_dense
from medref.index.sync import check_fresh, open_indexes, rebuild, store_watermark, sync
from medref.models import Deletion
from medref.settings import load_settings
from medref.store.repository import Store
from tests.index.test_sync import doc

DIM = 16


def _vectors(n: int, seed: int = 0) -> np.ndarray:
    rows = np.random.default_rng(seed).normal(size=(n, DIM)).astype(np.float32)
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_copy_binary_layout() -> None:
    data = copy_binary(np.array([7]), np.array([[0.5, -1.0]], dtype=np.float32), "vector")
    assert data.startswith(b"PGCOPY\n\xff\r\n\x00") and data.endswith(b"\xff\xff")
    body = data[19:-2]
    nf, idlen, pid, vlen, dim, unused = struct.unpack(">hiqihh", body[:22])
    assert (nf, idlen, pid, vlen, dim, unused) == (2, 8, 7, 12, 2, 0)
    assert struct.unpack(">ff", body[22:]) == (0.5, -1.0)
    half = copy_binary(np.array([7]), np.array([[0.5, -1.0]], dtype=np.float32), "halfvec")
    assert len(half) == len(data) - 4  # two bytes per component


def test_search_matches_exact_cosine(pgvector_url: str, tmp_path: Path) -> None:
    vecs = _vectors(300)
    ix = make_dense("pgvector", tmp_path / "dense", dim=DIM, url=pgvector_url, model="m1")
    ix.add(np.arange(1, 301), vecs)
    ix.commit(2)
    assert ix.count() == 300 and ix.watermark == 2
    query = vecs[41] + 0.1 * vecs[7]
    exact = (vecs @ (query / np.linalg.norm(query))).astype(np.float64)
    want = list(np.argsort(-exact)[:10] + 1)
    hits = ix.search(query, 10)
    assert len({h.id for h in hits} & set(want)) >= 9  # HNSW: approximate, but close on 300 rows
    assert hits[0].id == 42
    assert hits[0].score == pytest.approx(exact[41], abs=2e-3)  # halfvec rounds
    ix.remove([42])
    ix.add([5], vecs[41:42])  # an update: id 5 now holds 42's vector
    ix.commit(3)
    assert ix.search(query, 1)[0].id == 5 and ix.count() == 299
    ix.close()


def test_model_and_dimension_are_recorded(pgvector_url: str, tmp_path: Path) -> None:
    ix = make_dense("pgvector", tmp_path / "dense", dim=DIM, url=pgvector_url, model="m1")
    ix.add([1], _vectors(1))
    ix.commit(1)
    ix.close()
    with pytest.raises(IndexNotReadyError, match="model"):
        make_dense("pgvector", tmp_path / "dense", dim=DIM, url=pgvector_url, model="m2")
    with pytest.raises(IndexNotReadyError, match="dim"):
        make_dense("pgvector", tmp_path / "dense", dim=DIM + 1, url=pgvector_url, model="m1")
    with pytest.raises(ConfigError, match="storage"):
        PgvectorDenseIndex(tmp_path / "x", dim=DIM, url=pgvector_url, storage="f8")


def test_server_without_pgvector_is_a_clear_error(pg_url: str, tmp_path: Path) -> None:
    """The local test server has no pgvector: opening says so (skips where that server has it)."""
    try:
        make_dense("pgvector", tmp_path / "dense", dim=DIM, url=pg_url).close()
    except ConfigError as exc:
        assert "pgvector" in str(exc)
    else:
        pytest.skip("this PostgreSQL server has pgvector")


def test_sync_and_rebuild_with_the_store(pgvector_url: str, tmp_path: Path) -> None:
    settings = load_settings(
        data_dir=tmp_path / "host",
        database_url=pgvector_url,
        index={"lexical": "postgres", "dense": "pgvector", "embedder": "hashing"},
    )
    store = Store.open(pgvector_url)
    store.write_file(
        [doc("pmid:1", "tacrolimus trough levels"), doc("pmid:2", "belatacept")], path="a", fmt="x"
    )
    indexes = open_indexes(settings)
    assert isinstance(indexes.dense, PgvectorDenseIndex)
    sync(store, indexes)
    assert indexes.dense.count() == 4 and indexes.dense.watermark == store_watermark(store)
    store.write_file([Deletion(uid="pmid:2")], path="b", fmt="x")
    sync(store, indexes)
    assert indexes.dense.count() == 2
    vec = indexes.embedder.embed(["Record pmid:1. tacrolimus trough levels"])[0]
    top = indexes.dense.search(vec, 1)[0]
    assert top.id in {h.id for h in indexes.lexical.search(LexicalQuery(terms=[("tacrolimus", 1.0)]), 5)}
    indexes.close()
    report = rebuild(store, settings)
    assert report.rebuilt and report.added == 2
    again = open_indexes(settings, create=False)
    assert check_fresh(store, again) == 0 and again.dense is not None and again.dense.count() == 2
    again.close()
