"""DocumentBuilder offsets and sentence-aware chunking."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from medref.ingest.base import MAX_PASSAGE_CHARS, DocumentBuilder, chunk, clean
from medref.models import SourceKind


def test_builder_offsets_and_sections() -> None:
    b = DocumentBuilder()
    b.add("Title", "  A   short\ntitle ", kind="title", split=False)
    b.add("RESULTS", "First finding. Second finding.")
    b.add("Empty", "   ")
    b.add_table("Adverse Reactions", [["Reaction", "Drug %"], ["Headache", " 12 "], ["", ""]])
    doc = b.build(uid="x:1", kind=SourceKind.OTHER, title="A short title")
    assert [p.section for p in doc.passages] == ["Title", "RESULTS", "Adverse Reactions"]
    assert doc.passages[0].text == "A short title"
    assert doc.passages[2].table == [["Reaction", "Drug %"], ["Headache", "12"]]
    assert doc.passages[2].text == "Reaction | Drug %\nHeadache | 12"
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
    assert [p.ordinal for p in doc.passages] == [0, 1, 2]


def test_long_sections_are_chunked_on_sentence_boundaries() -> None:
    sentence = "Belatacept was compared with cyclosporine in kidney recipients over one year. "
    b = DocumentBuilder()
    b.add("Abstract", sentence * 60)
    assert len(b.passages) > 1
    for p in b.passages:
        assert len(p.text) <= MAX_PASSAGE_CHARS
        assert p.text.endswith("year.")
    assert " ".join(p.text for p in b.passages) == clean(sentence * 60)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=0, max_size=5000))
def test_chunk_never_loses_text(text: str) -> None:
    body = clean(text)
    if not body:
        return
    pieces = chunk(body, limit=200)
    assert all(0 < len(p) <= 200 for p in pieces)
    assert "".join(pieces).replace(" ", "") == body.replace(" ", "")
