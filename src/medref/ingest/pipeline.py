"""Run parsers over files, folders and globs, storing each file all-or-nothing.

A failure in one file (unreadable, empty, malformed, a bad record, a decompression bomb, or
an unexpected error in a parser or the store) is recorded with a message naming the file,
the record and the problem; the batch goes on with the next file and nothing stored earlier
is lost. Only KeyboardInterrupt and SystemExit stop a batch.

A folder is walked without leaving it: a symbolic link inside it that points outside it is
refused (reported, not read), so a link to /etc/passwd is never stored.
"""

from __future__ import annotations

import glob
import os
import time
from collections.abc import Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medref.errors import MedrefError, ParseError
from medref.ingest.base import storable
from medref.ingest.compressed import Limits, use_limits
from medref.ingest.registry import detect_format, get_parser, parse_options, read_head
from medref.models import IngestFileResult, IngestReport
from medref.store.repository import Store

ProgressFn = Callable[[str, int], None]
"""Called with (file path, number of records just written)."""


class Refused(str):
    """An input expand_paths will not read, with the reason (a str: the path as given)."""

    reason: str

    def __new__(cls, path: str, reason: str) -> Refused:
        self = super().__new__(cls, path)
        self.reason = reason
        return self


def _inside(child: Path, root: Path) -> bool:
    try:
        child.resolve(strict=True).relative_to(root)
    except (OSError, RuntimeError, ValueError):
        return False  # outside, dangling or a link loop
    return True


def _walk(folder: Path) -> Iterator[Path | str]:
    """Files under ``folder`` (hidden ones skipped), refusing links that lead out of it."""
    root = folder.resolve()
    for child in sorted(folder.rglob("*")):
        rel = child.relative_to(folder)
        if any(part.startswith(".") for part in rel.parts):
            continue
        if not _inside(child, root):
            between = (folder.joinpath(*rel.parts[:i]) for i in range(1, len(rel.parts)))
            if child.is_symlink() or any(p.is_symlink() for p in between):
                where = "points outside the folder being ingested" if child.exists() else "leads nowhere"
                yield Refused(str(child), f"symbolic link {where}; not read")
                continue
        if child.is_file():
            yield child


def expand_paths(inputs: Iterable[str | Path]) -> Iterator[Path | str]:
    """Files as given; folders recursively (hidden files skipped); globs expanded.

    Inputs that match nothing are yielded back as strings so they can be reported; files a
    folder walk refuses (links out of the folder) come back as :class:`Refused` strings.
    """
    for raw in inputs:
        path = Path(raw)
        try:
            if path.is_dir():
                yield from _walk(path)
            elif path.exists():
                yield path
            elif any(ch in str(raw) for ch in "*?["):
                matches = sorted(glob.glob(str(raw), recursive=True))
                if not matches:
                    yield str(raw)
                for m in matches:
                    if Path(m).is_file():
                        yield Path(m)
            else:
                yield str(raw)
        except OSError as exc:
            yield Refused(str(raw), f"could not be listed: {exc.strerror or exc}")


def describe(exc: BaseException) -> str:
    """The reason given for a failed file: a MedrefError's own message; anything else with its type."""
    if isinstance(exc, MedrefError):
        return str(exc)
    if isinstance(exc, RecursionError):
        return "RecursionError: the data is nested too deeply to process"
    if isinstance(exc, MemoryError):
        return "MemoryError: the file needs more memory than is available"
    text = str(exc)
    if len(text) > 500:
        text = text[:500] + "..."
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _storable_sources(items: Iterable[Any]) -> Iterator[Any]:
    """Items with a storable ``source_path``: a file name that is not valid UTF-8 comes back from
    the OS with lone surrogates, which no store can encode (they become U+FFFD)."""
    for item in items:
        source = getattr(item, "source_path", None)
        if source and storable(source) is not source:
            item = item.model_copy(update={"source_path": storable(source)})
        yield item


def _failed(store: Store, label: str, fmt: str | None, exc: Exception, started: float) -> IngestFileResult:
    """Record a failed file; the message always names it. Logging the failure never raises."""
    reason = describe(exc)
    message = storable(reason if reason.startswith(label) else f"{label}: {reason}")
    try:
        store.log_failure(path=storable(label), fmt=fmt, error=message)
    except Exception as log_exc:  # the store is down: the report still carries the failure
        message += f" (the failure could not be logged: {describe(log_exc)})"
    return IngestFileResult(path=label, format=fmt, error=message, seconds=time.perf_counter() - started)


def ingest_file(
    store: Store,
    path: Path,
    *,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    limits: Limits | None = None,
) -> IngestFileResult:
    """Parse and store one file; never raises for a bad file, returns the result instead."""
    started = time.perf_counter()
    name = fmt
    try:
        with use_limits(limits):
            head = read_head(path)
            if not head.strip():
                raise ParseError(path, "file is empty")
            name = fmt or detect_format(path, head)
            parser = get_parser(name)
            items = parser.parse(path, **parse_options(name, options or {}))
            result = store.write_file(
                _storable_sources(items),
                path=storable(str(path)),
                fmt=name,
                progress=(lambda n: progress(str(path), n)) if progress else None,
            )
    except Exception as exc:  # one bad file never stops the batch (KeyboardInterrupt still does)
        return _failed(store, str(path), name, exc, started)
    result.seconds = time.perf_counter() - started
    return result


def _ingest_group(
    store: Store, paths: list[Path], *, fmt: str, progress: ProgressFn | None, limits: Limits | None
) -> IngestFileResult:
    """Several files of a format whose records span files, stored as one all-or-nothing unit."""
    started = time.perf_counter()
    label = f"{len(paths)} {fmt} files under {os.path.commonpath(paths)}" if len(paths) > 1 else str(paths[0])
    try:
        parser = get_parser(fmt)
        with use_limits(limits):
            items = parser.parse_many(paths)  # type: ignore[attr-defined]
            result = store.write_file(
                _storable_sources(items),
                path=storable(label),
                fmt=fmt,
                progress=(lambda n: progress(label, n)) if progress else None,
            )
    except Exception as exc:  # as in ingest_file
        return _failed(store, label, fmt, exc, started)
    result.seconds = time.perf_counter() - started
    return result


def _groupable(path: Path, fmt: str | None, limits: Limits | None) -> str | None:
    """The format name when ``path`` belongs to a multi-file format, else None."""
    try:
        with use_limits(limits):
            name = fmt or detect_format(path)
        return name if getattr(get_parser(name), "parse_many", None) else None
    except Exception:
        return None  # reported when the file is ingested on its own


def ingest_paths(
    store: Store,
    inputs: Iterable[str | Path],
    *,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    on_file: Callable[[IngestFileResult], None] | None = None,
    limits: Limits | None = None,
) -> IngestReport:
    """Ingest every input; one bad file never stops the others.

    ``limits`` caps how far each compressed input may expand (default: :data:`DEFAULT_LIMITS
    <medref.ingest.compressed.DEFAULT_LIMITS>`; the CLI passes ``Settings.ingest``'s).
    """
    report = IngestReport(started_at=datetime.now(UTC))
    singles: list[Path | str] = []
    groups: dict[str, list[Path]] = {}
    for item in expand_paths(inputs):
        group = _groupable(item, fmt, limits) if isinstance(item, Path) else None
        if group:
            groups.setdefault(group, []).append(item)  # type: ignore[arg-type]
        else:
            singles.append(item)
    for item in singles:
        if isinstance(item, Refused):
            result = IngestFileResult(path=item, error=f"{item}: {item.reason}")
        elif isinstance(item, str):
            result = IngestFileResult(path=item, error=f"{item}: no such file or folder")
        else:
            result = ingest_file(store, item, fmt=fmt, options=options, progress=progress, limits=limits)
        report.files.append(result)
        if on_file:
            on_file(result)
    for name, paths in groups.items():
        result = _ingest_group(store, paths, fmt=name, progress=progress, limits=limits)
        report.files.append(result)
        if on_file:
            on_file(result)
    report.finished_at = datetime.now(UTC)
    return report
