"""``medref fetch ...``: download public data (the only commands that use the network).

    medref fetch pubmed --query "belatacept[tiab]" --ingest
    medref fetch pubmed --pmids pmids.txt
    medref fetch pubmed --baseline --limit 2          # MEDLINE release files, MD5-checked
    medref fetch dailymed --name belatacept           # every version of each label set
    medref fetch ctgov --condition "kidney transplant" --intervention belatacept
    medref fetch vocab --lexicon                      # DrugBank vocabulary + MeSH, then the lexicon

Files land in ``<data_dir>/<source>/`` where ``medref ingest`` reads them; ``--ingest`` ingests
them right away. Re-running the same command resumes (see docs/fetch.md). Registered in
:mod:`medref.cli` as the ``fetch`` sub-app.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.markup import escape

from medref.cli_progress import progress_bar

if TYPE_CHECKING:
    from medref.ingest.fetch.base import FetchReport, ProgressFn

fetch_app = typer.Typer(
    no_args_is_help=True,
    help="Download public data (PubMed, DailyMed, ClinicalTrials.gov, MeSH/DrugBank) for ingest.",
)
console = Console(stderr=True)

OutOpt = Annotated[
    Path | None, typer.Option("--out", help="folder for the files (default <data_dir>/<source>)")
]
IngestOpt = Annotated[bool, typer.Option("--ingest", help="ingest the fetched files into the store")]
JsonOpt = Annotated[bool, typer.Option("--json", help="print the report as JSON")]
QuietOpt = Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")]


def _run(
    label: str, work: Callable[[ProgressFn], FetchReport], *, ingest: bool, as_json: bool, quiet: bool
) -> None:
    """Run one fetch under a progress bar, print its report, optionally ingest, exit 1 on errors."""
    show = not quiet and not as_json and console.is_terminal
    with progress_bar(console, show=show) as bar:
        task = bar.add_task(label, total=None)

        def progress(advance: int, total: int | None) -> None:
            if total is not None:
                bar.update(task, total=total)
            if advance:
                bar.advance(task, advance)

        report = work(progress)
    data: dict[str, Any] = report.as_dict()
    if ingest and report.files():
        data["ingest"] = _ingest(report)
    if as_json:
        sys.stdout.write(json.dumps(data, indent=2, default=str) + "\n")
    else:
        console.print(
            f"{label}: {len(report.written)} files written, {report.skipped} already there, "
            f"{report.records} records, {report.requests} requests -> {escape(str(report.folder))}"
        )
        for note in report.notes:
            console.print(f"note: {escape(note)}")
        for error in report.errors:
            console.print(f"[red]error[/red] {escape(error)}")
        if "ingest" in data:
            console.print(f"ingested: {data['ingest']}")
        elif not ingest and report.files() and report.source != "vocab":
            console.print(f"next: medref ingest {escape(str(report.folder))}")
    ingest_failed = bool(data.get("ingest", {}).get("failed"))
    if report.errors or ingest_failed:
        raise typer.Exit(1)


def _ingest(report: FetchReport) -> dict[str, int]:
    from medref.deps import get_settings, open_store
    from medref.index.sync import sync_after_ingest
    from medref.ingest.compressed import Limits
    from medref.ingest.pipeline import ingest_paths

    settings = get_settings()
    store = open_store(settings)
    limits = Limits.from_mb(settings.ingest.max_decompressed_mb, settings.ingest.max_compression_ratio)
    result = ingest_paths(store, [report.folder], limits=limits)
    for f in result.files:
        if f.error:
            console.print(f"[red]error[/red] {escape(f.error)}")
    sync_after_ingest(store)
    return {
        "files": len(result.files),
        "failed": sum(1 for f in result.files if f.error),
        "documents": result.total("documents"),
        "new": result.total("inserted"),
        "updated": result.total("updated"),
        "unchanged": result.total("unchanged"),
    }


@fetch_app.command("pubmed")
def fetch_pubmed(
    query: Annotated[str | None, typer.Option("--query", help="a PubMed search")] = None,
    pmids: Annotated[Path | None, typer.Option("--pmids", help="a file of PMIDs, one a line")] = None,
    baseline: Annotated[bool, typer.Option("--baseline", help="the annual MEDLINE baseline files")] = False,
    updates: Annotated[bool, typer.Option("--updates", help="the MEDLINE daily update files")] = False,
    limit: Annotated[int | None, typer.Option(help="baseline/updates: at most this many files")] = None,
    start: Annotated[str | None, typer.Option(help="baseline/updates: from this file name on")] = None,
    batch_size: Annotated[int, typer.Option(min=1, max=10000, help="articles per efetch request")] = 500,
    out: OutOpt = None,
    ingest: IngestOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """PubMed articles by search (history server) or PMID list, or the MEDLINE release files."""
    from medref.deps import get_settings
    from medref.ingest.fetch import sources

    chosen = [x for x in (query is not None, pmids is not None, baseline, updates) if x]
    if len(chosen) != 1:
        raise typer.BadParameter("give exactly one of --query, --pmids, --baseline, --updates")
    settings = get_settings()

    def work(progress: ProgressFn) -> FetchReport:
        fetcher = sources.pubmed(
            settings, files=baseline or updates, out=out, batch_size=batch_size, progress=progress
        )
        with fetcher.client:
            if query is not None:
                return fetcher.search(query)
            if pmids is not None:
                return fetcher.pmids(pmids)
            return fetcher.files("baseline" if baseline else "updates", limit=limit, start=start)

    _run("pubmed", work, ingest=ingest, as_json=as_json, quiet=quiet)


@fetch_app.command("dailymed")
def fetch_dailymed(
    setid: Annotated[list[str] | None, typer.Option("--setid", help="a label set id (repeatable)")] = None,
    name: Annotated[str | None, typer.Option("--name", help="a drug name (generic or brand)")] = None,
    latest_only: Annotated[
        bool, typer.Option("--latest-only", help="only the newest version of each set")
    ] = False,
    out: OutOpt = None,
    ingest: IngestOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """DailyMed SPL labels: every version of each set (by set id or drug name)."""
    from medref.deps import get_settings
    from medref.ingest.fetch import sources

    if not setid and not name:
        raise typer.BadParameter("give --setid and/or --name")
    settings = get_settings()

    def work(progress: ProgressFn) -> FetchReport:
        fetcher = sources.dailymed(settings, out=out, latest_only=latest_only, progress=progress)
        with fetcher.client:
            return fetcher.fetch(setids=setid or [], name=name)

    _run("dailymed", work, ingest=ingest, as_json=as_json, quiet=quiet)


@fetch_app.command("ctgov")
def fetch_ctgov(
    query: Annotated[str | None, typer.Option("--query", help="free text (query.term)")] = None,
    condition: Annotated[str | None, typer.Option("--condition", help="query.cond")] = None,
    intervention: Annotated[str | None, typer.Option("--intervention", help="query.intr")] = None,
    page_size: Annotated[int, typer.Option(min=1, max=1000, help="studies per page")] = 100,
    max_pages: Annotated[int | None, typer.Option(min=1, help="stop after this many pages")] = None,
    out: OutOpt = None,
    ingest: IngestOpt = False,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """ClinicalTrials.gov studies (API v2), page by page."""
    from medref.deps import get_settings
    from medref.ingest.fetch import sources

    settings = get_settings()

    def work(progress: ProgressFn) -> FetchReport:
        fetcher = sources.ctgov(
            settings, out=out, page_size=page_size, max_pages=max_pages, progress=progress
        )
        with fetcher.client:
            return fetcher.fetch(query=query, condition=condition, intervention=intervention)

    _run("ctgov", work, ingest=ingest, as_json=as_json, quiet=quiet)


@fetch_app.command("vocab")
def fetch_vocab(
    mesh: Annotated[bool, typer.Option("--mesh/--no-mesh", help="MeSH descriptors")] = True,
    drugbank: Annotated[
        bool, typer.Option("--drugbank/--no-drugbank", help="DrugBank open vocabulary")
    ] = True,
    year: Annotated[int | None, typer.Option(help="MeSH year (default: this year)")] = None,
    lexicon: Annotated[
        bool, typer.Option("--lexicon", help="then run `medref lexicon build` on them")
    ] = False,
    out: OutOpt = None,
    as_json: JsonOpt = False,
    quiet: QuietOpt = False,
) -> None:
    """MeSH and DrugBank vocabularies, laid out for `medref lexicon build <data_dir>/vocab`."""
    from medref.deps import get_settings
    from medref.ingest.fetch import sources

    settings = get_settings()
    folder: list[Path] = []

    def work(progress: ProgressFn) -> FetchReport:
        fetcher = sources.vocab(settings, out=out, progress=progress)
        folder.append(fetcher.folder)
        with fetcher.client:
            return fetcher.fetch(mesh=mesh, drugbank=drugbank, year=year)

    try:
        _run("vocab", work, ingest=False, as_json=as_json, quiet=quiet)
    finally:
        if folder and not as_json and not lexicon:
            console.print(f"next: medref lexicon build {escape(str(folder[0]))}")
    if lexicon:
        from medref.retrieve.lexicon import build_default

        target = settings.retrieval.lexicon_path or settings.data_dir / "lexicon.jsonl.gz"
        stats = build_default(folder[0], target)
        console.print(f"lexicon written to {escape(str(target))}: {stats.as_dict()}")
