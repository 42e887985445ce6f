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

from medref.compose.abbreviations import ABBREVIATION, curated
from medref.compose.plain_check import FUNCTION_WORDS

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
    r"monitoring|antibodies|antibody|prophylaxis|serostatus|exposure|reactivation|type|group|scan|scans|"
    r"findings|criteria|interference|titer|titers|titre|titres|values|positivity|activity|flare|flares|"
    r"score|scores|assay|assays|inhibitor|inhibitors|receptor|receptors|blockers?|agents?|drugs?)\b"
)
_GLOSS = re.compile(r"\(([^()]+)\)")
_OWN_ARTICLE = re.compile(r"^(?:a|an|the)\s+", re.I)
_VOWEL_SOUND = re.compile(
    r"^(?:[aei]|o(?!ne\b)|u(?!r|ni|se|su|ti|te|sa)|hour|honest|[AEFHILMNORSX](?:[A-Z]|\b))"
)


_OPENED = re.compile(r"\(\s*$")
_GLOSSED = re.compile(r"\s\((?![\s\d])[^()]*[a-z][^()]*\)")
_LINK_WORDS = frozenset({"of", "in", "on", "at", "to", "for", "with", "by", "from", "and", "or"})
_JOINERS = frozenset({"/", " or ", " and ", ", "})
_NEAR = 5  # words either side that a plain value must not repeat
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_LAST_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*(?=\s+$)")
_FIRST_WORD = re.compile(r"\s+([A-Za-z][A-Za-z'-]*)")


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


@dataclass(frozen=True)
class ShortForm:
    """Shorter plain words for a value whose extra words the sentence already says."""

    short: str
    when: frozenset[str]  # lower-case words; one of them near the term selects the short form


@dataclass
class PlainLexicon:
    """Term and acronym tables with their compiled whole-word patterns."""

    terms: dict[str, str]
    acronyms: dict[str, str]
    short_forms: dict[str, ShortForm] = field(default_factory=dict)
    _ci: dict[str, str] = field(init=False, repr=False)
    _cs: dict[str, str] = field(init=False, repr=False)
    _term_rx: re.Pattern[str] = field(init=False, repr=False)
    _acr_rx: re.Pattern[str] = field(init=False, repr=False)
    _any_rx: re.Pattern[str] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._cs = {_norm(k): v for k, v in self.terms.items() if _case_sensitive(k)}
        self._ci = {_norm(k).casefold(): v for k, v in self.terms.items() if not _case_sensitive(k)}
        self._term_rx = re.compile(r"(?<![\w])(?:" + _pattern(list(self.terms), flags=True) + r")(?![\w])")
        acr = "|".join(re.escape(a) for a in sorted(self.acronyms, key=len, reverse=True))
        self._acr_rx = re.compile(rf"(?<![\w-])(?:{acr})(?![\w])")
        self._any_rx = re.compile(rf"{self._acr_rx.pattern}|{ABBREVIATION.pattern}")

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

    def replace(
        self, text: str, *, introduced: set[str] | None = None, definitions: dict[str, str] | None = None
    ) -> str:
        """Rewrite ``text`` in plain words.

        ``introduced`` carries abbreviations already explained on the page; ``definitions`` are the
        sources' own long forms (:func:`medref.compose.abbreviations.source_definitions`), which
        explain an abbreviation before the lexicon's acronyms and the curated table do.
        """
        seen = introduced if introduced is not None else set()
        defined = definitions or {}
        pieces: list[str] = []
        last = 0
        for marker in MARKER.finditer(text):
            pieces.append(self._replace_segment(text[last : marker.start()], pieces, seen, defined))
            pieces.append(marker.group(0))
            last = marker.end()
        pieces.append(self._replace_segment(text[last:], pieces, seen, defined))
        return "".join(pieces)

    # ------------------------------------------------------------------ internals

    def explain(self, text: str, *, introduced: set[str], definitions: dict[str, str] | None = None) -> str:
        """Only explain abbreviations (first mention on the page, see :meth:`replace`); terms stay."""
        pieces: list[str] = []
        last = 0
        for marker in MARKER.finditer(text):
            pieces.append(self._expand_acronyms(text[last : marker.start()], introduced, definitions or {}))
            pieces.append(marker.group(0))
            last = marker.end()
        pieces.append(self._expand_acronyms(text[last:], introduced, definitions or {}))
        return "".join(pieces)

    def _replace_segment(self, segment: str, done: list[str], seen: set[str], defined: dict[str, str]) -> str:
        if not segment:
            return segment
        return self._expand_acronyms(self._terms(segment, "".join(done), seen), seen, defined)

    def _terms(self, segment: str, prefix: str, seen: set[str]) -> str:
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
            opened = _OPENED.search(before)
            if opened is not None and before[: opened.start()].rstrip().endswith(value):
                continue  # "central nervous system (CNS)": the source's own abbreviation stays
            if out and head in _JOINERS and _same_words(value, out[-1]):
                if value == out[-1]:  # "X/Y" with the same plain words for both: say them once
                    last = match.end()
                continue  # "scarring/scarring of the liver": keep the second term
            fitted = self._fit(value, segment, match, before)
            if fitted is None:  # the plain words would repeat what the sentence says: keep the term
                continue
            value = fitted
            if not value:  # "incidence rate" -> "rate": the next word already says it
                out.append(head.rstrip())
                last = match.end()
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
        return "".join(out)

    def _fit(self, value: str, segment: str, match: re.Match[str], before: str) -> str | None:
        """Fit the plain words to their neighbours so that nothing is said twice.

        A value with a short form takes it when the sentence already says one of its extra words
        ("approved for any indication" -> "any use", never "any approved use"); a first or last word
        that the next or previous word repeats is dropped ("treatment regimen" -> "treatment plan",
        "incidence rate" -> "rate"); a value that would still repeat a content word said close by
        is not used (None: the source term stays).
        """
        words = (
            _content_words(segment[: match.start()])[-_NEAR:] + _content_words(segment[match.end() :])[:_NEAR]
        )
        near = {w.lower() for w in words}
        form = self.short_forms.get(value)
        if form is not None and near & form.when:
            value = form.short
        parts = value.split()
        prev = _LAST_WORD.search(before)
        if parts and prev is not None and prev.group(0).lower() == parts[0].lower():
            parts = parts[1:]
        nxt = _FIRST_WORD.match(segment, match.end())
        follows = (
            {nxt.group(1).lower(), *(self.plain(nxt.group(1)) or "").lower().split()[:1]} if nxt else set()
        )
        if parts and parts[-1].lower() in follows:
            parts = parts[:-1]
        value = " ".join(parts)
        own = {w.lower() for w in _WORD.findall(match.group(0))}
        if {w.lower() for w in _content_words(value)} & near - own:
            return None
        return value

    def _shorten(self, value: str, seen: set[str]) -> str:
        """Inside new words, "plain words (ACR)" becomes "ACR" once ACR was explained on the page."""
        for acronym in seen:
            plain = self.acronyms.get(acronym)
            if plain is None or f"({acronym})" not in value:
                continue
            bare = _OWN_ARTICLE.sub("", plain, count=1)
            value = re.sub(rf"(?:(?:a|an|the)\s+)?{re.escape(bare)} \({re.escape(acronym)}\)", acronym, value)
        return value

    def _explanation(self, abbreviation: str, defined: dict[str, str], seen: set[str]) -> str | None:
        """The plain words for an abbreviation: the source's own long form, else the lexicon's, else
        the curated table's; None when none knows it."""
        value = defined.get(abbreviation) or self.acronyms.get(abbreviation) or curated().get(abbreviation)
        if value is None:
            return None
        plain = self._terms(value, "", set(seen) | {abbreviation})
        first = plain.split()[0] if plain.split() else ""
        if abbreviation in plain.split() or (first.lower() in _LINK_WORDS and first != value.split()[0]):
            return value  # "idiopathic pulmonary fibrosis" reads badly as "of unknown cause lung scarring"
        return plain

    def _expand_acronyms(self, text: str, seen: set[str], defined: dict[str, str]) -> str:
        out: list[str] = []
        last = 0
        for match in self._any_rx.finditer(text):
            acronym = match.group(0)
            # "(SLE)", "( RA )", "PTLD (a type of ...)": explained where it stands
            inside = _OPENED.search(text, 0, match.start()) is not None or _GLOSSED.match(text, match.end())
            if inside or acronym in seen:
                seen.add(acronym)
                continue
            found = self._explanation(acronym, defined, seen)
            if found is None:
                continue
            head = text[last : match.start()]
            value = found
            prev = _LAST_WORD.search(head)
            if prev is not None and prev.group(0).lower() == value.split()[0].lower():
                continue  # "of" + "of unknown cause ...": explain it at a later mention
            art = _ARTICLE_BEFORE.search(head)
            near = {w.lower() for w in _content_words(text[:last] + head)[-_NEAR:]}
            near |= {w.lower() for w in _content_words(text[match.end() :])[:_NEAR]}
            if near & {w.lower() for w in _content_words(value)}:
                continue  # "IgG antibody levels": the words would be said twice; explain it later
            seen.add(acronym)
            attributive = _ATTRIBUTIVE.match(text, match.end()) is not None
            if (
                art is not None and not attributive and _OWN_ARTICLE.match(value)
            ):  # "an RNA" -> "a copy of ..."
                head = head[: art.start()]
                value = _capitalise(value) if art.group("art")[0].isupper() else value
            elif art is not None and not attributive:  # "an SLE flare" -> "a lupus (SLE) flare"
                head = head[: art.start()] + _article_for(value, capital=art.group("art")[0].isupper()) + " "
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


def _same_words(value: str, previous: str) -> bool:
    """Does one of two neighbouring plain values start with the other ("scarring", "scarring of the liver")?"""
    a, b = value.lower().split(), previous.lower().split()
    return bool(a and b) and (a[: len(b)] == b or b[: len(a)] == a)


def _content_words(text: str) -> list[str]:
    return [w for w in _WORD.findall(text) if len(w) >= 4 and w.lower() not in FUNCTION_WORDS]


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
    short_forms = {
        value: ShortForm(short=form["short"], when=frozenset(w.lower() for w in form["when"]))
        for value, form in raw.get("short_forms", {}).items()
        if not value.startswith("_")
    }
    lexicon = PlainLexicon(terms=terms, acronyms=dict(raw["acronyms"]), short_forms=short_forms)
    for key, value in [*terms.items(), *((f"short form of {v!r}", f.short) for v, f in short_forms.items())]:
        if lexicon._term_rx.search(value):
            raise ValueError(f"plain_terms.json: the plain words for {key!r} contain another term: {value!r}")
    return lexicon
