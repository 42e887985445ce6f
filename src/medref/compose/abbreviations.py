"""Abbreviations for the patient page: what "SLE", "CKD" or "IV" stand for, in plain words.

Two sources, in this order:

1.  **The source's own definition**: a long form written just before the abbreviation in
    parentheses somewhere in the cited passages, their titles or the page ("systemic lupus
    erythematosus (SLE)"). :func:`source_definitions` finds them; the long form must spell the
    abbreviation's letters in order, the first letter at the start of its first word (my own
    simple version of the usual initials-matching rule, no model).
2.  **The curated table** ``abbreviations.json`` (written for medref in our own words; see its
    ``about``): common clinical abbreviations a patient meets without a definition.

The lexicon's own acronyms (``plain_terms.json``) sit between the two: a source definition wins
over them, since an abbreviation can mean different things in different fields ("RA").
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources

# an abbreviation: two to eight characters, at least two capitals, may end in a plural "s"
ABBREVIATION = re.compile(r"(?<![\w-])(?=(?:[a-z0-9-]*[A-Z]){2})[A-Za-z][A-Za-z0-9-]{1,7}(?![\w-])")
_DEFINED = re.compile(r"\(\s*([A-Za-z][A-Za-z0-9-]{1,9})\s*[);,]")
_WORD = re.compile(r"[A-Za-z0-9][A-Za-z0-9'-]*")
_STOP = {"of", "the", "and", "in", "for", "with", "to", "on", "a", "an", "by", "or"}
_MAX_WORDS = 8


def _letters(abbreviation: str) -> str:
    core = abbreviation[:-1] if abbreviation.endswith("s") and abbreviation[:-1].isupper() else abbreviation
    return "".join(ch.lower() for ch in core if ch.isalnum())


def _spells(words: list[str], letters: str) -> bool:
    """Do ``words`` spell ``letters`` in order, the first letter opening the first word and every
    word that is not a small link word giving at least one letter?"""
    if not words or not letters or words[0][0].lower() != letters[0]:
        return False
    text = " ".join(w.lower() for w in words)
    starts = {m.start() for m in re.finditer(r"(?:^|(?<=[\s-]))\w", text)}
    owner = [text.count(" ", 0, j) for j in range(len(text))]  # the word each character belongs to
    needed = {k for k, w in enumerate(words) if w.lower() not in _STOP}

    def search(i: int, pos: int, used: frozenset[int]) -> bool:
        if i == len(letters):
            return needed <= used
        options = [j for j in range(pos, len(text)) if text[j] == letters[i]]
        options.sort(key=lambda j: (j not in starts, j))  # a letter that opens a word first
        return any(search(i + 1, j + 1, used | {owner[j]}) for j in options[:6])

    return search(1, 1, frozenset({0}))


def definition_before(text: str, open_paren: int, abbreviation: str) -> str | None:
    """The long form that ``text`` writes just before ``(abbreviation)`` at ``open_paren``, or None."""
    letters = _letters(abbreviation)
    if len(letters) < 2 or letters.isdigit():
        return None
    head = text[:open_paren].rstrip()
    cut = max(head.rfind(ch) for ch in "([;:.,") + 1
    words = _WORD.findall(head[cut:])[-min(_MAX_WORDS, len(letters) + 4) :]
    for n in range(1, len(words) + 1):  # the shortest run of words that spells the letters
        run = words[-n:]
        if run[0].lower() in _STOP:
            continue
        if _spells(run, letters):
            return " ".join(run)
    return None


def source_definitions(texts: Iterable[str]) -> dict[str, str]:
    """Abbreviation -> long form, as the texts themselves define them (the first definition wins)."""
    found: dict[str, str] = {}
    for text in texts:
        for m in _DEFINED.finditer(text or ""):
            abbreviation = m.group(1)
            if abbreviation in found or not ABBREVIATION.fullmatch(abbreviation):
                continue
            long_form = definition_before(text, m.start(), abbreviation)
            if long_form is not None and long_form.lower() != abbreviation.lower():
                found[abbreviation] = long_form
    return found


def undefined_counts(documents: Iterable[str]) -> Counter[str]:
    """In how many documents each abbreviation appears without the document defining it.

    How the curated table's entries were chosen: run over the PubMedQA dev abstracts and BioASQ
    snippets (``python -c "from medref.compose.abbreviations import undefined_counts; ..."``), the
    most frequent clinical ones were written up in plain words.
    """
    counts: Counter[str] = Counter()
    for text in documents:
        defined = source_definitions([text])
        counts.update({m.group(0) for m in ABBREVIATION.finditer(text)} - set(defined))
    return counts


@lru_cache(maxsize=1)
def curated() -> dict[str, str]:
    """The curated table (``abbreviations.json``): abbreviation -> plain words."""
    raw = json.loads(resources.files("medref.compose").joinpath("abbreviations.json").read_text("utf-8"))
    table = raw["abbreviations"]
    for key, value in table.items():
        if not ABBREVIATION.fullmatch(key) or not value.strip():
            raise ValueError(f"abbreviations.json: bad entry {key!r}: {value!r}")
    return dict(table)
