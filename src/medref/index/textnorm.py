"""The one text analyzer every lexical backend uses, for passages and for queries alike.

Backends never tokenize on their own: they index the space-joined output of
:meth:`Analyzer.tokens` (``Analyzer.analyzed``) with a plain whitespace tokenizer, and
they build queries from the same function's output. That keeps indexing and querying
in step and makes the backends comparable (same terms, same statistics).

The steps, in order:

1. **Unicode.** ASCII text is only lower-cased (NFKC is a no-op on it). Other text is
   NFKD-decomposed, combining marks are dropped (``Sjögren`` -> ``sjogren``), format
   characters (zero-width space/joiner, soft hyphen, bidi marks) are removed so that a
   word split by them stays one word, Greek letters are spelled out (``β`` -> ``beta``,
   so ``β-blocker`` and ``beta-blocker`` agree) and the result is lower-cased.
2. **Tokens** are maximal runs of letters and digits (Unicode ``\\w`` minus ``_``).
   Letters and digits stay together: ``cd40l``, ``h1n1``, ``5ht3`` are single tokens.
   A decimal point splits (``2.5`` -> ``2``, ``5``).
3. **Hyphenated compounds** (``il-6``, ``covid-19``, ``pd-l1``, ``tgf-β1``) give their
   parts *and*, when some part contains a digit, the joined form after them:
   ``il-6`` -> ``il 6 il6``. So a query ``IL-6`` or ``IL6`` finds text written either way,
   while ``non-small`` stays ``non small``. Only ``-`` and the Unicode hyphens U+2010/U+2011
   join; dashes (``5–10``) separate.
4. **Stopwords**: a short list of English function words is removed (:data:`STOPWORDS`).
5. **Stemming** (optional, on by default): Snowball English via PyStemmer, so
   ``infections``/``infection`` -> ``infect``. Tokens with digits are stemmed too; Snowball
   leaves them alone in practice.
6. Tokens longer than :data:`MAX_TOKEN_CHARS` are dropped (base64 blobs, sequences).

Whatever characters the text contains, the output is only lower-case letters and digits,
so no token can carry query syntax into a backend.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import Stemmer

#: Bump when the output of the analyzer changes; indexes written by another version must be rebuilt.
ANALYZER_VERSION = 1
MAX_TOKEN_CHARS = 40

_TOKEN = re.compile(r"[^\W_]+(?:-[^\W_]+)*")
_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})
_GREEK = {
    "α": "alpha",
    "β": "beta",
    "γ": "gamma",
    "δ": "delta",
    "ε": "epsilon",
    "ζ": "zeta",
    "η": "eta",
    "θ": "theta",
    "ι": "iota",
    "κ": "kappa",
    "λ": "lambda",
    "μ": "mu",
    "ν": "nu",
    "ξ": "xi",
    "ο": "omicron",
    "π": "pi",
    "ρ": "rho",
    "σ": "sigma",
    "ς": "sigma",
    "τ": "tau",
    "υ": "upsilon",
    "φ": "phi",
    "χ": "chi",
    "ψ": "psi",
    "ω": "omega",
}
_GREEK_TABLE = str.maketrans({**_GREEK, **{k.upper(): v for k, v in _GREEK.items() if k != "ς"}})

#: English function words that carry no topic, written for this project. Negations are in it:
#: a bag-of-words score cannot use them anyway. Of the single letters only ``a``, ``i`` and the
#: possessive ``s`` are dropped, so ``vitamin d``, ``t cell`` and ``hepatitis b`` keep their letter.
_STOPWORD_TEXT = """
    a about above after again against all am an and any are as at be because been before being
    below between both but by could did do does doing down during each few for from further had
    has have having he her here hers herself him himself his how i if in into is it its itself
    just me more most my myself no nor not of off on once only or other our ours ourselves out
    over own same she should so some such than that the their theirs them themselves then there
    these they this those through to too under until up very was we were what when where which
    while who whom why will with would you your yours yourself yourselves s ll re ve
"""
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_TEXT.split())


def _fold(text: str) -> str:
    """The non-ASCII path: decompose, drop marks and format characters, spell Greek, lower-case."""
    text = unicodedata.normalize("NFKC", text).translate(_GREEK_TABLE).translate(_HYPHENS)
    text = unicodedata.normalize("NFKD", text)
    kept = [ch for ch in text if not unicodedata.combining(ch) and unicodedata.category(ch) != "Cf"]
    return "".join(kept).lower()


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Stemmer.Stemmer:
    return Stemmer.Stemmer(language)


class Analyzer:
    """Text -> list of index terms. Cheap to create; :data:`DEFAULT` is the shared instance."""

    def __init__(self, *, stem: bool = True, stopwords: bool = True) -> None:
        self.stem = stem
        self.stopwords = stopwords
        self._stopset: frozenset[str] = STOPWORDS if stopwords else frozenset()
        self._stemmer = _stemmer("english") if stem else None

    @property
    def signature(self) -> str:
        """Identifies the analyzer's behaviour; stored with an index to detect a mismatch."""
        return (
            f"textnorm-v{ANALYZER_VERSION}{'+stem' if self.stem else ''}{'+stop' if self.stopwords else ''}"
        )

    def normalize(self, text: str) -> str:
        """Step 1 only: the lower-cased, folded text."""
        return text.lower() if text.isascii() else _fold(text)

    def tokens(self, text: str) -> list[str]:
        """All steps: the terms of ``text`` in order (a phrase keeps its order)."""
        if not text:
            return []
        norm = self.normalize(text)
        stop = self._stopset
        out: list[str] = []
        for word in _TOKEN.findall(norm):
            if "-" not in word:
                if word not in stop and len(word) <= MAX_TOKEN_CHARS:
                    out.append(word)
                continue
            parts = word.split("-")
            out.extend(p for p in parts if p not in stop and len(p) <= MAX_TOKEN_CHARS)
            if any(ch.isdigit() for ch in word):
                joined = "".join(parts)
                if len(joined) <= MAX_TOKEN_CHARS:
                    out.append(joined)
        if self._stemmer is not None and out:
            out = self._stemmer.stemWords(out)
        return out

    def analyzed(self, text: str) -> str:
        """The terms joined by single spaces: what backends store and index."""
        return " ".join(self.tokens(text))

    def query_terms(self, terms: Iterable[tuple[str, float]], *, limit: int = 256) -> dict[str, float]:
        """Weighted query text -> {term: weight}, the highest weight winning for a repeated term.

        Non-positive or non-finite weights are dropped. At most ``limit`` distinct terms are
        kept, in order of first appearance, so a pasted 10,000-character query stays cheap.
        """
        weights: dict[str, float] = {}
        for text, weight in terms:
            w = float(weight)
            if not (w > 0.0 and w < float("inf")):
                continue
            for tok in self.tokens(text):
                if tok in weights:
                    weights[tok] = max(weights[tok], w)
                elif len(weights) < limit:
                    weights[tok] = w
        return weights

    def query_phrases(
        self, phrases: Iterable[tuple[str, float]], *, limit: int = 16
    ) -> list[tuple[list[str], float]]:
        """Weighted phrases -> (tokens, weight) for phrases of two or more terms (single terms are
        returned too, with one token, so a caller can score them as plain terms)."""
        out: list[tuple[list[str], float]] = []
        for text, weight in phrases:
            w = float(weight)
            if not (w > 0.0 and w < float("inf")):
                continue
            toks = self.tokens(text)[:32]
            if toks:
                out.append((toks, w))
            if len(out) >= limit:
                break
        return out


DEFAULT = Analyzer()


def analyze(text: str) -> list[str]:
    """Shortcut for ``DEFAULT.tokens(text)``."""
    return DEFAULT.tokens(text)
