"""Query understanding: which concepts a question names, what a passage must mention, how to expand.

    >>> from medref.retrieve.lexicon import Lexicon
    >>> a = analyze("Should CD40 ligand blockers be used in lupus?", Lexicon.load(None))
    >>> [c.preferred for c in a.key_entities], a.is_role_question
    (['CD40 ligand blockers'], True)

Key entities are the drugs, targets and drug classes the question names; when it names none,
its conditions; failing those, any other concept (a virus, a procedure).

Directness rule (:func:`mentions_entity`): a passage is direct evidence for a key entity when
it mentions the entity itself by any of its surface forms (true synonyms only), or

* for a **class** (``is_class``, e.g. "CD40 ligand blockers"): one of its *explicit* members
  (listed in the class's ``members`` or carrying the class among its MeSH pharmacological
  actions), or a target the class acts on (``targets``, e.g. CD40 ligand itself);
* for a **target**: a class that acts on it ("anti-CD40L antibodies" names CD40L).

A drug is never direct evidence for another drug, even a sibling in the same class: a passage
about dapirolizumab pegol is direct for "CD40 ligand blockers" but not for "letolizumab".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field

from medref.errors import QueryError
from medref.retrieve.lexicon import Concept, Lexicon, Mention

MAX_ANALYSED_CHARS = 10_000
MAX_TERMS = 64
MAX_EXPANSIONS = 12
MAX_EXPANSION_CHARS = 40
MAX_CLASS_MEMBERS = 20  # larger classes are not expanded into their members

STOPWORDS = frozenset(
    [
        "a",
        "about",
        "above",
        "after",
        "again",
        "against",
        "all",
        "also",
        "am",
        "an",
        "and",
        "any",
        "are",
        "as",
        "at",
        "be",
        "because",
        "been",
        "before",
        "being",
        "below",
        "between",
        "both",
        "but",
        "by",
        "can",
        "could",
        "did",
        "do",
        "does",
        "doing",
        "down",
        "during",
        "each",
        "else",
        "etc",
        "ever",
        "every",
        "few",
        "for",
        "from",
        "further",
        "get",
        "give",
        "given",
        "gives",
        "had",
        "has",
        "have",
        "having",
        "he",
        "her",
        "here",
        "hers",
        "him",
        "his",
        "how",
        "however",
        "i",
        "if",
        "in",
        "into",
        "is",
        "it",
        "its",
        "itself",
        "just",
        "may",
        "me",
        "might",
        "more",
        "most",
        "much",
        "must",
        "my",
        "no",
        "nor",
        "not",
        "now",
        "of",
        "off",
        "on",
        "once",
        "only",
        "or",
        "other",
        "others",
        "our",
        "ours",
        "out",
        "over",
        "own",
        "per",
        "please",
        "same",
        "shall",
        "she",
        "should",
        "so",
        "some",
        "such",
        "than",
        "that",
        "the",
        "their",
        "theirs",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "thus",
        "to",
        "too",
        "under",
        "until",
        "up",
        "upon",
        "us",
        "use",
        "used",
        "uses",
        "using",
        "very",
        "via",
        "was",
        "we",
        "were",
        "what",
        "whats",
        "when",
        "where",
        "whether",
        "which",
        "while",
        "who",
        "whom",
        "whose",
        "why",
        "will",
        "with",
        "within",
        "without",
        "would",
        "yes",
        "you",
        "your",
        "yours",
        "role",
        "recommended",
        "recommend",
        "recommendation",
        "indicated",
        "indication",
        "advisable",
        "appropriate",
        "consider",
        "considered",
        "tell",
        "know",
        "known",
        "anything",
        "something",
        "patient",
        "patients",
        "people",
        "person",
        "someone",
        "evidence",
    ]
)

_SYNTAX = re.compile(r'["*():^~\[\]{}<>\\|!&+=?;@#$%`]')
_WORD = re.compile(r"[^\W_]+")
_GAP = r"[^.?!]{0,80}?"
ROLE = re.compile(
    r"\brole (?:of|for)\b|\bplace (?:of|for|in)\b|\bshould\b|\bwhen (?:to|should)\b|\b(?:is|are)\b"
    + _GAP
    + r"\b(?:recommended|indicated|advised|advisable|appropriate|beneficial|useful|worth|preferred|first[- ]line)\b"
    + r"|\bindicat(?:ed|ion|ions)\b|\brecommend(?:ed|s|ation|ations)?\b|\bfirst[- ]line\b|\bworth (?:using|trying)\b",
)
DOSING = re.compile(
    r"\bdos(?:e|es|ed|ing|age|ages)\b|\bposology\b|\btitrat\w*|\bhow (?:much|often|many (?:mg|milligrams|tablets))\b"
    r"|\b\d+(?:\.\d+)?\s?(?:mg|mcg|µg|μg|g|ml|units?|iu)\b|\bmg/kg\b|\brenal adjustment\b"
    r"|\bmaximum daily\b|\binfusion rate\b|\bhow (?:to give|to take|long)\b",
)
SAFETY = re.compile(
    r"\bsafe(?:ty|ly)?\b|\bunsafe\b|\bside[- ]effects?\b|\badverse\b|\btoxicit(?:y|ies)\b|\btoxic\b|\bharm\w*"
    r"|\brisks?\b|\bcontraindicat\w*|\binteract(?:s|ion|ions)?\b|\bpregnan\w*|\blactation\b|\bbreast[- ]?feeding\b"
    r"|\bwarnings?\b|\bboxed\b|\bblack[- ]box\b|\btolerab\w*|\bcomplications?\b|\bdanger\w*|\boverdose\b",
)
COMPARISON = re.compile(
    r"\bvs\.?(?=\s)|\bversus\b|\bcompared (?:with|to)\b|\bbetter than\b|\bsuperior\b|\binferior\b"
)


@dataclass(frozen=True)
class QueryAnalysis:
    """What the retriever needs to know about a question (offsets refer to ``normalized``)."""

    text: str
    normalized: str
    mentions: tuple[Mention, ...]
    key_entities: tuple[Concept, ...]
    expansions: dict[str, list[str]]  # key entity preferred name -> synonym strings (plain text)
    terms: tuple[str, ...]  # content words of the question (expansions are kept apart)
    is_role_question: bool = False
    is_dosing: bool = False
    is_safety: bool = False
    is_comparison: bool = False
    notes: tuple[str, ...] = field(default=())

    def _of_kind(self, kind: str) -> list[Concept]:
        return _unique(m.concept for m in self.mentions if m.concept.kind == kind)

    @property
    def drugs(self) -> list[Concept]:
        return self._of_kind("drug")

    @property
    def conditions(self) -> list[Concept]:
        return self._of_kind("condition")

    @property
    def targets(self) -> list[Concept]:
        return self._of_kind("target")

    @property
    def classes(self) -> list[Concept]:
        return _unique(m.concept for m in self.mentions if m.concept.is_class)

    @property
    def expanded_terms(self) -> list[str]:
        """``terms`` followed by every expansion string (deduplicated, case-insensitively)."""
        out = list(self.terms)
        seen = {t.casefold() for t in out}
        for values in self.expansions.values():
            for v in values:
                if v.casefold() not in seen:
                    seen.add(v.casefold())
                    out.append(v)
        return out

    @property
    def intent(self) -> dict[str, bool]:
        return {
            "role": self.is_role_question,
            "dosing": self.is_dosing,
            "safety": self.is_safety,
            "comparison": self.is_comparison,
        }


def _unique(concepts: Iterable[Concept]) -> list[Concept]:
    seen: dict[str, Concept] = {}
    for c in concepts:
        seen.setdefault(c.id, c)
    return list(seen.values())


def normalize_question(text: str) -> str:
    """NFKC, zero-width/format characters removed, control characters to spaces, spaces collapsed."""
    text = unicodedata.normalize("NFKC", text or "")
    out = []
    for ch in text:
        cat = unicodedata.category(ch)
        if cat == "Cf":
            continue
        out.append(" " if cat in ("Cc", "Cs", "Co", "Cn", "Zl", "Zp") else ch)
    return " ".join("".join(out).split())


def plain_text(s: str) -> str:
    """A synonym made safe for any search backend: no query-syntax characters."""
    return " ".join(_SYNTAX.sub(" ", s).split())


def analyze(question: str, lexicon: Lexicon) -> QueryAnalysis:
    """Analyse a question. Raises :class:`QueryError` only when nothing is left after normalisation."""
    normalized = normalize_question(question if isinstance(question, str) else str(question or ""))
    if not normalized:
        raise QueryError("the question is empty")
    notes: list[str] = []
    if len(normalized) > MAX_ANALYSED_CHARS:
        normalized = normalized[:MAX_ANALYSED_CHARS]
        notes.append(f"only the first {MAX_ANALYSED_CHARS} characters were analysed")
    mentions = tuple(lexicon.find_mentions(normalized))
    key = key_entities(mentions)
    lowered = normalized.casefold()
    return QueryAnalysis(
        text=question,
        normalized=normalized,
        mentions=mentions,
        key_entities=tuple(key),
        expansions={c.preferred: expansion_terms(c, lexicon) for c in key},
        terms=tuple(question_terms(lowered)),
        is_role_question=ROLE.search(lowered) is not None,
        is_dosing=DOSING.search(lowered) is not None,
        is_safety=SAFETY.search(lowered) is not None,
        is_comparison=COMPARISON.search(lowered) is not None,
        notes=tuple(notes),
    )


def key_entities(mentions: Iterable[Mention]) -> list[Concept]:
    """Drugs, targets and classes first; else conditions; else anything else mentioned."""
    concepts = _unique(m.concept for m in mentions)
    for group in (
        [c for c in concepts if c.kind in ("drug", "target") or c.is_class],
        [c for c in concepts if c.kind == "condition"],
        concepts,
    ):
        if group:
            return group
    return []


def question_terms(lowered: str) -> list[str]:
    """Content words of a (case-folded) question: no stopwords, no single letters, no duplicates."""
    out: dict[str, None] = {}
    for w in _WORD.findall(lowered):
        if w in STOPWORDS or (len(w) < 2 and not w.isdigit()):
            continue
        out.setdefault(w, None)
        if len(out) >= MAX_TERMS:
            break
    return list(out)


def _only_names(term: str, concept_id: str, lexicon: Lexicon) -> bool:
    ids = {c.id for c in lexicon.lookup(term)}
    return ids == {concept_id}


def expansion_terms(concept: Concept, lexicon: Lexicon, *, limit: int = MAX_EXPANSIONS) -> list[str]:
    """Synonym strings for lexical search that name ``concept`` and nothing else in the lexicon.

    Curated forms come first, then the shortest others; inverted MeSH forms ("Arthritis,
    Rheumatoid") and long chemical names are left out. A class also expands to its explicit
    members' names (when it has at most ``MAX_CLASS_MEMBERS``) and to its targets' names.
    """
    curated = set(concept.curated)
    names = sorted(concept.names(), key=lambda s: (s != concept.preferred, s not in curated, len(s)))
    out: dict[str, None] = {}

    def add(s: str, owner: str) -> None:
        s = plain_text(s)
        if (
            s
            and ", " not in s
            and len(s) <= MAX_EXPANSION_CHARS
            and s.casefold() not in {o.casefold() for o in out}
            and _only_names(s, owner, lexicon)
        ):
            out[s] = None

    for s in names:
        if len(out) >= limit:
            break
        add(s, concept.id)
    if concept.is_class:
        members = sorted(lexicon.members(concept))
        if len(members) <= MAX_CLASS_MEMBERS:
            for mid in members:
                member = lexicon.get(mid)
                if member is not None:
                    add(member.preferred, member.id)
        for tid in concept.targets:
            target = lexicon.get(tid)
            if target is not None:
                for s in sorted(
                    target.names(), key=lambda s: (s != target.preferred, s not in target.curated)
                )[:4]:
                    add(s, target.id)
    return list(out)


def mentions_entity(passage_text: str, concept: Concept, lexicon: Lexicon) -> bool:
    """Whether ``passage_text`` is direct evidence for ``concept`` (see the module docstring)."""
    if not passage_text:
        return False
    return not lexicon.direct_ids(concept).isdisjoint(lexicon.mentioned_ids(passage_text))


def matched_entities(passage_text: str, concepts: Iterable[Concept], lexicon: Lexicon) -> list[Concept]:
    """The concepts of ``concepts`` for which ``passage_text`` is direct evidence."""
    return [c for c in concepts if mentions_entity(passage_text, c, lexicon)]
