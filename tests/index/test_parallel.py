"""Rebuilds with the embedding on worker processes or Ray: same indexes, resumable."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from medref.index import parallel, sync
from medref.index.embed import HashingEmbedder
from medref.index.sync import open_indexes, rebuild, store_watermark
from medref.ingest.base import DocumentBuilder
from medref.models import Document, SourceKind
from medref.settings import Settings, load_settings
from medref.store.repository import Store

WORDS = "tacrolimus belatacept trough infusion renal graft rejection dose exposure levels".split()


def doc(n: int) -> Document:
    b = DocumentBuilder()
    b.add("Title", f"Record {n} on {WORDS[n % len(WORDS)]}", kind="title", split=False)
    words = [WORDS[(n * 7 + i) % len(WORDS)] for i in range(12)]
    b.add("Abstract", f"{' '.join(words)}. Second sentence {n} about {WORDS[(n + 3) % len(WORDS)]}.")
    return b.build(uid=f"pmid:{n}", kind=SourceKind.RCT, title=f"Record {n}")


def make_env(tmp: Path, **index: Any) -> tuple[Settings, Store]:
    settings = load_settings(data_dir=tmp, index={"dense": "numpy", "embedder": "hashing", **index})
    store = Store.open(settings.url)
    store.write_file([doc(n) for n in range(30)], path="a", fmt="x")
    return settings, store


def snapshot(settings: Settings) -> tuple[int, list[list[tuple[int, float]]]]:
    """Lexical count and the dense hits (ids, exact scores) for a fixed set of query vectors."""
    indexes = open_indexes(settings, create=False)
    try:
        assert indexes.dense is not None
        queries = HashingEmbedder(dim=indexes.dense.dim).embed(WORDS)
        hits = [[(h.id, h.score) for h in indexes.dense.search(q, 10)] for q in queries]
        return indexes.lexical.count(), hits
    finally:
        indexes.close()


@pytest.fixture(autouse=True)
def small_batches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sync, "BATCH", 7)  # several batches from a tiny store


def test_two_worker_processes_build_the_same_index(tmp_path: Path) -> None:
    one_settings, one_store = make_env(tmp_path / "one")
    two_settings, two_store = make_env(tmp_path / "two")
    one = rebuild(one_store, one_settings)
    seen: list[tuple[int, int]] = []
    two = rebuild(two_store, two_settings, workers=2, total=lambda n, done: seen.append((n, done)))
    assert one.added == two.added == 60 and seen == [(60, 0)]
    count, hits = snapshot(two_settings)
    assert count == 60 and any(hits)
    assert (count, hits) == snapshot(one_settings)
    indexes = open_indexes(two_settings, create=False)
    assert indexes.lexical.watermark == store_watermark(two_store)
    indexes.close()


@pytest.mark.dense
def test_worker_processes_give_identical_minilm_vectors(tmp_path: Path) -> None:
    if importlib.util.find_spec("onnxruntime") is None:
        pytest.skip("the dense extra is not installed")
    one_settings, one_store = make_env(tmp_path / "one", embedder="minilm-onnx")
    two_settings, two_store = make_env(tmp_path / "two", embedder="minilm-onnx")
    rebuild(one_store, one_settings)
    rebuild(two_store, two_settings, workers=2)
    assert snapshot(one_settings) == snapshot(two_settings)


def test_an_interrupted_rebuild_is_continued(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings, store = make_env(tmp_path)
    rebuild(store, settings)  # a live index that must keep serving meanwhile
    before = snapshot(settings)
    store.write_file([doc(n) for n in range(30, 45)], path="b", fmt="x")
    monkeypatch.setattr(parallel, "CHECKPOINT_S", 0.0)  # a checkpoint after every batch
    written: list[int] = []

    def stop_on_third(n: int) -> None:
        written.append(n)
        if len(written) == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(store, settings, workers=2, progress=stop_on_third)
    assert snapshot(settings) == before  # the live generation is untouched
    gen = parallel.resumable(settings.index_dir, store, settings)
    assert gen is not None and parallel.read_checkpoint(gen) is not None
    seen: list[tuple[int, int]] = []
    rest = rebuild(store, settings, total=lambda n, done: seen.append((n, done)))
    assert seen == [(90, 14)]  # two batches of 7 passage ids were checkpointed
    assert rest.added == 90 - 14
    assert not gen.exists() or gen.resolve() == settings.index_dir.resolve()
    fresh_settings, fresh_store = make_env(tmp_path / "fresh")
    fresh_store.write_file([doc(n) for n in range(30, 45)], path="b", fmt="x")
    rebuild(fresh_store, fresh_settings)
    assert snapshot(settings) == snapshot(fresh_settings)


def test_a_checkpoint_of_other_backends_is_not_resumed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings, store = make_env(tmp_path)
    monkeypatch.setattr(parallel, "CHECKPOINT_S", 0.0)

    calls: list[int] = []

    def stop(n: int) -> None:
        calls.append(n)
        if len(calls) > 1:  # after the first checkpoint
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        rebuild(store, settings, progress=stop)
    assert parallel.resumable(settings.index_dir, store, settings) is not None
    other = settings.model_copy(update={"index": settings.index.model_copy(update={"lexical": "fts5"})})
    assert parallel.resumable(other.index_dir, store, other) is None
    assert rebuild(store, other).added == 60


def test_bad_worker_count_is_refused(tmp_path: Path) -> None:
    settings, store = make_env(tmp_path)
    with pytest.raises(Exception, match="at least 1"):
        rebuild(store, settings, workers=0)


@pytest.mark.ray
def test_ray_actors_build_the_same_index(tmp_path: Path) -> None:
    pytest.importorskip("ray")
    one_settings, one_store = make_env(tmp_path / "one")
    two_settings, two_store = make_env(tmp_path / "two")
    rebuild(one_store, one_settings)
    report = rebuild(two_store, two_settings, workers=2, use_ray=True)
    assert report.added == 60
    assert snapshot(one_settings) == snapshot(two_settings)


CHILD = """
import sys, time
from medref.index import parallel, sync
from medref.settings import load_settings
from medref.store.repository import Store
parallel.CHECKPOINT_S = 0.0
sync.BATCH = 7
settings = load_settings(data_dir=sys.argv[1], index={"dense": "numpy", "embedder": "hashing"})
sync.rebuild(Store.open(settings.url), settings, workers=2, progress=lambda n: time.sleep(0.3))
"""


def test_a_killed_rebuild_is_continued(tmp_path: Path) -> None:
    settings, store = make_env(tmp_path)
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)])
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            points = [parallel.read_checkpoint(g) for g in tmp_path.glob("index.gen-*")]
            if any(p is not None and p.last_id >= 14 for p in points):
                break
            assert child.poll() is None, "the rebuild ended before it could be killed"
            time.sleep(0.05)
        else:
            pytest.fail("no checkpoint within 120 s")
    finally:
        child.kill()
        child.wait()
    seen: list[tuple[int, int]] = []
    rest = rebuild(store, settings, total=lambda n, done: seen.append((n, done)))
    assert seen[0][0] == 60 and seen[0][1] >= 14 and rest.added == 60 - seen[0][1]
    fresh_settings, fresh_store = make_env(tmp_path / "fresh")
    rebuild(fresh_store, fresh_settings)
    assert snapshot(settings) == snapshot(fresh_settings)
    assert [g.name for g in tmp_path.glob("index.gen-*")] == [settings.index_dir.resolve().name]


def test_in_database_indexes_are_not_checkpointed(tmp_path: Path) -> None:
    settings = load_settings(data_dir=tmp_path, index={"lexical": "postgres", "dense": "pgvector"})
    assert parallel.in_database(settings)
    assert not parallel.in_database(load_settings(data_dir=tmp_path, index={"dense": "numpy"}))
