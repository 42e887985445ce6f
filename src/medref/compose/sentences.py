"""Sentence splitting with exact offsets, and the sentence-level filters of the extractive composer.

:func:`split_sentences` cuts a passage into :class:`Span` objects whose ``start``/``end`` are
character offsets into the passage text, so ``text[span.start:span.end] == span.text`` always
holds and an answer sentence can cite the exact span it was taken from.

Splitting rules (deterministic, no model):

* A sentence ends at ``.``, ``!`` or ``?`` (optionally followed by closing quotes or
  brackets) that is followed by white space or the end of the text, **unless**
  - the word before the full stop is a known abbreviation ("e.g.", "i.e.", "i.v.", "vs.",
    "et al.", "Fig.", "approx.", "Dr." ...; "No."/"p."/"Ref." only before a number), or a
    dotted abbreviation such as "U.S." or "b.i.d.";
  - the next word starts with a lower-case letter (a sentence never does; "mRNA"/"eGFR"-like
    words with an inner capital or digit are the exception).
* Decimals ("2.5 mg", "1.73 m2", "p=0.01") never split: the full stop is not followed by space.
* Hard breaks: a blank line, or a new line that starts a list item ("-", "*", "•", "1.", "2)").
* List markers ("1. ", "2) ", "(a) ", "- ") at the start of a sentence are left out of the span.
* Label cross-references between sentences, such as "(4, 5.1);" or "(5.2)" in a drug label's
  highlights, belong to no sentence and are skipped.
* Semicolons never split: "Keywords: CD40 ligand; CD154; SLE." stays one span and
  :func:`is_label_list` says it is a label list rather than a claim.

Table passages are cut into rows with :func:`split_rows` instead; :func:`trim_long` cuts an
over-long sentence down to its ``;`` clauses.

The filters (:func:`is_quotable`: :func:`is_boilerplate`, :func:`is_heading`,
:func:`has_verb`, :func:`is_label_list`) decide which spans are claims worth quoting;
:func:`content_stems` gives the word set used for overlap and near-duplicate checks, and
:func:`mmr_select` picks sentences by maximal marginal relevance on it;
:class:`Entity` says whether a sentence itself names what the question asks about (names are
compared as folded letter/digit tokens, plurals made singular, so "CD40-L" matches "CD40L" and
"thromboembolic events" matches "thromboembolic event"; short all-capital forms such as "SLE"
keep their case).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Protocol, TypeVar

from medref.retrieve.lexnorm import case_key, needs_case, norm_key, singular
from medref.retrieve.query import STOPWORDS


@dataclass(frozen=True, slots=True)
class Span:
    """A sentence (or table row) and its offsets into the text it was cut from."""

    start: int
    end: int
    text: str


# Abbreviations whose full stop never ends a sentence (compared case-insensitively, with the dot).
ABBREVIATIONS = frozenset(
    [
        "e.g.",
        "i.e.",
        "i.v.",
        "i.m.",
        "s.c.",
        "p.o.",
        "vs.",
        "v.",
        "cf.",
        "al.",
        "approx.",
        "ca.",
        "fig.",
        "figs.",
        "dr.",
        "prof.",
        "mr.",
        "mrs.",
        "ms.",
        "st.",
        "jr.",
        "sr.",
        "inc.",
        "ltd.",
        "dept.",
        "univ.",
        "incl.",
        "resp.",
        "eq.",
        "suppl.",
    ]
)
# Abbreviations that do not end a sentence when a number follows ("No. 5", "p. 12", "Ref. 3").
NUMBER_ABBREVIATIONS = frozenset(
    ["no.", "nos.", "p.", "pp.", "ref.", "refs.", "vol.", "tab.", "table.", "ch."]
)

_END = re.compile(r"[.!?]+[\"'”’)\]]*(?=\s|$)")
_DOTTED = re.compile(r"^\(?(?:[A-Za-z]\.){2,}$")
_HARD_BREAK = re.compile(r"\n[ \t]*\n\s*|\n(?=[ \t]*(?:[-*•·▪]|\(?\d{1,3}[.)]|\([a-z]\))\s)")
_MARKER = re.compile(r"(?:[-*•·▪]|\(?\d{1,3}[.)]|\(?[a-z]\))\s+(?=\S)")
_XREF = re.compile(r"\(\d+(?:\.\d+)*(?:\s*,\s*\d+(?:\.\d+)*)*\)\s*[;,]?\s*")
_LEADING_SPACE = re.compile(r"\s*")
_LEAD = re.compile(rf"(?:\s+|{_XREF.pattern}|{_MARKER.pattern})*")
_NEXT_WORD = re.compile(r"\S+")


def _word_before(text: str, pos: int) -> str:
    """The white-space-delimited word that ends at ``pos`` (the terminator included)."""
    i = pos
    while i > 0 and not text[i - 1].isspace():
        i -= 1
    return text[i:pos]


def _starts_sentence(word: str) -> bool:
    """Whether ``word`` can open a sentence (not a lower-case continuation)."""
    first = word.lstrip("\"'“‘([")[:1]
    if not first:
        return True
    if not first.isalpha() or not first.islower():
        return True
    rest = word.lstrip("\"'“‘([")[1:]
    return any(c.isupper() or c.isdigit() for c in rest[:4])  # mRNA, eGFR, p53, iPSC


def _is_boundary(text: str, m: re.Match[str], block_end: int) -> bool:
    """Whether the terminator matched by ``m`` ends a sentence."""
    after = _LEADING_SPACE.match(text, m.end())
    nxt = after.end() if after else m.end()
    if nxt >= block_end:
        return True
    word_m = _NEXT_WORD.match(text, nxt, block_end)
    next_word = word_m.group() if word_m else ""
    if m.group().startswith(".") and len(m.group().rstrip("\"'”’)]")) == 1:
        word = _word_before(text, m.start() + 1).lstrip("([\"'“")
        low = word.lower()
        if low in ABBREVIATIONS or _DOTTED.match(word):
            return False
        if low in NUMBER_ABBREVIATIONS and next_word[:1].isdigit():
            return False
    return _starts_sentence(next_word)


def _skip_lead(text: str, pos: int, end: int) -> int:
    """Skip white space, cross-references and list markers at the start of a sentence."""
    m = _LEAD.match(text, pos, end)
    return m.end() if m else pos


def _blocks(text: str) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    pos = 0
    for m in _HARD_BREAK.finditer(text):
        out.append((pos, m.start()))
        pos = m.end()
    out.append((pos, len(text)))
    return out


def _emit(text: str, start: int, end: int, out: list[Span]) -> None:
    start = _skip_lead(text, start, end)
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        out.append(Span(start, end, text[start:end]))


def split_sentences(text: str) -> list[Span]:
    """Cut ``text`` into sentences; every span is an exact slice of ``text`` (see module docstring)."""
    out: list[Span] = []
    for b_start, b_end in _blocks(text):
        start = _skip_lead(text, b_start, b_end)
        for m in _END.finditer(text, start, b_end):
            if m.start() < start:
                continue
            if _is_boundary(text, m, b_end):
                _emit(text, start, m.end(), out)
                start = _skip_lead(text, m.end(), b_end)
        if start < b_end:
            _emit(text, start, b_end, out)
    return out


def trim_long(spans: Iterable[Span], max_chars: int, *, keep: Callable[[str], bool]) -> Iterator[Span]:
    """Spans up to ``max_chars`` as they are; longer ones cut to their ``;`` clauses that ``keep`` accepts."""
    for span in spans:
        if len(span.text) <= max_chars:
            yield span
            continue
        pos = span.start
        for part in span.text.split(";"):
            lead = len(part) - len(part.lstrip())
            clause = part.strip()
            start = pos + lead
            pos += len(part) + 1
            if clause and len(clause) <= max_chars and keep(clause):
                yield Span(start, start + len(clause), clause)


def split_rows(text: str) -> list[Span]:
    """One span per non-empty line of a table passage ("cell | cell | cell")."""
    out: list[Span] = []
    pos = 0
    for line in text.split("\n"):
        stripped = line.strip()
        if stripped:
            lead = len(line) - len(line.lstrip())
            out.append(Span(pos + lead, pos + lead + len(stripped), stripped))
        pos += len(line) + 1
    return out


# ------------------------------------------------------------------------- filters

_BOILERPLATE = re.compile(
    r"illustrative record written for the medref demo|\bmedref demo\b|not medical advice|\bnot real data\b"
    r"|\bnot a real\b|not real clinical guidance|\bcopyright\b|©|all rights reserved|\bdisclaimer\b"
    r"|\b(?:is|are|were) (?:illustrative|invented)\b|\binvented for\b|^illustrative document\b"
    r"|\bmust not be used for clinical decisions\b|\bdo not use (?:them|it|this) to make decisions\b",
    re.IGNORECASE,
)
_CAPTION = re.compile(r"^(?:table|figure|fig\.|box|appendix|supplementary)\s*[\dA-Z]*[.:]", re.IGNORECASE)
_TOKEN = re.compile(r"[^\W_]+(?:['’-][^\W_]+)*")
_WORDPART = re.compile(r"[^\W_]+")


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


_AUX = _words(
    "is are was were be been being has have had do does did can could may might should must will would "
    "shall remain remains remained seems appear appears"
)
_VERB_STEMS = _words(
    """
    accept act add adjust administer advise affect allow appear apply assess associate avoid base bind
    block carry cause change compare confirm consider continue contribute cover cross decrease delay
    depend develop differ dilute discontinue discuss drive enhance evaluate exceed expose explain favour
    favor follow give help hold improve include increase indicate infuse inhibit interrupt involve keep
    lack lead limit lower maintain measure mediate monitor need observe occur offer plan preserve prevent
    produce prolong promote protect provide raise reach receive recommend reconstitute reduce reflect
    remain replace report require reserve respond rest result rise screen seem show start stop suggest
    support switch take taper tell tend test treat use weigh work worsen
    """
)
_REC = re.compile(
    r"\b(?:should|must|recommends?|recommended|we suggest|is indicated|are indicated|indicated for"
    r"|contraindicated|reserved for|first[- ]line|preferred|is essential|remain essential)\b"
    r"|(?:^|[;:] |, and |, then )(?:avoid|monitor|screen for|consider|confirm|do not|check|evaluate)\b",
    re.IGNORECASE,
)
_IMPERATIVE = re.compile(
    r"^(?:avoid|monitor|screen|consider|confirm|use|do not|discontinue|stop|start|check|assess|evaluate"
    r"|reduce|adjust|weigh|advise|tell|explain|reconstitute|dilute|infuse|administer|give)\b",
    re.IGNORECASE,
)
_DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?(?:\s*(?:to|-|–)\s*\d+(?:[.,]\d+)?)?\s*(?:mg|mcg|µg|μg|g|units?|IU|iu|mmol)"
    r"(?:/(?:kg|m2|m²|day|d|h|hour|dose|mL|L))?\b"
)


def is_boilerplate(text: str) -> bool:
    """Disclaimers, demo markers, copyright lines and similar text that is not a claim."""
    return _BOILERPLATE.search(text) is not None


def is_heading(text: str) -> bool:
    """A heading or caption: 'Table 1: ...', an all-capitals line, or a short unpunctuated line."""
    stripped = text.strip()
    if _CAPTION.match(stripped):
        return True
    letters = [c for c in stripped if c.isalpha()]
    if letters and all(c.isupper() for c in letters) and len(letters) > 3:
        return True
    return not stripped.endswith((".", "!", "?", ")", "]", '"', "”")) and len(stripped.split()) <= 12


def _is_verb(token: str) -> bool:
    low = token.lower()
    if low in _AUX:
        return True
    if len(low) >= 5 and low.endswith("ed") and low.isalpha():
        return True
    if low in _VERB_STEMS:
        return True
    for suffix in ("s", "es", "d", "ed", "ing"):
        if low.endswith(suffix) and low[: -len(suffix)] in _VERB_STEMS:
            return True
    return low.endswith("ies") and low[:-3] + "y" in _VERB_STEMS


def has_verb(text: str) -> bool:
    """A cheap verb test: an auxiliary, a known clinical verb in any form, or an '-ed' word."""
    return any(_is_verb(t) for t in _TOKEN.findall(text))


def is_label_list(text: str) -> bool:
    """'Keywords: a; b; c.' or 'Interventions: Drug: X; Drug: Y.' -- a list of labels, not a claim."""
    parts = [p.strip(" .") for p in text.split(";")]
    if len(parts) < 2:
        return False
    if all(len(p.split()) <= 5 for p in parts):
        return True
    return re.match(r"^[A-Z][\w /-]{0,40}:\s", text) is not None and not has_verb(text.split(":", 1)[1])


def is_recommendation(text: str) -> bool:
    """should / recommend(ed) / monitor / avoid / must / consider / is indicated ... wording."""
    return _REC.search(text) is not None or _IMPERATIVE.match(text.strip()) is not None


def has_dose(text: str) -> bool:
    """Whether the text states an amount such as '10 mg/kg', '250 mg' or '1000 mg twice daily'."""
    return _DOSE.search(text) is not None


def is_quotable(
    text: str, *, table: bool = False, dosing: bool = False, min_chars: int = 30, max_chars: int = 400
) -> bool:
    """Whether a span can be published as a claim (table rows: only rows that state a dose)."""
    if len(text) < min_chars or len(text) > max_chars or is_boilerplate(text) or is_label_list(text):
        return False
    if table:
        return has_dose(text)
    if is_heading(text):
        return False
    return has_verb(text) or (dosing and has_dose(text))


_WORD_FAMILIES = {w: "dose" for w in ("doses", "dosing", "dosage", "dosages", "dosed")}


def stem(token: str) -> str:
    """A crude stem: case-folded, long words cut to their first six characters (dose / dosing /
    dosage, which that cut keeps apart, are one family)."""
    low = token.casefold()
    low = _WORD_FAMILIES.get(low, low)
    return low[:6] if len(low) > 6 else low


def content_stems(text: str) -> frozenset[str]:
    """Stems of the content words of ``text`` (no stopwords, no single characters)."""
    out = set()
    for t in _WORDPART.findall(text):
        low = t.casefold()
        if low in STOPWORDS or (len(low) < 2 and not low.isdigit()):
            continue
        out.add(stem(low))
    return frozenset(out)


CONTAINED = 0.9


def contained(a: frozenset[str], b: frozenset[str]) -> bool:
    """Whether the shorter of two stem sets (of at least 3 stems) is almost wholly inside the longer."""
    small, large = (a, b) if len(a) <= len(b) else (b, a)
    return len(small) >= 3 and len(small & large) >= CONTAINED * len(small)


def jaccard(a: frozenset[str], b: frozenset[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


class Scored(Protocol):
    relevance: float
    stems: frozenset[str]


S = TypeVar("S", bound=Scored)


def mmr_select(
    pool: Sequence[S],
    k: int,
    *,
    chosen: Sequence[S] = (),
    lam: float = 0.7,
    duplicate: float = 0.6,
    allowed: Callable[[S, list[S]], bool] | None = None,
) -> list[S]:
    """Pick up to ``k`` items by maximal marginal relevance.

    Each step takes the item maximising ``lam * relevance - (1 - lam) * max similarity`` to the
    items already chosen (``chosen`` plus those picked so far), with relevance scaled to [0, 1]
    within ``pool`` and word-stem Jaccard as similarity. Items at least ``duplicate``-similar to a
    chosen one, or whose words are almost all inside it (or it inside them: :func:`contained`),
    are dropped for good; ``allowed(item, picked)`` can veto an item for this step
    (caps). Ties keep ``pool`` order, so a pool sorted by (relevance, position) gives a
    deterministic result.
    """
    taken = {id(c) for c in chosen}
    remaining = [c for c in pool if id(c) not in taken]
    top = max((c.relevance for c in remaining), default=0.0)
    low = min((c.relevance for c in remaining), default=0.0)
    spread = top - low
    picked: list[S] = []
    while remaining and len(picked) < k:
        best: S | None = None
        best_val = float("-inf")
        keep: list[S] = []
        for c in remaining:
            others = (*chosen, *picked)
            sim = max((jaccard(c.stems, o.stems) for o in others), default=0.0)
            if sim >= duplicate or any(contained(c.stems, o.stems) for o in others):
                continue  # a repeat of something already chosen
            keep.append(c)
            if allowed is not None and not allowed(c, picked):
                continue
            rel = (c.relevance - low) / spread if spread > 0 else 1.0
            val = lam * rel - (1 - lam) * sim
            if val > best_val + 1e-12:
                best, best_val = c, val
        if best is None:
            break
        picked.append(best)
        remaining = [c for c in keep if c is not best]
    return picked


# ------------------------------------------------------------------------- names

_DRUG_LIKE = re.compile(
    r"(?:mab|nib|cept|statin|sartan|pril|olol|dipine|azole|cycline|mycin|floxacin|vir|gliptin"
    r"|gliflozin|lukast|tidine|prazole|setron|triptan|zomib|parin|platin|glutide)$"
)
_NOT_DRUGS = frozenset(["intercept", "concept", "percept", "accept", "except", "receptor"])
_LONG_WORD = re.compile(r"[A-Za-z][A-Za-z0-9-]{5,}")


def drug_like_words(text: str) -> list[str]:
    """Words shaped like drug names by their stem (-mab, -nib, -cept, -statin ...), lower-cased, once each."""
    out: dict[str, None] = {}
    for m in _LONG_WORD.finditer(text):
        word = m.group().lower()
        if word not in _NOT_DRUGS and _DRUG_LIKE.search(word):
            out.setdefault(word, None)
    return list(out)


@lru_cache(maxsize=8192)
def _fold(text: str) -> str:
    return " ".join(singular(t) or t for t in norm_key(text).split())


@dataclass(frozen=True)
class Entity:
    """Something a question asks about, with every name it was searched under."""

    name: str
    names: tuple[str, ...]
    known: bool = True  # False: a drug-like word the lexicon does not know
    kind: str = "other"
    primary: tuple[str, ...] = ()  # its own names and member drugs (not the targets it acts on)

    def mentioned_in(self, text: str, *, primary: bool = False) -> bool:
        """Whether ``text`` names the entity (``primary``: by its own names or a member drug's)."""
        folded = f" {_fold(text)} "
        cased: str | None = None
        for n in self.primary if primary else self.names:
            if needs_case(n):
                cased = cased if cased is not None else f" {case_key(text)} "
                if f" {case_key(n)} " in cased:
                    return True
            elif f" {_fold(n)} " in folded:
                return True
        return False
