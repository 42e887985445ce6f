"""The ``medref`` command line: a thin shell over the package's Python API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from medref import __version__
from medref.errors import MedrefError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False, help="medref: cited medical reference answers over your own corpus.")
db_app = typer.Typer(no_args_is_help=True, help="Database schema commands.")
demo_app = typer.Typer(no_args_is_help=True, help="The bundled illustrative demo corpus.")
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")

console = Console(stderr=True)
out = Console()


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command()
def version() -> None:
    """Print the medref version."""
    out.print(__version__)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders or globs")],
    format: Annotated[str | None, typer.Option("--format", "-f", help="force a format instead of detecting it")] = None,
    issuer: Annotated[str | None, typer.Option(help="guideline issuer (overrides front matter)")] = None,
    year: Annotated[int | None, typer.Option(help="guideline year (overrides front matter)")] = None,
    title: Annotated[str | None, typer.Option(help="guideline title (overrides front matter)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Ingest PubMed XML, SPL labels, ClinicalTrials.gov JSON, guidelines and benchmark files."""
    from medref.deps import open_store
    from medref.ingest.pipeline import ingest_paths

    store = open_store()
    options = {"issuer": issuer, "year": year, "title": title}
    show = not quiet and not as_json and console.is_terminal
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
        console=console, disable=not show, transient=True,
    ) as bar:
        task = bar.add_task("records", total=None)
        report = ingest_paths(
            store, paths, fmt=format, options=options,
            progress=lambda _p, n: bar.advance(task, n),
            on_file=lambda r: console.print(f"[red]error[/red] {r.error}") if r.error and not as_json else None,
        )
    _after_ingest(store)
    if as_json:
        _emit_json(report.model_dump(mode="json"))
    else:
        table = Table(title="ingest summary")
        for col in ("files", "failed", "documents", "passages", "new", "updated", "unchanged", "deleted"):
            table.add_column(col, justify="right")
        table.add_row(
            str(len(report.files)), str(sum(1 for f in report.files if f.error)),
            *(str(report.total(a)) for a in ("documents", "passages", "inserted", "updated", "unchanged", "deleted")),
        )
        out.print(table)
    if not report.ok:
        raise typer.Exit(1)


def _after_ingest(store: Any) -> None:
    """Hook for index maintenance after ingest (filled in by the index stage)."""
    try:
        from medref.index.sync import sync_after_ingest
    except ImportError:
        return
    sync_after_ingest(store)


@app.command()
def stats(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Counts of what the store holds."""
    from medref.deps import open_store

    data = open_store().stats()
    if as_json:
        _emit_json(data)
        return
    table = Table(title="medref store")
    table.add_column("what")
    table.add_column("count", justify="right")
    for key in ("documents", "passages", "superseded_label_versions", "files_ingested", "files_failed"):
        table.add_row(key.replace("_", " "), str(data[key]))
    for kind, n in data["by_kind"].items():
        table.add_row(f"  {kind}", str(n))
    table.add_row("newest source date", str(data["newest_source_date"]))
    table.add_row("database", data["database"])
    out.print(table)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply pending schema migrations."""
    from medref.deps import get_settings
    from medref.store.db import make_engine
    from medref.store.migrate import current_revision, upgrade

    settings = get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    upgrade(engine)
    out.print(f"schema at revision {current_revision(engine)}")


@db_app.command("current")
def db_current() -> None:
    """Show the schema revision."""
    from medref.deps import get_settings
    from medref.store.db import make_engine
    from medref.store.migrate import current_revision, head_revision

    engine = make_engine(get_settings().url)
    out.print(f"current {current_revision(engine)} (head {head_revision()})")


@demo_app.command("build")
def demo_build() -> None:
    """Ingest the bundled illustrative demo corpus into the configured store."""
    from medref.deps import DEMO_CORPUS, open_store
    from medref.ingest.pipeline import ingest_paths

    store = open_store()
    report = ingest_paths(store, [DEMO_CORPUS], options={})
    _after_ingest(store)
    for f in report.files:
        if f.error:
            console.print(f"[red]error[/red] {f.error}")
    out.print(
        f"demo corpus: {len(report.files)} files, {report.total('documents')} documents, "
        f"{report.total('passages')} passages ({report.total('inserted')} new, "
        f"{report.total('updated')} updated, {report.total('unchanged')} unchanged)"
    )
    if not report.ok:
        raise typer.Exit(1)


@app.command("main")
def main_job() -> None:
    """The main job of `make run`: store statistics, then a search of the demo corpus."""
    stats(as_json=False)


def main() -> None:
    try:
        app()
    except MedrefError as exc:
        console.print(f"[red]error:[/red] {exc}")
        sys.exit(2)


if __name__ == "__main__":
    main()
