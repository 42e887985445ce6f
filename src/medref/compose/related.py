"""Related questions: the stored questions most like this one.

:func:`related_questions` ranks earlier questions (``AnswerStore.recent_questions``) by how
much they share with the question asked:

    score = |shared stems| / sqrt(|its stems| * |their stems|)
            + ENTITY_WEIGHT * |shared concepts| / |concepts the question names|

Stems are the question's content words (stopwords dropped) cut by a light suffix stemmer
("doses", "dosing" and "dose" meet); the first term is the cosine of the two stem sets, so a
longer candidate is not punished as hard as by a ratio over the union. Concepts are the
lexicon concepts each question names (only when a lexicon is given): a candidate about the
same drug gains, one that names more besides loses nothing. A candidate needs a score of at least ``min_score``; the
question itself and near-duplicates (same words, or stem overlap of ``NEAR_DUPLICATE`` or more)
are left out, of the question and of each other. Ties keep the candidates' order (newest first
from the store), so the result is deterministic.

:func:`suggested_questions` is a separate, clearly labelled fallback: template questions about
the answer's key entities, for when too few stored questions are related. They are questions
only; they claim nothing and are never mixed into ``related_questions`` silently.

:func:`discover` puts the two together for a page: related questions from published page titles,
and suggestions only when none of those is related.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from medref.retrieve.lexicon import Lexicon
from medref.retrieve.query import STOPWORDS

ENTITY_WEIGHT = 0.5
NEAR_DUPLICATE = 0.8
MIN_SCORE = 0.25
_WORD = re.compile(r"[^\W_]+")
_SUFFIXES = (
    ("ies", "y"),
    ("ied", "y"),
    ("ings", ""),
    ("ing", ""),
    ("ed", ""),
    ("es", ""),
    ("s", ""),
    ("e", ""),
)


def stem(word: str) -> str:
    """A light suffix stemmer: plural / -ing / -ed / final -e go, at least three letters stay."""
    for suffix, repl in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith(("ss", "us", "is")):
                continue
            return word[: -len(suffix)] + repl
    return word


def stems(question: str) -> frozenset[str]:
    """Stemmed content words of a question."""
    folded = unicodedata.normalize("NFKC", question or "").casefold().replace("’", "'")
    folded = re.sub(r"'s\b", "", folded)
    return frozenset(
        stem(w) for w in _WORD.findall(folded) if w not in STOPWORDS and (len(w) > 1 or w.isdigit())
    )


def _jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    union = a | b
    return len(a & b) / len(union) if union else 0.0


def _cosine(a: frozenset[str], b: frozenset[str]) -> float:
    return len(a & b) / math.sqrt(len(a) * len(b)) if a and b else 0.0


def _covered(wanted: frozenset[str], got: frozenset[str]) -> float:
    return len(wanted & got) / len(wanted) if wanted else 0.0


def _normal(question: str) -> str:
    return " ".join(_WORD.findall(unicodedata.normalize("NFKC", question or "").casefold()))


def similarity(question: str, candidate: str, lexicon: Lexicon | None = None) -> float:
    """The score :func:`related_questions` ranks ``candidate`` by (0 when nothing is shared)."""
    return _score(stems(question), stems(candidate), question, candidate, lexicon)


def _score(
    q_stems: frozenset[str], c_stems: frozenset[str], q: str, c: str, lexicon: Lexicon | None
) -> float:
    score = _cosine(q_stems, c_stems)
    if lexicon is not None:
        score += ENTITY_WEIGHT * _covered(lexicon.mentioned_ids(q), lexicon.mentioned_ids(c))
    return score


def _near_duplicate(a: str, a_stems: frozenset[str], b: str, b_stems: frozenset[str]) -> bool:
    return _normal(a) == _normal(b) or _jaccard(a_stems, b_stems) >= NEAR_DUPLICATE


def related_questions(
    question: str,
    candidates: Sequence[str],
    *,
    limit: int = 5,
    lexicon: Lexicon | None = None,
    min_score: float = MIN_SCORE,
) -> list[str]:
    """Up to ``limit`` of ``candidates`` most like ``question``, best first."""
    if limit <= 0 or not question or not question.strip():
        return []
    q_stems = stems(question)
    scored: list[tuple[float, int, str, frozenset[str]]] = []
    for index, cand in enumerate(candidates):
        if not cand or not cand.strip():
            continue
        c_stems = stems(cand)
        if _near_duplicate(question, q_stems, cand, c_stems):
            continue
        score = _score(q_stems, c_stems, question, cand, lexicon)
        if score >= min_score:
            scored.append((-score, index, cand, c_stems))
    scored.sort(key=lambda t: (t[0], t[1]))
    picked: list[tuple[str, frozenset[str]]] = []
    for _neg, _index, cand, c_stems in scored:
        if any(_near_duplicate(cand, c_stems, p, p_stems) for p, p_stems in picked):
            continue
        picked.append((cand, c_stems))
        if len(picked) >= limit:
            break
    return [p for p, _ in picked]


# Template questions by the kind of entity; "{e}" is the entity's preferred name.
_AGENT_TEMPLATES = (
    "What is {e} used for?",
    "What are the main safety concerns with {e}?",
    "How is {e} dosed?",
    "What does the evidence say about {e} in pregnancy?",
    "How does {e} compare with alternatives?",
)
_CONDITION_TEMPLATES = (
    "How is {e} treated?",
    "What do guidelines recommend for {e}?",
    "What are the treatment options for {e} in pregnancy?",
)
_CLASS_TEMPLATES = (  # a drug class reads in the plural ("CD40 ligand blockers")
    "What are {e} used for?",
    "What are the main safety concerns with {e}?",
    "What does the evidence say about {e} in pregnancy?",
    "How do {e} compare with alternatives?",
)
_TARGET_TEMPLATES = (
    "What does {e} do?",
    "Which drugs act on {e}?",
)


def _templates(name: str, lexicon: Lexicon | None) -> tuple[str, ...]:
    concepts = lexicon.lookup(name) if lexicon is not None else []
    if concepts and all(c.kind == "condition" for c in concepts):
        return _CONDITION_TEMPLATES
    if concepts and all(c.is_class for c in concepts):
        return _CLASS_TEMPLATES
    if concepts and all(c.kind == "target" for c in concepts):
        return _TARGET_TEMPLATES
    return _AGENT_TEMPLATES


def suggested_questions(
    key_entities: Iterable[str],
    lexicon: Lexicon | None = None,
    *,
    limit: int = 5,
    exclude: Sequence[str] = (),
) -> list[str]:
    """Template *suggestions* (not stored questions) about ``key_entities``, to show labelled as such.

    Drugs and unknown names get drug questions, drug classes the same in the plural, targets
    questions about what they do, conditions treatment questions. Questions near-duplicating one of ``exclude`` (e.g. the question asked, or the
    related questions already shown) are skipped. Deterministic: entities in order, templates
    in order, round-robin across entities.
    """
    per_entity: list[list[str]] = []
    for name in key_entities:
        name = " ".join(str(name).split())
        if not name:
            continue
        per_entity.append([t.format(e=name) for t in _templates(name, lexicon)])
    taken = [(q, stems(q)) for q in exclude]
    out: list[str] = []
    for round_ in range(max((len(t) for t in per_entity), default=0)):
        for options in per_entity:
            if len(out) >= limit:
                return out
            if round_ >= len(options):
                continue
            q = options[round_]
            q_stems = stems(q)
            if any(_near_duplicate(q, q_stems, t, t_stems) for t, t_stems in taken):
                continue
            taken.append((q, q_stems))
            out.append(q)
    return out


@dataclass(frozen=True, slots=True)
class Discovery:
    """What a page offers next: ``related`` published questions, else labelled ``suggested`` ones."""

    related: list[str]
    suggested: list[str]


def discover(
    question: str,
    published: Sequence[str],
    key_entities: Iterable[str],
    *,
    lexicon: Lexicon | None = None,
    evidence: bool = True,
    limit: int = 5,
) -> Discovery:
    """Related questions from ``published`` page titles only; suggestions when none is related.

    ``published`` must hold only the titles of approved pages: a visitor's stored question is
    never a candidate, and suggestions are made from ``key_entities`` (names the corpus was
    searched for), never from stored questions. ``evidence``: the corpus has something on the
    question's subject; without it nothing is suggested (a template about an entity the sources
    do not cover would lead to an empty page).
    """
    pool = [p for p in published if _normal(p) != _normal(question)]
    related = related_questions(question, pool, limit=limit, lexicon=lexicon)
    if related or not evidence:
        return Discovery(related=related, suggested=[])
    suggested = suggested_questions(key_entities, lexicon, limit=limit, exclude=[question])
    return Discovery(related=[], suggested=suggested)
