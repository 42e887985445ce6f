"""Adverse reaction tables read across every drug column (doses, arms, any-dose), never a comparator."""

from __future__ import annotations

from medref.models import DocumentRef, Passage, SourceKind
from medref.monograph.adverse import HEADER, common_reactions, read_table


def _ref() -> DocumentRef:
    return DocumentRef(uid="spl:x:v1", kind=SourceKind.DRUG_LABEL, title="t", evidence_level=1)


def _passage(text: str, ordinal: int, table: list[list[str]] | None = None) -> Passage:
    return Passage(
        ordinal=ordinal,
        section="Adverse Reactions",
        text=text,
        start=0,
        end=len(text),
        kind="table" if table else "text",
        table=table,
        id=f"spl:x:v1#{ordinal}",
    )


def _table(rows: list[list[str]], ordinal: int = 1) -> Passage:
    return _passage("\n".join(" | ".join(r) for r in rows), ordinal, rows)


def _text(text: str, ordinal: int = 0) -> Passage:
    return _passage(text, ordinal)


def _kept(rows: list[list[str]], caption: str = "") -> dict[str, list[str]]:
    got = read_table(_ref(), _table(rows), caption=caption)
    assert got is not None
    return {cells[0]: [got.headers[j] for j in above] for cells, _, above in got.rows}


def test_bare_numbers_count_only_when_header_or_caption_says_percent() -> None:
    rows = [
        ["Adverse reaction", "Any dose N=900", "10 mg N=300", "Placebo N=880"],
        ["Dizziness", "11.5", "14.0", "4.0"],
        ["Cough", "9.0", "12.5", "8.0"],
        ["Nausea", "3.0", "4.0", "15.0"],
    ]
    assert _kept(rows) == {}
    kept = _kept(rows, caption="Table 3 (% of patients)")
    # every drug column counts: the 10 mg column keeps cough though the any-dose column is below 10%
    assert kept == {"Dizziness": ["Any dose N=900", "10 mg N=300"], "Cough": ["10 mg N=300"]}


def test_dose_ranging_table_reads_every_dose_column() -> None:
    rows = [
        [
            "Adverse reaction",
            "Drug 25 mg (N=200)",
            "Drug 50 mg (N=200)",
            "Drug 100 mg (N=200)",
            "Placebo (N=200)",
        ],
        ["Headache", "14", "19", "26", "7"],
        ["Flushing", "9", "19", "15", "1"],
        ["Indigestion", "3", "8", "12", "2"],
        ["Back pain", "4", "5", "6", "12"],  # above 10% only on placebo: not kept
    ]
    kept = _kept(rows, caption="Table 1. Adverse reactions (% of patients)")
    assert set(kept) == {"Headache", "Flushing", "Indigestion"}
    assert kept["Flushing"] == ["Drug 50 mg (N=200)", "Drug 100 mg (N=200)"]
    assert kept["Indigestion"] == ["Drug 100 mg (N=200)"]


def test_comparator_and_vehicle_columns_never_count() -> None:
    rows = [
        ["", "Comparator drug (N=50)", "Xamplo (N=52)", "Vehicle (N=49)"],
        ["Adverse Reaction", "", "", ""],
        ["Pain", "30%", "12%", "40%"],
        ["Itch", "2 (4%)", "8 (15%)", "1 (2%)"],
        ["Rash", "25%", "3%", "1%"],
    ]
    assert _kept(rows) == {"Pain": ["Xamplo (N=52)"], "Itch": ["Xamplo (N=52)"]}


def test_n_percent_cells_and_percent_in_header() -> None:
    n_pct = [
        ["Reaction", "Drug N=120 n (%)", "Placebo N=118 n (%)"],
        ["Fatigue", "18 (15.0)", "9 (7.6)"],
        ["Cough", "6 (5.0)", "5 (4.2)"],
    ]
    assert _kept(n_pct) == {"Fatigue": ["Drug N=120 n (%)"]}
    in_header = [
        ["Reaction", "Drug % (N=300)", "Placebo % (N=290)"],
        ["Dry mouth", "13", "2"],
        ["Cough", "10", "3"],  # 10% is not above 10%
    ]
    assert _kept(in_header) == {"Dry mouth": ["Drug % (N=300)"]}


def test_common_reactions_name_the_columns_and_quote_the_row() -> None:
    rows = [
        ["Adverse reaction", "Drug 25 mg (N=200)", "Drug 50 mg (N=200)", "Placebo (N=200)"],
        ["Flushing", "9", "19", "1"],
    ]
    caption = _text("Table 1. Adverse reactions (% of patients)")
    table, quotes, tables = common_reactions(_ref(), [caption, _table(rows)])
    assert tables == 1 and table[0] == HEADER
    assert table[1] == ["Flushing", "19", "Drug 50 mg (N=200)", "Drug 25 mg (N=200): 9; Placebo (N=200): 1"]
    assert quotes[0].text == "Flushing | 9 | 19 | 1"
    assert quotes[0].supports[0].passage_id == "spl:x:v1#1"


def test_spanning_group_header_is_spread_over_the_dose_columns() -> None:
    # stored without column spans: "Drug" covers three dose columns, "Placebo" the last one
    rows = [
        ["Adverse reaction", "Drug", "Placebo"],
        ["", "25 mg (n=300)", "50 mg (n=500)", "100 mg (n=500)", "(n=600)"],
        ["Flushing", "10%", "19%", "18%", "1%"],
        ["Dyspepsia", "3%", "9%", "17%", "2%"],
        ["Back pain", "3%", "4%", "4%", "12%"],
    ]
    kept = _kept(rows)
    assert kept == {
        "Flushing": ["Drug 50 mg (n=500)", "Drug 100 mg (n=500)"],
        "Dyspepsia": ["Drug 100 mg (n=500)"],
    }
    one_short = [
        ["Drug 25 mg", "Drug 50 mg", "Placebo"],
        ["Headache", "9%", "21%", "13%"],
    ]
    assert _kept(one_short) == {"Headache": ["Drug 50 mg"]}
