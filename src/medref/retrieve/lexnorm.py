"""Text normalisation and tokenisation shared by the lexicon and its builder.

Text is NFKC/NFKD-folded (accents dropped, zero-width and soft-hyphen characters removed,
Greek letters spelled out), case-folded and cut into runs of letters and runs of digits, so
"CD40-L", "CD40L" and "cd40 l" all become ``cd 40 l``. :func:`tokenize` keeps offsets into
the original text, so mentions can be cut out of it exactly.
"""

from __future__ import annotations

import re
import unicodedata

MAX_TOKENS = 12  # longest surface form (in tokens) that is indexed


def _wordset(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Single words that are never indexed case-insensitively: they are everyday English.
COMMON_WORDS = _wordset(
    """
    a an and are as at be been but by can could did do does for from had has have he her him his
    how if in into is it its may me might more most no nor not of on one or our out over per
    she should so some such than that the their them then there these they this those to too
    two up us use used via was we were what when where which who why will with would you your
    all any act aid age air arm art bad bed big box car cut day due end eye far few fit gas gel
    get got key law leg let low man men new now off oil old own pad pan pen put raw red run sad
    saw say see set sex sit six ten tie top try van war way wet win yes yet also each both well
    cold hot fat lead gold tin star cast base mass rest fall
    """
)

_GREEK = {
    "α": " alpha ",
    "β": " beta ",
    "γ": " gamma ",
    "δ": " delta ",
    "ε": " epsilon ",
    "κ": " kappa ",
    "λ": " lambda ",
    "ω": " omega ",
}
_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_POSSESSIVE = re.compile(r"['’]s\b")
_JOINABLE_GAP = re.compile(r"[\s\-‐‑‒–—―/'’,+]*")
_INITIAL_GAP = re.compile(r"\.\s*")

_char_cache: dict[str, str] = {}


def _fold_char(ch: str) -> str:
    """One character, normalised for matching ('' drops it, ' ' makes it a separator)."""
    out = _char_cache.get(ch)
    if out is not None:
        return out
    cat = unicodedata.category(ch)
    if ch.isspace() or cat in ("Cc", "Zl", "Zp"):
        out = " "
    elif cat in ("Cf", "Mn", "Me", "Cs", "Co", "Cn"):
        out = ""  # zero-width / soft hyphen / combining marks / unassigned
    else:
        parts = []
        for c in unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", ch)):
            if unicodedata.category(c) not in ("Mn", "Me", "Cf"):
                parts.append(c)
        folded = "".join(parts).casefold()
        out = "".join(_GREEK.get(c, c) for c in folded)
    if len(_char_cache) < 100_000:
        _char_cache[ch] = out
    return out


def _fold(text: str) -> tuple[str, list[int] | None]:
    """Folded text and, unless it is plain ASCII, a map from folded to original offsets."""
    if text.isascii():
        return text.lower(), None
    buf: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        f = _fold_char(ch) if not ch.isascii() else ch.lower()
        if f:
            buf.append(f)
            where.extend([i] * len(f))
    return "".join(buf), where


def tokenize(text: str) -> list[tuple[str, int, int, bool]]:
    """Tokens as ``(token, start, end, joins_previous)`` with offsets into ``text``.

    ``joins_previous`` is False when punctuation that ends a phrase (".;:()" and the like)
    separates the token from the one before, so an n-gram never spans it.
    """
    folded, where = _fold(text)
    if "'" in folded or "’" in folded:
        folded = _POSSESSIVE.sub("  ", folded)  # same length: offsets stay valid
    out: list[tuple[str, int, int, bool]] = []
    prev_end = 0
    initial = False  # the previous token is a single letter ("S. aureus" may span its full stop)
    for m in _TOKEN.finditer(folded):
        s, e = m.span()
        gap = folded[prev_end:s]
        joins = bool(out) and (
            _JOINABLE_GAP.fullmatch(gap) is not None or (initial and _INITIAL_GAP.fullmatch(gap) is not None)
        )
        if where is None:
            out.append((m.group(), s, e, joins))
        else:
            out.append((m.group(), where[s], where[e - 1] + 1, joins))
        prev_end, initial = e, e - s == 1 and folded[s].isalpha()
    return out


def norm_key(text: str) -> str:
    """The lookup key of a surface form: its folded tokens joined by one space."""
    if text.isascii():  # fast path, same result as tokenize()
        low = text.lower()
        if "'" in low:
            low = _POSSESSIVE.sub("  ", low)
        return " ".join(_TOKEN.findall(low))
    return " ".join(t[0] for t in tokenize(text))


def case_key(text: str) -> str:
    """Tokens with their case kept (for forms that only match with the same case)."""
    text = "".join(ch for ch in unicodedata.normalize("NFKC", text) if unicodedata.category(ch) != "Cf")
    return " ".join(_TOKEN.findall(text))


def needs_case(surface: str, *, preferred: bool = False) -> bool:
    """Short all-letter forms ("SLE", "ITP", "CsA", "Dex") and capitalised synonyms ("MONITOR") keep their case."""
    letters = surface.replace("-", "").replace(" ", "")
    if not letters.isalpha() or not letters.isascii():
        return False
    if letters.isupper() and (len(letters) <= 6 or not preferred):
        return True
    return not preferred and len(letters) <= 4


def singular(token: str) -> str | None:
    """A naive singular of a plural English token ("blockers" -> "blocker"), or None."""
    if len(token) < 5 or not token.isalpha():
        return None
    if token.endswith("ies"):
        return token[:-3] + "y"
    if token.endswith("s") and not token.endswith(("ss", "us", "is")):
        return token[:-1]
    return None


def indexable(surface: str, key: str, *, case_sensitive: bool) -> bool:
    """Whether a surface form is specific enough to be matched in free text."""
    compact = key.replace(" ", "")
    if len(compact) < 2 or compact.isdigit() or len(surface) > 60 or key.count(" ") >= MAX_TOKENS:
        return False
    if case_sensitive:
        return key not in COMMON_WORDS
    return len(compact) >= 3 and key not in COMMON_WORDS
