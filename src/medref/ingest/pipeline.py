"""Run parsers over files, folders and globs, storing each file all-or-nothing.

A failure in one file (unreadable, empty, malformed, a bad record) is recorded with a
message naming the file, the record and the problem; the batch goes on with the next
file and nothing stored earlier is lost.
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
from medref.ingest.registry import detect_format, get_parser, parse_options, read_head
from medref.models import IngestFileResult, IngestReport
from medref.store.repository import Store

ProgressFn = Callable[[str, int], None]
"""Called with (file path, number of records just written)."""


def expand_paths(inputs: Iterable[str | Path]) -> Iterator[Path | str]:
    """Files as given; folders recursively (hidden files skipped); globs expanded.

    Inputs that match nothing are yielded back as strings so they can be reported.
    """
    for raw in inputs:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and not any(
                    part.startswith(".") for part in child.relative_to(path).parts
                ):
                    yield child
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


def ingest_file(
    store: Store,
    path: Path,
    *,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
) -> IngestFileResult:
    """Parse and store one file; never raises for bad input, returns the result instead."""
    started = time.perf_counter()
    name = fmt
    try:
        head = read_head(path)
        if not head.strip():
            raise ParseError(path, "file is empty")
        name = fmt or detect_format(path, head)
        parser = get_parser(name)
        items = parser.parse(path, **parse_options(name, options or {}))
        result = store.write_file(
            items, path=str(path), fmt=name, progress=(lambda n: progress(str(path), n)) if progress else None
        )
    except MedrefError as exc:
        store.log_failure(path=str(path), fmt=name, error=str(exc))
        return IngestFileResult(
            path=str(path), format=name, error=str(exc), seconds=time.perf_counter() - started
        )
    result.seconds = time.perf_counter() - started
    return result


def _ingest_group(
    store: Store, paths: list[Path], *, fmt: str, progress: ProgressFn | None
) -> IngestFileResult:
    """Several files of a format whose records span files, stored as one all-or-nothing unit."""
    started = time.perf_counter()
    label = f"{len(paths)} {fmt} files under {os.path.commonpath(paths)}" if len(paths) > 1 else str(paths[0])
    parser = get_parser(fmt)
    try:
        items = parser.parse_many(paths)  # type: ignore[attr-defined]
        result = store.write_file(
            items, path=label, fmt=fmt, progress=(lambda n: progress(label, n)) if progress else None
        )
    except MedrefError as exc:
        store.log_failure(path=label, fmt=fmt, error=str(exc))
        return IngestFileResult(path=label, format=fmt, error=str(exc), seconds=time.perf_counter() - started)
    result.seconds = time.perf_counter() - started
    return result


def _groupable(path: Path, fmt: str | None) -> str | None:
    """The format name when ``path`` belongs to a multi-file format, else None."""
    try:
        name = fmt or detect_format(path)
        return name if getattr(get_parser(name), "parse_many", None) else None
    except MedrefError:
        return None  # reported when the file is ingested on its own


def ingest_paths(
    store: Store,
    inputs: Iterable[str | Path],
    *,
    fmt: str | None = None,
    options: dict[str, Any] | None = None,
    progress: ProgressFn | None = None,
    on_file: Callable[[IngestFileResult], None] | None = None,
) -> IngestReport:
    """Ingest every input; one bad file never stops the others."""
    report = IngestReport(started_at=datetime.now(UTC))
    singles: list[Path | str] = []
    groups: dict[str, list[Path]] = {}
    for item in expand_paths(inputs):
        group = _groupable(item, fmt) if isinstance(item, Path) else None
        if group:
            groups.setdefault(group, []).append(item)  # type: ignore[arg-type]
        else:
            singles.append(item)
    for item in singles:
        if isinstance(item, str):
            result = IngestFileResult(path=item, error=f"{item}: no such file or folder")
        else:
            result = ingest_file(store, item, fmt=fmt, options=options, progress=progress)
        report.files.append(result)
        if on_file:
            on_file(result)
    for name, paths in groups.items():
        result = _ingest_group(store, paths, fmt=name, progress=progress)
        report.files.append(result)
        if on_file:
            on_file(result)
    report.finished_at = datetime.now(UTC)
    return report
