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
   negation in the window whose scope touches the sentence's words must be matched by one
   in the sentence.

Passage sentences written to a language model rather than a reader ("ignore previous
instructions", "you are now", "system prompt") are never evidence: they are left out of
every check, so a document cannot vouch for the claim it tries to inject.

The result also gives the best-matching window as ``(passage index, start, end)`` character
offsets into that passage, for :class:`~medref.models.Citation` spans.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import Stemmer

from medref.index.textnorm import DEFAULT as _ANALYZER
from medref.models import Answer, CitedSentence

DEFAULT_MIN_COVERAGE = 0.8
NEGATION_SCOPE = 3  # content words after a negation cue that it governs

#: A citation marker: [3], [1, 2], [1-3], [Source 2]; group 1 holds the numbers.
MARKER_PATTERN = r"\[\s*(?:(?:sources?|refs?|references?)\s*)?(\d+(?:\s*(?:[,;]|[-–—]|and)\s*\d+)*)\s*\]"
_MARKER = re.compile(MARKER_PATTERN, re.I)
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
    found find note noted notes source sources overall respectively
"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())
_NUMBER_WORD_TEXT = """
    two 2 three 3 four 4 five 5 six 6 seven 7 eight 8 nine 9 ten 10 eleven 11 twelve 12 thirteen 13
    fourteen 14 fifteen 15 sixteen 16 seventeen 17 eighteen 18 nineteen 19 twenty 20 thirty 30
    forty 40 fifty 50 sixty 60 seventy 70 eighty 80 ninety 90 hundred 100
"""
_pairs = _NUMBER_WORD_TEXT.split()
_NUMBER_WORDS = dict(zip(_pairs[::2], _pairs[1::2], strict=True))
_NUMBER_WORD_RE = re.compile(r"\b(" + "|".join(_NUMBER_WORDS) + r")\b", re.I)
_TOKEN = re.compile(r"[^\W_]+|[,;:()]")

# ----------------------------------------------------------------------------- quantities
_UNIT_SYNONYM_TEXT = """
    µg=mcg μg=mcg ug=mcg microgram=mcg micrograms=mcg milligram=mg milligrams=mg gram=g grams=g
    kilogram=kg kilograms=kg millilitre=ml milliliter=ml millilitres=ml milliliters=ml percent=%
    per_cent=% hour=h hours=h hr=h hrs=h day=d days=d week=wk weeks=wk wks=wk month=mo months=mo
    year=y years=y yr=y yrs=y minute=min minutes=min mins=min unit=u units=u m²=m2
"""
_UNIT_SYNONYMS = {
    a.replace("_", " "): b for a, _, b in (item.partition("=") for item in _UNIT_SYNONYM_TEXT.split())
}
_UNIT_BASE = (
    r"mcg|µg|μg|ug|mg|g|kg|ng|ml|dl|l|iu|units?|u|mmol|mol|meq|mmhg|mm|cm|%|percent|per cent"
    r"|micrograms?|milligrams?|grams?|kilograms?|millilit(?:re|er)s?|hours?|hrs?|h|days?|d|weeks?|wks?"
    r"|wk|months?|years?|yrs?|yr|minutes?|mins?|min"
)
_UNIT_DENOM = r"m2|m²|kg|g|mg|l|dl|ml|min|minute|h|hours?|d|days?|wk|weeks?|dose|\d+\s*h(?:ours?)?"
_UNIT = rf"(?:{_UNIT_BASE})(?:\s*(?:/|per)\s*(?:{_UNIT_DENOM}))*"
_QTY = re.compile(rf"(?<![\w.])(\d{{1,3}}(?:,\d{{3}})+|\d+)(?:\.(\d+))?(?:\s*({_UNIT})(?![^\W_]))?", re.I)
_RANGE_GAP = re.compile(r"\s*(?:-|–|—|to|or|and|,)\s*", re.I)


@dataclass(frozen=True)
class SupportResult:
    supported: bool
    score: float  # share of the sentence's content words found in the cited passages (0..1)
    reason: str
    span: tuple[int, int, int] | None = None  # (passage index, start, end) of the best window


@lru_cache(maxsize=1)
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def strip_markers(text: str) -> str:
    """The sentence without ``[n]`` citation markers, with tidy spacing."""
    out = _MARKER.sub(" ", text)
    out = re.sub(r"\s+([.,;:!?])", r"\1", out)
    return re.sub(r"\s{2,}", " ", out).strip()


def cited_numbers(text: str) -> list[int]:
    """Source numbers of every ``[n]``, ``[n, m]`` and ``[n-m]`` marker, in order, once each."""
    out: list[int] = []
    for m in _MARKER.finditer(text):
        for piece in re.split(r"\s*(?:[,;]|and)\s*", m.group(1)):
            a, _, b = re.sub(r"\s", "", piece).replace("–", "-").replace("—", "-").partition("-")
            lo, hi = int(a), int(b or a)
            out.extend(range(lo, hi + 1) if 0 <= hi - lo <= 20 else (lo, hi))
    return list(dict.fromkeys(out))


def _numbers_as_digits(text: str) -> str:
    return _NUMBER_WORD_RE.sub(lambda m: _NUMBER_WORDS[m.group(1).lower()], text)


@dataclass(frozen=True)
class _Analysis:
    content: frozenset[str]
    scopes: tuple[frozenset[str], ...]  # one per negation cue


@lru_cache(maxsize=4096)
def _analyse(text: str) -> _Analysis:
    norm = _ANALYZER.normalize(text)
    norm = re.sub(r"n['’]t\b", " not", norm)
    norm = _numbers_as_digits(re.sub(r"\bcannot\b", "can not", norm))
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


def _norm_unit(unit: str) -> str:
    pieces = []
    for part in re.split(r"\s*(?:/|\bper\b(?! cent))\s*", unit.lower().strip()):
        part = re.sub(r"\s+", " ", part)
        pieces.append(_UNIT_SYNONYMS.get(part, part).replace(" ", ""))
    return "/".join(pieces)


def _norm_value(whole: str, frac: str | None) -> str:
    whole = whole.replace(",", "").lstrip("0") or "0"
    frac = (frac or "").rstrip("0")
    return f"{whole}.{frac}" if frac else whole


def quantities(text: str) -> list[tuple[str, str | None]]:
    """Numbers in ``text`` as ``(value, unit or None)``, normalised, in order."""
    prepared = _numbers_as_digits(strip_markers(text))
    found = [
        (
            m.start(),
            m.end(),
            _norm_value(m.group(1), m.group(2)),
            _norm_unit(m.group(3)) if m.group(3) else None,
        )
        for m in _QTY.finditer(prepared)
    ]
    out: list[tuple[str, str | None]] = [(v, u) for _, _, v, u in found]
    for i in range(len(found) - 2, -1, -1):  # a range's unit carries back: 5-10 mg -> 5 mg
        gap = prepared[found[i][1] : found[i + 1][0]]
        if out[i][1] is None and out[i + 1][1] is not None and _RANGE_GAP.fullmatch(gap):
            out[i] = (out[i][0], out[i + 1][1])
    return out


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
        if letters == 0 or _ORDINAL.fullmatch(word) or _QTY.fullmatch(low):
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


_INSTRUCTION = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|rules?|prompts?|directions?)\b"
    r"|\b(?:you are now|from now on,? you|system prompt|as an ai|new instructions?)\b",
    re.I,
)


def _adjacent(text: str, end: int, start: int) -> bool:
    """Nothing but a sentence boundary between two spans (no left-out sentence)."""
    return not text[end:start].strip(" \t\n\r\"')]")


def _negation_problem(sentence: _Analysis, window: _Analysis) -> str | None:
    for scope in sentence.scopes:
        if not any((scope & ws) or not scope for ws in window.scopes):
            what = " ".join(sorted(scope)) or "the statement"
            return f"negation mismatch: the sentence negates '{what}', the cited passage does not"
    for ws in window.scopes:
        if ws & sentence.content and not any(ws & s for s in sentence.scopes):
            return f"negation mismatch: the cited passage negates '{' '.join(sorted(ws))}', the sentence does not"
    return None


def _best_window(
    sent: _Analysis, windows: list[tuple[int, int, int, _Analysis]]
) -> tuple[tuple[int, int, int] | None, str | None]:
    """The window sharing most words (shortest, then earliest, on ties), preferring one whose
    polarity agrees; with the negation problem when none of the best ones agrees. A window
    that contains a disagreeing one cannot rescue it (a negation in the next sentence does
    not make a flipped claim true)."""
    ranked = sorted(windows, key=lambda w: (-len(sent.content & w[3].content), w[2] - w[1], w[0], w[1]))
    top = len(sent.content & ranked[0][3].content) if ranked else 0
    if top == 0:
        return None, None
    first_problem: str | None = None
    refused: list[tuple[int, int, int]] = []
    for idx, start, end, a in ranked:
        if len(sent.content & a.content) < top:
            break
        if any(i == idx and start <= s and e <= end for i, s, e in refused):
            continue
        problem = _negation_problem(sent, a)
        if problem is None:
            return (idx, start, end), None
        refused.append((idx, start, end))
        first_problem = first_problem or problem
    return (ranked[0][0], ranked[0][1], ranked[0][2]), first_problem


def supports(
    sentence: str,
    passages: Sequence[str],
    *,
    min_coverage: float = DEFAULT_MIN_COVERAGE,
    context: Sequence[str] = (),
) -> SupportResult:
    """Check one sentence against the text of the passages it cites (see the module docstring).

    ``context`` is extra text the sentence may borrow words and bare numbers from, such as the
    titles of the cited documents; it never supplies a quantity with a unit or the span.
    """
    if not passages or not any(p.strip() for p in passages):
        return SupportResult(False, 0.0, "no cited passage")
    sent = _analyse(strip_markers(sentence))
    if not sent.content:
        return SupportResult(False, 0.0, "no content words to check")
    windows: list[tuple[int, int, int, _Analysis]] = []
    stems: set[str] = set()
    evidence: list[str] = []  # the passage sentences that may support anything
    for idx, text in enumerate(passages):
        spans = [(a, b) for a, b in sentence_spans(text) if not _INSTRUCTION.search(text[a:b])]
        evidence.extend(text[a:b] for a, b in spans)
        for j, (start, end) in enumerate(spans):
            nxt = spans[j + 1][1] if j + 1 < len(spans) and _adjacent(text, end, spans[j + 1][0]) else None
            for stop in (end, nxt):
                if stop is not None:
                    a = _analyse(text[start:stop])
                    windows.append((idx, start, stop, a))
                    stems |= a.content
    for text in context:
        stems |= _analyse(text).content
    all_stems = frozenset(stems)
    missing = sent.content - all_stems
    coverage = round(1.0 - len(missing) / len(sent.content), 4)
    span, negation = _best_window(sent, windows)

    values: set[str] = set()
    with_units: set[tuple[str, str | None]] = set()
    for text in evidence:
        for value, unit in quantities(text):
            values.add(value)
            with_units.add((value, unit))
    context_values = {v for text in context for v, _ in quantities(text)}
    for value, unit in quantities(sentence):
        if unit is None and value not in values and value not in context_values:
            return SupportResult(False, coverage, f"number {value} is not in the cited passages", span)
        if unit is not None and (value, unit) not in with_units:
            return SupportResult(
                False, coverage, f"quantity '{value} {unit}' is not in the cited passages", span
            )

    vocab = _vocabulary([*evidence, *context])
    for word in name_words(sentence):
        if _name_missing(word, vocab, all_stems):
            return SupportResult(False, coverage, f"name '{word}' is not in the cited passages", span)
    if coverage < min_coverage:
        shown = ", ".join(sorted(missing)[:6])
        reason = f"coverage {coverage:.2f} below {min_coverage:.2f} (missing: {shown})"
        return SupportResult(False, coverage, reason, span)
    if span is None:
        return SupportResult(False, coverage, "no sentence of the cited passages shares a word with it")
    if negation is not None:
        return SupportResult(False, coverage, negation, span)
    return SupportResult(True, coverage, "supported", span)


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
