"""Research grouped by theme, each study's sentences together, retracted sources withheld."""

from __future__ import annotations

from medref.compose.themes import OTHER, group_by_theme, grouped, theme_of, without_retracted
from medref.models import (
    Answer,
    AnswerSection,
    Citation,
    CitedSentence,
    DocumentRef,
    EvidenceStatus,
    Passage,
    PublicationFlag,
    Reference,
    RetrievalResult,
    RetrievedPassage,
    ScoreParts,
    SourceKind,
)


def _doc(uid: str, kind: SourceKind = SourceKind.RCT, flags: list[str] | None = None) -> DocumentRef:
    return DocumentRef(uid=uid, kind=kind, title=uid, evidence_level=2, flags=flags or [])


def _sentence(text: str, n: int, uid: str) -> CitedSentence:
    return CitedSentence(
        text=text,
        citations=[n],
        spans=[Citation(number=n, doc_uid=uid, passage_id=f"{uid}#1", start=0, end=1)],
    )


def test_theme_follows_the_words_of_the_sentence() -> None:
    assert theme_of("Serious infections and thromboembolic adverse events were more common.") == (
        "Safety and adverse effects"
    )
    assert (
        theme_of("Remission rates improved significantly compared with placebo.") == "Efficacy and outcomes"
    )
    assert theme_of("CD40L signalling through the receptor activates platelets.") == "How it works"
    assert (
        theme_of("The recommended dose is 10 mg/kg by intravenous infusion.") == "Dosing and administration"
    )
    assert theme_of("In children under 6 years, data are limited.") == "Specific populations"
    assert theme_of("The weather was pleasant.") == OTHER
    assert theme_of("Anything at all", kind=SourceKind.TRIAL_REGISTRATION) == "Studies under way"


def test_grouping_orders_themes_by_best_sentence_and_keeps_studies_together() -> None:
    docs = {1: _doc("a"), 2: _doc("b"), 3: _doc("c")}
    points = [
        _sentence("Remission improved with the drug.", 1, "a"),  # efficacy, study 1
        _sentence("Adverse events were mild.", 2, "b"),  # safety, study 2
        _sentence("The weather was pleasant.", 3, "c"),  # other
        _sentence("Infections were the most common adverse event.", 1, "a"),  # safety, study 1
        _sentence("Response rates were higher than with placebo.", 2, "b"),  # efficacy, study 2
        _sentence("Disease activity was reduced.", 1, "a"),  # efficacy, study 1 again
    ]
    out = group_by_theme(AnswerSection(title="From the Research", key_points=points), docs)
    themes = [s.theme for s in out.key_points]
    assert themes == ["Efficacy and outcomes"] * 3 + ["Safety and adverse effects"] * 2 + [OTHER]
    efficacy = [s.citations[0] for s in out.key_points[:3]]
    assert efficacy == [1, 1, 2]  # study 1's two sentences together, then study 2
    assert sorted(s.text for s in out.key_points) == sorted(s.text for s in points)  # nothing lost


def test_grouped_renumbers_references_in_the_new_page_order() -> None:
    refs = [
        Reference(number=1, label="Research", document=_doc("a")),
        Reference(number=2, label="Research", document=_doc("b")),
    ]
    answer = Answer(
        question="q",
        evidence_status=EvidenceStatus.DIRECT,
        guidelines=AnswerSection(title="From the Guidelines"),
        research=AnswerSection(
            title="From the Research",
            key_points=[
                _sentence("The weather was pleasant.", 1, "a"),
                _sentence("Adverse events were rare.", 2, "b"),
            ],
        ),
        references=refs,
        disclaimer="d",
    )
    retracted = _doc("r", flags=[PublicationFlag.RETRACTED.value])
    out = grouped(answer, [retracted])
    assert out.research.key_points[0].text == "Adverse events were rare."
    assert [s.citations for s in out.research.key_points] == [[1], [2]]  # [1] is the first on the page
    assert [r.document.uid for r in out.references] == ["b", "a"]
    assert out.research.withheld == [retracted]


def _hit(doc: DocumentRef, direct: bool) -> RetrievedPassage:
    passage = Passage(ordinal=1, section="Abstract", text="t", start=0, end=1, id=f"{doc.uid}#1")
    return RetrievedPassage(passage=passage, document=doc, scores=ScoreParts(), direct=direct)


def test_retracted_articles_never_reach_the_composer() -> None:
    good, bad, off = _doc("good"), _doc("bad", flags=["retracted"]), _doc("off", flags=["retraction_notice"])
    assert bad.retracted and off.retracted and not _doc("e", flags=["erratum"]).retracted
    result = RetrievalResult(
        query="q", key_entities=["X"], hits=[_hit(good, True), _hit(bad, True), _hit(off, False)]
    )
    kept, withheld = without_retracted(result)
    assert [h.document.uid for h in kept.hits] == ["good"]
    assert withheld == [bad]  # the off-topic retraction notice is not flagged on this page
    same, none = without_retracted(RetrievalResult(query="q", hits=[_hit(good, True)]))
    assert none == [] and same.hits == [_hit(good, True)]


def test_preparation_and_infusion_read_as_dosing_not_mechanism() -> None:
    dilute = "Dilute in 0.9% sodium chloride and infuse over about 30 minutes through a low protein-binding filter."
    assert theme_of(dilute) == "Dosing and administration"
    assert theme_of("Do not infuse other agents in the same line.") == "Dosing and administration"
    assert theme_of("The antibody binds to CD40L and blocks its binding to CD40.") == "How it works"
