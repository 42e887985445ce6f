"""A monograph as plain text for the terminal (the JSON form is ``Monograph.model_dump_json``).

Sections and fields in page order; each value is followed by its reference markers ``[n]`` or,
for values read from structured sources, ``(source: ...)``; an empty field reads
:data:`~medref.models.NOT_FOUND`; tables are printed as aligned columns; the References list,
the label version note, the "data as of" date and the disclaimer close the page.
"""

from __future__ import annotations

import textwrap

from medref.compose.citations import markers
from medref.models import NOT_FOUND, Monograph, MonographField, SourcedValue

WIDTH = 100
MAX_CELL = 40


def _value(v: SourcedValue) -> str:
    text = " ".join(v.text.split())
    if v.citations:
        text += " " + markers(v.citations)
    if v.source:
        text += f" (source: {v.source})"
    return text


def _table(rows: list[list[str]]) -> list[str]:
    cut = [[(c if len(c) <= MAX_CELL else c[: MAX_CELL - 1] + "…") for c in r] for r in rows]
    width = max(len(r) for r in cut)
    sizes = [max((len(r[j]) for r in cut if j < len(r)), default=0) for j in range(width)]
    lines = []
    for i, r in enumerate(cut):
        lines.append("    " + " | ".join(c.ljust(sizes[j]) for j, c in enumerate(r)).rstrip())
        if i == 0:
            lines.append("    " + "-+-".join("-" * s for s in sizes))
    return lines


def _field(f: MonographField) -> list[str]:
    head = f"  {f.title}:"
    if not f.found:
        lines = [f"{head} {NOT_FOUND}."]
        if f.note:
            lines.append(
                textwrap.fill(f.note, WIDTH, initial_indent="    (", subsequent_indent="     ") + ")"
            )
        return lines
    lines = [head]
    if f.table:
        lines += _table(f.table)
        if f.note:
            lines.append(
                textwrap.fill(f.note, WIDTH, initial_indent="    (", subsequent_indent="     ") + ")"
            )
        return lines
    for v in f.values:
        lines.append(textwrap.fill(_value(v), WIDTH, initial_indent="    - ", subsequent_indent="      "))
    if f.note:
        lines.append(textwrap.fill(f.note, WIDTH, initial_indent="    (", subsequent_indent="     ") + ")")
    return lines


def to_text(m: Monograph) -> str:
    """The whole page as text."""
    out = [f"{m.drug} — drug monograph ({m.audience.value})", f"Approval status: {m.approval_status}"]
    if m.label_note:
        out.append(m.label_note)
    if m.data_as_of:
        out.append(f"Data as of: {m.data_as_of.isoformat()}")
    for section in m.sections:
        out += ["", section.title.upper()]
        for f in section.fields:
            out += _field(f)
    if m.references:
        out += ["", "REFERENCES"]
        for r in m.references:
            doc = r.document
            where = ", ".join(str(x) for x in (doc.journal, doc.year) if x)
            tail = f" ({where})" if where else ""
            link = f" {doc.url}" if doc.url else ""
            state = "" if doc.is_current else " [superseded version]"
            out.append(
                textwrap.fill(
                    f"[{r.number}] {r.label}: {doc.title}{tail}{state}{link}", WIDTH, subsequent_indent="    "
                )
            )
    if m.notes:
        out += ["", "NOTES"] + [
            textwrap.fill(n, WIDTH, initial_indent="- ", subsequent_indent="  ") for n in m.notes
        ]
    out += ["", textwrap.fill(m.disclaimer, WIDTH)]
    return "\n".join(out) + "\n"
