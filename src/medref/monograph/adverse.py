"""Common adverse reactions: rows of the label's adverse reaction tables above 10%.

A table in the Adverse Reactions section (or its sub-sections) is read as: header rows (until
the first row that names a reaction and gives a number), then one row per reaction. The drug's
column is the one headed "any dose" / "all doses" / "total" if there is one, else the first
column whose header names the drug, else the first column not headed placebo, vehicle, control
or comparator. A cell's incidence is the number before a "%" in it ("17%", "5 (3%)"), or the
bare number when the header or the table caption says the figures are percentages. Rows with an
incidence above 10% are kept, each quoted as its table row.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from medref.compose.sentences import Entity
from medref.models import DocumentRef, Passage
from medref.monograph.evidence import Cand, Quote, row_spans

THRESHOLD = 10.0
_PCT = re.compile(r"(\d+(?:\.\d+)?)\s*%")
_BARE = re.compile(r"^\s*[<≤>≥]?\s*(\d+(?:\.\d+)?)\s*\**\s*$")
_VALUE = re.compile(
    r"^\s*[<≤>≥]?\s*\d+(?:\.\d+)?\s*%?\s*\**\s*(?:\(\s*[<≤>≥]?\s*\d+(?:\.\d+)?\s*%?\s*\))?\s*\**\s*$"
)
_COMPARATOR = re.compile(r"placebo|vehicle|control|comparator|usual care|standard of care", re.I)
_ANY_DOSE = re.compile(r"\b(?:any dose|all doses|total|overall|all patients)\b", re.I)
_PERCENT_WORD = re.compile(r"%|percent", re.I)


@dataclass(frozen=True)
class TableRead:
    headers: list[str]  # one per column, header rows joined
    col: int  # the drug's column
    rows: list[tuple[list[str], Quote, float]]  # cells, quote of the row, incidence in the drug's column


def _split_header(rows: list[list[str]]) -> int:
    """Index of the first body row: names something in column 0 and has a number elsewhere."""
    for i, row in enumerate(rows):
        if row and row[0].strip() and any(_VALUE.match(c) for c in row[1:]):
            return i
    return len(rows)


def _incidence(cell: str, *, percent_table: bool) -> float | None:
    m = _PCT.search(cell)
    if m:
        return float(m.group(1))
    if percent_table:
        b = _BARE.match(cell)
        if b:
            return float(b.group(1))
    return None


def _drug_column(headers: list[str], drug: Entity) -> int | None:
    candidates = [j for j in range(1, len(headers)) if not _COMPARATOR.search(headers[j])]
    if not candidates:
        return None
    for j in candidates:
        if _ANY_DOSE.search(headers[j]):
            return j
    for j in candidates:
        if drug.mentioned_in(headers[j]):
            return j
    return candidates[0]


def read_table(doc: DocumentRef, passage: Passage, *, drug: Entity, caption: str = "") -> TableRead | None:
    """The rows of one adverse reaction table above :data:`THRESHOLD` in the drug's column."""
    rows = passage.table or []
    spans = row_spans(passage)
    if len(rows) < 2 or len(spans) != len(rows):
        return None
    body_at = _split_header(rows)
    width = max(len(r) for r in rows)
    headers = [" ".join(r[j] for r in rows[:body_at] if j < len(r) and r[j]).strip() for j in range(width)]
    col = _drug_column(headers, drug)
    if col is None:
        return None
    percent_table = bool(_PERCENT_WORD.search(" ".join(headers)) or _PERCENT_WORD.search(caption))
    kept: list[tuple[list[str], Quote, float]] = []
    for cells, span in zip(rows[body_at:], spans[body_at:], strict=True):
        if col >= len(cells) or not cells[0].strip():
            continue
        value = _incidence(cells[col], percent_table=percent_table)
        if value is not None and value > THRESHOLD:
            kept.append((cells, Cand(doc, passage, span).quote(), value))
    return TableRead(headers, col, kept)


HEADER = ["Adverse reaction", "Incidence", "Column", "Other columns"]


def common_reactions(
    doc: DocumentRef, passages: Iterable[Passage], *, drug: Entity
) -> tuple[list[list[str]], list[Quote], int]:
    """(table rows with header first, the quote of each body row, how many tables were read).

    Cells: the reaction, its incidence in the drug's column, that column's header, and the other
    columns as "header: value" pairs.
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
        got = read_table(doc, p, drug=drug, caption=caption)
        if got is None:
            continue
        tables += 1
        for cells, q, _value in got.rows:
            name = cells[0].strip()
            if name.casefold() in seen:
                continue
            seen.add(name.casefold())
            others = "; ".join(
                f"{got.headers[j]}: {c}" if j < len(got.headers) and got.headers[j] else c
                for j, c in enumerate(cells[1:], start=1)
                if j != got.col and c
            )
            body.append([name, cells[got.col], got.headers[got.col], others])
            quotes.append(q)
    return ([HEADER, *body] if body else []), quotes, tables
