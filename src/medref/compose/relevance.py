"""Claim-level relevance: does this sentence address the question, not merely name its entity?

A sentence that names the question's drug or condition is not yet an answer to it. "Can CT
predict the level of CSF block in tuberculous hydrocephalus?" is not answered by any sentence
about hydrocephalus; it is answered by a sentence (or the abstract around it) that speaks of CT,
CSF block and prediction in that population. The scorer here rates a candidate sentence *in its
context* -- the sentence, its neighbours and section, its document (title and every retrieved
passage of it) and the retrieval scores of its passage -- against the question's content words.

Features (all in [0, 1] or small counts; :data:`FEATURES` names them, in order):

* word coverage, IDF-weighted within the retrieved pool (a word every hit shares -- the topic
  everybody mentions -- counts little; the rare words of the question count most):
  of the sentence (``sent_q``), of the question's *aspects* -- its content words other than the
  key entity's names (``sent_aspect``) --, of the sentence with its neighbours and section label
  (``ctx_q``), and of the whole document as retrieved (``doc_q``), each also relative to the best
  value in the pool (``*_rel``): a sentence from the abstract that matches the question best
  competes with the others on that scale;
* retrieval: the passage's final score relative to the best hit, its dense (MiniLM) cosine to the
  question relative to the best, and the reciprocal rank of its document (documents ranked by
  their best hit's score, so the order of the hits does not matter);
* the sentence's section (conclusions, results, background or methods), whether it names the
  key entity itself, evidence level, recommendation wording, an opening pronoun, its length.

:class:`RelevanceModel` is a logistic regression over these features. Its weights and the
publishing threshold live in ``relevance_model.json`` beside this module (and, for installs
without dense search, ``relevance_model_lexical.json``, fitted without the dense feature), fitted
by ``python -m bench.fit_answer_models`` on development data only: the even-PMID half of PubMedQA
dev and BioASQ Task 7B; the odd-PMID half and BioASQ 8B + 9B are held out for the figures in
docs/benchmarks.md. The threshold is chosen for precision: the page publishes fewer sentences
rather than off-question ones.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

from medref.compose.sentences import content_stems
from medref.models import RetrievedPassage

FEATURES: tuple[str, ...] = (
    "bias",
    "sent_q",
    "sent_q_rel",
    "sent_aspect",
    "no_aspects",
    "ctx_q",
    "doc_q",
    "doc_q_rel",
    "ret",
    "dense_rel",
    "doc_rank_inv",
    "named",
    "sec_conclusion",
    "sec_result",
    "sec_background",
    "sec_method",
    "evidence",
    "recommendation",
    "anaphora",
    "log_len",
)

_CONCLUSION = ("conclusion", "interpretation", "summary", "recommendation", "key point", "implication")
_RESULT = ("result", "finding", "outcome measure")
_BACKGROUND = (
    "background",
    "introduction",
    "objective",
    "aim",
    "purpose",
    "context",
    "rationale",
    "scope",  # a guideline's scope and research gaps set the scene, they answer nothing
    "gap",
)
_METHOD = (
    "method",
    "design",
    "setting",
    "participant",
    "patients and",
    "material",
    "eligibility",
    "intervention",
)
_ANAPHORA = re.compile(r"^(?:it|its|they|their|these|this|those|such|both|he|she|his|her)\b", re.IGNORECASE)
# words that make a question a question, not what it asks about
_QUESTION_WORDS = frozenset(
    content_stems(
        "what which whether does do did is are can could should would will may might how why when "
        "there any role effect effects use used using patient patients"
    )
)


def section_flags(section: str) -> tuple[float, float, float, float]:
    """(conclusion, result, background, method) flags of a section label."""
    s = section.lower()
    if any(k in s for k in _CONCLUSION):
        return 1.0, 0.0, 0.0, 0.0
    if any(k in s for k in _RESULT):
        return 0.0, 1.0, 0.0, 0.0
    if any(k in s for k in _BACKGROUND):
        return 0.0, 0.0, 1.0, 0.0
    if any(k in s for k in _METHOD):
        return 0.0, 0.0, 0.0, 1.0
    return 0.0, 0.0, 0.0, 0.0


# A question about a population is not answered by evidence from another one: "Is X effective in
# pregnancy?" needs a source that speaks of pregnancy. Families of crude stems (see content_stems).
POPULATIONS: dict[str, frozenset[str]] = {
    "pregnancy": frozenset({"pregna", "gestat", "prenat", "antena"}),
    "lactation": frozenset({"lactat", "breast", "nursin"}),
    "children": frozenset(
        {"child", "childr", "pediat", "paedia", "infant", "neonat", "newbor", "adoles", "school"}
    ),
    "older adults": frozenset({"elderl", "geriat", "older"}),
}


def population_families(stems: frozenset[str]) -> frozenset[str]:
    return frozenset(name for name, family in POPULATIONS.items() if stems & family)


@dataclass
class QuestionFrame:
    """The question's content words, split into the key entity's names and the rest (its aspects)."""

    stems: frozenset[str]
    aspects: frozenset[str]
    required: frozenset[str] = frozenset()  # a follow-up's own words: every sentence must address one
    populations: frozenset[str] = (
        frozenset()
    )  # population families the question names (pregnancy, children...)

    @classmethod
    def of(
        cls, question: str, entity_names: Iterable[str] = (), *, focus: str | None = None
    ) -> QuestionFrame:
        stems = content_stems(question) - _QUESTION_WORDS
        named: set[str] = set()
        for n in entity_names:
            named |= content_stems(n)
        required = content_stems(focus) - _QUESTION_WORDS - named if focus else frozenset()
        return cls(
            stems=stems,
            aspects=stems - frozenset(named),
            required=required,
            populations=population_families(stems | required),
        )

    def covers_populations(self, stems: frozenset[str]) -> bool:
        """Whether ``stems`` name every population the question names (true when it names none)."""
        return self.populations <= population_families(stems)

    def addresses(self, *texts: str) -> bool:
        """Whether ``texts`` (a sentence, its section label) speak of at least half of the required
        words, rounded up ("in children with liver failure": two of the three); true if none."""
        if not self.required:
            return True
        got: set[str] = set()
        for t in texts:
            got |= content_stems(t)
        need = (len(self.required) + 1) // 2
        return len(self.required & got) >= need


@dataclass
class Pool:
    """Statistics of the retrieved pool that every candidate's features are relative to."""

    frame: QuestionFrame
    idf: dict[str, float]
    best_score: float
    best_dense: float
    doc_rank: dict[str, int]
    doc_stems: dict[str, frozenset[str]]
    has_dense: bool = False
    best_doc_q: float = 0.0

    @classmethod
    def of(cls, frame: QuestionFrame, hits: Sequence[RetrievedPassage]) -> Pool:
        passages: dict[str, frozenset[str]] = {}
        doc_stems: dict[str, set[str]] = {}
        doc_best: dict[str, float] = {}
        for h in hits:
            key = h.passage.id or f"{h.document.uid}#{h.passage.ordinal}"
            stems = passages.get(key)
            if stems is None:
                stems = passages[key] = content_stems(h.passage.text)
            doc = doc_stems.setdefault(h.document.uid, set(content_stems(h.document.title)))
            doc |= stems
            doc_best[h.document.uid] = max(doc_best.get(h.document.uid, h.scores.final), h.scores.final)
        # documents ranked by their best hit (not by list order: the same hits give the same page)
        ranked = sorted(doc_best, key=lambda uid: (-doc_best[uid], uid))
        doc_rank = {uid: i for i, uid in enumerate(ranked)}
        n = max(len(passages), 1)
        df: dict[str, int] = {}
        for stems in passages.values():
            for s in stems & frame.stems:
                df[s] = df.get(s, 0) + 1
        idf = {s: math.log((n + 1) / (df.get(s, 0) + 0.5)) for s in frame.stems}
        pool = cls(
            frame=frame,
            idf=idf,
            best_score=max((h.scores.final for h in hits), default=0.0),
            best_dense=max((h.scores.dense_score or 0.0 for h in hits), default=0.0),
            doc_rank=doc_rank,
            doc_stems={k: frozenset(v) for k, v in doc_stems.items()},
            has_dense=any(h.scores.dense_score is not None for h in hits),
        )
        pool.best_doc_q = max((pool.coverage(s) for s in pool.doc_stems.values()), default=0.0)
        return pool

    def coverage(self, stems: frozenset[str], wanted: frozenset[str] | None = None) -> float:
        """IDF-weighted share of ``wanted`` (the question's stems by default) found in ``stems``."""
        wanted = self.frame.stems if wanted is None else wanted
        total = sum(self.idf.get(s, 0.0) for s in wanted)
        if total <= 0:
            return 0.0
        return sum(self.idf.get(s, 0.0) for s in wanted & stems) / total


@dataclass
class CandidateView:
    """What the scorer needs to know about one candidate sentence."""

    text: str
    stems: frozenset[str]
    context_stems: frozenset[str]
    hit: RetrievedPassage
    named: float
    recommendation: bool


def features(pool: Pool, c: CandidateView) -> list[float]:
    """The feature vector of one candidate (order of :data:`FEATURES`); call :func:`relativise` after."""
    frame = pool.frame
    sent_q = pool.coverage(c.stems)
    aspects = frame.aspects
    sent_aspect = pool.coverage(c.stems, aspects) if aspects else sent_q
    ctx_q = pool.coverage(c.context_stems | c.stems)
    doc = pool.doc_stems.get(c.hit.document.uid, frozenset())
    doc_q = pool.coverage(doc | c.stems)
    conc, res, bg, meth = section_flags(c.hit.passage.section)
    dense = c.hit.scores.dense_score or 0.0
    evidence = (4 - min(max(c.hit.document.evidence_level, 1), 4)) / 3
    return [
        1.0,
        sent_q,
        sent_q,  # relativised later
        sent_aspect,
        0.0 if aspects else 1.0,
        ctx_q,
        doc_q,
        doc_q / pool.best_doc_q if pool.best_doc_q > 0 else 0.0,
        max(c.hit.scores.final, 0.0) / pool.best_score if pool.best_score > 0 else 0.0,
        max(dense, 0.0) / pool.best_dense if pool.best_dense > 0 else 0.0,
        1.0 / (1 + pool.doc_rank.get(c.hit.document.uid, 50)),
        c.named,
        conc,
        res,
        bg,
        meth,
        evidence,
        1.0 if c.recommendation else 0.0,
        1.0 if _ANAPHORA.match(c.text) else 0.0,
        math.log(max(len(c.text), 10)) / math.log(400),
    ]


_SENT_Q_REL = FEATURES.index("sent_q_rel")


def relativise(rows: list[list[float]]) -> None:
    """Turn ``sent_q_rel`` into the share of the pool's best sentence coverage (in place)."""
    best = max((r[_SENT_Q_REL] for r in rows), default=0.0)
    for r in rows:
        r[_SENT_Q_REL] = r[_SENT_Q_REL] / best if best > 0 else 0.0


@dataclass(frozen=True)
class RelevanceModel:
    """Logistic regression over :data:`FEATURES` with a publishing threshold."""

    weights: tuple[float, ...]
    threshold: float
    meta: dict[str, Any] = field(default_factory=dict, hash=False, compare=False)

    def probability(self, row: Sequence[float]) -> float:
        z = sum(w * x for w, x in zip(self.weights, row, strict=True))
        z = max(min(z, 40.0), -40.0)
        return 1.0 / (1.0 + math.exp(-z))

    def to_json(self) -> dict[str, Any]:
        return {
            "features": list(FEATURES),
            "weights": [round(w, 6) for w in self.weights],
            "threshold": self.threshold,
            "meta": self.meta,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RelevanceModel:
        if list(data.get("features", [])) != list(FEATURES):
            raise ValueError("relevance model features do not match this version of medref; refit it")
        return cls(
            weights=tuple(float(w) for w in data["weights"]),
            threshold=float(data["threshold"]),
            meta=dict(data.get("meta", {})),
        )


MODEL_FILES = {"hybrid": "relevance_model.json", "lexical": "relevance_model_lexical.json"}


@lru_cache(maxsize=2)
def default_model(kind: str = "hybrid") -> RelevanceModel:
    """A shipped model, fitted by ``bench/fit_answer_models.py``: ``hybrid`` for pools with dense
    scores, ``lexical`` (fitted without the dense feature) for an install without the dense extra."""
    raw = resources.files("medref.compose").joinpath(MODEL_FILES[kind]).read_text(encoding="utf-8")
    return RelevanceModel.from_json(json.loads(raw))
