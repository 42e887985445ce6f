"""Sentences that stand alone: the opening rules, the frames, and what the extractive composer publishes."""

from __future__ import annotations

import pytest

from medref.compose.extractive import ExtractiveComposer
from medref.compose.render import answer_to_text
from medref.compose.standalone import OTHER, SELF, dangling, frame_for, publishable
from medref.models import Answer, DocumentRef, SourceKind
from medref.retrieve.retriever import Retriever


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("This trial showed a lower flare rate with the antibody.", SELF),
        ("In this study, 312 adults were randomised.", SELF),
        ("However, these findings suggest a dose effect.", SELF),
        ("We found no difference between the arms.", SELF),
        ("This small uncontrolled study suggests activity in ITP.", SELF),
        ("Both still blocked CD40L binding to CD40.", OTHER),
        ("These patients had more infections.", OTHER),
        ("Such patients should be monitored.", OTHER),
        ("Recommendation 5 reflects the history of the first antibodies.", OTHER),
        ("It was well tolerated in all groups.", OTHER),
        ("They were followed for two years.", OTHER),
        ("The latter was associated with fewer events.", OTHER),
        ("In contrast to the former, it lowered LDL.", OTHER),
        ("This was the first report of the reaction.", OTHER),
        ("All these results were statistically significant.", OTHER),
        ("Two of them developed a rash.", OTHER),
        ("Adalimumab reduced the signs of rheumatoid arthritis.", None),
        ("Both adalimumab and infliximab reduced pain.", None),
        ("Neither the Fc-silent antibody nor the Fab' fragment activated platelets.", None),
        ("It is recommended that adults be screened for hepatitis B.", None),
        ("It remains unclear whether the benefit persists.", None),
        ("The first humanised anti-CD40L antibodies caused thrombosis.", None),
        ("In patients with lupus, dapirolizumab pegol reduced flares.", None),
    ],
)
def test_openings_are_classified(text: str, kind: str | None) -> None:
    assert dangling(text) == kind
    assert publishable(text) is (kind != OTHER)


def _doc(kind: SourceKind, year: int | None) -> DocumentRef:
    return DocumentRef(uid="pmid:1", kind=kind, title="A title", year=year, evidence_level=2)


def test_frame_comes_from_the_documents_design_and_year() -> None:
    text = "In this trial dapirolizumab pegol reduced disease activity."
    assert frame_for(text, _doc(SourceKind.RCT, 2024)) == "In a randomised trial published in 2024:"
    assert frame_for(text, _doc(SourceKind.OBSERVATIONAL, None)) == "In an observational study:"
    assert frame_for(text, _doc(SourceKind.OTHER, 2019)) == "In a study published in 2019:"
    # a sentence that needs no frame, or that no frame can resolve, gets none
    assert frame_for("Dapirolizumab pegol reduced disease activity.", _doc(SourceKind.RCT, 2024)) is None
    assert frame_for("Both reduced disease activity.", _doc(SourceKind.RCT, 2024)) is None


def _compose(retriever: Retriever, question: str, *, standalone: bool) -> Answer:
    return ExtractiveComposer(standalone=standalone).compose(question, retriever.search(question, k=20))


def test_a_this_trial_sentence_is_not_published_bare(demo_retriever: Retriever) -> None:
    question = "Does dapirolizumab pegol reduce disease activity in SLE?"
    bare = [s for s in _compose(demo_retriever, question, standalone=False).sentences() if dangling(s.text)]
    assert bare and all(s.frame is None for s in bare)  # what the page held without the rule
    answer = _compose(demo_retriever, question, standalone=True)
    framed = [s for s in answer.sentences() if dangling(s.text)]
    assert [s.text for s in framed] == [s.text for s in bare if dangling(s.text) == SELF]
    for s in framed:
        assert s.frame == "In a randomised trial published in 2024:"
        assert s.text.startswith("In this trial")  # the quotation itself is untouched
    text = " ".join(answer_to_text(answer).split())
    assert f"({framed[0].frame}) {framed[0].text}" in text  # the frame apart from the quotation
    dumped = answer.model_dump(mode="json")  # the JSON twin carries it
    sections = [dumped[k] for k in ("bottom_line", "guidelines", "research") if dumped[k]]
    frames = [s["frame"] for sec in sections for s in sec["summary"] + sec["key_points"] if s["frame"]]
    assert frames == [s.frame for s in framed]


def test_an_unresolvable_opening_is_left_out(demo_retriever: Retriever) -> None:
    question = "What is the role of CD40 ligand blockers?"
    before = _compose(demo_retriever, question, standalone=False).sentences()
    assert any(dangling(s.text) == OTHER for s in before)  # "Recommendation 5 reflects ..."
    after = _compose(demo_retriever, question, standalone=True).sentences()
    assert after and not any(dangling(s.text) == OTHER for s in after)
    assert all(s.frame for s in after if dangling(s.text) == SELF)


def test_a_registration_is_framed_as_a_registration_not_a_publication() -> None:
    from medref.compose.standalone import frame_for
    from medref.models import DocumentRef, SourceKind

    reg = DocumentRef(
        uid="nct:NCT99000001", kind=SourceKind.TRIAL_REGISTRATION, title="t", evidence_level=4, year=2022
    )
    assert frame_for("This phase 2 study asks whether the drug works.", reg) == (
        "In a trial registration first posted in 2022:"
    )


def test_a_split_clause_that_no_longer_stands_alone_is_left_out() -> None:
    from medref.compose.standalone import EMPTIED_LEAD, without_dangling
    from medref.models import (
        Answer,
        AnswerSection,
        Citation,
        CitedSentence,
        DocumentRef,
        EvidenceStatus,
        Reference,
        SourceKind,
    )

    def sentence(text: str, n: int) -> CitedSentence:
        span = Citation(number=n, doc_uid=f"d{n}", passage_id=f"d{n}#1", start=0, end=1)
        return CitedSentence(text=text, citations=[n], spans=[span])

    refs = [
        Reference(
            number=n,
            label="Research",
            document=DocumentRef(uid=f"d{n}", kind=SourceKind.RCT, title="t", evidence_level=2),
        )
        for n in (1, 2)
    ]
    answer = Answer(
        question="q",
        evidence_status=EvidenceStatus.DIRECT,
        bottom_line=AnswerSection(title="Bottom line", summary=[sentence("But they are not approved.", 1)]),
        guidelines=AnswerSection(title="From the Guidelines"),
        research=AnswerSection(
            title="From the Research", key_points=[sentence("Belatacept lowered relapse.", 2)]
        ),
        references=refs,
        disclaimer="d",
    )
    out = without_dangling(answer)
    assert [s.text for s in out.sentences()] == ["Belatacept lowered relapse."]
    assert out.bottom_line is not None and out.bottom_line.notice == EMPTIED_LEAD
    assert [r.document.uid for r in out.references] == ["d2"] and out.sentences()[0].citations == [1]
    assert without_dangling(out) is out  # nothing left to drop: unchanged
