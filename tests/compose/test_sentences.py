"""Sentence splitting with exact offsets, and the sentence filters of the extractive composer."""

from __future__ import annotations

import pytest

from medref.compose.sentences import (
    Span,
    content_stems,
    has_dose,
    has_verb,
    is_boilerplate,
    is_heading,
    is_label_list,
    is_recommendation,
    jaccard,
    split_rows,
    split_sentences,
)
from medref.deps import demo_files
from medref.ingest.registry import detect_format, get_parser


def texts(spans: list[Span]) -> list[str]:
    return [s.text for s in spans]


def check_offsets(text: str, spans: list[Span]) -> None:
    last = 0
    for s in spans:
        assert text[s.start : s.end] == s.text, s
        assert s.start >= last and s.end > s.start
        assert s.text == s.text.strip()
        last = s.end


def test_abbreviations_and_decimals_do_not_split() -> None:
    text = (
        "Give 2.5 mg i.v. once, e.g. before surgery, vs. placebo in Fig. 2 (p=0.01). "
        "Smith et al. found a mean eGFR of 1.73 m2 higher. No. 5 was excluded! Was it safe? Yes."
    )
    spans = split_sentences(text)
    check_offsets(text, spans)
    assert texts(spans) == [
        "Give 2.5 mg i.v. once, e.g. before surgery, vs. placebo in Fig. 2 (p=0.01).",
        "Smith et al. found a mean eGFR of 1.73 m2 higher.",
        "No. 5 was excluded!",
        "Was it safe?",
        "Yes.",
    ]


def test_offsets_point_into_the_original_text() -> None:
    text = "  First sentence here.   Second one follows.\tThird."
    spans = split_sentences(text)
    check_offsets(text, spans)
    assert [(s.start, s.end) for s in spans] == [(2, 22), (25, 44), (45, 51)]


def test_lower_case_continuation_is_not_a_new_sentence_but_mrna_is() -> None:
    text = "Doses were given q.d. for two weeks. the next line is lower case. mRNA levels rose."
    assert texts(split_sentences(text)) == [
        "Doses were given q.d. for two weeks. the next line is lower case.",
        "mRNA levels rose.",
    ]


def test_numbered_list_markers_are_left_out_of_the_span() -> None:
    text = "1. Belatacept should be used only in adults; we recommend testing first. 2. Avoid live vaccines."
    spans = split_sentences(text)
    check_offsets(text, spans)
    assert texts(spans) == [
        "Belatacept should be used only in adults; we recommend testing first.",
        "Avoid live vaccines.",
    ]
    assert spans[0].start == 3


def test_line_lists_and_paragraphs_are_hard_breaks() -> None:
    text = "Research gaps:\n- Long-term data are lacking\n- Trials are needed.\n\n(a) Another item here.\n3) Third"
    spans = split_sentences(text)
    check_offsets(text, spans)
    assert texts(spans) == [
        "Research gaps:",
        "Long-term data are lacking",
        "Trials are needed.",
        "Another item here.",
        "Third",
    ]


def test_label_cross_references_belong_to_no_sentence() -> None:
    text = "Do not use in seronegative recipients. (4, 5.1); Only experienced physicians should prescribe it. (5.2)"
    spans = split_sentences(text)
    check_offsets(text, spans)
    assert texts(spans) == [
        "Do not use in seronegative recipients.",
        "Only experienced physicians should prescribe it.",
    ]


def test_semicolon_label_list_stays_one_span_and_is_flagged() -> None:
    text = "Conditions: Systemic Lupus Erythematosus. Keywords: CD40 ligand; CD154; dapirolizumab pegol; SLE."
    spans = split_sentences(text)
    assert texts(spans) == [
        "Conditions: Systemic Lupus Erythematosus.",
        "Keywords: CD40 ligand; CD154; dapirolizumab pegol; SLE.",
    ]
    assert is_label_list(spans[1].text)
    assert is_label_list(
        "Interventions: Biological: Letolizumab; Drug: Mycophenolate mofetil; Drug: Basiliximab."
    )
    assert not is_label_list(
        "Belatacept should be used only in EBV-seropositive recipients; we recommend confirming the serostatus first."
    )
    assert not is_label_list("A single clause without any semicolon at all.")


def test_empty_and_unterminated_text() -> None:
    assert split_sentences("") == []
    assert split_sentences("   \n  ") == []
    assert texts(split_sentences("No full stop at the end")) == ["No full stop at the end"]


def test_table_rows_keep_offsets() -> None:
    text = "Phase | Dose\n  Initial | 10 mg/kg \n\nMaintenance | 5 mg/kg"
    rows = split_rows(text)
    check_offsets(text, rows)
    assert texts(rows) == ["Phase | Dose", "Initial | 10 mg/kg", "Maintenance | 5 mg/kg"]


def test_every_demo_passage_splits_into_exact_slices() -> None:
    n = 0
    for path in demo_files():
        for doc in get_parser(detect_format(path)).parse(path):
            for p in getattr(doc, "passages", []):
                spans = split_rows(p.text) if p.kind == "table" else split_sentences(p.text)
                check_offsets(p.text, spans)
                n += len(spans)
                # no span starts with a list marker or a cross-reference
                for s in spans:
                    assert not s.text[:3].rstrip().rstrip(".").isdigit() or p.kind == "table", s.text
    assert n > 150


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Illustrative record written for the medref demo; not real data.", True),
        ("It is not medical advice.", True),
        ("Copyright 2024 The Authors. All rights reserved.", True),
        ("All figures in this section are invented for the medref demo.", True),
        ("Belatacept increases the risk of PTLD.", False),
    ],
)
def test_boilerplate(text: str, expected: bool) -> None:
    assert is_boilerplate(text) is expected


def test_headings_verbs_recommendations_and_doses() -> None:
    assert is_heading("Table 1: Dosing for Prophylaxis of Kidney Transplant Rejection (illustrative label)")
    assert is_heading("WARNINGS AND PRECAUTIONS")
    assert is_heading("Summary of recommendations")
    assert not is_heading("Belatacept increases the risk of PTLD.")

    assert has_verb("No thromboembolic events were observed.")
    assert has_verb("Letolizumab blocks CD40L on activated T cells.")
    assert not has_verb(
        "Placebo (Other): Intravenous infusion of matching placebo every 4 weeks for 48 weeks."
    )

    assert is_recommendation("Avoid belatacept in recipients who are EBV seronegative.")
    assert is_recommendation("We recommend that they be used only within clinical trials.")
    assert is_recommendation(
        "Screen for latent tuberculosis before starting belatacept, and avoid live vaccines."
    )
    assert is_recommendation("Use in liver transplant recipients is not recommended.")
    assert not is_recommendation("Recommendations 1 to 3 rest on randomised trials and registry data.")
    assert not is_recommendation("A design meant to avoid the platelet-driven thrombotic events.")

    assert has_dose("Initial phase: 10 mg/kg on Day 1 and Day 5.")
    assert has_dose("Oral, 1000 mg twice daily.")
    assert not has_dose("eGFR was higher by 10 to 15 mL/min/1.73 m2.")


def test_content_stems_and_similarity() -> None:
    a = content_stems("The transplant recipients were treated with belatacept.")
    b = content_stems("Belatacept treatment of kidney transplantation recipients")
    assert "the" not in a and "belata" in a and "transp" in a
    assert jaccard(a, a) == 1.0
    assert 0.0 < jaccard(a, b) < 1.0
    assert jaccard(a, frozenset()) == 0.0
