"""Checks that a patient rewording is still well-formed English.

:func:`defects` compares a source sentence with its patient wording and names every defect the
rewording *introduced* (a defect already in the source is the source's, not ours):

*   ``doubled word``: the same word twice in a row ("the the", "approved approved use");
*   ``repeated phrase``: a content word of the new words that the sentence already says close by
    ("approved for any approved use", "experimental (not approved) and was not approved");
*   ``stacked articles``: two articles or determiners in a row ("a an", "the a");
*   ``article mismatch``: "a" before a vowel sound or "an" before a consonant sound;
*   ``unbalanced brackets`` / ``empty brackets`` ("()", "( , )");
*   ``lowercase start``: a sentence that starts with a small letter (names such as "eGFR" or
    "mRNA" excepted);
*   ``stray punctuation``: ",,", ", .", "(,", a space before a comma or full stop.

Used by the tests over real PubMedQA / BioASQ sentences and the demo corpus.
"""

from __future__ import annotations

import re
from collections import Counter

_WORD = re.compile(r"[A-Za-z][A-Za-z'-]*")
_ARTICLES = {"a", "an", "the"}
_DETERMINERS = _ARTICLES | {"this", "these", "those", "its", "their", "your", "our", "his", "her"}
# short, frequent words that may repeat close together in good English
FUNCTION_WORDS = {
    "a", "an", "the", "of", "in", "on", "at", "to", "for", "with", "by", "from", "and", "or", "but", "not",
    "no", "is", "are", "was", "were", "be", "been", "it", "its", "that", "this", "as", "than", "who",
    "which", "had", "has", "have", "more", "less", "after", "before", "people", "their", "they", "there",
    "also", "did", "does", "do", "can", "may", "such", "one", "all", "other", "when", "into", "about",
    "how", "well", "what", "your", "them", "each", "both", "only", "used", "use", "being", "without",
    "those", "these", "over", "under", "most", "then",
}  # fmt: skip
_NEAR = 5  # words: how close a repeat must be to count as "repeated phrase"
_VOWEL_START = re.compile(r"^(?:[aeiou]|hour|honest|heir)", re.I)
_CONSONANT_VOWEL = re.compile(r"^(?:u(?:s|ni|ti|r[io]|ro|te|va|k)|eu|one\b|once\b)", re.I)
_LETTER_NAME_VOWEL = re.compile(r"^[AEFHILMNORSX](?:[A-Z0-9]|$)")  # "an MRI", "an HIV test"
_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+)[\"'(\[]*([A-Za-z][\w-]*)")
_DOUBLED = re.compile(r"(?<![\w-])([A-Za-z][\w'-]*)\s+\1(?![\w-])", re.I)
_NOT_A_STOP = re.compile(r"(?:\b[A-Za-z]|\bet\s+al|\bvs|\be\.g|\bi\.e|\bcf|\bFig|\bapprox)\.\s+$")
_STACKED = re.compile(r"(?<![\w-])(a|an|the)\s+(" + "|".join(sorted(_DETERMINERS)) + r")(?![\w-])", re.I)
_ABBREVIATION_ASIDE = re.compile(r"\(\s*[A-Z][A-Za-z0-9-]*[A-Z0-9]s?\s*\)")
_PUNCT = re.compile(r",\s*,|,\s*\.|\(\s*[,;.]|[,;]\s*\)|\s[,.;:](?!\d)|\.\s*\.(?!\.)")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


def _doubled(text: str) -> Counter[str]:
    return Counter(m.group(1).lower() for m in _DOUBLED.finditer(text))


def _stacked(text: str) -> Counter[str]:
    return Counter(f"{m.group(1).lower()} {m.group(2).lower()}" for m in _STACKED.finditer(text))


def _near_repeats(text: str) -> Counter[str]:
    """Content words said twice within a few words of each other, sentence by sentence."""
    found: Counter[str] = Counter()
    # a list ("blood cancer, lymph gland cancer", "residual cancer or flat cancer") or an abbreviation's expansion ("rheumatoid arthritis
    # (RA), psoriatic arthritis") may repeat a word: only runs without such breaks are looked at
    for sentence in re.split(r"(?<=[.!?])\s+(?=[A-Z0-9])", text):
        for run in re.split(r"[,;]|\s(?:and|or)\s|" + _ABBREVIATION_ASIDE.pattern, sentence):
            low = [w.lower() for w in _words(run)]
            for i, w in enumerate(low):
                if w not in FUNCTION_WORDS and len(w) >= 4 and w in low[max(0, i - _NEAR) : i]:
                    found[w] += 1
    return found


def _article_mismatch(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    for m in re.finditer(r"(?<![\w-])(an?)\s+([A-Za-z][\w-]*)", text):
        art, word = m.group(1).lower(), m.group(2)
        if word.isupper() or _LETTER_NAME_VOWEL.match(word):
            vowel = bool(_LETTER_NAME_VOWEL.match(word))
        else:
            vowel = bool(_VOWEL_START.match(word)) and not _CONSONANT_VOWEL.match(word)
        if (art == "a") == vowel:
            found[f"{art} {word}"] += 1
    return found


def _lower_starts(text: str) -> Counter[str]:
    """How many sentences start with a small letter (after "et al." or "U.S." none starts)."""
    count = 0
    for m in _SENTENCE_START.finditer(text):
        word = m.group(1)
        if _NOT_A_STOP.search(text, 0, m.start(1)):
            continue
        if word[0].islower() and not any(ch.isupper() or ch.isdigit() for ch in word[1:]):
            count += 1
    return Counter({"sentences": count})


def _brackets(text: str) -> Counter[str]:
    found: Counter[str] = Counter()
    depth = 0
    for ch in text:
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            found["unbalanced brackets"] += 1
            depth = 0
    if depth:
        found["unbalanced brackets"] += 1
    found["empty brackets"] += len(re.findall(r"\(\s*[,;.]?\s*\)|\[\s*\]", text))
    return found


def _introduced(kind: str, before: Counter[str], after: Counter[str]) -> list[str]:
    return [f"{kind}: {key!r}" for key, n in after.items() if n > before.get(key, 0)]


def defects(source: str, plain: str) -> list[str]:
    """The defects ``plain`` (the patient wording of ``source``) has that ``source`` does not."""
    out: list[str] = []
    sw, pw = _words(source), _words(plain)
    out += _introduced("doubled word", _doubled(source), _doubled(plain))
    said = Counter(w.lower() for w in sw)
    repeats = _near_repeats(plain) - _near_repeats(source)
    told = Counter(w.lower() for w in pw)
    out += [f"repeated phrase: {w!r}" for w in repeats if 0 < said[w] < told[w]]
    out += _introduced("stacked articles", _stacked(source), _stacked(plain))
    out += _introduced("article mismatch", _article_mismatch(source), _article_mismatch(plain))
    out += _introduced("lowercase start", _lower_starts(source), _lower_starts(plain))
    out += _introduced("brackets", _brackets(source), _brackets(plain))
    punct_before = Counter(m.group(0).strip() for m in _PUNCT.finditer(source))
    punct_after = Counter(m.group(0).strip() for m in _PUNCT.finditer(plain))
    out += _introduced("stray punctuation", punct_before, punct_after)
    return out
