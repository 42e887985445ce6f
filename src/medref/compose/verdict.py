"""Verdicts for yes/no questions: a labelled reading of the cited sentences, never a new claim.

:func:`is_yes_no` spots the question form ("Does ...", "Is ...", "Can ...", "Should ..."; not
"Is A or B ...?"). :func:`judge` then reads the published sentences of each cited document that
answer it -- conclusions, a guideline's recommendations, and results (or unstructured abstract)
sentences of a document with no cited conclusion; never background or methods, and never drug labels or trial registrations,
which state rules and plans rather than findings -- and returns a :class:`~medref.models.Verdict`:

* each document's sentences get a polarity -- yes, no or uncertain -- from
  :class:`PolarityModel`, a small multinomial logistic regression over wording cues: negated
  findings ("no significant difference", "did not improve", "was not associated"), equivalence
  ("similar", "comparable"), hedges ("may", "further studies are needed", "remains unclear") and
  positive findings ("significantly reduced", "is effective"). Weights live in
  ``verdict_model.json``, fitted by ``python -m bench.fit_answer_models`` on one half of the
  PubMedQA dev questions (conclusions against ``final_decision``); the other half is held out;
* documents vote with their relevance and authority (guidelines and systematic reviews count
  most); the verdict is the winning polarity ("Yes" / "No" / "Uncertain"), or "Sources disagree"
  when confident documents stand on both sides (both shown), or "No direct evidence" when no
  cited sentence answers the question;
* ``basis`` says what it rests on: how many sources, of which kinds.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any, Protocol

from medref.compose.lead import authority, kind_tier
from medref.compose.relevance import QuestionFrame, section_flags
from medref.compose.sentences import content_stems, split_sentences, stem
from medref.models import (
    EvidenceStatus,
    RetrievedPassage,
    SourceKind,
    Verdict,
    VerdictInput,
    VerdictLabel,
)

CLASSES: tuple[str, ...] = ("yes", "no", "uncertain")
_NO_FINDINGS = (SourceKind.DRUG_LABEL, SourceKind.TRIAL_REGISTRATION)
DISAGREE_SHARE = 0.3  # each side holds at least this share of the vote
DISAGREE_CONFIDENCE = 0.6

_YES_NO = re.compile(
    r"(?:^|[:;?.,]\s+|\s?(?:--|[-–—])\s?)(?:and\s+|so\s+|but\s+)?(?:does|do|did|is|are|was|were|can|could|should|would|will|"
    r"has|have|had|may|might|must|shall|am)\b",
    re.IGNORECASE,
)
_CHOICE = re.compile(
    r"\bor\b(?!\s+not\b).*\b(?:better|worse|more|less|same|different|preferred|prefer)\b"
    r"|\b(?:better|worse|more|less|same|different|preferred|prefer)\b.*\bor\b(?!\s+not\b)"
    r"|\bor\s+(?:the\s+)?other\b",
    re.IGNORECASE,
)

_CUES: dict[str, str] = {
    "negated": r"\b(?:no|not|never|nor|neither|none|cannot|can't|didn't|doesn't|don't|wasn't|weren't|isn't|aren't)\b",
    "no_finding": r"\bno\s+(?:statistically\s+)?(?:significant|difference|differences|association|associations|effect|"
    r"effects|benefit|evidence|correlation|relationship|impact|improvement|role|increase|reduction|change|advantage|"
    r"influence|relation|added|additional|clear|major|meaningful)\b",
    "not_verb": r"\b(?:did|does|do|was|were|is|are|could|can|would|will|has|have|had)\s+not\b|\bn't\b|\bcannot\b",
    "failed": r"\b(?:failed|fail|fails|unable)\s+to\b|\black\s+of\b|\babsence\s+of\b|\bunrelated\b|\bineffective\b|"
    r"\bunnecessary\b|\bnot\s+(?:necessary|needed|required|useful|justified|recommended|superior|associated|related|"
    r"significant|significantly|predictive|effective|beneficial|reliable|accurate)\b",
    "equivalent": r"\b(?:similar|similarly|comparable|equivalent|equally|same|non-?inferior|independent\s+of|"
    r"regardless\s+of)\b",
    "hedge": r"\b(?:may|might|could|possibly|possible|potential|potentially|perhaps|likely|unlikely|appears?|"
    r"seems?|suggests?|suggested|suggesting|trend|tendency|tended)\b",
    "uncertain": r"\b(?:unclear|uncertain|uncertainty|unknown|controversial|conflicting|inconclusive|"
    r"remains?\s+to\s+be|not\s+clear|limited\s+evidence|insufficient|debated|questionable|preliminary)\b",
    "more_research": r"\b(?:further|larger|future|additional|more)\s+(?:\w+\s+){0,2}(?:studies|study|research|"
    r"trials|trial|investigation|investigations|data|work|evaluation)\b|\bwarranted\b|\bneeded\b|\brequired\b",
    "positive": r"\b(?:significant|significantly|effective|effectively|improves?|improved|improvement|beneficial|"
    r"benefit|benefits|superior|reliable|useful|valuable|accurate|accurately|predicts?|predictive|predicted|"
    r"safe|safely|feasible|successful|successfully|efficacious|efficacy|excellent|good|better|important|"
    r"independent\s+predictor|associated\s+with|correlated\s+with|related\s+to|increases?d?|reduces?d?|"
    r"decreases?d?|higher|lower|lowers|raises?d?)\b",
    "recommend": r"\b(?:should|recommend|recommended|must|indicated|we\s+advise)\b",
    "contrast": r"\b(?:but|however|although|though|whereas|yet|despite|nevertheless)\b",
}
_COMPILED = {k: re.compile(v, re.IGNORECASE) for k, v in _CUES.items()}
FEATURES: tuple[str, ...] = (
    "bias",
    *(f"{k}{s}" for k in _CUES for s in ("", "_any")),
    "question_negated",
    "negated_question_words",
    "plain_question_words",
    "negated_share",
    "first_negated",
    "first_hedged",
    "first_negates_question",
)
_NEGATORS = frozenset(
    "no not never nor neither none cannot can't didn't doesn't don't wasn't weren't isn't aren't "
    "fail failed fails lack lacks unable".split()
)
_HEDGERS = frozenset("may might could possibly perhaps unclear uncertain suggest suggests further".split())
# "without" is left out on purpose: "reduced activity without a thrombotic signal" is good news
_TOKEN = re.compile(r"[a-z0-9']+")
_WINDOW = 5


_WH = re.compile(r"\b(?:what|which|how|why|when|where|who|whom|whose)\b", re.IGNORECASE)
# a titled question: "Aripiprazole: a new risk factor for pathological gambling?"
_TITLED = re.compile(r"(?::|\.\s|--|\s[-–—]\s)\s*(?:[^\s:?]+\s+){2,}[^\s:?]+\?\s*$")


def is_yes_no(question: str) -> bool:
    """Whether the question asks for a yes or a no ("Does ...?", "Topic: a risk factor?"; not "Is A or B ...?")."""
    q = question.strip()
    if _CHOICE.search(q):
        return False
    return bool(_YES_NO.search(q)) or (bool(_TITLED.search(q)) and not _WH.search(q))


def _question_word_negation(text: str, question: str) -> tuple[int, int]:
    """(question words in ``text`` with a negator in the few words before them, those without)."""
    wanted = content_stems(question)
    tokens = _TOKEN.findall(text.lower())
    negated = plain = 0
    for i, tok in enumerate(tokens):
        if stem(tok) not in wanted or tok in _NEGATORS:
            continue
        if any(t in _NEGATORS for t in tokens[max(0, i - _WINDOW) : i]):
            negated += 1
        else:
            plain += 1
    return negated, plain


def polarity_features(text: str, question: str = "") -> list[float]:
    """The feature row of :data:`FEATURES` for a conclusion ``text`` read against ``question``."""
    row = [1.0]
    for key in _CUES:
        n = len(_COMPILED[key].findall(text))
        row += [math.log1p(n), 1.0 if n else 0.0]
    row.append(1.0 if re.search(r"\bnot\b|n't\b", question, re.I) else 0.0)
    negated, plain = _question_word_negation(text, question) if question else (0, 0)
    lead = text.split(". ")[0]
    first = _TOKEN.findall(lead.lower())
    # the first sentence negates what was asked (not merely "without a thrombotic signal")
    lead_negated = _question_word_negation(lead, question)[0] if question else 0
    row += [
        math.log1p(negated),
        math.log1p(plain),
        negated / (negated + plain) if negated + plain else 0.0,
        1.0 if any(t in _NEGATORS for t in first) else 0.0,
        1.0 if any(t in _HEDGERS for t in first) else 0.0,
        1.0 if lead_negated else 0.0,
    ]
    return row


@dataclass(frozen=True)
class PolarityModel:
    """Multinomial logistic regression: text -> P(yes), P(no), P(uncertain)."""

    weights: tuple[tuple[float, ...], ...]  # one row per class in CLASSES
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def probabilities(self, text: str, question: str = "") -> dict[str, float]:
        row = polarity_features(text, question)
        z = [sum(w * x for w, x in zip(ws, row, strict=True)) for ws in self.weights]
        top = max(z)
        e = [math.exp(v - top) for v in z]
        total = sum(e)
        return {c: v / total for c, v in zip(CLASSES, e, strict=True)}

    def to_json(self) -> dict[str, Any]:
        return {
            "classes": list(CLASSES),
            "features": list(FEATURES),
            "weights": [[round(w, 6) for w in ws] for ws in self.weights],
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> PolarityModel:
        if list(data.get("features", [])) != list(FEATURES) or list(data.get("classes", [])) != list(CLASSES):
            raise ValueError("verdict model features do not match this version of medref; refit it")
        return cls(
            weights=tuple(tuple(float(w) for w in ws) for ws in data["weights"]),
            meta=dict(data.get("meta", {})),
        )


@lru_cache(maxsize=1)
def default_polarity() -> PolarityModel:
    raw = resources.files("medref.compose").joinpath("verdict_model.json").read_text(encoding="utf-8")
    return PolarityModel.from_json(json.loads(raw))


class Judged(Protocol):
    text: str
    hit: RetrievedPassage
    probability: float
    recommendation: bool


_KIND_NAMES = {
    SourceKind.GUIDELINE: "guideline",
    SourceKind.SYSTEMATIC_REVIEW: "systematic review",
    SourceKind.DRUG_LABEL: "drug label",
    SourceKind.RCT: "randomised trial",
    SourceKind.OBSERVATIONAL: "observational study",
    SourceKind.NARRATIVE_REVIEW: "narrative review",
    SourceKind.CASE_REPORT: "case report",
    SourceKind.TRIAL_REGISTRATION: "trial registration",
    SourceKind.OTHER: "article of unstated design",
}
_AUTHORITY_WEIGHT = {0: 3.0, 1: 2.5, 2: 2.0, 3: 1.5, 4: 1.0}


def _basis(kinds: Sequence[SourceKind]) -> str:
    counts: dict[SourceKind, int] = {}
    for k in kinds:
        counts[k] = counts.get(k, 0) + 1
    parts = [
        f"{n} {_KIND_NAMES[k]}{'s' if n > 1 else ''}"
        for k, n in sorted(counts.items(), key=lambda kv: (kind_tier(kv[0]), -kv[1]))
    ]
    total = len(kinds)
    return f"{total} relevant source{'s' if total != 1 else ''}: " + ", ".join(parts)


def _reading(group: Sequence[tuple[Judged, list[int]]], asked: frozenset[str]) -> str:
    """What a document's polarity is read from: the sentences of its cited conclusion passages (a
    conclusion is read as its authors wrote it, not as the sentences the page had room for), else the
    cited sentences -- in both cases only those that speak of what was asked (share a content word
    with the question) when any does: "X is not approved" says nothing about whether X works.
    A guideline's recommendations are read one by one (its summary passage holds many)."""
    passages: dict[str, str] = {}
    for c, _ in group:
        if section_flags(c.hit.passage.section)[0] and c.hit.document.kind is not SourceKind.GUIDELINE:
            passages.setdefault(c.hit.passage.id or c.text, c.hit.passage.text)
    sentences = (
        [sp.text for text in passages.values() for sp in split_sentences(text)]
        if passages
        else [c.text for c, _ in group]
    )
    on_topic = [t for t in sentences if content_stems(t) & asked]
    return " ".join(on_topic or sentences)


def judge(
    question: str,
    published: Sequence[tuple[Judged, list[int]]],
    *,
    status: EvidenceStatus,
    model: PolarityModel | None = None,
    aspects: frozenset[str] | None = None,
) -> Verdict | None:
    """The verdict for a yes/no question (None for other questions); ``published``: (sentence, [n]);
    ``aspects``: the question's content words beyond its subject's names (what a sentence must speak of
    to be read; by default every content word of the question)."""
    if not is_yes_no(question):
        return None
    if status is not EvidenceStatus.DIRECT or not published:
        return Verdict(label=VerdictLabel.NO_EVIDENCE, basis="no cited sentence answers the question")
    model = model or default_polarity()
    docs: dict[str, list[tuple[Judged, list[int]]]] = {}
    findings: dict[str, list[tuple[Judged, list[int]]]] = {}
    for c, numbers in published:
        conc, _res, bg, meth = section_flags(c.hit.passage.section)
        if bg or meth:
            continue  # background and methods state no finding
        kind = c.hit.document.kind
        if kind in _NO_FINDINGS:
            continue  # labels and registrations state rules and plans, not findings
        if conc or (c.recommendation and kind is SourceKind.GUIDELINE):
            docs.setdefault(c.hit.document.uid, []).append((c, numbers))
        else:  # a result, or a sentence of an unstructured abstract
            findings.setdefault(c.hit.document.uid, []).append((c, numbers))
    for uid, group in findings.items():
        docs.setdefault(uid, group)  # results sentences speak only for a document without a conclusion
    if not docs:
        return Verdict(
            label=VerdictLabel.NO_EVIDENCE, basis="no cited finding or recommendation answers the question"
        )
    asked = aspects if aspects is not None else QuestionFrame.of(question).stems
    votes = {k: 0.0 for k in CLASSES}
    inputs: list[VerdictInput] = []
    kinds: list[SourceKind] = []
    for group in docs.values():
        first = group[0][0]
        text = _reading(group, asked)
        probs = model.probabilities(text, question)
        side = max(CLASSES, key=lambda k: probs[k])
        weight = _AUTHORITY_WEIGHT[authority(first)] * max(c.probability for c, _ in group)
        for k in CLASSES:
            votes[k] += weight * probs[k]
        numbers = sorted({n for _, ns in group for n in ns})
        inputs.append(
            VerdictInput(
                text=text,
                citations=numbers,
                polarity=side,
                confidence=round(probs[side], 3),
                evidence_level=first.hit.document.evidence_level,
                source_kind=first.hit.document.kind,
            )
        )
        kinds.append(first.hit.document.kind)
    total = sum(votes.values()) or 1.0
    confident = [i for i in inputs if i.confidence >= DISAGREE_CONFIDENCE]
    yes_side = [i for i in confident if i.polarity == "yes"]
    no_side = [i for i in confident if i.polarity == "no"]
    basis = _basis(kinds)
    if (
        yes_side
        and no_side
        and votes["yes"] / total >= DISAGREE_SHARE
        and votes["no"] / total >= DISAGREE_SHARE
    ):
        return Verdict(label=VerdictLabel.DISAGREE, basis=basis, inputs=yes_side, disagreeing=no_side)
    winner = max(CLASSES, key=lambda k: votes[k])
    label = {"yes": VerdictLabel.YES, "no": VerdictLabel.NO, "uncertain": VerdictLabel.UNCERTAIN}[winner]
    return Verdict(label=label, basis=basis, inputs=inputs)
