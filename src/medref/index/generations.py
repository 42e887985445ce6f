"""Index generations: a rebuild is built beside the live index and swapped in at once.

``Settings.index_dir`` (``<data_dir>/index``) is a symbolic link to the live *generation*,
a sibling folder holding the ``lexical`` and ``dense`` indexes::

    index -> index.gen-20250101T120000-4242     the live generation
    index.gen-20250101T120000-4242/lexical, dense
    .index.rebuild-lock                          held (flock) by a running rebuild

``medref index rebuild`` builds a new generation while the live one keeps serving, makes it
durable, then replaces the link in one ``rename`` (atomic on POSIX): a reader sees the old
generation or the new one, never a missing or half-built index. A rebuild killed at any
moment leaves the old generation serving; its unfinished folder is removed by the next
rebuild. A reader that opened the old generation follows the link on its next freshness
check (:meth:`medref.index.sync.IndexSet.refresh`).

An index folder from before generations (a real ``index`` directory) is served as it is;
the first rebuild moves it aside and links ``index`` to the new generation. That one
migration has a window of two renames in which ``index`` is missing; a reader or rebuild
that finds it so completes the swap (:func:`finish_interrupted_swap`).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from medref.errors import MedrefError
from medref.index.dense_numpy import fsync_dir

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: rebuilds are not kept apart
    fcntl = None  # type: ignore[assignment]

GEN = ".gen-"
OLD = ".old-"


def _swap_link(link: Path) -> Path:
    return link.with_name(f".{link.name}.swap")


def finish_interrupted_swap(link: Path) -> None:
    """``link`` missing but a swap link prepared: a swap stopped between its renames; finish it."""
    tmp = _swap_link(link)
    if os.path.lexists(link) or not tmp.is_symlink():
        return
    try:
        os.replace(tmp, link)
    except FileNotFoundError:  # another process finished it first
        return
    fsync_dir(link.parent)


def live_generation(link: Path) -> Path | None:
    """The folder ``link`` leads to now (``link`` itself for a pre-generation folder), or None."""
    finish_interrupted_swap(link)
    try:
        return link.resolve(strict=True)
    except (OSError, RuntimeError):
        return None


def new_generation(link: Path) -> Path:
    """A fresh, empty generation folder next to ``link``."""
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime())
    for n in range(1000):
        gen = link.with_name(f"{link.name}{GEN}{stamp}-{os.getpid()}" + (f"-{n}" if n else ""))
        try:
            gen.mkdir(parents=True)
        except FileExistsError:
            continue
        return gen
    raise MedrefError(f"cannot create a new index folder next to {link}")


def swap(link: Path, gen: Path) -> None:
    """Point ``link`` at ``gen`` atomically, then remove the generation it replaced."""
    fsync_dir(gen)
    old = live_generation(link)
    tmp = _swap_link(link)
    if os.path.lexists(tmp):
        tmp.unlink()
    try:
        os.symlink(gen.name, tmp, target_is_directory=True)
    except (OSError, NotImplementedError):  # no symbolic links here: a brief gap instead
        _swap_without_links(link, gen, old)
        return
    if link.is_dir() and not link.is_symlink():  # the pre-generation layout: move it aside first
        aside = link.with_name(f"{link.name}{OLD}{gen.name.rsplit(GEN, 1)[-1]}")
        os.rename(link, aside)
        old = aside
    with contextlib.suppress(FileNotFoundError):  # else a reader finished the swap for us
        os.replace(tmp, link)
    fsync_dir(link.parent)
    if old is not None and old != gen.resolve():
        shutil.rmtree(old, ignore_errors=True)


def _swap_without_links(link: Path, gen: Path, old: Path | None) -> None:
    if old is not None:
        aside = link.with_name(f"{link.name}{OLD}{gen.name.rsplit(GEN, 1)[-1]}")
        os.rename(link, aside)
        os.rename(gen, link)
        shutil.rmtree(aside, ignore_errors=True)
    else:
        os.rename(gen, link)
    fsync_dir(link.parent)


def remove_stale(link: Path, keep: Path | None = None) -> list[Path]:
    """Remove generation folders nothing links to (left by killed rebuilds) but ``keep`` (one
    being resumed); call under the lock."""
    live = live_generation(link)
    removed: list[Path] = []
    for pattern in (f"{link.name}{GEN}*", f"{link.name}{OLD}*"):
        for folder in link.parent.glob(pattern):
            if folder.is_dir() and not folder.is_symlink() and folder.resolve() not in (live, keep):
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder)
    return removed


@contextmanager
def rebuild_lock(link: Path) -> Iterator[None]:
    """Only one rebuild at a time for one index folder; a second one is refused at once."""
    if fcntl is None:  # pragma: no cover
        yield
        return
    link.parent.mkdir(parents=True, exist_ok=True)
    path = link.with_name(f".{link.name}.rebuild-lock")
    with open(path, "ab") as fh:
        try:
            fcntl.flock(fh.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise MedrefError(
                f"another `medref index rebuild` is building the index at {link}; "
                "wait for it to finish (the current index keeps serving meanwhile)"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(fh.fileno(), fcntl.LOCK_UN)
