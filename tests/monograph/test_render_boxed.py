"""The boxed warning's title: the label's own (section title, or the heading after a bare 'WARNING')."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.ingest import spl
from medref.ingest.spl_sections import HL7_NS
from medref.monograph.boxed import DEFAULT_TITLE, boxed_title
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
