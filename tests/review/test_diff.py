"""Version comparison and text edits of answers and monographs (no database)."""

from __future__ import annotations

import pytest

from medref.errors import InputError
from medref.models import NOT_FOUND, Monograph
from medref.review.diff import diff_items, editable_texts, published_lines, with_texts
from tests.review.factories import make_answer, make_doc, make_monograph


def test_sentence_diff_shows_only_what_a_reader_would_see_change() -> None:
    old = make_answer("First claim.", "Second claim.", docs=(make_doc("pmid:1"),))
    new = with_texts(old, ["First claim, reworded.", "Second claim."]).model_copy(update={"version": 2})
    lines = diff_items(old, new).splitlines()
    assert lines[:2] == ["--- version 1", "+++ version 2"]
    assert [ln for ln in lines[2:] if ln[:1] in "+-"] == [
        "-summary: First claim. [1]",
        "+summary: First claim, reworded. (edited, needs a source)",  # old spans no longer claim it
    ]
    assert diff_items(old, old.model_copy(update={"version": 2, "notes": ["internal"]})) == ""
    json_diff = diff_items(old, old.model_copy(update={"notes": ["internal"]}), mode="json")
    assert '+    "internal"' in json_diff.splitlines()
    with pytest.raises(InputError, match="diff mode"):
        diff_items(old, new, mode="html")  # type: ignore[arg-type]


def test_with_texts_replaces_in_order_and_drops_emptied_sentences() -> None:
    answer = make_answer("One.", "Two.", "Three.", docs=(make_doc("pmid:1"),))
    assert [t for _, t in editable_texts(answer)] == ["One.", "Two.", "Three."]
    edited = with_texts(answer, ["One!", "  ", "Three.  "])
    assert [s.text for s in edited.sentences()] == ["One!", "Three."]
    first, third = edited.sentences()
    assert first.edited and first.spans == [] and first.citations == []  # new words: the old span is gone
    assert not third.edited and third.spans == answer.sentences()[2].spans  # only spacing changed
    assert edited.references == answer.references
    with pytest.raises(InputError, match="expected 3 texts"):
        with_texts(answer, ["only one"])


def test_monograph_lines_and_edits() -> None:
    mono = make_monograph(docs=(make_doc("spl:x:v1"),), dose="Take 10 mg once a day.")
    lines = published_lines(mono)
    assert "Dosing: Take 10 mg once a day. [1]" in lines
    assert f"Boxed warning: {NOT_FOUND}" in lines
    assert editable_texts(mono) == [("Use · Dosing", "Take 10 mg once a day.")]
    edited = with_texts(mono, [""])
    assert isinstance(edited, Monograph)
    assert "Dosing: " + NOT_FOUND in published_lines(edited)
