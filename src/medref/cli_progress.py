"""The progress bar every long CLI command shows (shared by ingest, rebuild and fetch)."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def progress_bar(console: Console, *, show: bool) -> Progress:
    """Counts and elapsed time on ``console``; gone when done; nothing at all unless ``show``."""
    return Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=not show,
        transient=True,
    )
