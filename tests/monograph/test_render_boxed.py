"""The boxed warning's title: the label's own (section title, or the heading after a bare 'WARNING')."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.ingest import spl
from medref.ingest.spl_sections import HL7_NS
from medref.monograph.boxed import DEFAULT_TITLE, boxed_title, is_caps_heading
from medref.monograph.label import LabelView

_DOC = f"""<?xml version="1.0" encoding="UTF-8"?>
<document xmlns="{HL7_NS}"><id root="1b2c3d4e-0000-4000-8000-000000000001"/>
<setId root="1b2c3d4e-0000-4000-8000-000000000002"/><versionNumber value="1"/>
<component><structuredBody>{{body}}</structuredBody></component></document>"""


def _box(title: str, text: str, nested: bool = False) -> str:
    box = f'<section><code code="34066-1"/>{title}<text>{text}</text></section>'
    if nested:  # a box inside another section is not the label's boxed warning
        box = f'<section><code code="34068-7"/><title>Dosage</title><text><paragraph>Dose.</paragraph></text><component>{box}</component></section>'
    return f"<component>{box}</component>"


@pytest.mark.parametrize(
    ("box", "title"),
    [
        (
            _box("<title>WARNING: LIVER INJURY</title>", "<paragraph>Quelta can harm the liver.</paragraph>"),
            "WARNING: LIVER INJURY",
        ),
        (
            _box(
                "",
                '<paragraph><content styleCode="bold">WARNING</content></paragraph><paragraph>Increased Mortality in Elderly Patients</paragraph><paragraph>Deaths rose.</paragraph>',
            ),
            "Increased Mortality in Elderly Patients",
        ),
        (
            _box("", "<paragraph>WARNING: RISK OF FALLS</paragraph><paragraph>Falls happened.</paragraph>"),
            "WARNING: RISK OF FALLS",
        ),
        (
            _box("<title>Boxed Warning</title>", "<paragraph>Quelta can harm the liver.</paragraph>"),
            DEFAULT_TITLE,
        ),
        (
            _box("", "<paragraph>WARNING</paragraph><paragraph>Deaths rose in trials.</paragraph>"),
            DEFAULT_TITLE,
        ),
        (
            _box(
                "<title>TAMPER-EVIDENT FEATURE</title>",
                "<paragraph>Do not use if torn.</paragraph>",
                nested=True,
            ),
            DEFAULT_TITLE,
        ),
    ],
)
def test_boxed_title(tmp_path: Path, box: str, title: str) -> None:
    path = tmp_path / "label.xml"
    path.write_text(_DOC.replace("{body}", box), encoding="utf-8")
    assert boxed_title(LabelView(next(spl.parse(path)))) == title


@pytest.mark.parametrize(
    ("line", "heading"),
    [
        ("SERIOUS INFECTIONS", True),
        ("MALIGNANCY", True),
        ("WARNING: HEPATOTOXICITY", True),
        ("Serious infections", False),  # not in capitals: may be a list item
        ("DISCONTINUE IF A RASH APPEARS.", False),  # a sentence, even in capitals
        ("Test patients for latent TB before use.", False),
        ("250 MG", True),
        ("", False),
    ],
)
def test_caps_heading_lines(line: str, heading: bool) -> None:
    assert is_caps_heading(line) is heading


def test_box_statements_leave_out_its_heading_lines(tmp_path: Path) -> None:
    from medref.compose.sentences import Entity
    from medref.monograph.label_fields import LabelFields
    from medref.retrieve.lexicon import Lexicon

    text = (
        "<paragraph><content styleCode='bold'>SERIOUS INFECTIONS</content></paragraph>"
        "<paragraph>Patients given the illustrative drug may develop serious infections.</paragraph>"
        "<paragraph><content styleCode='bold'>LIVER INJURY</content></paragraph>"
        "<paragraph>Check liver tests before the first dose.</paragraph>"
    )
    path = tmp_path / "label.xml"
    path.write_text(
        _DOC.format(body=_box("<title>WARNING: SERIOUS INFECTIONS AND LIVER INJURY</title>", text))
    )
    doc = next(spl.parse(path))
    doc = doc.model_copy(
        update={"passages": [p.model_copy(update={"id": i + 1}) for i, p in enumerate(doc.passages)]}
    )
    drug = Entity(name="drug", names=("drug",), kind="drug", primary=("drug",))
    draft = LabelFields(LabelView(doc), drug, Lexicon.load(None)).boxed()
    quoted = [q.text for q in draft.quotes]
    assert draft.title == "WARNING: SERIOUS INFECTIONS AND LIVER INJURY"
    assert "Check liver tests before the first dose." in quoted
    assert not [t for t in quoted if t.isupper()], quoted
