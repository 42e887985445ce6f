"""The ``medref`` command line: a thin shell over the package's Python API."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from medref import __version__
from medref.cli_fetch import fetch_app
from medref.cli_interactions import interactions as _interactions
from medref.cli_labels import label_app
from medref.cli_progress import progress_bar as _progress_bar
from medref.cli_publish import publish as _publish
from medref.cli_users import user_app
from medref.errors import MedrefError

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    help="medref: cited medical reference answers over your own corpus.",
)
db_app = typer.Typer(no_args_is_help=True, help="Database schema commands.")
demo_app = typer.Typer(no_args_is_help=True, help="The bundled illustrative demo corpus.")
index_app = typer.Typer(no_args_is_help=True, help="Search index maintenance.")
lexicon_app = typer.Typer(
    no_args_is_help=True, help="The drug/condition lexicon used for query understanding."
)
app.add_typer(db_app, name="db")
app.add_typer(demo_app, name="demo")
app.add_typer(index_app, name="index")
app.add_typer(lexicon_app, name="lexicon")
app.add_typer(user_app, name="user")
app.add_typer(label_app, name="label")
app.add_typer(fetch_app, name="fetch")

console = Console(stderr=True)
out = Console()


def progress_bar(*, show: bool) -> Progress:
    """The bar long commands show on the terminal (counts, elapsed time); gone when done."""
    return _progress_bar(console, show=show)


def _emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False, default=str) + "\n")


@app.command()
def version() -> None:
    """Print the medref version."""
    out.print(__version__)


@app.command()
def ingest(
    paths: Annotated[list[str], typer.Argument(help="files, folders or globs")],
    format: Annotated[
        str | None, typer.Option("--format", "-f", help="force a format instead of detecting it")
    ] = None,
    issuer: Annotated[str | None, typer.Option(help="guideline issuer (overrides front matter)")] = None,
    year: Annotated[int | None, typer.Option(help="guideline year (overrides front matter)")] = None,
    title: Annotated[str | None, typer.Option(help="guideline title (overrides front matter)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the report as JSON")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Ingest PubMed XML, SPL labels, ClinicalTrials.gov JSON, guidelines and benchmark files."""
    from rich.markup import escape

    from medref.deps import get_settings, open_store
    from medref.ingest.compressed import Limits
    from medref.ingest.pipeline import ingest_paths
    from medref.models import IngestFileResult
    from medref.monograph.approval import register_drugsatfda

    settings = get_settings()
    limits = Limits.from_mb(settings.ingest.max_decompressed_mb, settings.ingest.max_compression_ratio)
    registered, paths, refused = register_drugsatfda(paths, settings.data_dir, limits=limits)
    for zip_path in registered:
        console.print(f"Drugs@FDA reference data from {escape(str(zip_path))} registered for monographs")
    zip_errors = [IngestFileResult(path=str(e.path), format="drugsatfda", error=str(e)) for e in refused]
    if not as_json:
        for failed in zip_errors:
            console.print(f"[red]error[/red] {escape(failed.error or '')}")
    if not paths:
        if as_json:
            _emit_json({"files": [f.model_dump(mode="json") for f in zip_errors]})
        if zip_errors:
            raise typer.Exit(1)
        return
    store = open_store()
    options = {"issuer": issuer, "year": year, "title": title}
    show = not quiet and not as_json and console.is_terminal
    with progress_bar(show=show) as bar:
        task = bar.add_task("records", total=None)
        report = ingest_paths(
            store,
            paths,
            fmt=format,
            options=options,
            progress=lambda _p, n: bar.advance(task, n),
            on_file=lambda r: (
                console.print(f"[red]error[/red] {escape(r.error)}") if r.error and not as_json else None
            ),
            limits=limits,
        )
    report.files[:0] = zip_errors
    _after_ingest(store)
    if as_json:
        _emit_json(report.model_dump(mode="json"))
    else:
        table = Table(title="ingest summary")
        for col in ("files", "failed", "documents", "passages", "new", "updated", "unchanged", "deleted"):
            table.add_column(col, justify="right")
        table.add_row(
            str(len(report.files)),
            str(sum(1 for f in report.files if f.error)),
            *(
                str(report.total(a))
                for a in ("documents", "passages", "inserted", "updated", "unchanged", "deleted")
            ),
        )
        out.print(table)
    if not report.ok:
        raise typer.Exit(1)


def _after_ingest(store: Any) -> None:
    """Bring the search indexes up to date with what was just stored."""
    from medref.index.sync import sync_after_ingest

    report = sync_after_ingest(store)
    if report.added or report.removed:
        console.print(
            f"index: +{report.added} / -{report.removed} passages" + (" (rebuilt)" if report.rebuilt else "")
        )


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
    from medref.deps import demo_files, open_store
    from medref.ingest.pipeline import ingest_paths

    store = open_store()
    report = ingest_paths(store, demo_files(), options={})
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


@app.command()
def search(
    query: Annotated[str, typer.Argument(help="a question or keywords")],
    k: Annotated[int | None, typer.Option("--k", "-k", help="number of passages")] = None,
    kind: Annotated[
        list[str] | None, typer.Option("--kind", help="only these source kinds (repeatable)")
    ] = None,
    no_expand: Annotated[bool, typer.Option("--no-expand", help="no synonym expansion")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="full result with every score component")] = False,
) -> None:
    """Hybrid search over the corpus, with directness marks and explainable scores."""
    from medref.models import SourceKind
    from medref.retrieve.retriever import Retriever

    kinds = []
    for kd in kind or []:
        try:
            kinds.append(SourceKind(kd))
        except ValueError:
            raise typer.BadParameter(
                f"unknown kind {kd!r}; one of: {', '.join(k.value for k in SourceKind)}"
            ) from None
    retriever = Retriever.open()
    try:
        result = retriever.search(query, k=k, kinds=kinds, expand=False if no_expand else None)
    finally:
        retriever.close()
    if as_json:
        _emit_json(result.model_dump(mode="json"))
        return
    _print_result(result)


def _print_result(result: Any) -> None:
    from rich.markup import escape

    if result.key_entities:
        cov = ", ".join(f"{c.entity}: {c.direct_passages} direct" for c in result.coverage)
        out.print(f"[bold]key entities[/bold] {escape(cov)}")
        if not result.has_direct_evidence:
            out.print(
                "[yellow]no direct evidence: no passage found mentions the question's key entity; "
                "the passages below are indirect[/yellow]"
            )
    for note in result.notes:
        console.print(f"[dim]note: {escape(note)}[/dim]")
    for i, h in enumerate(result.hits, start=1):
        d = h.document
        mark = "[green]direct[/green]" if h.direct else "[dim]indirect[/dim]"
        head = f"{d.kind.label} {d.year or ''} {d.title}"
        out.print(f"[bold]{i:>2}.[/bold] {h.scores.final:.3f} {mark} {escape(head)}")
        body = h.passage.text if len(h.passage.text) <= 240 else h.passage.text[:237] + "..."
        out.print(f"    [italic]{escape(h.passage.section)}[/italic]: {escape(body)}")
        if d.url:
            out.print(f"    [dim]{escape(d.url)}[/dim]")


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="a clinical question")],
    audience: Annotated[str, typer.Option(help="clinician, patient or pharmacist")] = "clinician",
    thread: Annotated[str | None, typer.Option(help="continue this thread (a follow-up question)")] = None,
    composer: Annotated[str, typer.Option(help="extractive (default) or generative")] = "extractive",
    no_store: Annotated[bool, typer.Option("--no-store", help="do not save the answer")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the whole Answer as JSON")] = False,
) -> None:
    """Answer a question with cited evidence from the corpus."""
    from medref.compose.ask import Asker
    from medref.compose.render import answer_to_text
    from medref.models import Audience

    try:
        aud = Audience(audience)
    except ValueError:
        raise typer.BadParameter(f"audience must be one of: {', '.join(a.value for a in Audience)}") from None
    asker = Asker.open(composer=composer, store_answers=not no_store)
    try:
        answer = asker.ask(question, audience=aud, thread_id=thread)
    finally:
        asker.close()
    if as_json:
        _emit_json(answer.model_dump(mode="json"))
    else:
        sys.stdout.write(answer_to_text(answer) + "\n")


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="address (default: settings web.host, 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default: settings web.port, 8000)")] = None,
) -> None:
    """Run the web app (needs the web extra)."""
    from medref.web.serve import serve as run_server

    run_server(host, port)


@app.command()
def monograph(
    drug: Annotated[str, typer.Argument(help="generic or brand name")],
    audience: Annotated[str, typer.Option(help="clinician, patient or pharmacist")] = "clinician",
    as_json: Annotated[bool, typer.Option("--json", help="the whole Monograph as JSON")] = False,
) -> None:
    """A drug monograph in which every statement cites its source."""
    import atexit
    import gc

    from medref.compiled import no_gc

    # The process ends after this one build: spare it the cyclic collector's sweeps over everything
    # loaded, while building and at exit (what is still alive at exit is frozen, so the interpreter's
    # last collections skip it; it is freed as usual). About 0.2 s of a 1.5-2 s run on 2 cores.
    atexit.unregister(gc.freeze)
    atexit.register(gc.freeze)
    with no_gc():
        from medref.deps import get_settings, open_store
        from medref.errors import IndexNotReadyError
        from medref.models import Audience
        from medref.monograph import build_monograph
        from medref.monograph.render import to_text
        from medref.retrieve.lexicon import Lexicon
        from medref.retrieve.retriever import Retriever

        try:
            aud = Audience(audience)
        except ValueError:
            raise typer.BadParameter(
                f"audience must be one of: {', '.join(a.value for a in Audience)}"
            ) from None
        settings = get_settings()
        store = open_store(settings)
        retriever: Retriever | None
        try:
            retriever = Retriever.open(settings, store=store)
            lexicon = retriever.lexicon
        except IndexNotReadyError:
            retriever = None
            path = settings.retrieval.lexicon_path or settings.data_dir / "lexicon.jsonl.gz"
            lexicon = Lexicon.load(path if path.exists() else None)
        try:
            mono = build_monograph(
                drug,
                store=store,
                retriever=retriever,
                lexicon=lexicon,
                audience=aud,
                drugsatfda=settings.drugsatfda_path,
            )
        finally:
            if retriever is not None:
                retriever.close()
        if as_json:
            _emit_json(mono.model_dump(mode="json"))
        else:
            sys.stdout.write(to_text(mono) + "\n")


app.command("interactions")(_interactions)
app.command("publish")(_publish)


@index_app.command("rebuild")
def index_rebuild(
    workers: Annotated[
        int, typer.Option("--workers", "-w", min=1, help="embedding processes (or Ray actors)")
    ] = 1,
    use_ray: Annotated[
        bool, typer.Option("--ray", help="embed on Ray: settings index.ray_address, else a local Ray")
    ] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
) -> None:
    """Rebuild the search indexes from every stored passage, beside the live ones, then swap them in.

    The current index keeps serving until the new one is complete; a rebuild that is killed or
    interrupted is continued by the next one (from its last checkpoint).
    """
    from medref.deps import get_settings, open_store
    from medref.index.sync import rebuild

    settings = get_settings()
    with progress_bar(show=not quiet and console.is_terminal) as bar:
        task = bar.add_task("passages", total=None)
        report = rebuild(
            open_store(settings),
            settings,
            workers=workers,
            use_ray=use_ray,
            progress=lambda n: bar.advance(task, n),
            total=lambda n, done: bar.update(task, total=n, completed=done),
        )
    out.print(
        f"indexed {report.added} passages (watermark {report.watermark}); "
        f"now serving {settings.index_dir.resolve()}"
    )


@index_app.command("sync")
def index_sync() -> None:
    """Apply store changes the indexes have not seen yet."""
    from medref.deps import get_settings, open_store
    from medref.index.sync import open_indexes, sync

    settings = get_settings()
    indexes = open_indexes(settings)
    try:
        report = sync(open_store(settings), indexes)
    finally:
        indexes.close()
    out.print(f"index: +{report.added} / -{report.removed} passages (watermark {report.watermark})")


@index_app.command("status")
def index_status(as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Which backends are in use, how many passages they hold and whether they are behind."""
    from medref.deps import get_settings, open_store
    from medref.index.sync import open_indexes, store_watermark

    settings = get_settings()
    store = open_store(settings)
    indexes = open_indexes(settings, create=False)
    try:
        head = store_watermark(store)
        data: dict[str, Any] = {
            "store_watermark": head,
            "indexes": [
                {
                    "name": ix.name,
                    "path": str(ix.path),
                    "passages": ix.count(),
                    "watermark": ix.watermark,
                    "behind": head - ix.watermark,
                }
                for ix in indexes.all()
            ],
            "notes": indexes.notes,
        }
    finally:
        indexes.close()
    if as_json:
        _emit_json(data)
        return
    for ix in data["indexes"]:
        out.print(f"{ix['name']}: {ix['passages']} passages, {ix['behind']} changes behind ({ix['path']})")
    for note in data["notes"]:
        out.print(f"note: {note}")


@lexicon_app.command("build")
def lexicon_build(
    shared_data: Annotated[
        Path, typer.Argument(help="folder with drugbank/ and mesh/ (e.g. ../shared/data)")
    ],
    out_path: Annotated[Path | None, typer.Option("--out", help="where to write the lexicon")] = None,
) -> None:
    """Compile DrugBank vocabulary + MeSH into the compact lexicon used by search."""
    from medref.deps import get_settings
    from medref.retrieve.lexicon import build_default

    settings = get_settings()
    target = out_path or settings.retrieval.lexicon_path or settings.data_dir / "lexicon.jsonl.gz"
    target.parent.mkdir(parents=True, exist_ok=True)
    stats = build_default(shared_data, target)
    out.print(f"lexicon written to {target}: {stats.as_dict()}")


@app.command("main")
def main_job() -> None:
    """The main job of `make run`: store statistics, then a cited answer from the demo corpus."""
    stats(as_json=False)
    question = "What is the role of CD40 ligand blockers?"
    out.print(f"\n[bold]medref ask[/bold] {question!r}\n")
    ask(question, audience="clinician", thread=None, composer="extractive", no_store=False, as_json=False)
    out.print(
        '\nTry: .venv/bin/medref ask "Is belatacept safe for me?" --audience patient   '
        '|   .venv/bin/medref search "LEA29Y" --json'
    )


def main() -> None:
    try:
        app()
    except MedrefError as exc:
        from rich.markup import escape

        console.print(f"[red]error:[/red] {escape(str(exc))}")
        sys.exit(2)


if __name__ == "__main__":
    main()
