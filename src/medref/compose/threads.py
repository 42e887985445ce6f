"""Follow-up questions, resolved against the thread they are asked in.

In a thread, a question that names nothing of its own ("and in pregnancy?", "what about
children?", "is it safe in kidney disease?") is about what the thread was last about:
``thread_entities[0]`` (:class:`medref.store.answers.AnswerStore` keeps a thread's entities
most recent first). :func:`resolve_followup` rewrites such a question so it stands alone:

    >>> from medref.retrieve.lexicon import Lexicon
    >>> lex = Lexicon.load(None)
    >>> resolve_followup("and in pregnancy?", ["Belatacept"], lex)
    ('Belatacept in pregnancy?', ['Belatacept'])
    >>> resolve_followup("is it safe in kidney disease?", ["Belatacept"], lex)
    ('Is Belatacept safe in kidney disease?', ['Belatacept'])
    >>> resolve_followup("and the dose?", ["Belatacept"], lex)
    ('Belatacept: the dose?', ['Belatacept'])
    >>> resolve_followup("What about abatacept?", ["Belatacept"], lex)
    ('What about abatacept?', [])

The rules, applied in order (deterministic, no model):

1. A question that names a drug, target or drug class of its own is kept unchanged, unless a
   pronoun *before* that name stands for the thread's entity ("does it interact with
   tacrolimus?" -> "Does Belatacept interact with tacrolimus?"; in "what is tacrolimus and is
   it safe?" the "it" is tacrolimus). A question naming any concept is kept when the thread's
   entity is not itself a drug, target or class. A question naming only a condition ("and in
   lupus?") is still about the thread's drug.
2. Leading connectors go: "and", "but", "so", "also", "ok", "then", "what about",
   "how about", "what of".
3. Pronouns that stand for the entity are replaced by its name: "it", "this/that/the drug"
   (medicine, medication, treatment, therapy, agent); "its" becomes "<entity>'s" (or
   "<entity>'" after a final "s"). "they", "them" and "their" only when the entity is plural
   (a drug class, or a name ending in "s"): in a thread about one drug, "they" usually means
   the patients. The impersonal "it" of "is it true that ...", "is it possible to ...",
   "is it worth trying ..." is not a pronoun for the drug. The result starts with a capital.
4. Otherwise the entity is put in front: "<entity> <rest>" when the rest starts with a
   preposition ("Belatacept in pregnancy?"), else "<entity>: <rest>" ("Belatacept: side
   effects?").
"""

from __future__ import annotations

import re

from medref.retrieve.lexicon import Concept, Lexicon
from medref.retrieve.query import analyze

_CONNECTOR = re.compile(
    r"^(?:\s*(?:and|but|so|also|ok|okay|then)\b[\s,]*)*"
    r"(?:(?:what|how)\s+about\b|what\s+of\b)?[\s,:]*",
    re.IGNORECASE,
)
_NOUN = r"(?:drug|medicine|medication|treatment|therapy|agent)"
_SINGULAR = re.compile(rf"\b(?:(?:this|that|the)\s+{_NOUN}|it)\b(?!['’])", re.IGNORECASE)
_SINGULAR_POSS = re.compile(rf"\b(?:its|(?:this|that|the)\s+{_NOUN}['’]s)\b", re.IGNORECASE)
_PLURAL = re.compile(rf"\b(?:(?:these|those|the)\s+{_NOUN}s|they|them)\b(?!['’])", re.IGNORECASE)
_PLURAL_POSS = re.compile(r"\btheir\b", re.IGNORECASE)
_IMPERSONAL_IT = re.compile(
    r"\bit\s+(?:is\s+|['’]s\s+)?(?:(?:possible|ok|okay|necessary|important|advisable|better|best|wise|normal"
    r"|common|usual|likely|reasonable|a\s+good\s+idea|known)\s+(?:to|that|if|whether|for)\b"
    r"|worth\s+(?:it|\w+ing)\b|true\b|the\s+case\b|too\s+late\b|time\b)",
    re.IGNORECASE,
)
_PREPOSITIONS = frozenset(
    [
        "in",
        "during",
        "for",
        "with",
        "without",
        "after",
        "before",
        "on",
        "while",
        "among",
        "at",
        "vs",
        "versus",
        "compared",
        "from",
        "to",
        "under",
        "over",
        "by",
        "via",
        "plus",
        "against",
        "across",
    ]
)


def _is_agent(concept: Concept) -> bool:
    return concept.kind in ("drug", "target") or concept.is_class


def _entity_facts(entity: str, lexicon: Lexicon) -> tuple[bool, bool]:
    """(is a drug/target/class, reads as plural) for a thread entity; unknown names count as agents."""
    concepts = lexicon.lookup(entity)
    agent = not concepts or any(_is_agent(c) for c in concepts)
    plural = any(c.is_class for c in concepts) or entity.rstrip().lower().endswith("s")
    return agent, plural


def strip_connectors(question: str) -> str:
    """The question without a leading "and" / "what about" / "how about" (and the like)."""
    m = _CONNECTOR.match(question)  # always matches (everything in it is optional)
    return question[m.end() :].strip() if m else question.strip()


def _replace_pronouns(text: str, entity: str, *, plural: bool, before: int | None = None) -> str | None:
    """``text`` with the pronouns for the entity (up to offset ``before``) replaced, or None if none."""
    masked = _IMPERSONAL_IT.sub(lambda m: "\0" * len(m.group()), text)  # keep offsets, hide "it"
    possessive = f"{entity}'" if entity.endswith("s") else f"{entity}'s"
    patterns = [(_SINGULAR_POSS, possessive), (_SINGULAR, entity)]
    if plural:
        patterns += [(_PLURAL_POSS, possessive), (_PLURAL, entity)]
    edits: list[tuple[int, int, str]] = []
    for pattern, repl in patterns:
        for m in pattern.finditer(masked, 0, len(masked) if before is None else before):
            if not any(m.start() < e and s < m.end() for s, e, _ in edits):
                edits.append((m.start(), m.end(), repl))
    if not edits:
        return None
    out = text
    for start, end, repl in sorted(edits, reverse=True):
        out = out[:start] + repl + out[end:]
    return out[:1].upper() + out[1:]


def _attach(rest: str, entity: str) -> str:
    words = rest.split(maxsplit=1)
    if not words or not re.sub(r"[\W_]+", "", rest):
        return f"{entity}{rest.strip() or '?'}"
    first = re.sub(r"[\W_]+$", "", words[0]).lower()
    if first in _PREPOSITIONS:
        return f"{entity} {rest}"
    return f"{entity}: {rest}"


def resolve_followup(question: str, thread_entities: list[str], lexicon: Lexicon) -> tuple[str, list[str]]:
    """``(question as it stands alone, thread entities used)``; unchanged with ``[]`` when not a follow-up."""
    entities = [" ".join(e.split()) for e in thread_entities if e and e.strip()]
    if not entities or not question or not question.strip():
        return question, []
    entity = entities[0]
    entity_is_agent, plural = _entity_facts(entity, lexicon)
    analysis = analyze(question, lexicon)
    text = analysis.normalized
    cut = len(text) - len(strip_connectors(text))
    rest = text[cut:]
    agents = [m for m in analysis.mentions if _is_agent(m.concept)]
    if agents:  # its own drug: only a pronoun before that name can stand for the thread's entity
        if any(m.concept.preferred.casefold() == entity.casefold() for m in agents):
            return question, []
        first = min(m.start for m in agents) - cut
        replaced = _replace_pronouns(rest, entity, plural=plural, before=max(first, 0))
        return (replaced, [entity]) if replaced is not None else (question, [])
    if analysis.mentions and not entity_is_agent:
        return question, []
    replaced = _replace_pronouns(rest, entity, plural=plural)
    return (replaced if replaced is not None else _attach(rest, entity)), [entity]
