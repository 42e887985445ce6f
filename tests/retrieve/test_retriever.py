"""Hybrid retrieval over the demo corpus: ranking fit, directness, labels, bad input."""

from __future__ import annotations

import re

import pytest

from medref.errors import QueryError
from medref.models import SourceKind
from medref.retrieve.retriever import Retriever
from tests.retrieve.conftest import parts_sum


def test_role_question_puts_synthesis_first_and_explains_scores(demo_retriever: Retriever) -> None:
    res = demo_retriever.search("What is the role of CD40 ligand blockers?", k=8)
    assert res.intent["role"] and res.key_entities == ["CD40 ligand blockers"]
    assert res.hits[0].document.kind in (SourceKind.GUIDELINE, SourceKind.SYSTEMATIC_REVIEW)
    finals = [h.scores.final for h in res.hits]
    assert finals == sorted(finals, reverse=True)
    for h in res.hits:
        s = h.scores
        assert s.final == pytest.approx(parts_sum(s))
        assert s.lexical_rank is not None or s.dense_rank is not None
    assert res.has_direct_evidence and res.coverage[0].direct_passages >= 3
    assert set(res.backends) == {"lexical", "dense"}


def test_direct_means_the_entity_or_a_true_synonym_is_named(demo_retriever: Retriever) -> None:
    res = demo_retriever.search("belatacept and lymphoproliferative disorder risk", k=15)
    assert "Belatacept" in res.key_entities
    names = re.compile(r"belatacept|lea29y|nulojix|bms-224818", re.I)
    for h in res.hits:
        mentioned = bool(names.search(h.passage.text) or names.search(h.document.title))
        if "Belatacept" in h.matched_entities:
            assert mentioned, h.passage.text
        elif h.passage.text and names.search(h.passage.text):
            pytest.fail(f"passage names belatacept but was not marked direct: {h.passage.id}")
    # an abatacept-only passage is never direct evidence for belatacept
    abatacept_only = [
        h
        for h in res.hits
        if re.search("abatacept", h.passage.text, re.I) and not names.search(h.passage.text)
    ]
    assert all("Belatacept" not in h.matched_entities or h.match_in == "title" for h in abatacept_only)


def test_entity_absent_from_corpus_has_no_direct_evidence(demo_retriever: Retriever) -> None:
    res = demo_retriever.search("Should I take adalimumab for psoriasis?", k=10)
    assert "Adalimumab" in res.key_entities
    assert not res.has_direct_evidence
    assert res.coverage[0].direct_passages == 0
    assert res.hits, "off-topic passages may be returned, but marked indirect"
    assert not any(h.direct for h in res.hits)


def test_synonym_expansion_reaches_the_drug(demo_retriever: Retriever) -> None:
    with_exp = demo_retriever.search("LEA29Y", k=5, dense=False)
    without = demo_retriever.search("LEA29Y", k=5, dense=False, expand=False)
    assert with_exp.expansions["Belatacept"]
    assert any("belatacept" in h.passage.text.lower() for h in with_exp.hits)
    assert not without.hits  # the corpus never writes LEA29Y


def test_superseded_label_version_ranks_below_current(demo_retriever: Retriever) -> None:
    res = demo_retriever.search(
        "belatacept maintenance dose every 4 weeks", k=30, kinds=[SourceKind.DRUG_LABEL]
    )
    assert res.hits and all(h.document.kind is SourceKind.DRUG_LABEL for h in res.hits)
    current = [h for h in res.hits if h.document.is_current]
    old = [h for h in res.hits if not h.document.is_current]
    assert current and old
    assert all(h.scores.current_label_bonus < 0 for h in old)
    assert res.hits[0].document.is_current
    assert res.hits[0].document.spl_version == 2


@pytest.mark.parametrize(
    "query",
    [
        '"*():^~[]{} AND OR NOT -belatacept',
        "belatacept\u200b\u200e \U0001f48a ﬁbrosis",
        "title:x OR 1=1; DROP TABLE passages; --",
        "\\ / ? ! + & | ' \"",
    ],
)
def test_query_syntax_and_odd_unicode_never_crash(demo_retriever: Retriever, query: str) -> None:
    res = demo_retriever.search(query, k=3)
    assert len(res.hits) <= 3


def test_empty_and_huge_queries(demo_retriever: Retriever) -> None:
    for q in ("", "   \n\t", "\u200b\u200b"):
        with pytest.raises(QueryError):
            demo_retriever.search(q)
    res = demo_retriever.search("belatacept " * 20_000, k=3)
    assert any("truncated" in n for n in res.notes)
    assert res.hits


def test_document_level_directness_only_for_abstract_sized_documents(demo_retriever: Retriever) -> None:
    from medref.retrieve.retriever import SHORT_DOC_CHARS

    res = demo_retriever.search("tacrolimus", k=40)
    assert "Tacrolimus" in res.key_entities
    by_doc = [h for h in res.hits if h.match_in == "document"]
    assert by_doc, "an abstract passage is direct because its abstract names tacrolimus elsewhere"
    for h in by_doc:
        doc = demo_retriever.store.get_document(h.document.uid)
        assert len(doc.text) <= SHORT_DOC_CHARS
        assert h.document.kind not in (
            SourceKind.DRUG_LABEL,
            SourceKind.GUIDELINE,
            SourceKind.TRIAL_REGISTRATION,
        )
        assert "tacrolimus" not in h.passage.text.lower() and "tacrolimus" in doc.text.lower()
    for h in res.hits:
        if h.document.kind is SourceKind.TRIAL_REGISTRATION and "tacrolimus" not in h.passage.text.lower():
            assert h.match_in != "document", "registrations are never direct through a mention elsewhere"
