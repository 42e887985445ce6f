"""``medref interactions DRUG DRUG [...]``: what the stored labels say about taking drugs together.

Registered on the main app in :mod:`medref.cli`; the report is built by
:func:`medref.monograph.interactions.check_interactions` (``--json`` prints it whole).
"""

from __future__ import annotations

import json
import sys
import textwrap
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:  # the checker is imported only when the command runs (fast CLI start)
    from medref.monograph.interactions import InteractionReport

WIDTH = 100


def to_text(report: InteractionReport) -> str:
    """The report as plain text: each pair, its findings (most severe first), references, notes."""
    from medref.compose.citations import markers

    out = ["Drug interactions in the stored labels", ""]
    for d in report.drugs:
        head = f"{d.query} -> {d.drug}" if d.query.casefold() != d.drug.casefold() else d.drug
        out.append(
            textwrap.fill(f"{head}: {d.label or 'no label'}. {d.note}", WIDTH, subsequent_indent="    ")
        )
    for p in report.pairs:
        level = f" [{p.severity.value}]" if p.severity else ""
        out += ["", f"{p.drugs[0].upper()} + {p.drugs[1].upper()}{level}"]
        for f in p.findings:
            lead = f"- {f.severity.value.upper()} ({f.label_of} label, {f.section}; names {f.matched!r}: {f.via}):"
            out.append(textwrap.fill(lead, WIDTH, subsequent_indent="    "))
            quote = f'"{" ".join(f.quote.text.split())}" {markers(f.quote.citations)}'
            out.append(textwrap.fill(quote, WIDTH, initial_indent="    ", subsequent_indent="    "))
        if p.note:
            out.append(textwrap.fill(p.note, WIDTH, initial_indent="  ", subsequent_indent="  "))
    if report.references:
        out += ["", "REFERENCES"]
        for r in report.references:
            state = "" if r.document.is_current else " [superseded version]"
            out.append(
                textwrap.fill(
                    f"[{r.number}] {r.label}: {r.document.title}{state}", WIDTH, subsequent_indent="    "
                )
            )
    out += ["", textwrap.fill(report.disclaimer, WIDTH)]
    return "\n".join(out) + "\n"


def interactions(
    drugs: Annotated[list[str], typer.Argument(help="two or more drug names (generic or brand)")],
    as_json: Annotated[bool, typer.Option("--json", help="the whole report as JSON")] = False,
) -> None:
    """Label sentences on taking these drugs together, each cited, with a severity class."""
    from medref.deps import get_settings, open_store
    from medref.monograph.interactions import check_interactions
    from medref.retrieve.lexicon import Lexicon

    settings = get_settings()
    store = open_store(settings)
    path = settings.retrieval.lexicon_path or settings.data_dir / "lexicon.jsonl.gz"
    lexicon = Lexicon.load(path if path.exists() else None)
    report = check_interactions(drugs, store=store, lexicon=lexicon)
    if as_json:
        sys.stdout.write(json.dumps(report.model_dump(mode="json"), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(to_text(report))
