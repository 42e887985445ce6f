"""The plain-language lexicon: clinical terms -> plain words with the same meaning.

The entries live in ``plain_terms.json`` next to this module (written for medref; grouped by
topic only for the reader). :func:`load_plain_terms` reads them once and returns a
:class:`PlainLexicon`, whose :meth:`PlainLexicon.replace` rewrites a text:

*   **terms** are matched whole-word (a letter, digit or underscore may not touch either end;
    a hyphen may, so "EBV-seronegative" can use its own entry and "non-renal" becomes
    "non-kidney"), **longest key first**, in one pass, so a replacement is never rewritten again.
    Keys with two or more capital letters ("CNS", "EBV-seronegative") match case-sensitively,
    others in any case, except that a capitalised term inside a sentence is taken to be part of
    a name ("Food and Drug Administration") and left alone. A replacement at the start of a
    sentence is capitalised, and an "a"/"an" right before it is fixed to suit the new words (or
    dropped when the new words bring their own article). "X-treated patients" is reordered to
    "patients treated with X".
*   **acronyms** are named conditions, viruses and tests a patient will meet again: the first
    mention on the page becomes "plain words (ACRONYM)" ("ACRONYM (plain words)" when it is used
    like an adjective: "the PTLD risk"), later mentions stay as the acronym, and a term whose
    plain words end in an acronym already explained is shortened to the acronym. An acronym
    already in parentheses ("... disorder (PTLD)") counts as introduced.
*   Citation markers such as ``[1]`` or ``[2, 3]`` and numbers are never touched.

Every value is checked at load time not to contain a key, so adapting an adapted text again
changes nothing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Any

MARKER = re.compile(r"\[\d+(?:\s*[,–-]\s*\d+)*\]")
_SENTENCE_START = re.compile(r"(?:^|[.!?:]\s+)[\"'(\[]*$")
_ARTICLE_BEFORE = re.compile(r"(?<![\w-])(?P<art>[Aa]n?)\s+$")
_DETERMINER_BEFORE = re.compile(
    r"(?<![\w-])(?:the|a|an|this|that|these|those|its|their|his|her|your|our|my|whose|any|no|each|every)\s+$",
    re.I,
)
_TREATED = re.compile(
    r"(?<![\w-])([A-Za-z][A-Za-z0-9]*)-treated\s+(patients|recipients|participants|adults|people)\b", re.I
)
# an acronym used like an adjective ("the PTLD risk", "EBV status")
_ATTRIBUTIVE = re.compile(
    r"\s+(?:risk|risks|status|infection|infections|case|cases|test|tests|testing|level|levels|load|"
    r"disease|patients|recipients|symptoms|signs|treatment|therapy|rate|rates|incidence|screening|"
    r"monitoring|antibodies|antibody|prophylaxis|serostatus|exposure|reactivation|type|group)\b"
)
_GLOSS = re.compile(r"\(([^()]+)\)")
_OWN_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.I)
_VOWEL_SOUND = re.compile(
    r"^(?:[aei]|o(?!ne\b)|u(?!r|ni|se|su|ti|te|sa)|hour|honest|[AEFHILMNORSX](?:[A-Z]|\b))"
)


def _case_sensitive(key: str) -> bool:
    return sum(ch.isupper() for ch in key) >= 2


def _norm(key: str) -> str:
    return " ".join(key.split())


def _pattern(keys: list[str], *, flags: bool) -> str:
    parts = []
    for key in sorted(keys, key=len, reverse=True):
        body = r"\s+".join(re.escape(word) for word in key.split())
        parts.append(f"(?i:{body})" if flags and not _case_sensitive(key) else body)
    return "|".join(parts)


@dataclass
class PlainLexicon:
    """Term and acronym tables with their compiled whole-word patterns."""

    terms: dict[str, str]
    acronyms: dict[str, str]
    _ci: dict[str, str] = field(init=False, repr=False)
    _cs: dict[str, str] = field(init=False, repr=False)
    _term_rx: re.Pattern[str] = field(init=False, repr=False)
    _acr_rx: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._cs = {_norm(k): v for k, v in self.terms.items() if _case_sensitive(k)}
        self._ci = {_norm(k).casefold(): v for k, v in self.terms.items() if not _case_sensitive(k)}
        self._term_rx = re.compile(r"(?<![\w])(?:" + _pattern(list(self.terms), flags=True) + r")(?![\w])")
        acr = "|".join(re.escape(a) for a in sorted(self.acronyms, key=len, reverse=True))
        self._acr_rx = re.compile(rf"(?<![\w-])(?:{acr})(?![\w])")

    @property
    def glosses(self) -> frozenset[str]:
        """The parenthetical explanations the lexicon itself writes, such as "no antibodies"."""
        return frozenset(g for value in self.terms.values() for g in _GLOSS.findall(value))

    def __len__(self) -> int:
        return len(self.terms)

    def plain(self, term: str) -> str | None:
        """The plain words for one term, or None when it is not in the lexicon."""
        key = _norm(term)
        if key in self._cs:
            return self._cs[key]
        return self._ci.get(key.casefold()) if not _case_sensitive(key) else None

    def replace(self, text: str, *, introduced: set[str] | None = None) -> str:
        """Rewrite ``text`` in plain words; ``introduced`` carries acronyms already explained on the page."""
        seen = introduced if introduced is not None else set()
        pieces: list[str] = []
        last = 0
        for marker in MARKER.finditer(text):
            pieces.append(self._replace_segment(text[last : marker.start()], pieces, seen))
            pieces.append(marker.group(0))
            last = marker.end()
        pieces.append(self._replace_segment(text[last:], pieces, seen))
        return "".join(pieces)

    # ------------------------------------------------------------------ internals

    def _replace_segment(self, segment: str, done: list[str], seen: set[str]) -> str:
        if not segment:
            return segment
        prefix = "".join(done)
        segment = _TREATED.sub(lambda m: _treated(m, prefix), segment)
        out: list[str] = []
        last = 0
        for match in self._term_rx.finditer(segment):
            value = self.plain(match.group(0))
            if value is None:  # pragma: no cover - the pattern only holds keys
                continue
            value = self._shorten(value, seen)
            head = segment[last : match.start()]
            before = prefix + "".join(out) + head
            if _proper_name(match.group(0), before):
                continue
            art = _ARTICLE_BEFORE.search(head)
            if art is not None and _OWN_ARTICLE.match(value):
                head = head[: art.start()]
                before = prefix + "".join(out) + head
                value = _capitalise(value) if art.group("art")[0].isupper() else value
            elif art is not None:
                head = head[: art.start()] + _article_for(value, capital=art.group("art")[0].isupper()) + " "
            elif _DETERMINER_BEFORE.search(before) and _OWN_ARTICLE.match(value):
                value = _OWN_ARTICLE.sub("", value, count=1)
            if _SENTENCE_START.search(before) and match.group(0)[0].isupper():
                value = _capitalise(value)
            out.append(head)
            out.append(value)
            last = match.end()
        out.append(segment[last:])
        return self._expand_acronyms("".join(out), seen)

    def _shorten(self, value: str, seen: set[str]) -> str:
        """Inside new words, "plain words (ACR)" becomes "ACR" once ACR was explained on the page."""
        for acronym in seen:
            plain = self.acronyms.get(acronym)
            if plain is None or f"({acronym})" not in value:
                continue
            bare = _OWN_ARTICLE.sub("", plain, count=1)
            value = re.sub(rf"(?:(?:a|an|the)\s+)?{re.escape(bare)} \({re.escape(acronym)}\)", acronym, value)
        return value

    def _expand_acronyms(self, text: str, seen: set[str]) -> str:
        out: list[str] = []
        last = 0
        for match in self._acr_rx.finditer(text):
            acronym = match.group(0)
            inside = (
                text[match.start() - 1 : match.start()] == "(" and text[match.end() : match.end() + 1] == ")"
            )
            if inside or acronym in seen:
                seen.add(acronym)
                continue
            seen.add(acronym)
            head = text[last : match.start()]
            value = self.acronyms[acronym]
            out.append(head)
            if _ATTRIBUTIVE.match(text, match.end()):  # "the PTLD risk": name first, words in brackets
                out.append(f"{acronym} ({value})")
            else:
                if _DETERMINER_BEFORE.search(head) and _OWN_ARTICLE.match(value):
                    value = _OWN_ARTICLE.sub("", value, count=1)
                if _SENTENCE_START.search("".join(out)):
                    value = _capitalise(value)
                out.append(f"{value} ({acronym})")
            last = match.end()
        out.append(text[last:])
        return "".join(out)


def _proper_name(found: str, before: str) -> bool:
    """A lower-case term written with a capital inside a sentence is part of a name ("Food and Drug
    Administration", "American Society of Transplantation"): leave it."""
    return (
        found[:1].isupper()
        and not found.isupper()
        and not _case_sensitive(found)
        and not _SENTENCE_START.search(before)
    )


def _treated(match: re.Match[str], prefix: str) -> str:
    """ "belatacept-treated recipients" -> "recipients treated with belatacept" (same words, plain order)."""
    drug, group = match.group(1), match.group(2)
    if _SENTENCE_START.search(prefix + match.string[: match.start()]) and drug[:1].isupper():
        group = _capitalise(group)
        if not _case_sensitive(drug):
            drug = drug[:1].lower() + drug[1:]
    return f"{group} treated with {drug}"


def _capitalise(text: str) -> str:
    return text[:1].upper() + text[1:]


def _article_for(words: str, *, capital: bool) -> str:
    art = "an" if _VOWEL_SOUND.match(words) else "a"
    return _capitalise(art) if capital else art


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in pairs:
        if key in out:
            raise ValueError(f"plain_terms.json: {key!r} appears twice")
        out[key] = value
    return out


@lru_cache(maxsize=1)
def load_plain_terms() -> PlainLexicon:
    """Read ``plain_terms.json`` once (it ships inside the package)."""
    text = resources.files("medref.compose").joinpath("plain_terms.json").read_text("utf-8")
    raw = json.loads(text, object_pairs_hook=_no_duplicates)
    terms: dict[str, str] = {}
    for group, entries in raw["terms"].items():
        for key, value in entries.items():
            norm = _norm(key)
            if norm in terms:
                raise ValueError(f"plain_terms.json: {key!r} appears twice (again in {group!r})")
            terms[norm] = value
    lexicon = PlainLexicon(terms=terms, acronyms=dict(raw["acronyms"]))
    for key, value in terms.items():
        if lexicon._term_rx.search(value):
            raise ValueError(f"plain_terms.json: the plain words for {key!r} contain another term: {value!r}")
    return lexicon
