"""Sentences that stand alone: find openings that point back to text the page does not show.

A quoted sentence lifted out of its abstract can open with a reference to what came before it
("This trial ...", "In these patients ...", "Both ...", "It ...", "Recommendation 5 ...").
On an answer page the reader cannot resolve it. :func:`dangling` names such an opening by a
rule list; :func:`frame_for` composes, from the cited document's own metadata only (its design
and year), a short frame that resolves the one kind of opening a frame can resolve: the study
speaking of itself ("In this study", "We", "Our results", "These findings"). The frame is our
wording and is printed apart from the quotation, which stays verbatim. Any other dangling
opening (a pronoun, "Both", "the latter", a numbered recommendation or table) cannot be
resolved from metadata, and the sentence is left out.

Rules, applied to the opening after leading connectives ("However,", "Thus,", "In addition,")
and one leading preposition ("In", "Among", "Compared with", ...) are set aside:

* **self**: a determiner (this / these / that / those / the / our / the present / the current)
  before a study noun (study, trial, analysis, review, survey, cohort, series, report, paper,
  article, work, investigation, data, results, findings, observations, experience, guideline);
  "We", "Our", "Here", "Herein", "The authors".
* **other**: this / these / that / those / such / both / neither / either before anything else
  ("Both" with its own "and" soon after, "Both A and B ...", is resolved); the pronouns it
  (not "It is unclear whether", "It is recommended that", which need no referent), they, them, their, its, he, she, his, her; "the former", "the latter", "the above", "the
  aforementioned", "the same", "the drug / agent / compound / combination", "the two / three";
  a numbered item (recommendation, table, figure, section, statement, step, option 5); a
  quantifier over them ("All these results", "Each of them", "Two of these").
"""

from __future__ import annotations

import re

from medref.compose.readable import renumber
from medref.models import Answer, AnswerSection, CitedSentence, DocumentRef, SourceKind

EMPTIED_LEAD = (
    "The sources' answer could not be put in sentences that stand on their own here; "
    "see the sections below and the cited sources."
)
SELF = "self"
OTHER = "other"

_CONNECTIVE = re.compile(
    r"^(?:however|thus|therefore|hence|moreover|furthermore|additionally|also|similarly|likewise|"
    r"consequently|accordingly|nevertheless|nonetheless|conversely|in addition|in contrast(?!\s+(?:to|with))|"
    r"in conclusion|in summary|overall|finally|importantly|notably|of note|taken together|"
    r"altogether|in particular|specifically|again|still|yet|and|but|so)\b,?\s+",
    re.IGNORECASE,
)
_PREPOSITION = re.compile(
    r"^(?:compared (?:with|to)|in contrast (?:to|with)|in comparison (?:with|to)|based on|according to|"
    r"as in|as for|as with|apart from|in|of|for|among|amongst|from|at|during|after|before|with|within|"
    r"without|on|by|unlike|like|despite|regarding|beyond|besides|across|between|throughout|through|"
    r"under|using|via)\s+",
    re.IGNORECASE,
)
_NOT_MODIFIER = r"(?:is|was|were|are|be|been|has|have|had|may|might|could|would|will|can|did|does|not|of|in|to|and|or|with|for|on|by|that|which)\b"
_STUDY_NOUN = (
    rf"(?:(?!{_NOT_MODIFIER})[\w-]+\s+){{0,3}}?"  # up to three modifiers: "small uncontrolled", "phase 2"
    r"(?:study|studies|trial|trials|analysis|analyses|meta-analysis|review|survey|cohort|series|"
    r"report|paper|article|work|investigation|experiment|data|dataset|results?|findings?|"
    r"observations?|experience|evidence|guideline|guidance|label|labeling|labelling|summary)\b"
)
_SELF = re.compile(
    rf"^(?:(?:this|these|that|those|the|our)\s+(?:(?:present|current)\s+)?{_STUDY_NOUN}"
    r"|we\b|our\b|here\b|herein\b|the authors\b)",
    re.IGNORECASE,
)
_BOTH = re.compile(r"^(?:both|neither|either)\b", re.IGNORECASE)
_BOTH_RESOLVED = re.compile(r"^(?:both|neither|either)\s+\S+(?:\s+\S+){0,5}?\s+(?:and|nor|or)\s", re.I)
_OTHER = re.compile(
    r"^(?:(?:all|each|both|some|many|most|none|one|two|three|several|half|either|neither)\s+"
    r"(?:of\s+)?(?:these|those|them|this|the above)|"  # "All these results", "Each of them"
    r"this|these|that|those|such|it|its|they|them|their|he|she|his|her|"
    r"the\s+(?:former|latter|above|aforementioned|same|drug|agent|compound|combination|"
    r"medication|intervention|procedure|technique|two|three|four|remaining|other|others)|"
    r"(?:recommendations?|tables?|figures?|fig\.|sections?|statements?|steps?|options?|"
    r"appendix|box)\s+[0-9ivx]+[a-z]?)\b",
    re.IGNORECASE,
)
# "It is unclear whether ...", "It is recommended that ...", "It is important to ...": no referent needed
_EXPLETIVE_IT = re.compile(
    r"^it\s+(?:is|was|remains|remained|seems|seemed|appears|appeared|has been|had been|"
    r"(?:may|might|can|could|should|would|will|must) be)\s+"
    r"(?:(?:\S+\s+){0,3}?(?:that|whether|if|how|why|when)\b|(?:not\s+)?(?:yet\s+)?"
    r"(?:important|necessary|possible|impossible|difficult|essential|advisable|reasonable|prudent|"
    r"useful|crucial|critical|recommended|unclear|unknown|hard|easy|safe|appropriate|preferable|"
    r"likely|unlikely|to be)\b)",
    re.IGNORECASE,
)
# "that" opening a clause subject ("That X is Y remains unclear") is rare in abstracts; counted.

_DESIGN = {
    SourceKind.GUIDELINE: "guideline",
    SourceKind.SYSTEMATIC_REVIEW: "systematic review",
    SourceKind.RCT: "randomised trial",
    SourceKind.OBSERVATIONAL: "observational study",
    SourceKind.NARRATIVE_REVIEW: "review",
    SourceKind.CASE_REPORT: "case report",
    SourceKind.DRUG_LABEL: "drug label",
    SourceKind.TRIAL_REGISTRATION: "registered trial",
    SourceKind.OTHER: "study",
}


def opening(text: str) -> str:
    """``text`` with leading connectives and one leading preposition set aside."""
    s = text.strip().lstrip("\"'(“‘[ ")
    for _ in range(3):
        m = _CONNECTIVE.match(s)
        if not m:
            break
        s = s[m.end() :]
    m = _PREPOSITION.match(s)
    return s[m.end() :] if m else s


def dangling(text: str) -> str | None:
    """``SELF`` (the source speaks of itself), ``OTHER`` (points back to unseen text) or None."""
    s = opening(text)
    if _SELF.match(s):
        return SELF
    if _BOTH.match(s):
        return None if _BOTH_RESOLVED.match(s) else OTHER
    if _EXPLETIVE_IT.match(s):
        return None
    if _OTHER.match(s):
        return OTHER
    return None


def frame_for(text: str, document: DocumentRef) -> str | None:
    """The frame printed before ``text`` ("In a randomised trial published in 2024:"), or None when
    the sentence needs none (or cannot be resolved by one: see :func:`publishable`)."""
    if dangling(text) != SELF:
        return None
    design = _DESIGN[document.kind]
    article = "an" if design[0] in "aeiou" else "a"
    if document.kind is SourceKind.TRIAL_REGISTRATION:
        when = f" first posted in {document.year}" if document.year else ""
        return f"In a trial registration{when}:"
    when = f" published in {document.year}" if document.year else ""
    return f"In {article} {design}{when}:"


def publishable(text: str) -> bool:
    """Whether ``text`` may be published, bare or behind a frame from :func:`frame_for`."""
    return dangling(text) != OTHER


def without_dangling(answer: Answer) -> Answer:
    """``answer`` without the sentences that no longer stand alone after adaptation.

    The patient version splits long sentences into clauses and leaves hard ones out, so a clause
    can end up first: "But they are not approved." Any published sentence whose opening points
    to text the page does not show (see :func:`dangling`; one with a frame is resolved) is left
    out, and the references are renumbered. A bottom line left with no sentence says so.
    """

    def keep(s: CitedSentence) -> bool:
        return s.frame is not None or publishable(s.text)

    if all(keep(s) for s in answer.sentences()):
        return answer

    def clean(section: AnswerSection) -> AnswerSection:
        return section.model_copy(
            update={
                "summary": [s for s in section.summary if keep(s)],
                "key_points": [s for s in section.key_points if keep(s)],
            }
        )

    dropped = sum(not keep(s) for s in answer.sentences())
    lead = clean(answer.bottom_line) if answer.bottom_line else None
    if lead is not None and answer.bottom_line and answer.bottom_line.summary and not lead.summary:
        lead = lead.model_copy(update={"notice": lead.notice or EMPTIED_LEAD})
    out = answer.model_copy(
        update={
            "bottom_line": lead,
            "guidelines": clean(answer.guidelines),
            "research": clean(answer.research),
            "notes": [*answer.notes, f"{dropped} sentence(s) left out: they no longer stood alone"],
        }
    )
    return renumber(out)
