"""The number of participants an abstract states, when it states one.

:func:`sample_size` reads an abstract and returns the study's number of participants (people:
patients, women, children, couples, respondents ...) or None. It is deliberately conservative:
a wrong figure next to a citation is worse than none, so it only reads counts written in a
form that names people, and it never reads centres, years, ages, doses, percentages, events,
procedures, specimens or animals.

How it decides:

1. Number words become digits ("One hundred and eight" -> 108, "Fifty-two" -> 52), and
   thousands separators are dropped ("1,204" -> 1204).
2. Candidates are collected, each with a strength:

   - 3: a stated total ("a total of 1204 participants", "in total 312 patients") and
     ``N = 312`` in capitals right after a people noun ("Patients (N=22)");
   - 2: a count of people with enrolment wording around it ("we enrolled 86 women",
     "312 patients were randomized", "Of 450 children", "a cohort of 481 patients",
     "355 patients met the inclusion criteria");
   - 1: any other count of people ("84 migraineurs and 224 controls" gives 224), and
     ``n = 852`` after a people noun;
   - 0: a bare ``n = 268`` / ``N = 99`` (not after a percentage: "(29.1%, n = 78)" is a subgroup).

   Counts that are parts are marked or dropped: arm sizes ("30 patients in each group"),
   events ("occurred in 5 patients", "7 patients died"), the last item of a list ("12 sighted,
   10 impaired and 10 blind subjects"), years ("from 1996 to 2005"), bare ``n =`` in an animal
   study, and weak counts that share a sentence with other weak counts (groups of an unstated
   whole). A weak count followed by a part of it ("82 patients ..., including 55 ...") is a
   whole and becomes strength 2; "a total of 36 women and 2 men" counts 38.
3. The strongest candidates win, and among them the largest, because totals are stated more
   strongly than arm sizes and are larger than them.

Counts below 2 are never returned (a single patient is a case report, not a sample).

Ingest calls :func:`sample_size_of_sections`, which leaves out background and conclusion
sections. Cost: about 0.17 ms per abstract on one core (regular expressions jump from digit to
digit; the words before a count are tested as tokens), against about 0.14 ms to parse the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

__all__ = [
    "SKIPPED_SECTIONS",
    "Candidate",
    "candidates",
    "sample_size",
    "sample_size_of_sections",
    "words_to_digits",
]

SKIPPED_SECTIONS = frozenset(
    "background introduction context rationale importance conclusion conclusions".split()
)
"""Abstract sections (label or NLM category, lower case) that :func:`sample_size_of_sections`
leaves out: a count there is about earlier work or repeats a result, and skipping them spares
much of the text at ingest. Objective sections stay: "to assess X in 40 patients" states one."""

_UNITS = {
    "zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7,
    "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13,
    "fourteen": 14, "fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18,
    "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60,
    "seventy": 70, "eighty": 80, "ninety": 90,
}  # fmt: skip
_SCALES = {"hundred": 100, "thousand": 1000}
_NUMBER_WORDS = frozenset([*_UNITS, *_SCALES])
_LETTERS = re.compile(r"[a-z]+")
_THOUSANDS = re.compile(r"(?<![\d.,])(\d{1,3})((?:,\d{3})+)(?![\d,]*\.?\d)")
_HAS_THOUSANDS = re.compile(r"\d,\d\d\d")  # a cheap test before the slower substitution

# People a study counts. Plural forms only: "one patient" is never a sample.
_PEOPLE = (
    r"(?:patients|participants|subjects|individuals|persons|people|volunteers|adults|children|"
    r"adolescents|infants|neonates|newborns|women|men|girls|boys|males|females|couples|mothers|"
    r"parents|families|pregnant\s+women|respondents|recipients|donors|survivors|smokers|"
    r"students|physicians|nurses|surgeons|residents|workers|employees|athletes|veterans|"
    r"outpatients|inpatients|twins|controls|migraineurs|users|members|elderly|"
    r"consumers|clients|attendees|responders)"
)
_NUM_BODY = r"(\d+)(?![\d.,]\d|\s*%|[\-/]\d)"  # not followed by decimals, "%", "-12" or "/12"
_NUM = r"(?<![\d.,/\-])" + _NUM_BODY
# up to four describing words between the number and the noun ("481 newly confirmed TB patients")
_MODIFIERS = r"(?:\s+(?!(?:of|with|and|or|in|on|at|per|from|to|who|were|was|had)\b)[A-Za-z][\w'\-]*){0,4}?"
# _NUM without its look-behind, so that the scan can jump from digit to digit; the character
# before the number is checked by hand (_NOT_A_START)
_COUNT = re.compile(rf"{_NUM_BODY}{_MODIFIERS}\s+{_PEOPLE}\b", re.IGNORECASE)
_NOT_A_START = frozenset("0123456789.,/-")

_ENROL_AFTER = re.compile(
    r"^(?:[^.;]|\.\d){0,80}?\b(?:were|was|had\s+been)\s+(?:\w+\s+){0,2}?(?:enrolled|included|"
    r"recruited|randomi[sz]ed|studied|analy[sz]ed|examined|evaluated|reviewed|assigned|allocated|divided|"
    r"identified|involved|investigated|surveyed|interviewed|followed|eligible)\b"
    r"|^[^.;]{0,60}?\b(?:met|fulfilled|meeting|fulfilling)\s+(?:the\s+|our\s+|all\s+)?"
    r"(?:inclusion|eligibility|study)\s+criteria"
    r"|^[^.;]{0,40}?\b(?:participated|completed|underwent|took\s+part|consented|agreed)\b",
    re.IGNORECASE,
)
# "308 participants (mean age ...", "113 patients, of whom ...": a whole broken down next
_WHOLE_AFTER = re.compile(
    r"^\s*(?:\((?:mean|median|average)?\s*(?:age|aged)\b|,?\s*(?:consisting\s+of|comprising|of\s+whom))",
    re.IGNORECASE,
)
# "190 recipients in the FTR group", "30 patients in each arm": an arm, not the sample
_ARM_AFTER = re.compile(
    r"^\s*each\b|^\s*(?:[\w\-]+\s+){0,2}?(?:in|per)\s+(?:each|the|every)?\s*(?:[\w\-]+\s+){0,3}?(?:groups?|arms?)\b",
    re.IGNORECASE,
)
# "7 patients died": an event, counted among the sample
_EVENT_AFTER = re.compile(
    r"^\s*(?:died|developed|experienced|relapsed|recurred|suffered|required|needed|reported|"
    r"showed|presented|presenting|achieved|responded)\b",
    re.IGNORECASE,
)
_SENTENCE_END = re.compile(r"[.;](?=\s+[A-Z0-9(]|\s*$)")
# no leading \b (it makes every position expensive): the word boundary is checked by hand
_N_EQUALS = re.compile(r"([nN])\s*[=:]\s*" + _NUM)
_PEOPLE_BEFORE_N = re.compile(rf"\b{_PEOPLE}\s*[(\[]\s*$", re.IGNORECASE)
_PERCENT_BEFORE_N = re.compile(r"%\s*[,;]?\s*$")
# "12 normally sighted, 10 visually impaired, and 10 blind subjects": the noun ends a list
_LIST_BEFORE = re.compile(r"(?<![\d.,])\d{1,3}\s+[A-Za-z][^,.;:()\d]{0,40},\s*(?:and\s+|or\s+)?$")
# "a total of 36 women and 2 men": the total is the sum
_AND_MORE = re.compile(rf"^\s*and\s+{_NUM}{_MODIFIERS}\s+{_PEOPLE}\b", re.IGNORECASE)
# a bare "n = 10" in an animal study counts animals
_ANIMALS = frozenset(
    "rat rats mice mouse pig pigs piglet piglets swine dog dogs rabbit rabbits sheep monkey monkeys "
    "primate primates rodent rodents animal animals murine porcine canine ovine bovine equine".split()
)


# The words just before a count decide much of its strength. They are read as lower-case
# tokens (words, digits, single punctuation marks), which is much faster than regular
# expressions anchored at the end of a window.
_TAIL = re.compile(r"[a-z]+|\d+|[^\sa-z\d]")
_FILLERS = frozenset("the all a an our these first initial remaining".split())
# "we enrolled 86 women", "Of 450 children", "a cohort of 481 patients"
_ENROL_WORDS = frozenset(
    "enrolled enrolling included including recruited recruiting randomised randomized studied "
    "examined evaluated reviewed analysed analyzed investigated surveyed interviewed followed "
    "assessed involving involved among of".split()
)
# "consisting of 84 migraineurs", "groups of 30": parts of a whole
_PART_OF = frozenset("consisting composed comprised group groups".split())
# "in 2012 patients were ...": a year
_YEAR_WORDS = frozenset("in since from during until by between and to through".split())
# "occurred in 5 patients": an event, counted among the sample
_EVENT_VERBS = frozenset(
    "occurred occurring developed observed seen found noted reported detected documented diagnosed "
    "identified recorded happened".split()
)


def _is_total(tail: list[str]) -> bool:
    """'a total of', 'in total(,)', 'overall(,)', 'in all(,)', 'totally' right before the count."""
    if tail[-3:] == ["a", "total", "of"] or tail[-1:] == ["totally"]:
        return True
    words = tail[:-1] if tail[-1:] == [","] else tail
    return words[-1:] == ["overall"] or words[-2:] in (["in", "total"], ["in", "all"])


def _without_fillers(tail: list[str]) -> list[str]:
    end = len(tail)
    while end and tail[end - 1] in _FILLERS:
        end -= 1
    return tail[:end]


def _is_part(tail: list[str]) -> bool:
    """'including', 'consisting of', 'made up of', 'of whom', 'groups of', '17 of (the)', '28 (' before."""
    words = _without_fillers(tail)
    last = words[-1:]
    before_last = words[-2] if len(words) > 1 else ""
    if last == ["including"] or words[-2:] == ["of", "whom"] or words[-3:] == ["made", "up", "of"]:
        return True
    return last in (["of"], ["("]) and (before_last.isdigit() or (last == ["of"] and before_last in _PART_OF))


def _is_enrolment(tail: list[str]) -> bool:
    words = _without_fillers(tail)
    return bool(words) and (words[-1] in _ENROL_WORDS or words[-2:] == ["operated", "on"])


def _is_list_tail(tail: list[str], before: str) -> bool:
    """The last item of a list: '12 sighted, 10 impaired, and [10 blind subjects]'."""
    if not (tail[-1:] == [","] or (tail[-1:] in (["and"], ["or"]) and tail[-2:-1] == [","])):
        return False
    return _LIST_BEFORE.search(before) is not None


# (right after a people noun, capital N) -> strength; a bare "n = 268" is the weakest
_N_STRENGTH = {(True, True): 3, (True, False): 1, (False, True): 0, (False, False): 0}


@dataclass(frozen=True)
class Candidate:
    """One stated count: its value, strength (see the module docstring) and where it starts."""

    value: int
    strength: int
    start: int
    part: bool = False  # "including 55 patients": a part of the count before it


def words_to_digits(text: str, lower: str | None = None) -> str:
    """``text`` with spelled-out numbers written as digits and thousands separators removed.

    ``lower``: ``text.lower()``, when the caller already has it.
    """
    lower = text.lower() if lower is None else lower
    # substring tests are much faster than a regex over the text; the pattern then checks word edges
    present = [word for word in _NUMBER_WORDS if word in lower]
    if present:
        text = _word_number_pattern(tuple(sorted(present))).sub(lambda m: _word_value(m.group(0)), text)
    if _HAS_THOUSANDS.search(text) is None:
        return text
    return _THOUSANDS.sub(lambda m: m.group(1) + m.group(2).replace(",", ""), text)


@lru_cache(maxsize=1024)
def _word_number_pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """A pattern for runs of the given number words (only those a text holds: a short alternation
    is several times faster than one over all thirty words)."""
    alternation = r"(?:" + "|".join(sorted(words, key=len, reverse=True)) + r")"
    joined = r"(?:(?<=hundred)|(?<=thousand))\s+and\s+"
    return re.compile(rf"\b{alternation}(?:(?:\s+|-){alternation}|{joined}{alternation})*\b", re.IGNORECASE)


def _word_value(phrase: str) -> str:
    """'one hundred and eighty-two' -> '182'; a phrase that is not one number stays as it is."""
    total = current = 0
    last = None
    for word in re.split(r"[\s\-]+", phrase.lower()):
        if word == "and":
            continue
        if word in _SCALES:
            if word == "thousand":
                total += max(current, 1) * 1000
                current = 0
            else:
                current = max(current, 1) * 100
        else:
            value = _UNITS[word]
            if last is not None and last not in _SCALES and (value >= 10 or _UNITS[last] < 20):
                return phrase  # "two three", "twenty thirty": a list, not one number
            current += value
        last = word
    return str(total + current)


def candidates(abstract: str) -> list[Candidate]:
    """Every count of people the abstract states, with its strength."""
    text = " ".join(abstract.split())
    lower = text.lower()
    text = words_to_digits(text, lower)
    found: list[Candidate] = []
    list_tails: list[int] = []
    for match in _COUNT.finditer(text):
        if match.start() and text[match.start() - 1] in _NOT_A_START:
            continue  # the tail of "3.12", "1,204", "15-39"
        value = int(match.group(1))
        before = text[max(0, match.start() - 50) : match.start()]
        tail = _TAIL.findall(before.lower())
        if 1800 <= value <= 2100 and tail[-1:] and tail[-1] in _YEAR_WORDS:
            continue  # "in 2012 patients were ...": a year
        after = text[match.end() : match.end() + 120]
        if _is_list_tail(tail, before):
            list_tails.append(match.start())
            continue
        part = False
        if _is_total(tail):
            strength = 3
            more = _AND_MORE.match(after)
            value += int(more.group(1)) if more else 0
        elif _is_part(tail):
            strength, part = 1, True
        elif _WHOLE_AFTER.match(after) or _is_enrolment(tail) or _ENROL_AFTER.match(after):
            strength = 2
        else:
            strength = 1
        event = len(tail) > 1 and tail[-1] in ("in", "among") and tail[-2] in _EVENT_VERBS
        if strength < 3 and (_ARM_AFTER.match(after) or event):
            continue
        if strength == 1 and _EVENT_AFTER.match(after):
            continue
        found.append(Candidate(value, strength, match.start(), part))
    found = _drop_lists(found, text, list_tails)
    animals: bool | None = None  # found out only when a bare n = needs it
    for match in _N_EQUALS.finditer(text) if "=" in text or ":" in text else ():
        if match.start() and text[match.start() - 1].isalnum():
            continue  # "mean=", "Cmin = ": not an n
        before = text[max(0, match.start() - 40) : match.start()]
        if _PERCENT_BEFORE_N.search(before):
            continue
        strength = _N_STRENGTH[(_PEOPLE_BEFORE_N.search(before) is not None, match.group(1) == "N")]
        if strength == 0:
            if animals is None:
                animals = not _ANIMALS.isdisjoint(_LETTERS.findall(lower))
            if animals:
                continue
        found.append(Candidate(int(match.group(2)), strength, match.start()))
    return [c for c in found if c.value >= 2]


def _drop_lists(found: list[Candidate], text: str, list_tails: list[int]) -> list[Candidate]:
    """Sort out counts that share a sentence.

    A weak count followed in its sentence by a part of it ("82 patients ..., including 55
    patients treated") is a whole: it becomes strength 2. Other weak counts that share a
    sentence ("14 patients had an abscess, 10 patients had ... and 22 patients had ...") are
    parts of a whole the abstract does not state: they are dropped, and so is a weak count in a
    sentence whose later counts were read as the items of a list (``list_tails``).
    """
    if not list_tails and sum(1 for c in found if c.strength <= 1 or c.part) < 2:
        return found  # nothing shares a sentence: no need to find the sentences
    ends = [m.end() for m in _SENTENCE_END.finditer(text)]
    sentence = {c.start: sum(1 for e in ends if e <= c.start) for c in found}
    listed = {sum(1 for e in ends if e <= start) for start in list_tails}
    wholes = set()
    for c in found:
        if c.part:
            before = [o for o in found if o.start < c.start and sentence[o.start] == sentence[c.start]]
            if before:
                wholes.add(before[-1].start)
    promoted = [Candidate(c.value, 2, c.start) if c.start in wholes and c.strength < 2 else c for c in found]
    weak: dict[int, int] = {}
    for c in promoted:
        if c.strength <= 1 and not c.part:
            weak[sentence[c.start]] = weak.get(sentence[c.start], 0) + 1
    return [
        c
        for c in promoted
        if c.strength > 1 or c.part or (weak[sentence[c.start]] == 1 and sentence[c.start] not in listed)
    ]


def sample_size(abstract: str) -> int | None:
    """The number of participants the abstract states, or None when it states none clearly."""
    if not abstract:
        return None
    found = candidates(abstract)
    if not found:
        return None
    best = max(c.strength for c in found)
    return max(c.value for c in found if c.strength == best)


def sample_size_of_sections(sections: Iterable[tuple[str, str]]) -> int | None:
    """:func:`sample_size` of a structured abstract given as (label or category, text) pairs,
    without its background and conclusion sections (:data:`SKIPPED_SECTIONS`)."""
    kept = [text for label, text in sections if " ".join(label.lower().split()) not in SKIPPED_SECTIONS]
    return sample_size(" ".join(kept))
