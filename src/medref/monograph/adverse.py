"""Common adverse reactions: rows of the label's adverse reaction tables above 10% in any drug arm.

A table in the Adverse Reactions section (or its sub-sections) is read as: header rows (until
the first row that names a reaction and gives a number), then one row per reaction. Every
column whose header does not name placebo, vehicle, control or a comparator is a drug column
(each dose of a dose-ranging table, "any dose", each arm). A cell's incidence is the number
before a "%" in it ("17%", "5 (3%)"), the number in brackets when the header or caption says
"n (%)", or the bare number when the header or the table caption says the figures are
percentages. A row is kept when any drug column is above 10%; the row names every such column
(its header text) with its figure, and lists the other columns beside it. Header rows shorter
than the table (a group heading such as "Drug" spanning the dose columns) are spread over the
columns they cover (see :func:`_spread`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from medref.models import DocumentRef, Passage
from medref.monograph.evidence import Cand, Quote, row_spans

THRESHOLD = 10.0
_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_BARE = re.compile(r"^\s*[<≤>≥]?\s*(\d+(?:\.\d+)?)\s*\**\s*$")
_VALUE = re.compile(
    r"^\s*[<≤>≥]?\s*\d+(?:\.\d+)?\s*%?\s*\**\s*(?:\(\s*[<≤>≥]?\s*\d+(?:\.\d+)?\s*%?\s*\))?\s*\**\s*$"
)
_COMPARATOR = re.compile(r"placebo|vehicle|control|comparator|usual care|standard of care", re.I)
_PERCENT_WORD = re.compile(r"%|percent", re.I)
_STUB = re.compile(r"^\s*$|reaction|adverse|event|system|organ|term|body", re.I)
_N_PERCENT = re.compile(r"\bn\s*\(\s*%\s*\)", re.I)
_BRACKETED = re.compile(r"^\s*\d+\s*\(\s*[<≤>≥]?\s*(\d+(?:\.\d+)?)\s*%?\s*\)\s*\**\s*$")


@dataclass(frozen=True)
class TableRead:
    headers: list[str]  # one per column, header rows joined
    cols: list[int]  # the drug (non-comparator) columns
    rows: list[tuple[list[str], Quote, list[int]]]  # cells, quote of the row, drug columns above 10%


def _split_header(rows: list[list[str]]) -> int:
    """Index of the first body row: names something in column 0 and has a number elsewhere."""
    for i, row in enumerate(rows):
        if row and row[0].strip() and any(_VALUE.match(c) for c in row[1:]):
            return i
    return len(rows)


def _incidence(cell: str, *, percent_table: bool, n_percent: bool) -> float | None:
    m = _PCT.search(cell)
    if m:
        return float(m.group(1))
    if n_percent:
        b = _BRACKETED.match(cell)
        if b:
            return float(b.group(1))
    if percent_table:
        b = _BARE.match(cell)
        if b:
            return float(b.group(1))
    return None


def _spread(row: list[str], width: int) -> list[str]:
    """A header row over ``width`` columns. Tables are stored without their column spans, so a
    short header row ("Adverse reaction | Drug | Placebo" over a stub and three dose columns and
    placebo) is laid out as: the stub first, the last cell over the last column, the cells between
    shared out over the columns between; a row one cell short lacks only the stub cell."""
    k = len(row)
    if k >= width:
        return row[:width]
    if k == width - 1 and not _STUB.search(row[0]):
        return ["", *row]
    out = [""] * width
    out[0] = row[0] if row else ""
    if k >= 2:
        out[-1] = row[-1]
    middle = row[1:-1]
    for i, cell in enumerate(middle):
        lo = 1 + (width - 2) * i // len(middle)
        hi = 1 + (width - 2) * (i + 1) // len(middle)
        for j in range(lo, hi):
            out[j] = cell
    return out


def drug_columns(headers: list[str]) -> list[int]:
    """Every column after the first whose header names no placebo, vehicle, control or comparator."""
    return [j for j in range(1, len(headers)) if not _COMPARATOR.search(headers[j])]


def read_table(doc: DocumentRef, passage: Passage, *, caption: str = "") -> TableRead | None:
    """The rows of one adverse reaction table above :data:`THRESHOLD` in any drug column."""
    rows = passage.table or []
    spans = row_spans(passage)
    if len(rows) < 2 or len(spans) != len(rows):
        return None
    body_at = _split_header(rows)
    width = max(len(r) for r in rows)
    spread = [_spread(r, width) for r in rows[:body_at]]
    headers = [" ".join(r[j] for r in spread if r[j]).strip() for j in range(width)]
    cols = drug_columns(headers)
    if not cols:
        return None
    heads = " ".join(headers)
    percent_table = bool(_PERCENT_WORD.search(heads) or _PERCENT_WORD.search(caption))
    n_percent = bool(_N_PERCENT.search(heads) or _N_PERCENT.search(caption))
    kept: list[tuple[list[str], Quote, list[int]]] = []
    for cells, span in zip(rows[body_at:], spans[body_at:], strict=True):
        if not cells or not cells[0].strip():
            continue
        above = [
            j
            for j in cols
            if j < len(cells)
            and (v := _incidence(cells[j], percent_table=percent_table, n_percent=n_percent)) is not None
            and v > THRESHOLD
        ]
        if above:
            kept.append((cells, Cand(doc, passage, span).quote(), above))
    return TableRead(headers, cols, kept)


HEADER = ["Adverse reaction", "Incidence", "Column", "Other columns"]


def _label(headers: list[str], j: int) -> str:
    return headers[j] if j < len(headers) and headers[j] else f"column {j + 1}"


def common_reactions(
    doc: DocumentRef, passages: Iterable[Passage]
) -> tuple[list[list[str]], list[Quote], int]:
    """(table rows with header first, the quote of each body row, how many tables were read).

    Cells: the reaction, its incidence in every drug column above 10% ("; "-separated), those
    columns' headers in the same order, and the other columns as "header: value" pairs. A
    reaction in several tables (e.g. one per indication) is listed once per table.
    """
    plist = list(passages)
    body: list[list[str]] = []
    quotes: list[Quote] = []
    tables = 0
    seen: set[str] = set()
    for i, p in enumerate(plist):
        if p.kind != "table":
            continue
        caption = plist[i - 1].text if i > 0 and plist[i - 1].kind != "table" else ""
        got = read_table(doc, p, caption=caption)
        if got is None:
            continue
        tables += 1
        for cells, q, above in got.rows:
            name = cells[0].strip()
            if q.text in seen:
                continue
            seen.add(q.text)
            others = "; ".join(
                f"{got.headers[j]}: {c}" if j < len(got.headers) and got.headers[j] else c
                for j, c in enumerate(cells[1:], start=1)
                if j not in above and c
            )
            figures = "; ".join(cells[j] for j in above)
            columns = "; ".join(_label(got.headers, j) for j in above)
            body.append([name, figures, columns, others])
            quotes.append(q)
    return ([HEADER, *body] if body else []), quotes, tables
