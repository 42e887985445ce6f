"""Audience adaptation: plain words for patients without losing a citation or adding a claim."""

from __future__ import annotations

import re
import sys

import pytest

from medref.compose.base import DISCLAIMER, NO_EVIDENCE, PATIENT_DISCLAIMER
from medref.compose.patient import (
    DOSE_AMOUNT,
    DOSING_SENTENCE,
    PLAIN_NOTICES,
    TARGET_GRADE,
    TEXTSTAT_MISSING,
    adapt,
    explain_abbreviations,
    is_dosing,
    published_text,
    reading_grade,
    split_clauses,
    strip_asides,
)
from medref.compose.plain_terms import load_plain_terms
from medref.models import (
    Answer,
    AnswerSection,
    Audience,
    Citation,
    CitedSentence,
    DocumentRef,
    EvidenceStatus,
    Quote,
    Reference,
    SourceKind,
)

GUIDELINE = "guideline:medref-demo-costim-2025"
LABEL = "spl:00000000-4d3e-4000-8000-00000000be1a:v2"
COHORT = "pmid:90000004"
REVIEW = "pmid:90000001"


def _sentence(
    text: str, number: int, doc: str, ordinal: int, start: int, *, rec: bool = False
) -> CitedSentence:
    span = Citation(
        number=number, doc_uid=doc, passage_id=f"{doc}#{ordinal}", start=start, end=start + len(text)
    )
    return CitedSentence(text=text, citations=[number], spans=[span], recommendation=rec)


def clinician_answer() -> Answer:
    """A clinician answer written the way the extractive composer writes one (sentences from the demo corpus)."""
    guidelines = AnswerSection(
        title="Guidelines",
        summary=[
            _sentence(
                "Avoid belatacept in recipients who are EBV seronegative or whose EBV serostatus is unknown, "
                "because of the higher risk of post-transplant lymphoproliferative disorder (PTLD).",
                1,
                GUIDELINE,
                3,
                0,
                rec=True,
            ),
            _sentence(
                "Belatacept should be used for maintenance immunosuppression only in adult kidney transplant "
                "recipients who are EBV seropositive; confirm EBV serostatus before the first dose.",
                1,
                GUIDELINE,
                3,
                180,
                rec=True,
            ),
        ],
        key_points=[
            _sentence(
                "Monitor belatacept-treated recipients for PTLD, particularly during the first 18 months, and "
                "evaluate promptly any new neurological, cognitive or behavioural symptoms.",
                1,
                GUIDELINE,
                3,
                400,
                rec=True,
            ),
            _sentence(
                "Screen for latent tuberculosis before starting belatacept, and avoid live vaccines during treatment.",
                1,
                GUIDELINE,
                3,
                620,
                rec=True,
            ),
        ],
    )
    research = AnswerSection(
        title="Research",
        summary=[
            _sentence(
                "Belatacept is contraindicated in transplant recipients who are EBV seronegative or whose EBV "
                "serostatus is unknown, because of the risk of PTLD, predominantly involving the CNS.",
                2,
                LABEL,
                9,
                0,
            ),
            _sentence(
                "Most cases appeared within 18 months of transplantation and many involved the CNS.",
                2,
                LABEL,
                10,
                310,
            ),
            _sentence(
                "The 5-year cumulative incidence of PTLD was 0.9% in seropositive and 6.8% in seronegative "
                "recipients (adjusted hazard ratio 7.4, 95% CI 3.2 to 17.1).",
                3,
                COHORT,
                4,
                120,
            ),
            _sentence(
                "At 12 months eGFR was higher with belatacept (mean difference 9.8 mL/min/1.73 m2, 95% CI 7.1 to "
                "12.4, p<0.001).",
                4,
                REVIEW,
                4,
                60,
            ),
            _sentence(
                "Biopsy-proven acute rejection in the first year was more frequent with belatacept (risk ratio "
                "1.62, 95% CI 1.21 to 2.17, p=0.002), mostly as early episodes within six months of "
                "transplantation.",
                4,
                REVIEW,
                4,
                180,
            ),
        ],
        key_points=[
            _sentence(
                "Initial phase: 10 mg/kg on Day 1 and Day 5, and at the end of Weeks 2, 4, 8 and 12 after "
                "transplantation.",
                2,
                LABEL,
                5,
                0,
            ),
            _sentence(
                "Maintenance phase: 5 mg/kg every 4 weeks (plus or minus 3 days) from the end of Week 16.",
                2,
                LABEL,
                6,
                0,
            ),
            _sentence("Belatacept is given by intravenous infusion over about 30 minutes.", 2, LABEL, 7, 0),
            _sentence(
                "The most common adverse reactions were anemia, diarrhea, urinary tract infection, peripheral "
                "edema, hypertension and pyrexia.",
                2,
                LABEL,
                16,
                0,
            ),
            _sentence(
                "Immunosuppressed patients have a higher risk of malignancies, particularly of the skin.",
                2,
                LABEL,
                12,
                0,
            ),
        ],
    )
    return Answer(
        question="Is belatacept safe in EBV-seronegative kidney transplant recipients?",
        evidence_status=EvidenceStatus.DIRECT,
        key_entities=["belatacept"],
        guidelines=guidelines,
        research=research,
        disclaimer=DISCLAIMER,
    )


def _texts(answer: Answer) -> list[str]:
    return [s.text for s in answer.sentences()]


def _key(c: Citation) -> tuple[int, str, str, int, int]:
    return (c.number, c.doc_uid, c.passage_id, c.start, c.end)


def _span_keys(answer: Answer) -> set[tuple[int, str, str, int, int]]:
    return {_key(c) for s in answer.sentences() for c in s.spans}


def _words_per_sentence(answer: Answer) -> float:
    texts = _texts(answer)
    return sum(len(t.split()) for t in texts) / len(texts)


def _textstat_works() -> bool:
    return reading_grade("The cat sat on the mat. It was warm.") is not None


@pytest.fixture(scope="module")
def pair() -> tuple[Answer, Answer]:
    original = clinician_answer()
    return original, adapt(original, audience=Audience.PATIENT)


# ------------------------------------------------------------------ patient version


def test_patient_version_reads_at_grade_8_or_lower(pair: tuple[Answer, Answer]) -> None:
    original, patient = pair
    if not _textstat_works():
        pytest.skip("textstat is not installed (pip install 'medref[patient]')")
    clinician = adapt(original, audience=Audience.CLINICIAN)
    assert patient.reading_grade is not None and clinician.reading_grade is not None
    assert patient.reading_grade == reading_grade(published_text(patient))
    assert patient.reading_grade <= TARGET_GRADE, (patient.reading_grade, _texts(patient))
    assert clinician.reading_grade - patient.reading_grade >= 3, (
        clinician.reading_grade,
        patient.reading_grade,
    )


def test_patient_version_has_no_dose_numbers(pair: tuple[Answer, Answer]) -> None:
    original, patient = pair
    assert any(DOSE_AMOUNT.search(t) for t in _texts(original))  # the fixture does quote doses
    assert not any(DOSE_AMOUNT.search(t) for t in _texts(patient)), _texts(patient)
    assert not any("mg/kg" in t or "every 4 weeks" in t for t in _texts(patient))
    dosing = [s for s in patient.sentences() if s.text == DOSING_SENTENCE]
    # the three adjacent dosing sentences from the label collapse into one, citing the label
    assert len(dosing) == 1
    assert dosing[0].citations == [2]
    label_dosing_spans = {_key(s.spans[0]) for s in original.research.key_points[:3]}
    assert label_dosing_spans == {_key(c) for c in dosing[0].spans}


def test_patient_version_keeps_every_citation_and_span(pair: tuple[Answer, Answer]) -> None:
    original, patient = pair
    assert _span_keys(patient) == _span_keys(original)
    cited = {n for s in original.sentences() for n in s.citations}
    assert {n for s in patient.sentences() for n in s.citations} == cited
    originals = {_key(c): s for s in original.sentences() for c in s.spans}
    for sentence in patient.sentences():
        assert sentence.citations, sentence.text
        assert {c.number for c in sentence.spans} <= set(sentence.citations)
        for span in sentence.spans:  # a span still sits under a sentence with that citation flag
            assert (
                originals[_key(span)].recommendation == sentence.recommendation
                or sentence.text == DOSING_SENTENCE
            )


def test_patient_version_uses_plain_words(pair: tuple[Answer, Answer]) -> None:
    original, patient = pair
    before = " ".join(_texts(original)).lower()
    after = " ".join(_texts(patient)).lower()
    for jargon in ("contraindicated", "seronegative", "malignanc", "hypertension", "adverse", "immunosuppress",
                   "intravenous", "pyrexia", "edema", "anemia"):  # fmt: skip
        assert jargon in before, jargon
        assert jargon not in after, (jargon, after)
    for plain in ("should not be used", "never had", "cancer", "high blood pressure", "side effects",
                  "fever", "swollen legs", "kidney function"):  # fmt: skip
        assert plain in after, plain


def test_patient_version_has_shorter_sentences(pair: tuple[Answer, Answer]) -> None:
    original, patient = pair
    assert len(patient.sentences()) > len(original.sentences()) - 2  # split parts outnumber merged dosing
    assert _words_per_sentence(patient) < _words_per_sentence(original)


def test_patient_version_drops_statistics_and_asides(pair: tuple[Answer, Answer]) -> None:
    _, patient = pair
    text = " ".join(_texts(patient))
    for stat in ("95% CI", "p=", "hazard ratio", "risk ratio", "mean difference", "plus or minus"):
        assert stat not in text, stat


def test_named_acronym_is_explained_once(pair: tuple[Answer, Answer]) -> None:
    _, patient = pair
    text = " ".join(_texts(patient))
    assert text.count("(PTLD)") == 1
    assert text.index("(PTLD)") < text.index("PTLD.") if "PTLD." in text else True
    assert text.count("PTLD") >= 3  # later mentions keep the short name
    assert "kidney function (eGFR)" in text


def test_patient_disclaimer_and_audience(pair: tuple[Answer, Answer]) -> None:
    original, patient = pair
    assert patient.disclaimer == PATIENT_DISCLAIMER
    assert patient.audience is Audience.PATIENT
    assert original.disclaimer == DISCLAIMER and _texts(original) == _texts(
        clinician_answer()
    )  # input untouched


def test_adapting_twice_changes_nothing(pair: tuple[Answer, Answer]) -> None:
    _, patient = pair
    assert _texts(adapt(patient, audience=Audience.PATIENT)) == _texts(patient)


# ------------------------------------------------------------------ clinician and pharmacist


@pytest.mark.parametrize("audience", [Audience.CLINICIAN, Audience.PHARMACIST])
def test_clinician_and_pharmacist_text_unchanged(audience: Audience) -> None:
    original = clinician_answer()
    adapted = adapt(original, audience=audience)
    assert adapted.audience is audience
    assert _texts(adapted) == _texts(original)
    assert _span_keys(adapted) == _span_keys(original)
    assert adapted.disclaimer == DISCLAIMER
    assert any("10 mg/kg" in t for t in _texts(adapted))
    if _textstat_works():
        assert adapted.reading_grade is not None and adapted.reading_grade > TARGET_GRADE


def test_missing_textstat_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "textstat", None)  # makes `import textstat` raise ImportError
    assert reading_grade("Plain words here.") is None
    adapted = adapt(clinician_answer(), audience=Audience.PATIENT)
    assert adapted.reading_grade is None
    assert TEXTSTAT_MISSING in adapted.notes and "pip install 'medref[patient]'" in TEXTSTAT_MISSING
    assert adapted.disclaimer == PATIENT_DISCLAIMER


def test_notices_are_rewritten_plainly() -> None:
    answer = clinician_answer()
    answer = answer.model_copy(
        update={
            "guidelines": AnswerSection(title="Guidelines", notice=NO_EVIDENCE),
            "research": answer.research.model_copy(
                update={
                    "notice": "No passage names the drug; the closest evidence concerns renal adverse events."
                }
            ),
        }
    )
    patient = adapt(answer, audience=Audience.PATIENT)
    assert patient.guidelines.notice == PLAIN_NOTICES[NO_EVIDENCE]
    assert patient.research.notice is not None
    assert "kidney side effects" in patient.research.notice and "renal" not in patient.research.notice


# ------------------------------------------------------------------ the rules one by one


@pytest.mark.parametrize(
    ("text", "dosing"),
    [
        ("Initial phase: 10 mg/kg on Day 1 and Day 5.", True),
        ("Mycophenolate mofetil 1000 mg twice daily was given to all participants.", True),
        ("Letolizumab was given by infusion every 2 weeks for four doses.", True),
        ("Tacrolimus was taken twice daily with dose adjusted to trough levels.", True),
        ("Do not change the dose unless body weight changes by more than 10 percent.", True),
        ("Reconstitute each vial with the syringe supplied.", True),
        ("Adults received 500 units subcutaneously.", True),
        ("Tacrolimus was tapered over four weeks.", True),
        ("Confirm EBV serostatus before the first dose.", False),
        ("Mean eGFR rose from 31 to 36 mL/min/1.73 m2 after one year.", False),
        ("Monitor kidney function every 3 months.", False),
        ("PTLD was 0.9% in seropositive and 6.8% in seronegative recipients.", False),
        ("Belatacept is given by intravenous infusion in an initial phase.", False),
    ],
)
def test_is_dosing(text: str, dosing: bool) -> None:
    assert is_dosing(text) is dosing


def test_strip_asides_keeps_acronyms_and_attached_parentheses() -> None:
    text = "Risk was higher in EBV-seronegative recipients (HR 7.4, 95% CI 3.2 to 17.1), p<0.001, in PTLD (PTLD) cases."
    assert strip_asides(text) == "Risk was higher in EBV-seronegative recipients, in PTLD (PTLD) cases."
    assert (
        strip_asides("Platelets below 30 x 10(9)/L (severe) were seen.")
        == "Platelets below 30 x 10(9)/L were seen."
    )
    assert strip_asides("A (nested (aside)) goes.") == "A goes."


def test_split_clauses_only_at_clause_boundaries() -> None:
    assert split_clauses("PTLD was uncommon overall, and most of those cases involved the brain.") == [
        "PTLD was uncommon overall.",
        "Most of those cases involved the brain.",
    ]
    assert split_clauses("Kidney function was better with belatacept, but rejection was more frequent.") == [
        "Kidney function was better with belatacept.",
        "But rejection was more frequent.",
    ]
    # a list is not a clause: nothing to split
    listing = "The common side effects were anemia, diarrhea, urinary tract infection, and headache."
    assert split_clauses(listing) == [listing]
    # the right side has no subject of its own: keep the sentence whole
    shared = "Belatacept protects kidney function, and is linked to more rejection early on."
    assert split_clauses(shared) == [shared]


def test_lexicon_is_case_aware_whole_word_and_longest_first() -> None:
    lexicon = load_plain_terms()
    assert len(lexicon) >= 300
    seen: set[str] = set()
    out = lexicon.replace(
        "Renal function fell; adrenal and renal-cell values [12] of 140 mg were stable.", introduced=seen
    )
    assert out.startswith("Kidney function fell; adrenal and kidney-cell values [12] of 140 mg")
    out = lexicon.replace(
        "It is a post-transplant lymphoproliferative disorder, and PTLD recurs.", introduced=set()
    )
    # the acronym's plain words were just said: explaining it here would say them twice
    assert out == "It is a type of lymph gland cancer after transplant, and PTLD recurs."
    # a capitalised term inside a sentence is part of a name
    assert lexicon.replace("The Food and Drug Administration reviewed renal data.", introduced=set()) == (
        "The Food and Drug Administration reviewed kidney data."
    )
    assert lexicon.replace("Belatacept-treated recipients had PTLD.", introduced={"PTLD"}) == (
        "Patients treated with belatacept had PTLD."
    )
    assert lexicon.replace("an intravenous infusion", introduced=set()) == "a drip into a vein"
    assert lexicon.replace("a hypersensitivity reaction", introduced=set()) == "an allergic reaction"
    # citation markers and numbers are never rewritten
    assert re.fullmatch(
        r"Side effects \[1, 2\] at 3\.5%\.",
        lexicon.replace("Adverse events [1, 2] at 3.5%.", introduced=set()),
    )


def test_lexicon_values_never_contain_keys() -> None:
    lexicon = load_plain_terms()
    for key, value in lexicon.terms.items():
        assert lexicon.replace(value, introduced=set(lexicon.acronyms)) == value, key


def test_acronyms_explained_once_and_used_as_adjectives() -> None:
    lexicon = load_plain_terms()
    seen: set[str] = set()
    assert lexicon.replace("The PTLD risk rose.", introduced=seen) == (
        "The PTLD (a type of lymph gland cancer after transplant) risk rose."
    )
    assert lexicon.replace("PTLD was rare.", introduced=seen) == "PTLD was rare."
    assert lexicon.replace("At 12 months eGFR was higher.", introduced=seen) == (
        "At 12 months kidney function (eGFR) was higher."
    )


def test_every_part_of_a_dosing_sentence_is_replaced() -> None:
    sentence = CitedSentence(
        text="Belatacept was started at 5 mg/kg every 2 weeks for five doses and then every 4 weeks, while "
        "tacrolimus was tapered over four weeks.",
        citations=[7],
        spans=[Citation(number=7, doc_uid="pmid:90000010", passage_id="pmid:90000010#1", start=0, end=90)],
    )
    answer = clinician_answer()
    answer = answer.model_copy(update={"research": AnswerSection(title="Research", summary=[sentence])})
    patient = adapt(answer, audience=Audience.PATIENT)
    assert [(s.text, s.citations) for s in patient.research.summary] == [(DOSING_SENTENCE, [7])]
    assert patient.research.summary[0].spans == sentence.spans


def test_markers_in_text_stay_on_every_part() -> None:
    answer = clinician_answer()
    first = answer.guidelines.summary[0]
    marked = first.model_copy(update={"text": first.text.rstrip(".") + " [1]."})
    answer = answer.model_copy(
        update={"guidelines": answer.guidelines.model_copy(update={"summary": [marked]})}
    )
    patient = adapt(answer, audience=Audience.PATIENT)
    parts = [s.text for s in patient.guidelines.summary]
    assert len(parts) == 2 and all(p.endswith(" [1].") for p in parts), parts


# ------------------------------------------------------------------ abbreviations


def _page(*texts: str, quote: str = "") -> Answer:
    doc = "pmid:90000002"
    sentences = [_sentence(t, 1, doc, 4, 10 * i) for i, t in enumerate(texts)]
    reference = Reference(
        number=1,
        label="Research",
        document=DocumentRef(uid=doc, kind=SourceKind.RCT, title="A trial", evidence_level=3),
        passage_ids=[f"{doc}#4"],
        quotes=[Quote(passage_id=f"{doc}#4", section="BACKGROUND", text=quote)] if quote else [],
    )
    return Answer(
        question="Does it help?",
        evidence_status=EvidenceStatus.DIRECT,
        guidelines=AnswerSection(title="Guidelines"),
        research=AnswerSection(title="Research", summary=sentences),
        references=[reference],
        disclaimer=DISCLAIMER,
    )


def test_abbreviation_takes_the_sources_own_definition_first() -> None:
    # the curated table reads RA as rheumatoid arthritis; this source means the heart's right atrium
    answer = _page(
        "The RA was enlarged in most participants.",
        "RA size fell after treatment.",
        quote="Echocardiography measured the right atrium (RA) and the left atrium.",
    )
    texts = _texts(adapt(answer, audience=Audience.PATIENT))
    assert texts[0] == "The right atrium (RA) was enlarged in most people in the study.", texts
    assert texts[1] == "RA size fell after treatment.", texts  # explained once per page


def test_abbreviation_without_a_source_definition_uses_the_curated_table() -> None:
    texts = _texts(
        adapt(_page("Patients with CKD had more infections.", "CKD was common."), audience=Audience.PATIENT)
    )
    assert texts == [
        "Patients with long-term kidney disease (CKD) had more infections.",
        "CKD was common.",
    ], texts


def test_abbreviation_explanations_keep_spans_and_citations() -> None:
    original = _page("Patients with CKD had more infections.", quote="Adults with CKD were enrolled.")
    patient = adapt(original, audience=Audience.PATIENT)
    assert _span_keys(patient) == _span_keys(original)
    quote = original.references[0].quotes[0].text
    assert "long-term kidney disease" not in quote  # the quotation itself is untouched


def test_an_abbreviation_is_explained_again_when_its_first_mention_is_left_out() -> None:
    patient = adapt(
        _page("Patients with CKD had more infections.", "CKD was common."), audience=Audience.PATIENT
    )
    shorter = patient.model_copy(
        update={"research": patient.research.model_copy(update={"summary": patient.research.summary[1:]})}
    )
    assert _texts(explain_abbreviations(shorter)) == ["Long-term kidney disease (CKD) was common."]
    assert _texts(explain_abbreviations(patient)) == _texts(patient)  # explained mentions stay as they are
    clinician = adapt(_page("CKD was common."), audience=Audience.CLINICIAN)
    assert _texts(explain_abbreviations(clinician)) == ["CKD was common."]
