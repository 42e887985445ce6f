"""``medref label ...``: drug label commands (the label-version diff).

    medref label diff belatacept                 # the previous stored version against the current one
    medref label diff SETID --from 1 --to 2 --json

Registered in :mod:`medref.cli` as the ``label`` sub-app.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.text import Text

if TYPE_CHECKING:
    from medref.monograph.labeldiff_model import DiffSpan, LabelDiff, LabelVersion
    from medref.retrieve.lexicon import Lexicon
    from medref.settings import Settings

label_app = typer.Typer(no_args_is_help=True, help="Drug label commands (compare stored label versions).")


def _version_line(v: LabelVersion) -> str:
    when = v.date.isoformat() if v.date else "date not given"
    return f"version {v.version} (effective {when}, {'current' if v.is_current else 'superseded'})"


def _span_text(span: DiffSpan, sign: str, style: str) -> Text:
    """One side's sentence, verbatim; the differing words styled (plain when not on a terminal)."""
    line = Text(f"  {sign} [{span.citation.number}] ")
    for piece, differs in span.pieces():
        line.append(piece, style=style if differs else "")
    ordinal = span.citation.passage_id.rsplit("#", 1)[-1]
    where = f"{'table row, ' if span.kind == 'row' else ''}passage {ordinal}"
    line.append(f"  ({where}, characters {span.citation.start}-{span.citation.end})", style="dim")
    return line


def print_diff(d: LabelDiff, console: Console) -> None:
    """The diff as text: header, summary, each added / removed / changed section, references."""
    console.print(
        Text(
            f"{d.drug}: label changes, version {d.from_version.version} to {d.to_version.version}",
            style="bold",
        )
    )
    console.print(Text(d.title.strip()))
    console.print(Text(f"Label set {d.setid}" + (f" - DailyMed: {d.dailymed_url}" if d.dailymed_url else "")))
    console.print(Text(f"From {_version_line(d.from_version)} to {_version_line(d.to_version)}"))
    console.print(Text("Stored versions: " + ", ".join(str(v.version) for v in d.versions)))
    console.print()
    console.print(Text(d.summary, style="bold"))
    for s in d.sections:
        number = f"{s.number} " if s.number else ""
        console.print()
        console.print(Text(f"{s.status.capitalize()}: {number}{s.path}", style="bold"))
        if s.path_from:
            was = f"{s.number_from} " if s.number_from else ""
            same = "; the text reads the same" if not s.hunks else ""
            console.print(Text(f"  in version {d.from_version.version}: {was}{s.path_from}{same}"))
        for i, h in enumerate(s.hunks):
            if i:
                console.print(Text("  ..."))
            for span in h.removed:
                console.print(_span_text(span, "-", "bold red strike"))
            for span in h.added:
                console.print(_span_text(span, "+", "bold green underline"))
    console.print()
    console.print(Text("References", style="bold"))
    for ref in d.references:
        doc = ref.document
        when = doc.date.isoformat() if doc.date else "date not given"
        state = "current" if doc.is_current else "superseded"
        console.print(
            Text(
                f"[{ref.number}] {doc.title.strip()} Version {doc.spl_version}, effective {when} ({state}); {doc.uid}"
            )
        )
    for note in d.notes:
        console.print(Text(f"Note: {note}", style="dim"))


@label_app.command("diff")
def diff(
    drug: Annotated[
        str, typer.Argument(metavar="DRUG_OR_SETID", help="a drug name (generic or brand) or a label set id")
    ],
    from_version: Annotated[
        int | None, typer.Option("--from", min=0, help="the older version (default: the one before --to)")
    ] = None,
    to_version: Annotated[
        int | None, typer.Option("--to", min=0, help="the newer version (default: the current one)")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="the whole diff as JSON")] = False,
) -> None:
    """What changed between two stored versions of a drug label, section by section, both sides cited."""
    from medref.deps import get_settings, open_store
    from medref.monograph.labeldiff import label_diff
    from medref.monograph.labelfind import NoLabelError

    settings = get_settings()
    store = open_store(settings)
    try:
        try:
            d = label_diff(store, drug, from_version=from_version, to_version=to_version)
        except NoLabelError:  # not a stored label name: try the lexicon's synonyms and brand names
            lexicon = _lexicon(settings)
            d = label_diff(store, drug, from_version=from_version, to_version=to_version, lexicon=lexicon)
    finally:
        store.close()
    if as_json:
        sys.stdout.write(json.dumps(d.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    else:
        print_diff(d, Console(highlight=False, soft_wrap=True))


def _lexicon(settings: Settings) -> Lexicon:
    from medref.retrieve.lexicon import Lexicon

    path = settings.retrieval.lexicon_path or settings.data_dir / "lexicon.jsonl.gz"
    return Lexicon.load(path if path.exists() else None)
