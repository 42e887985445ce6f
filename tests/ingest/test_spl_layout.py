"""SPL running text keeps its layout: headings, unpunctuated lines and list items never run into
the next sentence, and every passage is still an exact slice of the document text."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from lxml import etree

from medref.compose.sentences import split_sentences
from medref.ingest import spl
from medref.ingest.spl_sections import HL7_NS, clean_lines, pieces, render, run_in_heading
from medref.models import Document

_HEAD = f"""<?xml version="1.0" encoding="UTF-8"?>
<document xmlns="{HL7_NS}">
  <id root="9b1c0f3e-1111-4a55-8e0d-6f0e2b7c9d10"/>
  <code code="34391-3" displayName="HUMAN PRESCRIPTION DRUG LABEL"/>
  <title>Tessamab tablets</title>
  <effectiveTime value="20240101"/>
  <setId root="5d7e0a2b-2222-4c66-9f1e-7a1f3c8d0e21"/>
  <versionNumber value="1"/>
  <component><structuredBody>
"""
_TAIL = "</structuredBody></component></document>"


def _section(code: str, title: str, body: str) -> str:
    return f'<component><section><code code="{code}"/><title>{title}</title><text>{body}</text></section></component>'


def _label(tmp_path: Path, *sections: str) -> Document:
    path = tmp_path / "label.xml"
    path.write_text(_HEAD + "".join(sections) + _TAIL, encoding="utf-8")
    return next(spl.parse(path))


def _sentences(doc: Document) -> list[str]:
    out: list[str] = []
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
        if p.kind == "text":
            for s in split_sentences(p.text):
                assert p.text[s.start : s.end] == s.text
                out.append(s.text)
    return out


def _text(xml: str) -> etree._Element:
    return etree.fromstring(f'<text xmlns="{HL7_NS}">{xml}</text>')


# ------------------------------------------------------------------ headings
def test_heading_paragraphs_stand_alone(tmp_path: Path) -> None:
    doc = _label(
        tmp_path,
        _section(
            "42228-7",
            "8.1 Pregnancy",
            "<paragraph>Pregnancy Category B </paragraph>"
            '<paragraph><content styleCode="italics">Risk Summary</content></paragraph>'
            "<paragraph>Adequate studies have not been done in pregnant women.</paragraph>"
            '<paragraph><content styleCode="italics"><content styleCode="underline">Animal Data </content>'
            "</content></paragraph><paragraph>No fetal harm was seen in rats.</paragraph>",
        ),
    )
    assert _sentences(doc) == [
        "Pregnancy Category B",
        "Risk Summary",
        "Adequate studies have not been done in pregnant women.",
        "Animal Data",
        "No fetal harm was seen in rats.",
    ]


@pytest.mark.parametrize(
    ("paragraph", "split"),
    [
        ('<content styleCode="bold">Monitoring</content> Closely monitor patients.', True),
        ('<content styleCode="bold italics">Liver Enzyme Elevations</content> There were reports.', True),
        (
            '<content styleCode="bold">Do not</content> inject into bruised skin.',
            False,
        ),  # goes on in lower case
        ('<content styleCode="bold">Do not</content> Inject into bruised skin.', False),  # ends on "not"
        ('<content styleCode="bold">Reported infections include:</content> Tuberculosis.', False),
        (
            '<content styleCode="xmChange">Monitoring</content> Closely monitor patients.',
            False,
        ),  # not a style
        ("Monitoring Closely monitor patients.", False),  # no markup: nothing to go by
    ],
)
def test_run_in_heading(paragraph: str, split: bool) -> None:
    par = _text(f"<paragraph>{paragraph}</paragraph>")[0]
    assert run_in_heading(par) is split
    (prose,) = render(_text(f"<paragraph>{paragraph}</paragraph>"))
    assert isinstance(prose, str)
    assert (len(split_sentences(prose)) == 2) is split


def test_line_breaks_and_inline_bullets(tmp_path: Path) -> None:
    doc = _label(
        tmp_path,
        _section(
            "34066-1",
            "WARNING: SERIOUS INFECTIONS",
            '<paragraph><content styleCode="bold">SERIOUS INFECTIONS</content></paragraph>'
            "<paragraph>Reported infections include:<br/>• Active tuberculosis, including reactivation."
            "<br/>• Invasive fungal infections</paragraph>"
            "<paragraph>Stop treatment if sepsis develops.</paragraph>",
        ),
    )
    (passage,) = doc.passages
    assert passage.text == (
        "SERIOUS INFECTIONS\n\nReported infections include:\n• Active tuberculosis, including reactivation."
        "\n• Invasive fungal infections\n\nStop treatment if sepsis develops."
    )
    assert _sentences(doc) == [
        "SERIOUS INFECTIONS",
        "Reported infections include:",
        "Active tuberculosis, including reactivation.",
        "Invasive fungal infections",
        "Stop treatment if sepsis develops.",
    ]


# ------------------------------------------------------------------ lists
def test_lists_keep_their_items(tmp_path: Path) -> None:
    doc = _label(
        tmp_path,
        _section(
            "42231-1",
            "Medication Guide",
            "<paragraph>Before starting, tell your doctor if you:</paragraph>"
            '<list listType="unordered"><item>think you have an infection such as:'
            "<table><tbody><tr><td>• fever</td><td>• cough</td></tr></tbody></table></item>"
            "<item>get a lot of infections or have infections that keep coming back</item>"
            "<item><paragraph>have diabetes</paragraph></item></list>"
            '<list listType="ordered"><caption>Steps</caption><item>Wash your hands.</item>'
            "<item>(a) Choose a site</item></list>",
        ),
    )
    (passage,) = doc.passages
    assert passage.text == (
        "Before starting, tell your doctor if you:\n• think you have an infection such as:\n• fever\n• cough"
        "\n• get a lot of infections or have infections that keep coming back\n• have diabetes"
        "\n\nSteps\n1. Wash your hands.\n(a) Choose a site"
    )
    assert _sentences(doc) == [
        "Before starting, tell your doctor if you:",
        "think you have an infection such as:",
        "fever",
        "cough",
        "get a lot of infections or have infections that keep coming back",
        "have diabetes",
        "Steps",
        "Wash your hands.",
        "Choose a site",
    ]


def test_lists_in_table_cells_stay_on_one_line(tmp_path: Path) -> None:
    doc = _label(
        tmp_path,
        _section(
            "34068-7",
            "Dosage",
            "<table><tbody><tr><td>Adults</td><td><list><item>40 mg</item><item>every week</item></list>"
            "</td></tr></tbody></table>",
        ),
    )
    (table,) = doc.passages
    assert table.table == [["Adults", "40 mg; every week"]]


# ------------------------------------------------------------------ helpers
def test_clean_lines() -> None:
    assert clean_lines("  a  b \n\n\n c\n•\n  item \n2)  next\n\n") == "a b\n\nc\n• item\n2) next"
    assert clean_lines("relieves\n• sneezing   • runny nose") == "relieves\n• sneezing\n• runny nose"
    assert clean_lines("\n \n") == ""


def test_pieces_cut_at_line_breaks() -> None:
    lines = [f"Sentence number {i} is here." for i in range(40)]
    text = "\n\n".join(lines[:20]) + "\n• " + "\n• ".join(lines[20:])
    out = pieces(text, limit=200)
    assert len(out) > 1 and all(len(p) <= 200 for p in out)
    assert all(p.strip() == p for p in out)
    # every line lands whole in exactly one piece, in order
    rejoined = [ln.removeprefix("• ") for p in out for ln in p.split("\n") if ln]
    assert rejoined == lines
    long_line = " ".join(lines)  # one paragraph longer than the limit: cut on its sentences
    assert " ".join(pieces(long_line, limit=200)) == long_line
    assert pieces("short", limit=200) == ["short"]


# ------------------------------------------------------------------ real labels
_DOUBLED = re.compile(r"(?<![.])\.\s*\.(?![.])|;\s*;|:\s*[.;]|[.;]\s*;|,\s*\.")


def _heading_texts(path: Path) -> set[str]:
    """Texts of styled paragraphs and styled run-in leads of a label (its visual sub-headings)."""
    v = "{" + HL7_NS + "}"
    heads: set[str] = set()
    for par in etree.parse(str(path)).getroot().iter(v + "paragraph"):
        if any(etree.QName(a).localname in ("td", "th") for a in par.iterancestors()):
            continue
        if len(par) and not (par.text or "").strip() and etree.QName(par[0]).localname == "content":
            head = " ".join("".join(str(t) for t in par[0].itertext()).split())
            if head and head[-1] not in ".:;,!?" and len(head.split()) <= 10:
                heads.add(head)
    return heads


@pytest.mark.parametrize("name", ["humira.xml", "lipitor-orig.xml", "cough.xml", "no-title.xml"])
def test_real_label_headings_do_not_run_into_sentences(shared_data: Path, name: str) -> None:
    path = shared_data / "fda_spl" / name
    doc = next(spl.parse(path))
    heads = _heading_texts(path)
    sentences = _sentences(doc)
    # a heading may open a longer heading ("Juvenile Idiopathic Arthritis" / "... Clinical Studies")
    run_in = [
        s
        for s in sentences
        if s not in heads
        and any(s.startswith(h + " ") and s[len(h) + 1 : len(h) + 2].isupper() for h in heads)
    ]
    assert len(run_in) <= len(sentences) // 200, run_in[:5]
    assert not [s for s in sentences if _DOUBLED.search(s)]


def test_humira_examples(shared_data: Path) -> None:
    doc = next(spl.parse(shared_data / "fda_spl" / "humira.xml"))
    sentences = _sentences(doc)
    starts = [
        "Patients treated with HUMIRA are at increased risk for developing serious infections",
        "Adequate and well controlled studies with HUMIRA have not been conducted",
        "There have been reports of severe hepatic reactions",
        "At the end of the 16-week",
        "A greater percentage of the patients treated with 160/80 mg HUMIRA achieved induction",
        "At 12 weeks, the ASAS 20/50/70 responses",
        "Closely monitor patients for the development of signs and symptoms of infection",
    ]
    for start in starts:
        assert any(s.startswith(start) for s in sentences), start
    for whole in [
        "Pregnancy Category B",
        "Reported infections include:",
        "Active tuberculosis (TB), including reactivation of latent TB.",
        "get a lot of infections or have infections that keep coming back",
        "have or have had hepatitis B",
    ]:
        assert whole in sentences, whole


def test_the_files_own_line_breaks_inside_running_text_are_spaces(tmp_path: Path) -> None:
    """Indentation and line breaks of the XML file (not markup) never cut a sentence."""
    body = """<paragraph>Exposure doubled with the inhibitor [see <content styleCode="italics">
          <linkHtml href="#S12.3">Clinical Pharmacology (12.3)</linkHtml>
       </content>]. Limit the dose to
       20 mg.</paragraph>"""
    doc = _label(tmp_path, _section("34073-7", "DRUG INTERACTIONS", body))
    assert _sentences(doc) == [
        "Exposure doubled with the inhibitor [see Clinical Pharmacology (12.3)].",
        "Limit the dose to 20 mg.",
    ]


@pytest.mark.parametrize("name", ["humira.xml", "lipitor-orig.xml", "no-title.xml"])
def test_real_label_sentences_never_end_inside_a_cross_reference(shared_data: Path, name: str) -> None:
    sentences = _sentences(next(spl.parse(shared_data / "fda_spl" / name)))
    assert not [s for s in sentences if re.search(r"\[see$", s)]
