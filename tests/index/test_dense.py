"""Dense index backends: exact numpy search and usearch HNSW, against the DenseIndex protocol."""

from __future__ import annotations

import builtins
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from medref.errors import ConfigError, IndexNotReadyError, InputError, MissingExtraError
from medref.index.base import DenseIndex
from medref.index.dense_auto import choose_dense_backend
from medref.index.dense_numpy import NumpyDenseIndex

DIM = 384


def _has_usearch() -> bool:
    # find_spec, not import: usearch must be loaded through medref (after onnxruntime)
    import importlib.util

    return importlib.util.find_spec("usearch") is not None


def _usearch(path: Path, **opts: Any) -> DenseIndex:
    from medref.index.dense_usearch import UsearchDenseIndex

    return UsearchDenseIndex(path, **opts)


needs_usearch = pytest.mark.skipif(not _has_usearch(), reason="usearch (the dense extra) is not installed")
BACKENDS = [
    pytest.param(NumpyDenseIndex, id="numpy-int8"),
    pytest.param(lambda p, **o: NumpyDenseIndex(p, dtype="float16", **o), id="numpy-float16"),
    pytest.param(_usearch, id="usearch-f16", marks=[needs_usearch, pytest.mark.dense]),
    pytest.param(
        lambda p, **o: _usearch(p, dtype="i8", **o), id="usearch-i8", marks=[needs_usearch, pytest.mark.dense]
    ),
]
Factory = Callable[..., DenseIndex]


def unit(rng: np.random.Generator, n: int, dim: int = DIM) -> np.ndarray:
    x = rng.standard_normal((n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1234)


@pytest.mark.parametrize("make", BACKENDS)
def test_new_index_is_empty(make: Factory, tmp_path: Path, rng: np.random.Generator) -> None:
    ix = make(tmp_path / "dense")
    assert isinstance(ix, DenseIndex)
    assert ix.count() == 0 and ix.watermark == 0
    assert ix.search(unit(rng, 1)[0], 10) == []
    ix.close()


@pytest.mark.parametrize("make", BACKENDS)
def test_finds_planted_neighbour_with_cosine_scores(
    make: Factory, tmp_path: Path, rng: np.random.Generator
) -> None:
    x = unit(rng, 1500)
    ids = np.arange(1500) * 7 + 3
    ix = make(tmp_path / "dense")
    ix.add(ids[:1000].tolist(), x[:1000])
    ix.commit(1)
    ix.add(ids[1000:].tolist(), x[1000:])  # half committed, half pending: both must be searched
    for row in (17, 1234):
        query = x[row] + 0.02 * unit(rng, 1)[0]  # a near copy of one stored vector
        hits = ix.search(query, 5)
        assert hits[0].id == ids[row]
        exact = x @ (query / np.linalg.norm(query))
        assert hits[0].score == pytest.approx(exact[row], abs=0.01)
        scores = [h.score for h in hits]
        assert scores == sorted(scores, reverse=True)
    hits = ix.search(x[0], 3000)  # k larger than the index
    assert len(hits) == 1500 and len({h.id for h in hits}) == 1500
    ix.close()


@pytest.mark.parametrize("make", BACKENDS)
def test_upsert_replaces_and_remove_removes(make: Factory, tmp_path: Path, rng: np.random.Generator) -> None:
    x = unit(rng, 300)
    ix = make(tmp_path / "dense")
    ix.add(list(range(1, 201)), x[:200])
    ix.commit(5)
    ix.add([7, 7], x[200:202])  # the same id twice in one call: the last vector wins
    assert ix.count() == 200
    assert ix.search(x[201], 1)[0].id == 7 and ix.search(x[201], 1)[0].score > 0.99
    assert all(h.id != 7 for h in ix.search(x[6], 3))  # the old vector of id 7 is gone
    assert all(h.id != 7 for h in ix.search(x[200], 3))  # and so is the overwritten duplicate

    ix.remove([9, 10, 10_000])  # unknown ids are ignored
    assert ix.count() == 198
    assert {9, 10}.isdisjoint(h.id for h in ix.search(x[8], 50))
    ix.commit(6)
    assert ix.count() == 198
    assert {9, 10}.isdisjoint(h.id for h in ix.search(x[9], 198))
    ix.add([9], x[250:251])  # re-adding a removed id works
    assert ix.search(x[250], 1)[0].id == 9 and ix.count() == 199
    ix.close()


@pytest.mark.parametrize("make", BACKENDS)
def test_persists_across_reopen_with_watermark(
    make: Factory, tmp_path: Path, rng: np.random.Generator
) -> None:
    x = unit(rng, 400)
    folder = tmp_path / "dense"
    ix = make(folder)
    ix.add(list(range(400)), x)
    ix.remove([5])
    ix.commit(42)
    before = [ix.search(x[i], 5) for i in (0, 99, 300)]
    ix.add([1000], x[:1])  # not committed: lost on close
    ix.close()

    again = make(folder, create=False)
    assert again.watermark == 42 and again.count() == 399
    assert [again.search(x[i], 5) for i in (0, 99, 300)] == before
    assert all(h.id not in (5, 1000) for h in again.search(x[5], 10))
    again.commit(43)  # nothing changed: only the watermark moves
    again.close()
    assert make(folder, create=False).watermark == 43

    third = make(folder)
    third.clear()
    assert third.count() == 0 and third.watermark == 0 and third.search(x[0], 3) == []
    third.close()
    assert make(folder, create=False).count() == 0


@pytest.mark.parametrize("make", BACKENDS)
def test_bad_vectors_are_refused(make: Factory, tmp_path: Path, rng: np.random.Generator) -> None:
    ix = make(tmp_path / "dense")
    good = unit(rng, 2)
    bad_inputs: list[tuple[list[int], Any]] = [
        ([1, 2], unit(rng, 2, dim=128)),  # wrong dim
        ([1], np.full((1, DIM), np.nan, dtype=np.float32)),  # NaN
        ([1], np.zeros((1, DIM), dtype=np.float32)),  # no direction
        ([1, 2, 3], good),  # ids and vectors disagree
        ([-1, 2], good),  # negative id
    ]
    for ids, vectors in bad_inputs:
        with pytest.raises(InputError) as err:
            ix.add(ids, vectors)
        assert isinstance(err.value, ValueError)
    with pytest.raises(InputError, match="384 dimensions"):
        ix.search(np.ones(100, dtype=np.float32), 5)
    with pytest.raises(InputError, match="NaN"):
        ix.search(np.full(DIM, np.nan, dtype=np.float32), 5)
    assert ix.count() == 0
    ix.close()


@pytest.mark.parametrize("make", BACKENDS)
def test_open_missing_or_other_dim(make: Factory, tmp_path: Path, rng: np.random.Generator) -> None:
    with pytest.raises(IndexNotReadyError, match="medref index rebuild"):
        make(tmp_path / "absent", create=False)
    ix = make(tmp_path / "dense")
    ix.add([1], unit(rng, 1))
    ix.commit(1)
    ix.close()
    with pytest.raises(IndexNotReadyError, match="rebuild"):
        make(tmp_path / "dense", dim=128, create=False)
    with pytest.raises(ConfigError, match="unknown option"):
        make(tmp_path / "dense", colour="blue")


def test_numpy_commit_drops_tombstones_and_old_files(tmp_path: Path, rng: np.random.Generator) -> None:
    folder = tmp_path / "dense"
    ix = NumpyDenseIndex(folder)
    ix.add(np.arange(100), unit(rng, 100))
    ix.commit(1)
    (folder / "numpy-vectors-000099.npy").write_bytes(b"left over by a crash")
    ix.remove(np.arange(0, 100, 2))
    ix.commit(2)
    meta = json.loads((folder / "numpy-meta.json").read_text())
    gen = meta["generation"]
    assert meta["count"] == 50
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [
            "numpy-meta.json",
            f"numpy-ids-{gen:06d}.npy",
            f"numpy-vectors-{gen:06d}.npy",
            f"numpy-scales-{gen:06d}.npy",
        ]
    )
    stored = np.load(folder / f"numpy-vectors-{gen:06d}.npy")
    assert stored.dtype == np.int8 and stored.shape == (50, DIM)
    assert np.load(folder / f"numpy-ids-{gen:06d}.npy").tolist() == list(range(1, 100, 2))
    ix.close()


def test_numpy_chunked_search_matches_one_pass(tmp_path: Path, rng: np.random.Generator) -> None:
    x = unit(rng, 1000)
    small = NumpyDenseIndex(tmp_path / "a", chunk_rows=7)
    whole = NumpyDenseIndex(tmp_path / "b", chunk_rows=5000)
    for ix in (small, whole):
        ix.add(np.arange(1000), x)
        ix.commit(1)
        ix.remove([3])
        ix.add([3000], x[3:4])
    q = unit(rng, 1)[0]
    a, b = small.search(q, 20), whole.search(q, 20)
    assert [h.id for h in a] == [h.id for h in b]
    assert [h.score for h in a] == pytest.approx([h.score for h in b], abs=1e-5)
    truth = np.argsort(-(x @ q))[:20]
    assert [h.id for h in small.search(q, 20)][:5] == [int(i) if i != 3 else 3000 for i in truth[:5]]


@needs_usearch
@pytest.mark.dense
def test_usearch_recall_on_random_vectors(tmp_path: Path, rng: np.random.Generator) -> None:
    x = unit(rng, 2000)
    queries = unit(rng, 50)
    ix = _usearch(tmp_path / "dense")
    ix.add(list(range(2000)), x)
    truth = np.argsort(-(queries @ x.T), axis=1)[:, :10]
    recall = np.mean(
        [
            len({h.id for h in ix.search(q, 10)} & set(t.tolist())) / 10
            for q, t in zip(queries, truth, strict=True)
        ]
    )
    assert recall >= 0.9
    ix.close()


@needs_usearch
@pytest.mark.dense
def test_usearch_view_mode_loads_on_first_change(tmp_path: Path, rng: np.random.Generator) -> None:
    x = unit(rng, 50)
    ix = _usearch(tmp_path / "dense")
    ix.add(list(range(50)), x)
    ix.commit(3)
    ix.close()
    viewed = _usearch(tmp_path / "dense", view=True, create=False)
    assert viewed.search(x[4], 1)[0].id == 4
    viewed.add([4], x[5:6])
    assert viewed.search(x[5], 2)[0].score > 0.99 and viewed.count() == 50
    viewed.close()


def test_usearch_missing_says_how_to_install(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    real_import = builtins.__import__

    def no_usearch(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "usearch" or name.startswith("usearch."):
            raise ImportError(f"No module named {name!r}")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_usearch)
    from medref.index.dense_usearch import UsearchDenseIndex

    with pytest.raises(MissingExtraError, match=r"medref\[dense\]") as err:
        UsearchDenseIndex(tmp_path / "dense")
    assert err.value.module == "usearch"


def test_choose_backend_by_size() -> None:
    assert choose_dense_backend(0) == "numpy"
    assert choose_dense_backend(1000) == "numpy"
    assert choose_dense_backend(5_000_000) == "usearch"
    picks = [choose_dense_backend(n) for n in range(0, 2_000_000, 10_000)]
    assert picks == sorted(picks)  # one switch point: numpy below it, usearch above
