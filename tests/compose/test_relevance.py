"""Claim-level relevance, the bottom line and verdicts, on hand-made hits (no corpus needed)."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from medref.compose.lead import select_lead
from medref.compose.relevance import (
    FEATURES,
    CandidateView,
    Pool,
    QuestionFrame,
    RelevanceModel,
    default_model,
    features,
    relativise,
)
from medref.compose.sentences import content_stems
from medref.compose.verdict import FEATURES as POLARITY_FEATURES
from medref.compose.verdict import PolarityModel, default_polarity, is_yes_no, judge
from medref.models import (
    DocumentRef,
    EvidenceStatus,
    Passage,
    RetrievedPassage,
    ScoreParts,
    SourceKind,
    VerdictLabel,
)

Q = "Can CT predict the level of CSF block in tuberculous hydrocephalus?"


def hit(
    uid: str,
    text: str,
    *,
    section: str = "RESULTS",
    kind: SourceKind = SourceKind.OTHER,
    score: float = 1.0,
    dense: float = 0.5,
    ordinal: int = 1,
) -> RetrievedPassage:
    doc = DocumentRef(
        uid=uid, kind=kind, title=f"Document {uid}", evidence_level=4 if kind is SourceKind.OTHER else 1
    )
    p = Passage(ordinal=ordinal, section=section, text=text, start=0, end=len(text), id=f"{uid}#{ordinal}")
    return RetrievedPassage(
        passage=p, document=doc, scores=ScoreParts(final=score, dense_score=dense), direct=True
    )


def view(h: RetrievedPassage, named: float = 1.0) -> CandidateView:
    return CandidateView(
        h.passage.text, content_stems(h.passage.text), content_stems(h.passage.section), h, named, False
    )


ON = hit(
    "pmid:1",
    "CT findings predicted the level of CSF block in tuberculous hydrocephalus with high accuracy.",
    section="CONCLUSIONS",
)
OFF = hit(
    "pmid:2", "Hydrocephalus was treated with a ventriculoperitoneal shunt in most children.", score=0.9
)


def test_question_frame_separates_the_entity_from_the_aspects() -> None:
    frame = QuestionFrame.of(Q, ["hydrocephalus"])
    assert "hydroc" in frame.stems and "hydroc" not in frame.aspects
    assert {"ct", "predic", "csf", "block"} <= frame.aspects
    assert not frame.required


def test_sentence_that_addresses_the_question_outscores_one_that_only_names_the_entity() -> None:
    frame = QuestionFrame.of(Q, ["hydrocephalus"])
    pool = Pool.of(frame, [ON, OFF])
    rows = [features(pool, view(ON)), features(pool, view(OFF))]
    relativise(rows)
    assert len(rows[0]) == len(FEATURES)
    on, off = (dict(zip(FEATURES, r, strict=True)) for r in rows)
    assert on["sent_aspect"] > off["sent_aspect"] and on["sent_q_rel"] == 1.0 and off["sent_q_rel"] < 0.5
    model = default_model()
    assert model.probability(rows[0]) > model.probability(rows[1])
    assert model.probability(rows[1]) < model.threshold  # off-question: not published


def test_pool_idf_weighs_rare_question_words_above_shared_ones() -> None:
    frame = QuestionFrame.of(Q, ["hydrocephalus"])
    pool = Pool.of(frame, [ON, OFF, hit("pmid:3", "Tuberculous hydrocephalus in adults.", ordinal=2)])
    assert pool.idf["csf"] > pool.idf["hydroc"]


def test_follow_up_focus_is_required_with_dose_word_forms_folded() -> None:
    frame = QuestionFrame.of("Belatacept: its dosing?", ["belatacept"], focus="its dosing?")
    assert frame.required == frozenset({"dose"})
    assert frame.addresses("The dose is 5 mg/kg.")
    assert frame.addresses("Give 10 mg/kg.", "2 DOSAGE AND ADMINISTRATION")
    assert not frame.addresses("Belatacept is a co-stimulation blocker.", "12 CLINICAL PHARMACOLOGY")
    preg = QuestionFrame.of("Belatacept in pregnancy?", ["belatacept"], focus="in pregnancy?")
    assert preg.addresses("Use in pregnant women has not been studied.")
    assert not preg.addresses("Monitor for infections.")


def test_relevance_model_rejects_a_mismatched_feature_list() -> None:
    data = default_model().to_json()
    assert RelevanceModel.from_json(data).threshold == default_model().threshold
    with pytest.raises(ValueError, match="refit"):
        RelevanceModel.from_json({**data, "features": data["features"][:-1]})


@dataclass(eq=False)
class Cand:
    text: str
    hit: RetrievedPassage
    probability: float
    recommendation: bool = False
    stems: frozenset[str] = field(default_factory=frozenset)
    relevance: float = 0.0
    aspect: float = 0.0

    def __post_init__(self) -> None:
        self.stems = content_stems(self.text)
        self.relevance = self.probability


def test_lead_prefers_authority_among_relevant_and_skips_background() -> None:
    review = Cand(
        "Pooled trials showed that the drug lowered mortality.",
        hit("pmid:9", "x", kind=SourceKind.SYSTEMATIC_REVIEW, section="CONCLUSIONS"),
        0.8,
    )
    study = Cand(
        "In our cohort the drug lowered mortality by a third overall.",
        hit("pmid:8", "x", section="CONCLUSIONS"),
        0.95,
    )
    background = Cand(
        "Mortality remains high in this disease worldwide today.",
        hit("pmid:7", "x", section="BACKGROUND", kind=SourceKind.RCT),
        0.95,
    )
    weak = Cand(
        "The drug was given to a few patients with mixed results.",
        hit("pmid:6", "x", kind=SourceKind.RCT),
        0.3,
    )
    lead = select_lead([study, background, weak, review], threshold=0.2)
    assert lead[0] is review and study in lead
    assert background not in lead and weak not in lead  # background never leads; weak is far below the best


def test_yes_no_questions_are_detected() -> None:
    assert is_yes_no("Does belatacept improve graft survival?")
    assert is_yes_no("Can CT predict CSF block?")
    assert is_yes_no("Should statins be stopped before surgery?")
    assert not is_yes_no("What is the role of CD40 ligand blockers?")
    assert not is_yes_no("Is belatacept or tacrolimus better for kidney function?")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Treatment significantly reduced mortality and improved outcomes.", "yes"),
        ("There was no significant difference in survival between the groups.", "no"),
    ],
)
def test_polarity_reads_the_wording(text: str, expected: str) -> None:
    probs = default_polarity().probabilities(text)
    assert max(probs, key=lambda k: probs[k]) == expected


def test_verdict_label_follows_the_polarity_model() -> None:
    """The aggregation, with a model that reads every text as uncertain (weights on the bias only)."""
    n = len(POLARITY_FEATURES)
    unsure = PolarityModel(weights=((0.0,) * n, (0.0,) * n, (5.0,) + (0.0,) * (n - 1)))
    text = "The drug significantly reduced mortality in this trial."
    c = Cand(text, hit("pmid:1", text, kind=SourceKind.RCT, section="CONCLUSIONS"), 0.9)
    v = judge("Does the drug reduce mortality?", [(c, [1])], status=EvidenceStatus.DIRECT, model=unsure)
    assert v is not None and v.label is VerdictLabel.UNCERTAIN and v.inputs[0].polarity == "uncertain"
    background = Cand(text, hit("pmid:1", text, kind=SourceKind.RCT, section="BACKGROUND"), 0.9)
    none = judge("Does the drug reduce mortality?", [(background, [1])], status=EvidenceStatus.DIRECT)
    assert none is not None and none.label is VerdictLabel.NO_EVIDENCE  # background states no finding


def test_verdict_rests_on_cited_sentences_and_reports_disagreement() -> None:
    q = "Does the drug reduce mortality?"
    y_text = "The drug significantly reduced mortality in this trial."
    n_text = "The drug did not reduce mortality; no significant difference was found."
    yes = Cand(y_text, hit("pmid:1", y_text, kind=SourceKind.RCT, section="CONCLUSIONS"), 0.9)
    no = Cand(n_text, hit("pmid:2", n_text, kind=SourceKind.RCT, section="CONCLUSIONS"), 0.9)
    one = judge(q, [(yes, [1])], status=EvidenceStatus.DIRECT)
    assert one is not None and one.label is VerdictLabel.YES and one.inputs[0].citations == [1]
    assert one.basis == "1 relevant source: 1 randomised trial"
    both = judge(q, [(yes, [1]), (no, [2])], status=EvidenceStatus.DIRECT)
    assert both is not None and both.label is VerdictLabel.DISAGREE
    assert [i.citations for i in both.inputs] == [[1]] and [i.citations for i in both.disagreeing] == [[2]]
    none = judge(q, [], status=EvidenceStatus.INDIRECT_ONLY)
    assert none is not None and none.label is VerdictLabel.NO_EVIDENCE
    assert judge("What is the dose?", [(yes, [1])], status=EvidenceStatus.DIRECT) is None


def test_population_named_in_the_question_must_be_named_by_the_source() -> None:
    frame = QuestionFrame.of("Is letolizumab effective in pregnant women?", ["letolizumab"])
    assert frame.populations == {"pregnancy"}
    assert frame.covers_populations(content_stems("Outcomes of 40 pregnancies exposed to the drug."))
    assert not frame.covers_populations(content_stems("Letolizumab raised platelet counts in adults."))
    kids = QuestionFrame.of("What is the dose in paediatric patients?")
    assert kids.populations == {"children"} and kids.covers_populations(
        content_stems("In children aged 6 to 17")
    )
    assert not QuestionFrame.of("Does belatacept preserve kidney function?").populations
