"""The monograph as terminal text: every field printed, the boxed warning boxed, gaps in one line."""

from __future__ import annotations

from medref.models import NOT_FOUND, Monograph, MonographField, MonographSection, SourcedValue
from medref.monograph.render import field_name, missing_line, prose_values, shown_values, to_text

NO_LABEL = "No drug label for this drug is in the sources."


def _v(text: str, n: int = 1) -> SourcedValue:
    return SourcedValue(text=text, citations=[n])


def _monograph(*sections: MonographSection) -> Monograph:
    return Monograph(
        drug="Quelta", query="quelta", approval_status="approved", sections=list(sections), disclaimer="D."
    )


DOSING = MonographField(
    key="dosing",
    title="Dosing",
    table=[["Dose", "Population"], ["10 mg", "adults"], ["5 mg", "over 65 years"]],
    table_citations=[1],
    values=[
        _v("Adults | 10 mg once daily"),
        _v("Start at 5 mg in patients over 65 years."),
        _v("Over 65 | 5 mg once daily"),
        _v("Take with food."),
    ],
)


def test_a_field_with_a_table_prints_its_other_statements() -> None:
    text = to_text(_monograph(MonographSection(key="d", title="Dosage", fields=[DOSING])))
    assert "10 mg | adults" in text and "5 mg  | over 65 years" in text
    assert "- Start at 5 mg in patients over 65 years. [1]" in text and "- Take with food. [1]" in text
    assert "Adults | 10 mg once daily" not in text  # the quoted rows are the table's rows
    assert (
        text.index("over 65 years\n") < text.index("Quoted from the sources:") < text.index("Start at 5 mg")
    )
    assert [v.text for v in prose_values(DOSING)] == [
        "Start at 5 mg in patients over 65 years.",
        "Take with food.",
    ]


def test_every_found_field_is_printed() -> None:
    fields = [
        DOSING,
        MonographField(key="pregnancy", title="Pregnancy", values=[_v("Pregnancy Category B")]),
        MonographField(key="class", title="Class", values=[SourcedValue(text="Statins", source="MeSH")]),
    ]
    text = to_text(_monograph(MonographSection(key="d", title="Dosage", fields=fields)))
    for f in fields:
        assert f"  {f.title}:" in text
        for v in prose_values(f):
            assert v.text in text
    assert "Statins (source: MeSH)" in text


def test_boxed_warning_in_a_box() -> None:
    boxed = MonographField(
        key="boxed_warning",
        title="WARNING: HEPATOTOXICITY",
        values=[
            _v(
                "Quelta can cause liver failure that needs a transplant or leads to death, so check liver tests."
            )
        ],
    )
    text = to_text(_monograph(MonographSection(key="s", title="Safety", fields=[boxed])))
    lines = text.splitlines()
    top = lines.index("  | WARNING: HEPATOTOXICITY  (boxed warning)")
    assert lines[top - 1].startswith("  +---") and lines[top + 3].startswith("  +---")
    assert lines[top + 1].startswith("  | - Quelta can cause liver failure") and lines[top + 2].startswith(
        "  |   "
    )
    # a box without a title of its own; a heading line quoted as the title is not printed twice
    plain = boxed.model_copy(update={"title": "Boxed warning"})
    assert "  | Boxed warning\n" in to_text(
        _monograph(MonographSection(key="s", title="Safety", fields=[plain]))
    )
    titled = boxed.model_copy(update={"values": [_v("WARNING: HEPATOTOXICITY", 2), *boxed.values]})
    text = to_text(_monograph(MonographSection(key="s", title="Safety", fields=[titled])))
    assert "  | WARNING: HEPATOTOXICITY  (boxed warning) [2]" in text and "- WARNING" not in text


def test_fields_without_source_in_one_line() -> None:
    m = _monograph(
        MonographSection(
            key="p",
            title="Populations",
            fields=[
                MonographField(key="renal", title="Renal impairment", note=NO_LABEL),
                MonographField(key="pregnancy", title="Pregnancy", note=NO_LABEL),
                MonographField(key="cyp", title="CYP3A4 inhibitors"),
                MonographField(key="empty", title=""),
            ],
        ),
        MonographSection(key="d", title="Dosage", fields=[DOSING]),
    )
    text = to_text(m)
    assert missing_line(m) == f"{NOT_FOUND}: renal impairment, pregnancy, CYP3A4 inhibitors, empty."
    assert text.count(NOT_FOUND) == 1 and text.count(NO_LABEL) == 1
    assert f"  - renal impairment, pregnancy: {NO_LABEL}" in text
    assert "POPULATIONS" not in text and "DOSAGE" in text  # nothing found: the section is left out
    assert text.index(NOT_FOUND) < text.index("DOSAGE")
    assert missing_line(_monograph(MonographSection(key="d", title="Dosage", fields=[DOSING]))) is None


def test_field_name() -> None:
    def name(title: str) -> str:
        return field_name(MonographField(key="k", title=title))

    assert name("Renal impairment") == "renal impairment"
    assert name("MeSH class") == "MeSH class" and name("CYP3A4 inhibitors") == "CYP3A4 inhibitors"
    assert name("Do's and don'ts") == "do's and don'ts"


def test_short_values_of_one_structured_source_share_a_line() -> None:
    drugbank = "DrugBank vocabulary (DB00001)"
    names = MonographField(
        key="synonyms",
        title="Synonyms",
        values=[
            SourcedValue(text="QX-12", source=drugbank),
            SourcedValue(text="quelta-abcd", source=drugbank),
            SourcedValue(
                text="Quelta", citations=[1], source="label product data"
            ),  # cites: a line of its own
            SourcedValue(text="QX-12 antibody", source=drugbank),
            SourcedValue(text="Q" * 90, source=drugbank),  # too long to share
        ],
    )
    shown = shown_values(names)
    assert [(s.text, s.source) for s in shown] == [
        ("QX-12; quelta-abcd", drugbank),
        ("Quelta", "label product data"),
        ("QX-12 antibody", drugbank),
        ("Q" * 90, drugbank),
    ]
    text = to_text(_monograph(MonographSection(key="n", title="Names", fields=[names])))
    assert f"    - QX-12; quelta-abcd (source: {drugbank})" in text
    assert "    - Quelta [1] (source: label product data)" in text
