"""Does a sentence say only what its cited passages say? A deterministic lexical check.

This is an independent referee for generated text: it knows nothing about the model or the
prompt, only the sentence and the text of the passages it cites. It is deliberately strict;
dropping a faithful paraphrase costs less than publishing a claim the sources do not make.
A sentence is *supported* when all of these hold:

1. **Citations.** It cites at least one non-empty passage.
2. **Numbers.** Every number in it (doses, percentages, durations, counts, years) appears in
   the cited passages; a number with a unit must appear there *with the same unit*. Units are
   normalised (``15mg/kg`` = ``15 mg / kg`` = ``15 mg per kg``, ``25 percent`` = ``25%``,
   ``µg`` = ``mcg``, ``6 months`` = ``six months``), and a range's unit carries over to its
   first number (``5-10 mg`` = ``5 mg to 10 mg``). Numbers in ``context`` (document titles)
   count for bare numbers such as years, never for a quantity with a unit.
3. **Names.** Every name-like word (a drug-name ending such as -mab or -cept, a word that
   mixes letters and digits such as CD40L or IL-6, an acronym, a capitalised word inside the
   sentence) appears in the cited passages or their titles.
4. **Coverage.** At least ``min_coverage`` (default 0.8) of its distinct content words
   (lower-cased, Snowball-stemmed, without stopwords, attribution words such as "reported",
   numbers, negations and ``[n]`` markers) appear in the cited passages or their titles, and
   at least one passage sentence shares a word with it.
5. **Negation.** Against the best-matching passage window (one sentence or two consecutive
   sentences) the polarity agrees: a negation in the sentence (not, no, never, without,
   none, neither, nor, n't, and the negative verbs avoid, contraindicated, fail) must be matched by a negation in the window whose scope (the
   next three content words of its clause) shares a word with the sentence's scope; and a
   negation in the window whose scope shares two of the sentence's words (its only word, when
   it has one) must be matched by one in the sentence.
6. **No contradiction.** Against that same window, no word stands where the window has its
   opposite (more/less, seropositive/seronegative, effective/ineffective), no two words have
   traded places across the relation between them (A better than B / B better than A), and
   every number of the sentence is in the window itself, with its unit
   (:mod:`medref.compose.contradiction`).

Passages written to a language model rather than a reader ("ignore previous instructions",
chat role tokens, "note to the assistant": :func:`medref.ingest.suspect.is_suspect_text`, or
flagged at ingest and passed in ``suspect``) are never evidence: no sentence of them supports
anything, and a sentence whose words only such a passage provides is refused as injected.

The result also gives the best-matching window as ``(passage index, start, end)`` character
offsets into that passage, for :class:`~medref.models.Citation` spans.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from medref.compose.contradiction import contradiction, similarity
from medref.compose.numbers import (
    MARKER_PATTERN,
    cited_numbers,
    is_quantity,
    numbers_as_digits,
    quantities,
    strip_markers,
)
from medref.index.textnorm import DEFAULT as _ANALYZER
from medref.ingest.suspect import is_suspect_text
from medref.models import Answer, CitedSentence

__all__ = [
    "DEFAULT_MIN_COVERAGE",
    "MARKER_PATTERN",
    "SupportResult",
    "check_answer",
    "cited_numbers",
    "name_words",
    "quantities",
    "sentence_spans",
    "strip_markers",
    "supports",
]

DEFAULT_MIN_COVERAGE = 0.8
NEGATION_SCOPE = 3  # content words after a negation cue that it governs

_NEGATIONS = frozenset(
    {
        "not",
        "no",
        "never",
        "without",
        "none",
        "neither",
        "nor",
        "avoid",
        "avoided",
        "contraindicated",
        "fail",
        "failed",
        "fails",
    }
)
_CLAUSE_WORDS = frozenset({"but", "although", "though", "whereas", "however", "except", "yet", "while"})
_STOPWORD_TEXT = """
    a about above after again against all also am an and any are as at be because been before being
    below between both but by can could did do does doing down during each either for from further
    had has have having he her here hers him his how i if in into is it its itself just may me might
    more most must my of off on once one only or other our ours out over own same shall she should so
    some such than that the their theirs them themselves then there these they this those through
    thus to too under until up upon very via was we were what when where which while who whom why
    will with would you your s ll re ve etc eg ie
    according report reported reports reporting state stated states show showed shown shows
    found find note noted notes source sources overall respectively percent
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_TOKEN = re.compile(r"[^\W_]+|[,;:()]")


@dataclass(frozen=True)
class SupportResult:
    supported: bool
    score: float  # share of the sentence's content words found in the cited passages (0..1)
    reason: str
    span: tuple[int, int, int] | None = None  # (passage index, start, end) of the best window


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


@dataclass(frozen=True)
class _Analysis:
    content: frozenset[str]
    scopes: tuple[frozenset[str], ...]  # one per negation cue


@lru_cache(maxsize=4096)
def _analyse(text: str) -> _Analysis:
    norm = _ANALYZER.normalize(text)
    norm = re.sub(r"n['’]t\b", " not", norm)
    norm = numbers_as_digits(re.sub(r"\bcannot\b", "can not", norm))
    stem = _stemmer().stemWord
    content: set[str] = set()
    scopes: list[set[str]] = []
    open_scopes: list[set[str]] = []
    for tok in _TOKEN.findall(norm):
        if tok in ",;:()" or tok in _CLAUSE_WORDS:
            open_scopes = []
            continue
        if tok in _NEGATIONS:
            scope: set[str] = set()
            scopes.append(scope)
            open_scopes.append(scope)
            continue
        if tok[0].isdigit() or tok in _STOPWORDS or len(tok) > 40:  # numbers are checked on their own
            continue
        word = stem(tok)
        content.add(word)
        for scope in open_scopes:
            scope.add(word)
        open_scopes = [s for s in open_scopes if len(s) < NEGATION_SCOPE]
    return _Analysis(frozenset(content), tuple(frozenset(s) for s in scopes))


# ----------------------------------------------------------------------------- names
_DRUG_ENDING_TEXT = """
    mab cept nib ciclib parib zomib vir pril sartan olol dipine statin gliptin gliflozin glutide
    azole mycin micin cillin cycline floxacin parin xaban gatran lukast tidine prazole setron
    triptan zepam zolam tyline pramine oxetine afil dronate lutamide platin rubicin taxel trexate
    limus sporin sporine semide thiazide formin
"""
_DRUG_ENDINGS = tuple(_DRUG_ENDING_TEXT.split())
_NOT_DRUGS = frozenset({"intercept", "concept", "percept", "accept", "except", "receptor"})
_WORDISH = re.compile(r"[^\W_]+(?:[-‐‑][^\W_]+)*")
_HYPHEN = re.compile(r"[-‐‑]")
_ORDINAL = re.compile(r"\d+(?:st|nd|rd|th)", re.I)


def _key(word: str) -> str:
    return re.sub(r"[\W_]+", "", _ANALYZER.normalize(word))


def name_words(sentence: str) -> list[str]:
    """The name-like words of a sentence that must appear in its sources."""
    out: list[str] = []
    for i, m in enumerate(_WORDISH.finditer(strip_markers(sentence))):
        word = m.group(0)
        low = word.lower()
        letters = sum(ch.isalpha() for ch in word)
        if letters == 0 or _ORDINAL.fullmatch(word) or is_quantity(low):
            continue
        is_name = (
            any(ch.isdigit() for ch in word)
            or (letters >= 2 and sum(ch.isupper() for ch in word) >= 2)
            or (i > 0 and word[0].isupper() and low not in _STOPWORDS)
            or (len(low) > 5 and low.endswith(_DRUG_ENDINGS) and low not in _NOT_DRUGS)
        )
        if is_name and word not in out:
            out.append(word)
    return out


def _vocabulary(texts: Sequence[str]) -> frozenset[str]:
    vocab: set[str] = set()
    for text in texts:
        for m in _WORDISH.finditer(text):
            vocab.add(_key(m.group(0)))
            vocab.update(_key(p) for p in _HYPHEN.split(m.group(0)))
    return frozenset(vocab)


def _name_missing(word: str, vocab: frozenset[str], stems: frozenset[str]) -> bool:
    stem = _stemmer().stemWord
    key = _key(word)
    if key in vocab or stem(key) in stems:
        return False
    parts = [_key(p) for p in _HYPHEN.split(word)]
    return not all(p in vocab or stem(p) in stems for p in parts if p)


# ----------------------------------------------------------------------------- windows
_BOUNDARY = re.compile(r"(?<=[.!?])[\"')\]]*\s+(?=[\"'(\[]?[A-Z0-9])|\s*\n\s*")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """``(start, end)`` of each sentence (or line) of a passage, whitespace trimmed."""
    spans: list[tuple[int, int]] = []
    pos = 0
    for m in [*_BOUNDARY.finditer(text), None]:
        end = m.start() if m else len(text)
        chunk = text[pos:end]
        if chunk.strip():
            lead = len(chunk) - len(chunk.lstrip())
            spans.append((pos + lead, pos + len(chunk.rstrip())))
        pos = m.end() if m else len(text)
    return spans


def _adjacent(text: str, end: int, start: int) -> bool:
    """Nothing but a sentence boundary between two spans (no left-out sentence)."""
    return not text[end:start].strip(" \t\n\r\"')]")


def _negation_problem(sentence: _Analysis, window: _Analysis) -> str | None:
    for scope in sentence.scopes:
        if not any((scope & ws) or not scope for ws in window.scopes):
            what = " ".join(sorted(scope)) or "the statement"
            return f"negation mismatch: the sentence negates '{what}', the cited passage does not"
    for ws in window.scopes:  # it must share two of its words (one if it has one) to be restated
        if len(ws & sentence.content) >= min(2, len(ws)) > 0 and not any(ws & s for s in sentence.scopes):
            return f"negation mismatch: the cited passage negates '{' '.join(sorted(ws))}', the sentence does not"
    return None


_Window = tuple[int, int, int, _Analysis]  # passage index, start, end, analysis


CLOSE_MATCH = 0.6  # token similarity from which a refused window cannot be outvoted


def _best_window(
    sent: _Analysis,
    windows: list[_Window],
    check: Callable[[_Window], str | None],
    similarity: Callable[[_Window], float],
) -> tuple[tuple[int, int, int] | None, str | None]:
    """Among the windows sharing most words, the most similar in wording (then shortest, then
    earliest) that ``check`` finds no problem with; with the first problem when none passes.
    Two things cannot rescue a refused window: a window containing it (a negation in the next
    sentence does not make a flipped claim true) and, once the refused window is a close match
    (similarity >= CLOSE_MATCH), any less similar one (a loose paraphrase elsewhere does not
    excuse a one-word change to the sentence actually restated)."""
    overlap = {id(w): len(sent.content & w[3].content) for w in windows}
    top = max(overlap.values(), default=0)
    if top == 0:
        return None, None
    best = [w for w in windows if overlap[id(w)] == top]
    score = {id(w): similarity(w) for w in best}
    ranked = sorted(best, key=lambda w: (-score[id(w)], w[2] - w[1], w[0], w[1]))
    first_problem: str | None = None
    refused: list[tuple[int, int, int]] = []
    for window in ranked:
        idx, start, end, _ = window
        if any(i == idx and start <= s and e <= end for i, s, e in refused):
            continue
        problem = check(window)
        if problem is None:
            return (idx, start, end), None
        refused.append((idx, start, end))
        first_problem = first_problem or problem
        if score[id(window)] >= CLOSE_MATCH:
            break
    return (ranked[0][0], ranked[0][1], ranked[0][2]), first_problem


@dataclass(frozen=True)
class _Facts:
    """What one passage offers as evidence, computed once per passage text."""

    windows: tuple[tuple[int, int, _Analysis], ...]  # one sentence or two adjacent ones
    parts: dict[tuple[int, int], tuple[str, ...]]  # the sentences of each two-sentence window
    stems: frozenset[str]
    vocab: frozenset[str]
    values: frozenset[str]
    with_units: frozenset[tuple[str, str | None]]


@lru_cache(maxsize=2048)
def _facts(text: str) -> _Facts:
    spans = sentence_spans(text)
    windows: list[tuple[int, int, _Analysis]] = []
    parts: dict[tuple[int, int], tuple[str, ...]] = {}
    for j, (start, end) in enumerate(spans):
        windows.append((start, end, _analyse(text[start:end])))
        if j + 1 < len(spans) and _adjacent(text, end, spans[j + 1][0]):
            nxt_start, nxt_end = spans[j + 1]
            windows.append((start, nxt_end, _analyse(text[start:nxt_end])))
            parts[(start, nxt_end)] = (text[start:end], text[nxt_start:nxt_end])
    evidence = [text[a:b] for a, b in spans]
    found = [q for sentence in evidence for q in quantities(sentence)]
    return _Facts(
        windows=tuple(windows),
        parts=parts,
        stems=frozenset(w for _, _, a in windows for w in a.content),
        vocab=_vocabulary(evidence),
        values=frozenset(v for v, _ in found),
        with_units=frozenset(found),
    )


def supports(
    sentence: str,
    passages: Sequence[str],
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    context: Sequence[str] = (),
    suspect: Sequence[str | None] = (),
) -> SupportResult:
    """Check one sentence against the text of the passages it cites (see the module docstring).

    ``context`` is extra text the sentence may borrow words and bare numbers from, such as the
    titles of the cited documents; it never supplies a quantity with a unit or the span.
    ``suspect`` gives, per passage, the reason ingest flagged it as instructions to a model
    (``Document.meta["suspect_passages"]``) or None; the passage text is screened as well.
    """
    if not passages or not any(p.strip() for p in passages):
        return SupportResult(False, 0.0, "no cited passage")
    sent = _analyse(strip_markers(sentence))
    if not sent.content:
        return SupportResult(False, 0.0, "no content words to check")
    flags = [(suspect[i] if i < len(suspect) else None) or is_suspect_text(t) for i, t in enumerate(passages)]
    context = [t for t in context if not is_suspect_text(t)]
    windows: list[_Window] = []
    stems: set[str] = set()
    vocab: set[str] = set(_vocabulary(context))
    values: set[str] = set()
    with_units: set[tuple[str, str | None]] = set()
    for idx, text in enumerate(passages):
        if flags[idx]:
            continue
        facts = _facts(text)
        windows.extend((idx, start, stop, a) for start, stop, a in facts.windows)
        stems |= facts.stems
        vocab |= facts.vocab
        values |= facts.values
        with_units |= facts.with_units
    for text in context:
        stems |= _analyse(text).content
    all_stems = frozenset(stems)
    missing = sent.content - all_stems
    coverage = round(1.0 - len(missing) / len(sent.content), 4)
    clean_best = max((len(sent.content & w[3].content) for w in windows), default=0)
    injected = _injection_problem(sent, missing, clean_best, passages, flags)
    if injected is not None:
        return SupportResult(False, coverage, injected)

    def check(window: _Window) -> str | None:
        idx, start, stop, analysis = window
        text = passages[idx]
        parts = _facts(text).parts.get((start, stop), ())
        return _negation_problem(sent, analysis) or contradiction(sentence, text[start:stop], context, parts)

    def similar(window: _Window) -> float:
        idx, start, stop, _ = window
        return similarity(sentence, passages[idx][start:stop])

    span, problem = _best_window(sent, windows, check, similar)

    context_values = {v for text in context for v, _ in quantities(text)}
    for value, unit in quantities(sentence):
        if unit is None and value not in values and value not in context_values:
            return SupportResult(False, coverage, f"number {value} is not in the cited passages", span)
        if unit is not None and (value, unit) not in with_units:
            return SupportResult(
                False, coverage, f"quantity '{value} {unit}' is not in the cited passages", span
            )

    for word in name_words(sentence):
        if _name_missing(word, frozenset(vocab), all_stems):
            return SupportResult(False, coverage, f"name '{word}' is not in the cited passages", span)
    if coverage < min_coverage:
        shown = ", ".join(sorted(missing)[:6])
        reason = f"coverage {coverage:.2f} below {min_coverage:.2f} (missing: {shown})"
        return SupportResult(False, coverage, reason, span)
    if span is None:
        return SupportResult(False, coverage, "no sentence of the cited passages shares a word with it")
    if problem is not None:
        return SupportResult(False, coverage, problem, span)
    return SupportResult(True, coverage, "supported", span)


def _injection_problem(
    sent: _Analysis,
    missing: frozenset[str],
    clean_best: int,
    passages: Sequence[str],
    flags: Sequence[str | None],
) -> str | None:
    """Why the sentence counts as injected: some of its words come only from a passage that
    reads as instructions to a language model, a sentence of such a passage matches it at
    least as well as any other passage does, or it cites nothing else."""
    for idx, reason in enumerate(flags):
        if reason is None:
            continue
        suspect = f"cited passage {idx + 1}, which reads as instructions to a language model ({reason})"
        taken = sorted(missing & _analyse(passages[idx]).content)
        if taken:
            return f"injected: '{' '.join(taken[:6])}' comes only from {suspect}"
        best = max((len(sent.content & w[2].content) for w in _facts(passages[idx]).windows), default=0)
        if best >= clean_best and best * 2 >= len(sent.content):
            return f"injected: it matches a sentence of {suspect} at least as well as any other source"
    if all(flags):
        return f"injected: the cited passage reads as instructions to a language model ({flags[0]})"
    return None


def check_answer(
    answer: Answer,
    passage_text_by_id: Mapping[str, str],
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
) -> list[tuple[CitedSentence, SupportResult]]:
    """Check every sentence of a finished answer against the passages it cites.

    A sentence's passages are those named by its ``spans``, or, when it has none, those of the
    references it cites. The titles of the cited documents are used as ``context``. Passage ids
    missing from ``passage_text_by_id`` count as not cited; a result's span indexes the distinct
    passage ids that were found, in that order.
    """
    refs = {r.number: r for r in answer.references}
    out: list[tuple[CitedSentence, SupportResult]] = []
    for sentence in answer.sentences():
        ids = list(dict.fromkeys(c.passage_id for c in sentence.spans))
        if not ids:
            ids = list(dict.fromkeys(p for n in sentence.citations if n in refs for p in refs[n].passage_ids))
        texts = [passage_text_by_id[i] for i in ids if i in passage_text_by_id]
        numbers = sentence.citations or sorted({c.number for c in sentence.spans})
        titles = [refs[n].document.title for n in numbers if n in refs]
        out.append((sentence, supports(sentence.text, texts, min_coverage=min_coverage, context=titles)))
    return out
