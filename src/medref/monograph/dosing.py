"""The dosing table: dose, frequency, route, duration, population, each read from cited text.

Rows come from the label's Dosage and Administration section (with its sub-sections): one row
per table row that states a dose, and one per sentence that states a dose (an amount with a
unit). Every cell is a piece of the row's own quoted text, found by a pattern, or empty; the
population may also be the label sub-heading the sentence sits under (the heading is label
text; the field note says so). Rows that repeat a dose, frequency and population already listed
are skipped, so every indication's regimen keeps its rows (a maintenance dose that equals another
indication's dose is listed again under its own heading). For a drug without a label, rows come from trial registrations' intervention
descriptions (doses studied, not approved dosing).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from medref.compose.patient import DOSE_AMOUNT, FREQUENCY
from medref.models import DocumentRef, Passage
from medref.monograph.evidence import Cand, Quote, cands, row_spans, usable
from medref.monograph.label import HIGHLIGHT

HEADER = ["Dose", "Frequency", "Route", "Duration", "Population", "Source"]
MAX_ROWS = 48  # a safety cap only: every indication's regimen must fit
ROUTE = re.compile(
    r"\b(?:intravenous(?:ly)?|subcutaneous(?:ly)?|intramuscular(?:ly)?|oral(?:ly)?|by mouth|topical(?:ly)?|"
    r"inhaled|by inhalation|intranasal(?:ly)?|transdermal(?:ly)?|rectal(?:ly)?|sublingual(?:ly)?|"
    r"intrathecal(?:ly)?|ophthalmic|IV infusion|SC injection|infusion|injection)\b",
    re.I,
)
_COUNT = r"(?:\d+|one|two|three|four|five|six|seven|eight|nine|ten|twelve|twenty-four)"
DURATION = re.compile(
    rf"\b(?:for|over|during)\s+(?:up to\s+|at least\s+|a total of\s+)?{_COUNT}(?:\s*(?:-|–|to)\s*{_COUNT})?\s*"
    r"(?:consecutive\s+)?(?:days?|weeks?|months?|years?|doses?|hours?)\b"
    rf"|\b(?:through|until|up to)\s+(?:month|week|day|year)\s+\d+\b"
    rf"|\bbeyond\s+{_COUNT}\s+(?:days?|weeks?|months?|years?)\b",
    re.I,
)
_UNTIL = r"(?:(?!\s(?:is|are|was|were|should|may|can|must|has|have|will|who)\b)[^,.;:()\[\]]){0,60}"
POPULATION = re.compile(
    r"\b(?:(?:adult|pediatric|paediatric|elderly|geriatric|adolescent)\s+)?(?:patients|recipients|subjects|participants)"
    rf"\s+(?:with|aged|weighing|receiving|taking|\d){_UNTIL}"
    rf"|\b(?:adults|children|adolescents|infants|neonates)\b(?:\s+(?:aged|with|from|under|over|\d){_UNTIL})?"
    r"|\b(?:pediatric|paediatric|elderly|geriatric|adult)\s+patients\b(?:\s+\d[^,.;:()\[\]]{0,40})?",
    re.I,
)
_POP_HEADING = re.compile(
    r"patients?|adults?|children|pediatric|paediatric|elderly|geriatric|years|weight|kg\b|age\b|renal|hepatic|"
    r"arthritis|disease|colitis|psoriasis|spondylitis|syndrome|infection|transplant|disorder|hyper|hypo|cancer|"
    r"tumou?r|lymphoma|leukemia|carcinoma|dyslipidemia|cholesterol",
    re.I,
)
# an amount that names a product strength or a preparation step, not a dose
NOT_A_DOSE = re.compile(
    r"\b\d+(?:\.\d+)?\s*(?:mg|mcg|g|mL|units?)(?:/\d*\s*mL)?\s+(?:single-dose\s+|single-use\s+|multi-dose\s+)?"
    r"(?:vials?|tablets?|capsules?|syringes?|pens?|bottles?|cartons?|strengths?)\b|\breconstitut\w*|\bdilut\w*",
    re.I,
)
_GENERIC_HEADINGS = re.compile(
    r"^(?:dosage and administration|directions|dosing|dose|general|administration)$", re.I
)


def _first(pattern: re.Pattern[str], text: str) -> str:
    m = pattern.search(text)
    return m.group(0).strip() if m else ""


def _doses(text: str, limit: int = 3) -> str:
    found: list[str] = []
    for m in DOSE_AMOUNT.finditer(text):
        d = m.group(0).strip()
        if d not in found:
            found.append(d)
        if len(found) >= limit:
            break
    return "; ".join(found)


def _heading(passage: Passage) -> str:
    """The innermost label sub-heading of a passage, when it names a population or condition."""
    section = passage.section.removeprefix(HIGHLIGHT)
    last = section.split(" > ")[-1].strip()
    if " > " not in section or _GENERIC_HEADINGS.match(last) or not _POP_HEADING.search(last):
        return ""
    return last


def sentence_row(text: str, *, heading: str = "") -> list[str] | None:
    """[dose, frequency, route, duration, population] read from one sentence; None without a dose."""
    dose = _doses(text)
    if not dose or (NOT_A_DOSE.search(text) and not FREQUENCY.search(text)):
        return None
    population = _first(POPULATION, text) or heading
    return [dose, _first(FREQUENCY, text), _first(ROUTE, text), _first(DURATION, text), population]


def _table_row(cells: list[str], header: list[str]) -> list[str] | None:
    """A dosing-table row: the dose column (or the cell with an amount), the rest by pattern."""
    joined = " ".join(cells)
    dose_col = next((i for i, h in enumerate(header) if re.search(r"\bdos(?:e|age|ing)\b", h, re.I)), None)
    dose = _doses(joined)
    if not dose and dose_col is not None and dose_col < len(cells):
        dose = cells[dose_col]
    if not dose:
        return None
    first = cells[0] if cells else ""
    pop_header = header[0] if header else ""
    population = ""
    if (
        first
        and not DOSE_AMOUNT.search(first)
        and (_POP_HEADING.search(first) or _POP_HEADING.search(pop_header))
    ):
        population = (
            f"{pop_header}: {first}"
            if pop_header and _POP_HEADING.search(pop_header) and pop_header != first
            else first
        )
    return [dose, _first(FREQUENCY, joined), _first(ROUTE, joined), _first(DURATION, joined), population]


def _rows_of_table(doc: DocumentRef, passage: Passage) -> list[tuple[list[str], Quote]]:
    rows = passage.table or []
    spans = row_spans(passage)
    if not rows or len(spans) != len(rows):
        return []
    header = rows[0]
    out: list[tuple[list[str], Quote]] = []
    for cells, span in zip(rows[1:], spans[1:], strict=True):
        row = _table_row(cells, header)
        if row is not None:
            out.append((row, Cand(doc, passage, span).quote()))
    return out


def dosing_rows(
    doc: DocumentRef, passages: Iterable[Passage], *, names_check: bool = False
) -> list[tuple[list[str], Quote]]:
    """Rows (5 cells) with the quote behind each, in page order, repeats of a dose, frequency and
    population skipped."""
    out: list[tuple[list[str], Quote]] = []
    seen: set[tuple[str, str, str]] = set()
    for p in passages:
        if p.kind == "table":
            found = _rows_of_table(doc, p)
        else:
            found = []
            for c in cands(doc, [p]):
                if not usable(c.text, min_words=3):
                    continue
                row = sentence_row(c.text, heading=_heading(p))
                if row is not None:
                    found.append((row, c.quote()))
        for row, q in found:
            key = (row[0].casefold(), row[1].casefold(), row[4].casefold())
            if key in seen:
                continue
            seen.add(key)
            out.append((row, q))
            if len(out) >= MAX_ROWS:
                return out
    return out
