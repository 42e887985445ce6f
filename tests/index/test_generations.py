"""`index rebuild` builds beside the live index and swaps atomically; a killed rebuild changes nothing."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from medref.errors import MedrefError
from medref.index import generations
from medref.index.sync import check_fresh, open_indexes, rebuild, sync
from medref.settings import load_settings
from medref.store.repository import Store
from tests.index.test_sync import doc, ids_for


@pytest.fixture
def env(tmp_path: Path):  # type: ignore[no-untyped-def]
    settings = load_settings(data_dir=tmp_path, index={"dense": "numpy", "embedder": "hashing"})
    store = Store.open(settings.url)
    store.write_file([doc(f"pmid:{i}", f"word{i} shared tacrolimus") for i in range(40)], path="a", fmt="x")
    return settings, store


def generation_folders(settings) -> list[str]:  # type: ignore[no-untyped-def]
    return sorted(p.name for p in settings.data_dir.iterdir() if p.name.startswith("index."))


def test_first_rebuild_moves_a_plain_folder_aside_and_links_the_new_generation(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    plain = open_indexes(settings)  # the layout before generations: a real folder
    sync(store, plain)
    plain.close()
    assert settings.index_dir.is_dir() and not settings.index_dir.is_symlink()
    report = rebuild(store, settings)
    assert report.added == 80
    link = settings.index_dir
    assert link.is_symlink() and os.readlink(link).startswith("index.gen-")
    assert generation_folders(settings) == [os.readlink(link)]  # the old folder is gone
    fresh = open_indexes(settings, create=False)
    assert len(ids_for(fresh, "tacrolimus")) == 40 and fresh.root == link.resolve()
    fresh.close()
    rebuild(store, settings)  # link to link: the previous generation is removed
    assert generation_folders(settings) == [os.readlink(link)]


def test_a_failed_rebuild_leaves_the_live_index_serving(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    rebuild(store, settings)
    before = os.readlink(settings.index_dir)
    store.write_file([doc(f"pmid:x{i}", f"extra{i}") for i in range(3000)], path="b", fmt="x")

    def boom(n: int) -> None:
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        rebuild(store, settings, progress=boom)
    assert os.readlink(settings.index_dir) == before and generation_folders(settings) == [before]
    live = open_indexes(settings, create=False)
    assert len(ids_for(live, "tacrolimus")) == 40
    live.close()


def test_a_reader_follows_a_rebuild(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    rebuild(store, settings)
    reader = open_indexes(settings, create=False)
    old_root = reader.root
    store.write_file([doc("pmid:new", "belatacept")], path="b", fmt="x")
    assert ids_for(reader, "belatacept") == set()
    rebuild(store, settings)
    assert check_fresh(store, reader) == 0  # reopened on the new generation
    assert reader.root != old_root and len(ids_for(reader, "belatacept")) == 1
    reader.close()


def test_a_second_rebuild_is_refused_while_one_runs(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    with generations.rebuild_lock(settings.index_dir), pytest.raises(MedrefError, match="keeps serving"):
        rebuild(store, settings)


def test_a_swap_stopped_between_its_renames_is_finished_by_a_reader(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    rebuild(store, settings)
    link = settings.index_dir
    target = os.readlink(link)
    link.unlink()  # as if killed after moving the old folder aside, before the new link's rename
    os.symlink(target, link.with_name(".index.swap"))
    reader = open_indexes(settings, create=False)
    assert link.is_symlink() and len(ids_for(reader, "tacrolimus")) == 40
    reader.close()


REBUILDER = textwrap.dedent(
    """
    import sys
    from medref.index.sync import rebuild
    from medref.settings import load_settings
    from medref.store.repository import Store
    settings = load_settings(data_dir=sys.argv[1], index={"dense": "numpy", "embedder": "hashing"})
    store = Store.open(settings.url)
    print("ready", flush=True)
    rebuild(store, settings)
    print("done", flush=True)
    """
)


def test_kill_9_during_rebuild_keeps_the_old_index_serving(env) -> None:  # type: ignore[no-untyped-def]
    settings, store = env
    store.write_file([doc(f"pmid:y{i}", f"filler{i} text") for i in range(4000)], path="b", fmt="x")
    rebuild(store, settings)
    root = Path(__file__).resolve().parents[2]
    rng = random.Random(3)
    for _ in range(3):
        proc = subprocess.Popen(
            [sys.executable, "-c", REBUILDER, str(settings.data_dir)], cwd=root, stdout=subprocess.PIPE,
            text=True, env={**os.environ, "PYTHONPATH": str(root)},
        )  # fmt: skip
        assert proc.stdout is not None and proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 1.5))
        proc.send_signal(signal.SIGKILL)
        proc.wait(30)
        live = open_indexes(settings, create=False)
        assert live.lexical.count() == 8080 and len(ids_for(live, "tacrolimus")) == 40
        assert check_fresh(store, live) == 0
        live.close()
    rebuild(store, settings)  # cleans what the killed rebuilds left
    assert generation_folders(settings) == [os.readlink(settings.index_dir)]
