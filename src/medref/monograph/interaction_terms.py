"""The words that name a drug in another drug's label: its names and the classes it belongs to.

:func:`drug_terms` gathers, for one resolved drug (:class:`~medref.monograph.names.DrugMatch`):

* its **names**: the name asked for, DrugBank and MeSH synonyms (lexicon concept names), the
  label's generic and brand names; for a combination product, each ingredient's names;
* its **classes**, each with where the membership comes from:

  - MeSH pharmacological actions of the drug (``Concept.classes``) and of its salt forms
    ("sildenafil citrate", from the lexicon or from the compiled MeSH table), with every entry term of the action ("CYP3A4 Inhibitors");
  - classes of the lexicon that list the drug as an explicit member ("TNF blockers");
  - MeSH chemical classes above the drug in the D tree (:mod:`medref.monograph.chem_classes`:
    "Fibric Acids" with its entry term "fibrates", "Macrolides");

  every class form also in the reversed order labels use ("strong inhibitors of CYP 3A4" for
  "CYP3A4 Inhibitors"; "cytochrome P450 3A4" for "Cytochrome P-450 CYP3A4"), and an inverted
  MeSH term also by its head, the broader class ("alpha-Blockers" for "alpha-Blockers,
  Adrenergic").

:meth:`DrugTerms.find` finds them in a sentence with the lexicon's tokeniser (case, accents,
hyphens and plurals folded), plus two naming rules that need no list: a plural class word whose
singular, with a chemical multiplier prefix, is a word of the drug's name ("nitrates" for
"isosorbide dinitrate", "glycerin trinitrate"; a bare salt word such as "miconazole nitrate" does
not count), and a qualified plural whose qualifier and head both are words of one of the drug's
names ("live vaccines" for "Typhoid Vaccine Live").
"""

from __future__ import annotations

import re
import weakref
from dataclasses import dataclass, field

from medref.monograph.chem_classes import ancestors, salt_forms
from medref.monograph.names import SALTS, DrugMatch, fold, strip_salts
from medref.retrieve.lexicon import Concept, Lexicon, Mention
from medref.retrieve.lexnorm import norm_key, singular, tokenize

# single words too general to name a class on their own
GENERIC_WORDS = frozenset(
    """
    inhibitor inhibitors inducer inducers agent agents drug drugs antagonist antagonists agonist agonists
    blocker blockers substrate substrates compound compounds acid acids product products medicine medicines
    medication medications protein proteins factor factors effect effects substance substances
    """.split()
)
AGENT_NOUNS = ("inhibitors", "inducers", "blockers", "antagonists", "agonists", "substrates", "activators")
MULTIPLIERS = ("mono", "di", "tri", "tetra", "penta", "hexa")
_EXAMPLES = re.compile(r"\s*[(,]?\s*(?:e\.g\.|for example|such as|including|like)\b", re.IGNORECASE)
_P450_CYP = re.compile(r"\bP-?450\s+CYP\s*", re.IGNORECASE)


@dataclass(frozen=True)
class Hit:
    """One place a sentence names the drug: ``text[start:end] == surface``."""

    start: int
    end: int
    surface: str
    kind: str  # "name" or "class"
    via: str  # how the words relate to the drug, in words


@dataclass
class DrugTerms:
    """Everything that names one drug in label text."""

    drug: str
    names: dict[str, str] = field(default_factory=dict)  # surface -> how it names the drug
    classes: dict[str, str] = field(default_factory=dict)  # class name -> where membership comes from
    class_forms: dict[str, str] = field(default_factory=dict)  # surface -> class name
    name_words: list[frozenset[str]] = field(default_factory=list)
    concept_ids: frozenset[str] = frozenset()
    lexicon: Lexicon | None = None  # the full lexicon, to see when a class word is part of a narrower name
    _mini: Lexicon | None = None

    def _lexicon(self) -> Lexicon:
        if self._mini is None:
            concepts = [Concept(id=f"n{i}", kind="other", preferred=n) for i, n in enumerate(self.names)]
            concepts += [
                Concept(id=f"c{i}", kind="other", preferred=f) for i, f in enumerate(self.class_forms)
            ]
            self._mini = Lexicon(concepts, source="interaction-terms")
        return self._mini

    def find(self, text: str) -> list[Hit]:
        """Names first, then classes; one hit per span."""
        lex = self._lexicon()
        names, forms = list(self.names), list(self.class_forms)
        hits: dict[tuple[int, int], Hit] = {}
        for m in lex.find_mentions(text):
            idx = int(m.concept.id[1:])
            if m.concept.id.startswith("n"):
                hit = Hit(m.start, m.end, m.surface, "name", self.names[names[idx]])
            else:
                cls = self.class_forms[forms[idx]]
                hit = Hit(m.start, m.end, m.surface, "class", f"class '{cls}': {self.classes[cls]}")
            if (m.start, m.end) not in hits or hit.kind == "name":
                hits[(m.start, m.end)] = hit
        for hit in self._by_name_words(text):
            hits.setdefault((hit.start, hit.end), hit)
        found = sorted(hits.values(), key=lambda h: (h.start, h.end))
        if self.lexicon is not None and any(h.kind == "class" for h in found):
            found = [h for h in found if h.kind == "name" or not self._narrowed(h, text)]
        return found

    def _narrowed(self, hit: Hit, text: str) -> bool:
        """A class word inside a narrower name: "HIV protease inhibitor" or "hepatitis C protease
        inhibitor" do not name every protease inhibitor (a longer lexicon concept covers the words,
        a condition is named right before them, or the sentence names a narrower class of that
        name that the drug is not in, as "Protease Inhibitors: ... HIV protease inhibitors")."""
        assert self.lexicon is not None
        own = {n.casefold() for n in self.classes} | {n.casefold() for n in self.names}
        words = norm_key(hit.surface).rstrip("s")
        for m in self.lexicon.find_mentions(text):
            if m.concept.preferred.casefold() in own or m.concept.id in self.concept_ids:
                continue
            longer = m.start <= hit.start and m.end >= hit.end and m.end - m.start > hit.end - hit.start
            gap = text[m.end : hit.start] if m.end < hit.start else "x"
            before = m.concept.kind == "condition" and not gap.strip()
            key = norm_key(m.surface).rstrip("s")
            kind_of = m.concept.is_class and key != words and key.endswith(" " + words)
            if longer or before or kind_of or self._restricted(hit, m, text):
                return True
        return False

    def _restricted(self, hit: Hit, m: Mention, text: str) -> bool:
        """'the HIV protease inhibitor tipranavir plus ritonavir': the class word is followed by the
        other drugs it means here (not by examples: "e.g.", "such as", "including")."""
        if m.concept.kind != "drug" or m.start < hit.end:
            return False
        gap = text[hit.end : m.start]
        return gap.strip() in ("", "(") and not _EXAMPLES.match(text[hit.end :])

    def _by_name_words(self, text: str) -> list[Hit]:
        toks = tokenize(text)
        out: list[Hit] = []
        for i, (word, start, end, _) in enumerate(toks):
            one = singular(word)
            if one is None or len(one) < 4:
                continue
            for words in self.name_words:
                if any(w != one and w.endswith(one) and w[: -len(one)] in MULTIPLIERS for w in words):
                    via = f"its name is a {next(w for w in words if w.endswith(one) and w != one)} ({one})"
                    out.append(Hit(start, end, text[start:end], "class", via))
                    break
                if i > 0 and one in words and toks[i - 1][0] in words and toks[i - 1][0].isalpha():
                    prev = toks[i - 1]
                    via = f"its name has both '{prev[0]}' and '{one}'"
                    out.append(Hit(prev[1], end, text[prev[1] : end], "class", via))
                    break
        return out


def class_variants(form: str) -> list[str]:
    """A class form and the orders labels also write it in."""
    out = [form]
    head, comma, tail = form.partition(", ")
    if comma and head and ", " not in tail and " and " not in tail:
        out.append(
            head
        )  # an inverted MeSH term: its head is the broader class ("alpha-Blockers, Adrenergic")
    plain = _P450_CYP.sub("P450 ", form)
    if plain != form:
        out.append(plain)
    for f in list(out):
        words = f.split()
        if len(words) >= 2 and words[-1].lower() in AGENT_NOUNS:
            out.append(f"{words[-1]} of {' '.join(words[:-1])}")
    return out


_CLASSES_OF: weakref.WeakKeyDictionary[Lexicon, dict[str, list[Concept]]] = weakref.WeakKeyDictionary()
_SALT_FORMS: weakref.WeakKeyDictionary[Lexicon, dict[str, list[Concept]]] = weakref.WeakKeyDictionary()


def _explicit_classes(lexicon: Lexicon) -> dict[str, list[Concept]]:
    """Drug concept id -> the lexicon classes that list it as a member."""
    got = _CLASSES_OF.get(lexicon)
    if got is None:
        got = {}
        for c in lexicon:
            if c.is_class:
                for member in lexicon.members(c):
                    got.setdefault(member, []).append(c)
        _CLASSES_OF[lexicon] = got
    return got


def _salt_forms(lexicon: Lexicon) -> dict[str, list[Concept]]:
    """Base name -> drug concepts named '<base> <salt>' ("sildenafil" -> "Sildenafil Citrate")."""
    got = _SALT_FORMS.get(lexicon)
    if got is None:
        got = {}
        for c in lexicon:
            words = fold(c.preferred).split()
            if c.kind == "drug" and len(words) > 1 and words[-1] in SALTS:
                got.setdefault(strip_salts(c.preferred), []).append(c)
        _SALT_FORMS[lexicon] = got
    return got


def _class_concepts(lexicon: Lexicon, name: str) -> list[Concept]:
    return [c for c in lexicon.lookup(name) if c.is_class] or [
        Concept(id=f"pa:{name}", kind="other", preferred=name, is_class=True)
    ]


def _usable(form: str) -> bool:
    key = norm_key(form)
    return len(form) >= 3 and bool(key) and not (" " not in key and key in GENERIC_WORDS)


def drug_terms(match: DrugMatch, lexicon: Lexicon) -> DrugTerms:
    """The names and classes of a resolved drug (see the module docstring)."""
    terms = DrugTerms(drug=match.preferred, lexicon=lexicon)
    concepts = list(match.concepts)
    for c in list(concepts):
        concepts += [s for s in _salt_forms(lexicon).get(strip_salts(c.preferred), []) if s not in concepts]
    terms.concept_ids = frozenset(c.id for c in concepts)
    label_names = {fold(n) for r in match.labels for n in (*r.generics, *r.brands)}
    for name in [*match.names, *(n for c in match.concepts for n in c.names())]:
        if len(name) >= 3 and name not in terms.names:
            terms.names[name] = "a label name" if fold(name) in label_names else "a name of the drug"
    terms.names[match.query] = "the name asked for"
    terms.name_words = [frozenset(w for w in fold(n).split() if w.isalpha()) for n in terms.names]

    def add_class(name: str, forms: list[str], source: str) -> None:
        if name in terms.classes:
            return
        terms.classes[name] = source
        for form in forms:
            for v in class_variants(form):
                if _usable(v) and v not in terms.names:
                    terms.class_forms.setdefault(v, name)

    def add_actions(actions: tuple[str, ...], owner: str) -> None:
        for cls in actions:
            for k in _class_concepts(lexicon, cls):
                add_class(k.preferred, list(k.names()), f"MeSH pharmacological action of {owner}")
                for node in ancestors(k.tree_numbers):
                    add_class(
                        node.name, [node.name, *node.terms], f"MeSH tree: {k.preferred} is under {node.tree}"
                    )

    def add_tree(trees: tuple[str, ...], owner: str) -> None:
        for node in ancestors(trees):
            add_class(node.name, [node.name, *node.terms], f"MeSH tree: {owner} is under {node.tree}")

    for c in concepts:
        add_actions(c.classes, c.preferred if c in match.concepts else f"{c.preferred} (a salt form)")
        for k in _explicit_classes(lexicon).get(c.id, []):
            add_class(k.preferred, list(k.names()), f"the lexicon lists {c.preferred} as a member")
        add_tree(c.tree_numbers, c.preferred)
    known = {fold(c.preferred) for c in concepts}
    for base in dict.fromkeys(strip_salts(c.preferred) for c in match.concepts):
        for salt in salt_forms().get(base, []):
            if fold(salt.name) not in known:
                add_actions(salt.actions, f"{salt.name} (a salt form)")
                add_tree(salt.trees, salt.name)
    return terms
