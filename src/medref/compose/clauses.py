"""Sentence surgery for the patient page: asides out, long sentences split at clause boundaries.

Rules (c) and (b) of :mod:`medref.compose.patient`:

*   :func:`strip_asides` removes parenthetical asides and inline statistics (p-values, confidence
    intervals, hazard and odds ratios), and square-bracketed statistics asides, keeping a bare
    acronym such as "(PTLD)"; no empty bracket, stray comma or dangling opening bracket is left.
*   :func:`split_clauses` splits a sentence at a clause boundary ("; ", ", and", ", but",
    ", which" ...) only when both sides are full clauses: never inside brackets or a list
    ("fever, rash, and headache were ..."), and ", which are" becomes "These are".
"""

from __future__ import annotations

import re

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
    return tidy(_STATS.sub("", "".join(out)))


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


def tidy(text: str) -> str:
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
