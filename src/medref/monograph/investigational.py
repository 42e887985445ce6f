"""What trial registrations say about a drug in their own words: its kind of agent, the conditions under study.

Both are quotes of the registrations' passages (exact spans, cited), never paraphrases:

* :func:`agent_kind`: the phrases in which a registration says what kind of agent the drug is
  (an intervention description opening "A selective JAK1 inhibitor ...", "<drug> is a ...", an
  other name "anti-CD40L domain
  antibody", an apposition in the title or summary "the CD40L-Blocking Domain Antibody
  Letolizumab", "letolizumab, an investigational domain antibody that blocks CD40 ligand").
  A phrase counts only when it ends in an agent noun (antibody, inhibitor, antagonist, vaccine
  ...) and says more than "an investigational agent".
* :func:`conditions_under_study`: the conditions of the registrations that give the drug in an
  experimental arm (:func:`medref.monograph.approval.tested_drug`), each condition quoted from the
  registration's Conditions passage and cited by every registration that lists it. They are
  conditions under study, not indications: registrations that use the drug only as a comparator
  are left out and named in the note.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice

from medref.compose.citations import Support
from medref.compose.sentences import Entity
from medref.models import Document, DocumentRef, Passage
from medref.monograph.approval import tested_drug
from medref.monograph.evidence import Draft, Quote, quote
from medref.monograph.names import fold

AGENT_NOUN = re.compile(
    r"(?:antibod(?:y|ies)|nanobod(?:y|ies)|fragments?|inhibitors?|blockers?|antagonists?|agonists?|"
    r"modulators?|vaccines?|fusion proteins?|conjugates?|oligonucleotides?|sirna|analogu?es?|"
    r"agents?|therap(?:y|ies)|cytokines?|hormones?|enzymes?|peptides?|prodrugs?|degraders?|"
    r"engagers?|activators?|stimulators?|chelators?|immunoglobulins?)$",
    re.I,
)
# agent nouns that name a kind of agent without a qualifier ("an investigational antibody")
SELF_NAMING = re.compile(
    r"(?:antibod|nanobod|vaccine|immunoglobulin|oligonucleotide|sirna|cytokine|hormone|enzyme)", re.I
)
# words that say nothing about the kind of agent on their own
FILLER = frozenset(
    "a an the investigational novel new experimental study potential oral intravenous subcutaneous "
    "selective first-in-class highly potent small-molecule molecule drug agent agents therapy "
    "therapies".split()
)
STOP_BEFORE = frozenset("a an the of with and or versus vs in for to by on".split())
MAX_WORDS = 8
MAX_QUOTES = 4
_WORD = re.compile(r"\S+")
_CLAUSE_END = re.compile(r"[,;.]")
_CLASS_SECTIONS = ("interventions", "title", "brief summary", "detailed description")
_CONDITIONS = "Conditions: "
_KEYWORDS = ". Keywords: "


def _bare(word: str) -> str:
    return word.strip(".,;:()[]\"'").casefold()


def _says_something(words: list[str]) -> bool:
    """More than filler: a qualifier before the agent noun, or a noun that names a kind by itself."""
    if any(_bare(w) not in FILLER for w in words[:-1]):
        return True
    return bool(words) and bool(SELF_NAMING.match(_bare(words[-1])))


def _mentions(text: str, names: Iterable[str]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for n in names:
        for m in re.finditer(rf"(?<![\w-]){re.escape(n)}(?![\w-])", text, re.I):
            out.append((m.start(), m.end()))
    return sorted(set(out))


def _clause_end(text: str, start: int) -> int:
    """Where a relative clause starting at ``start`` ends: , ; . outside parentheses, or the text end."""
    depth = 0
    for i in range(start, len(text)):
        ch = text[i]
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth = max(0, depth - 1)
        elif depth == 0 and _CLAUSE_END.match(ch) and (ch != "." or i + 1 == len(text) or text[i + 1] == " "):
            return i
    return len(text)


def _after(text: str, end: int) -> tuple[int, int] | None:
    """'<drug>, an investigational domain antibody that blocks X' (or '<drug> is a ...') -> the phrase."""
    m = re.match(r"(?:,\s+|\s+is\s+)(?=(?:an?|the)\s)", text[end:], re.I)
    return _phrase(text, end + m.end()) if m else None


def _described_as(text: str) -> tuple[int, int] | None:
    """An intervention description that opens with what the drug is: 'X (Drug): A selective JAK1 inhibitor ...'."""
    head, sep, _ = text.partition(": ")
    start = len(head) + len(sep)
    if not sep or not re.match(r"(?:an?|the)\s", text[start:], re.I):
        return None
    return _phrase(text, start)


def _phrase(text: str, start: int) -> tuple[int, int] | None:
    """From an article at ``start``: the words up to an agent noun, with a 'that/which ...' clause."""
    words = list(islice(_WORD.finditer(text, start), MAX_WORDS + 1))
    for i, w in enumerate(words):
        token = w.group(0)
        if AGENT_NOUN.search(token.rstrip(".,;:)")) and _says_something([x.group(0) for x in words[: i + 1]]):
            stop = w.start() + len(token.rstrip(".,;:"))
            rel = re.match(r"\s+(?:that|which)\s", text[stop:])
            if rel:
                stop = _clause_end(text, stop + rel.end())
            return start, stop
        if token.endswith((",", ";", ".")):
            return None
    return None


def _before(text: str, start: int) -> tuple[int, int] | None:
    """'the CD40L-Blocking Domain Antibody Letolizumab' -> 'CD40L-Blocking Domain Antibody'."""
    words = [w for w in _WORD.finditer(text[:start])][-MAX_WORDS:]
    if not words or not AGENT_NOUN.search(words[-1].group(0)) or text[words[-1].end() : start].strip():
        return None
    first = len(words) - 1
    while first > 0:
        prev = words[first - 1].group(0)
        if _bare(prev) in STOP_BEFORE or prev.endswith((",", ";", ".", ":")):
            break
        first -= 1
    span = words[first:]
    if not _says_something([w.group(0) for w in span]):
        return None
    return span[0].start(), span[-1].end()


def _other_names(text: str, names: set[str]) -> list[tuple[int, int]]:
    """Other names of the intervention that are descriptions ending in an agent noun."""
    at = text.find("Other names: ")
    if at < 0:
        return []
    out: list[tuple[int, int]] = []
    pos = at + len("Other names: ")
    for part in text[pos:].rstrip(".").split(", "):
        words = part.split()
        if (
            len(words) > 1
            and fold(part) not in names
            and AGENT_NOUN.search(words[-1])
            and _says_something(words)
        ):
            out.append((pos, pos + len(part)))
        pos += len(part) + 2
    return out


def agent_kind(trials: list[Document], drug: Entity) -> list[Quote]:
    """The registrations' own phrases saying what kind of agent the drug is (see the module docstring)."""
    names = {fold(n) for n in drug.names}
    out: list[Quote] = []
    shown: set[str] = set()
    for doc in trials:
        ref = DocumentRef.of(doc)
        ordered = sorted(
            (p for p in doc.passages if p.section.lower() in _CLASS_SECTIONS),
            key=lambda p: _CLASS_SECTIONS.index(p.section.lower()),
        )
        for p in ordered:
            spans: list[tuple[int, int]] = []
            if p.section.lower() == "interventions":
                head, _, _ = p.text.partition(":")
                if not drug.mentioned_in(head):
                    continue
                spans += [x for x in (_described_as(p.text),) if x is not None]
                spans += _other_names(p.text, names)
            for s, e in _mentions(p.text, drug.names):
                spans += [x for x in (_after(p.text, e), _before(p.text, s)) if x is not None]
            for s, e in spans:
                key = fold(p.text[s:e])
                if key and key not in shown and len(out) < MAX_QUOTES:
                    shown.add(key)
                    out.append(quote(ref, p, s, e))
    return out


def _condition_spans(doc: Document) -> list[tuple[Passage, int, int]]:
    """Each listed condition as a span of the registration's Conditions passage."""
    wanted = [str(c) for c in doc.meta.get("conditions") or [] if c]
    out: list[tuple[Passage, int, int]] = []
    for p in doc.passages:
        if p.section.lower() != "conditions" or not p.text.startswith(_CONDITIONS):
            continue
        end = p.text.find(_KEYWORDS)
        listed = p.text[: end if end >= 0 else len(p.text)]
        pos = len(_CONDITIONS)
        for c in wanted:
            at = listed.find(c, pos)
            if at >= 0:
                out.append((p, at, at + len(c)))
                pos = at + len(c)
    return out


def conditions_under_study(trials: list[Document], drug_names: list[str]) -> Draft:
    """The conditions of the registrations that test the drug (see the module docstring)."""
    d = Draft("conditions_under_study", "Conditions under study (not approved indications)")
    supports: dict[str, list[Support]] = {}
    texts: dict[str, str] = {}
    tested: list[str] = []
    comparator: list[str] = []
    for doc in trials:
        ident = doc.nct_id or doc.uid
        if not tested_drug(doc, drug_names):
            comparator.append(ident)
            continue
        tested.append(ident)
        ref = DocumentRef.of(doc)
        for p, s, e in _condition_spans(doc):
            key = fold(p.text[s:e])
            texts.setdefault(key, p.text[s:e])
            supports.setdefault(key, []).extend(quote(ref, p, s, e).supports)
    d.quotes = [Quote(texts[k], tuple(v)) for k, v in supports.items()]
    notes = []
    if d.quotes:
        notes.append(
            f"Conditions of the trial registration(s) that give the drug in an experimental arm "
            f"({', '.join(tested)}): under study, not approved indications."
        )
    elif tested:
        notes.append(f"The registration(s) testing the drug ({', '.join(tested)}) list no condition.")
    if comparator:
        notes.append(
            f"Not counted: registration(s) in which the drug is only a comparator ({', '.join(comparator)})."
        )
    if not trials:
        notes.append("No trial registration in the sources names this drug.")
    d.note = " ".join(notes) or None
    return d
