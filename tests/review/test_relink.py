"""Re-linking edited sentences to supporting passages, or marking them editorial (no database)."""

from __future__ import annotations

import pytest

from medref.compose.support import supports
from medref.errors import InputError
from medref.models import Answer, Citation, Document, DocumentRef, Quote
from medref.review.diff import published_lines, with_texts
from medref.review.relink import (
    EDITORIAL,
    RelinkError,
    apply_sources,
    choices,
    in_page_order,
    mark_editorial,
    relink,
    require_resolved,
    unresolved,
)
from tests.review.factories import make_answer, make_doc

ITCH = "Velmorast lowered itch scores by half over twelve weeks. Few people stopped taking it early."
SLEEP = "In a second trial, velmorast improved sleep in adults with eczema. Headache was the commonest side effect."


def _quote(doc: Document) -> Quote:
    p = doc.passages[1]
    return Quote(passage_id=f"{doc.uid}#{p.ordinal}", section=p.section, text=p.text)


def _answer(*texts: str) -> tuple[Answer, Document]:
    """An answer citing one document, with its passage stored as the reference's quote."""
    doc = make_doc("pmid:11", body=ITCH)
    answer = make_answer(*texts, docs=(doc,))
    refs = [r.model_copy(update={"quotes": [_quote(doc)]}) for r in answer.references]
    return answer.model_copy(update={"references": refs}), doc


def test_an_edit_leaves_the_sentence_unresolved_until_linked_or_marked() -> None:
    answer, _ = _answer("Velmorast lowered itch scores.", "Few people stopped it early.")
    assert unresolved(answer) == []
    require_resolved(answer)  # nothing edited: fine
    edited = with_texts(answer, ["Velmorast lowered itch scores.", "Hardly anyone stopped early."])
    waiting = unresolved(edited)
    assert [(i, s.text) for i, s in waiting] == [(1, "Hardly anyone stopped early.")]
    with pytest.raises(InputError, match=r'sentence 2 \("Hardly anyone stopped early\."\)'):
        require_resolved(edited)
    marked = mark_editorial(edited, 1)
    assert unresolved(marked) == []
    s = marked.sentences()[1]
    assert (s.edited, s.editorial, s.citations, s.spans) == (True, True, [], [])
    assert "key point: Hardly anyone stopped early. (editorial, no source)" in published_lines(marked)


def test_relink_to_a_supporting_passage_cites_the_span_the_check_finds() -> None:
    answer, doc = _answer("Velmorast lowered itch scores.", "Few people stopped it early.")
    edited = with_texts(answer, ["Velmorast lowered itch scores.", "Few people stopped taking it early."])
    quote = _quote(doc)
    linked = relink(edited, 1, quote, DocumentRef.of(doc))
    s = linked.sentences()[1]
    start = ITCH.index("Few people")
    assert s.citations == [1] and s.edited and not s.editorial
    assert s.spans == [
        Citation(number=1, doc_uid="pmid:11", passage_id=quote.passage_id, start=start, end=len(ITCH))
    ]
    assert quote.text[s.spans[0].start : s.spans[0].end] == "Few people stopped taking it early."
    assert unresolved(linked) == [] and linked.references == edited.references  # same document, same quote


def test_relink_refuses_a_passage_that_does_not_support_the_new_words() -> None:
    answer, doc = _answer("Velmorast lowered itch scores.", "Few people stopped it early.")
    edited = with_texts(answer, ["Velmorast cured itch in 90% of people.", "Few people stopped it early."])
    assert not supports(edited.sentences()[0].text, [ITCH]).supported  # the referee agrees
    with pytest.raises(RelinkError, match=r"sentence 1 .*does not support it \(quantity .90 %. is not in"):
        relink(edited, 0, _quote(doc), DocumentRef.of(doc))
    retracted = DocumentRef.of(doc).model_copy(update={"flags": ["retracted"]})
    with pytest.raises(RelinkError, match="retracted"):
        relink(edited, 1, _quote(doc), retracted)


def test_a_new_document_becomes_a_reference_numbered_in_page_order() -> None:
    answer, _ = _answer("Velmorast lowered itch scores.", "Few people stopped it early.")
    other = make_doc("pmid:22", body=SLEEP)
    edited = with_texts(
        answer, ["Velmorast improved sleep in adults with eczema.", "Few people stopped it early."]
    )
    linked = relink(edited, 0, _quote(other), DocumentRef.of(other))
    assert [(r.number, r.document.uid) for r in linked.references] == [(1, "pmid:22"), (2, "pmid:11")]
    first, second = linked.sentences()
    assert first.citations == [1] and [c.doc_uid for c in first.spans] == ["pmid:22"]
    assert second.citations == [2] and {c.number for c in second.spans} == {2}  # renumbered with its spans
    assert linked.references[0].quotes == [_quote(other)]  # the passage is stored with the answer
    span = first.spans[0]
    assert (
        SLEEP[span.start : span.end] == "In a second trial, velmorast improved sleep in adults with eczema."
    )


def test_uncited_references_stay_listed_after_the_cited_ones() -> None:
    answer, _ = _answer("Velmorast lowered itch scores.")
    other = make_doc("pmid:22", body=SLEEP)
    dropped = mark_editorial(answer, 0)  # nothing cites [1] now
    linked = relink(
        with_texts(dropped, ["Headache was the commonest side effect."]),
        0,
        _quote(other),
        DocumentRef.of(other),
    )
    assert [(r.number, r.document.uid) for r in linked.references] == [(1, "pmid:22"), (2, "pmid:11")]
    assert in_page_order(linked) == linked  # already in order: no change


def test_apply_sources_reads_one_choice_per_sentence_and_reports_every_refusal() -> None:
    answer, doc = _answer("Velmorast lowered itch scores.", "Few people stopped it early.", "Itch came back.")
    assert [c.passage_id for c in choices(answer)] == ["pmid:11#1"]
    assert choices(answer)[0].label.startswith("[1] Research · Abstract: Velmorast lowered itch")
    edited = with_texts(
        answer, ["Velmorast cured everyone.", "Few people stopped taking it early.", "Itch came back."]
    )
    done = apply_sources(edited, [EDITORIAL, "pmid:11#1"])
    assert [(s.editorial, s.citations) for s in done.sentences()] == [(True, []), (False, [1]), (False, [1])]
    with pytest.raises(RelinkError) as refused:
        apply_sources(edited, ["pmid:11#1", "pmid:99#1"])
    message = str(refused.value)
    assert 'sentence 1 ("Velmorast cured everyone.")' in message
    assert "sentence 2 (\"Few people stopped taking it early.\"): no passage 'pmid:99#1'" in message
    found = apply_sources(edited, ["", "pmid:99#1"], lookup=lambda pid: (_quote(doc), DocumentRef.of(doc)))
    assert found.sentences()[1].citations == [1]
    with pytest.raises(InputError, match="this version has 3"):
        apply_sources(edited, ["", "", "", "editorial"])
