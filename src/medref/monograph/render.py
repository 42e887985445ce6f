"""A monograph as plain text for the terminal (the JSON form is ``Monograph.model_dump_json``).

Sections and fields in page order; each value is followed by its reference markers ``[n]`` or,
for values read from structured sources, ``(source: ...)``. Every field with something found is
printed in full: a field with a table prints the table as aligned columns and then its statements
that are not rows of that table (:func:`prose_values`). The boxed warning carries the label's own
title. Fields with no source are gathered in one line under the page head (:func:`missing_line`),
each field's note listed under it; a section with nothing found is left out. The References list,
the label version note, the "data as of" date and the disclaimer close the page.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from types import SimpleNamespace

from medref.compose.citations import markers
from medref.models import NOT_FOUND, Citation, Monograph, MonographField, SourcedValue

WIDTH = 100
MAX_CELL = 40
ROW_SEPARATOR = " | "
"""How a table row reads when quoted from a stored table passage ("cell | cell")."""
LABEL_TEXT = "Quoted from the sources:"
"""The line between a field's table and its other statements."""


def title(f: MonographField) -> str:
    """The field's title (its key in words when the title is empty)."""
    return f.title.strip() or f.key.replace("_", " ").capitalize()


def field_name(f: MonographField) -> str:
    """A field title inside a sentence: first letter lower-cased unless the word is an acronym."""
    name = title(f)
    first = name.split(maxsplit=1)[0]
    return name[:1].lower() + name[1:] if first[1:].islower() else name


def prose_values(f: MonographField) -> list[SourcedValue]:
    """The field's values that are not rows of its table (all of them when it has none), less a
    boxed warning's heading line that is already its title."""
    values = [v for v in f.values if not (f.table and ROW_SEPARATOR in v.text)]
    heading = title_value(f)
    return [v for v in values if v is not heading]


SHORT = 80
"""Values from one structured source up to this long share a line (synonyms, codes)."""


@dataclass
class Shown:
    """One line of a field as shown: a value, or short values of one structured source together."""

    texts: list[str]
    citations: list[int] = field(default_factory=list)
    source: str | None = None
    joins: bool = False  # more short values of the same source may join this line
    spans: list[Citation] = field(default_factory=list)  # the cited spans, for the evidence panels

    @property
    def text(self) -> str:
        """The texts joined by '; ', a label they all open with ("Diphenhydramine: ") said once."""
        head = self.texts[0].split(": ", 1)[0] + ": "
        if len(self.texts) > 1 and ": " in self.texts[0] and all(t.startswith(head) for t in self.texts):
            return head + "; ".join(t[len(head) :] for t in self.texts)
        return "; ".join(self.texts)


def shown_values(f: MonographField) -> list[Shown]:
    """:func:`prose_values` as shown: consecutive short values read from the same structured source
    and citing nothing else ("D2E7; Humira; Amjevita (source: DrugBank vocabulary)") share a line."""
    out: list[Shown] = []
    for v in prose_values(f):
        short = bool(v.source) and not v.citations and len(v.text) <= SHORT and "; " not in v.text
        if short and out and out[-1].joins and out[-1].source == v.source:
            out[-1].texts.append(v.text)
        else:
            out.append(Shown([v.text], list(v.citations), v.source, joins=short, spans=list(v.spans)))
    return out


def title_value(f: MonographField) -> SourcedValue | None:
    """The boxed warning's value that reads exactly as its title (a heading line quoted from the box)."""
    if f.key != "boxed_warning":
        return None
    return next((v for v in f.values if v.text.strip() == f.title.strip()), None)


def missing(m: Monograph) -> list[MonographField]:
    """The fields with nothing found, in page order."""
    return [f for s in m.sections for f in s.fields if not f.found]


def missing_line(m: Monograph) -> str | None:
    """'Not found in the sources: pregnancy, lactation.' for the page, or None when all were found."""
    gaps = missing(m)
    if not gaps:
        return None
    return f"{NOT_FOUND}: " + ", ".join(field_name(f) for f in gaps) + "."


def _value(v: SourcedValue | Shown) -> str:
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


def _note(note: str) -> str:
    return textwrap.fill(note, WIDTH, initial_indent="    (", subsequent_indent="     ") + ")"


def _field(f: MonographField) -> list[str]:
    lines = [f"  {f.title}:"]
    prose = prose_values(f)
    if f.table:
        lines += _table(f.table)
        if prose:
            lines.append(f"    {LABEL_TEXT}")
    for v in shown_values(f):
        lines.append(
            textwrap.fill(
                _value(v), WIDTH, initial_indent="    - ", subsequent_indent="      ", break_on_hyphens=False
            )
        )
    if f.note:
        lines.append(_note(f.note))
    if f.key == "boxed_warning":  # in a box of its own, under the label's title for it
        kicker = "" if f.title.lower() == "boxed warning" else "  (boxed warning)"
        heading = title_value(f)
        if heading is not None and heading.citations:
            kicker += " " + markers(heading.citations)
        rule = "  +" + "-" * (WIDTH - 4)
        body = [row for line in lines[1:] for row in line.split("\n")]
        return [rule, f"  | {f.title}{kicker}", *("  |" + row[3:] for row in body), rule]
    return lines


def missing_notes(m: Monograph) -> list[tuple[list[MonographField], str]]:
    """The notes of the fields with nothing found, each once, with the fields it explains."""
    groups: dict[str, list[MonographField]] = {}
    for f in missing(m):
        if f.note:
            groups.setdefault(f.note, []).append(f)
    return [(fields, note) for note, fields in groups.items()]


def _missing(m: Monograph) -> list[str]:
    line = missing_line(m)
    if line is None:
        return []
    out = ["", textwrap.fill(line, WIDTH, subsequent_indent="  ")]
    for fields, note in missing_notes(m):
        names = ", ".join(field_name(f) for f in fields)
        out.append(textwrap.fill(f"{names}: {note}", WIDTH, initial_indent="  - ", subsequent_indent="    "))
    return out


PAGE_HELPERS = SimpleNamespace(
    title=title,
    field_name=field_name,
    prose_values=prose_values,
    shown_values=shown_values,
    title_value=title_value,
    missing=missing,
    missing_notes=missing_notes,
    label_text=LABEL_TEXT,
)
"""What the monograph HTML page shares with this text form (a template global)."""


def to_text(m: Monograph) -> str:
    """The whole page as text."""
    out = [f"{m.drug} — drug monograph ({m.audience.value})", f"Approval status: {m.approval_status}"]
    if m.label_note:
        out.append(m.label_note)
        if m.label is not None and m.label.spl_setid and "superseded" in m.label_note:
            out.append(f"What changed between versions: medref label diff {m.label.spl_setid}")
    if m.data_as_of:
        out.append(f"Data as of: {m.data_as_of.isoformat()}")
    out += _missing(m)
    for section in m.sections:
        found = [f for f in section.fields if f.found]
        if not found:
            continue
        out += ["", section.title.upper()]
        for f in found:
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
