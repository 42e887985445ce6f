"""Which drug a name means: lexicon concepts, stored labels and trial interventions.

:func:`resolve` turns the name a user typed into a :class:`DrugMatch`: the lexicon drug
concept(s) it names (DrugBank ids, synonyms, MeSH classes), the stored label sets whose generic
or brand names (or set id) match it, and the trial registrations whose interventions name it.
A name that matches none of them raises :class:`UnknownDrugError` (a
:class:`~medref.errors.NotFoundError`) naming the closest known names (difflib over lexicon drug
names, label names and intervention names).

Names are compared as normalised tokens (:func:`medref.retrieve.lexnorm.norm_key`); salt words
("HCl", "calcium", "sodium" ...) are dropped from generic names so "atorvastatin calcium" and
"atorvastatin" match, and a combination product's generic name is split into its ingredients.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import weakref
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from medref.errors import NotFoundError, QueryError
from medref.retrieve.lexicon import Concept, Lexicon
from medref.retrieve.lexnorm import norm_key
from medref.retrieve.salts import SALT_WORDS
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import documents

SALTS = SALT_WORDS  # salt and ester words, dropped when names are compared
_SPLIT = re.compile(r"\s*(?:,|;|/|\band\b|\+)\s*", re.I)
MAX_SUGGESTIONS = 3


class UnknownDrugError(NotFoundError):
    """No drug of that name is known; ``suggestions`` are the closest known names, best first."""

    def __init__(self, query: str, suggestions: list[str]) -> None:
        self.query = query
        self.suggestions = list(suggestions)
        if suggestions:
            message = f"unknown drug {query!r}; did you mean: {', '.join(suggestions)}?"
        else:
            message = f"unknown drug {query!r}; no similar drug name is known"
        super().__init__(message)


def fold(name: str) -> str:
    return norm_key(name or "")


def strip_salts(name: str) -> str:
    """'atorvastatin calcium' -> 'atorvastatin' (unchanged when only salt words would be left)."""
    words = fold(name).split()
    kept = [w for w in words if w not in SALTS]
    return " ".join(kept) if kept else " ".join(words)


def ingredients(generic: str) -> list[str]:
    """The ingredients of a (possibly combination) generic name, as written."""
    return [p.strip() for p in _SPLIT.split(generic or "") if p.strip()]


@dataclass(frozen=True)
class LabelRow:
    uid: str
    setid: str
    version: int
    is_current: bool
    date: dt.date | None
    generics: tuple[str, ...]
    brands: tuple[str, ...]

    @property
    def ingredient_keys(self) -> frozenset[str]:
        return frozenset(strip_salts(i) for g in self.generics for i in ingredients(g))


@dataclass(frozen=True)
class TrialRow:
    uid: str
    names: tuple[str, ...]  # intervention names and their other names


@dataclass
class DrugMatch:
    """What a drug name resolved to."""

    query: str
    preferred: str
    concepts: list[Concept] = field(default_factory=list)  # one drug, or each ingredient of a combination
    labels: list[LabelRow] = field(default_factory=list)  # matching label versions (all sets)
    trial_uids: list[str] = field(default_factory=list)
    names: list[str] = field(default_factory=list)  # every name to look for in text
    combination: bool = False

    @property
    def concept(self) -> Concept | None:
        return self.concepts[0] if len(self.concepts) == 1 else None


# ------------------------------------------------------------------ catalogue
def label_rows(store: Store) -> list[LabelRow]:
    """Every stored label version with its names (no passages are read)."""
    q = select(
        documents.c.uid,
        documents.c.spl_setid,
        documents.c.spl_version,
        documents.c.is_current,
        documents.c.pub_date,
        documents.c.meta,
    ).where(documents.c.kind == "drug_label")
    out: list[LabelRow] = []
    with read_tx(store.engine) as conn:
        for r in conn.execute(q):
            meta: dict[str, Any] = r.meta or {}
            out.append(
                LabelRow(
                    uid=r.uid,
                    setid=(r.spl_setid or "").lower(),
                    version=int(r.spl_version or 0),
                    is_current=bool(r.is_current),
                    date=r.pub_date,
                    generics=tuple(str(g) for g in meta.get("generic_names") or [] if g),
                    brands=tuple(str(b) for b in meta.get("brand_names") or [] if b),
                )
            )
    return out


def trial_rows(store: Store) -> list[TrialRow]:
    """Every stored trial registration with the names of its interventions."""
    q = select(documents.c.uid, documents.c.meta).where(documents.c.kind == "trial_registration")
    out: list[TrialRow] = []
    with read_tx(store.engine) as conn:
        for r in conn.execute(q):
            names: list[str] = []
            for iv in (r.meta or {}).get("interventions") or []:
                if isinstance(iv, dict):
                    names.append(str(iv.get("name") or ""))
                    names.extend(str(n) for n in iv.get("other_names") or [])
            out.append(TrialRow(uid=r.uid, names=tuple(n for n in names if n)))
    return out


# ------------------------------------------------------------------ matching
def _label_level(row: LabelRow, forms: set[str], concept_forms: set[str]) -> int:
    """3: set id, brand or full generic name; 2: the same single ingredient or a concept name; 1: part."""
    if row.setid in forms:
        return 3
    brands = {fold(b) for b in row.brands}
    generics = {fold(g) for g in row.generics} | {strip_salts(g) for g in row.generics}
    if forms & (brands | generics):
        return 3
    keys = row.ingredient_keys
    if len(keys) == 1 and keys & (forms | concept_forms):
        return 2
    if concept_forms & (brands | generics):
        return 2
    if keys & forms or any(b.startswith(f + " ") for b in brands for f in forms):
        return 1
    return 0


def _drug_concepts(lexicon: Lexicon, name: str) -> list[Concept]:
    """The drugs a name means: by the name itself, else by the name without its salt words (a drug
    DrugBank lists as a salt, "Fluticasone propionate", is not joined by its parent "Fluticasone")."""
    for term in (name, strip_salts(name)):
        seen: dict[str, Concept] = {}
        for c in lexicon.lookup(term):
            if c.kind == "drug":
                seen.setdefault(c.id, c)
        if seen:
            return list(seen.values())
    return []


def resolve(drug: str, *, store: Store, lexicon: Lexicon) -> DrugMatch:
    """Resolve a drug name; raises NotFoundError with suggestions for an unknown one."""
    query = " ".join((drug or "").split())
    if not query:
        raise QueryError("the drug name is empty")
    forms = {fold(query), strip_salts(query), query.lower()} - {""}
    concepts = _drug_concepts(lexicon, query)
    concept_forms = {fold(n) for c in concepts for n in c.names()}
    rows = label_rows(store)
    scored = [(lvl, r) for r in rows if (lvl := _label_level(r, forms, concept_forms))]
    best = max((lvl for lvl, _ in scored), default=0)
    labels = [r for lvl, r in scored if lvl == best]
    combination = False
    if not concepts and labels:  # known through a label: look its ingredients up
        parts = sorted({i for r in labels for g in r.generics for i in ingredients(g)}, key=str.lower)
        combination = len({strip_salts(p) for p in parts}) > 1
        for part in parts:
            for c in _drug_concepts(lexicon, part):
                if c.id not in {k.id for k in concepts}:
                    concepts.append(c)
        concept_forms = {fold(n) for c in concepts for n in c.names()} if not combination else set()
    trial_forms = forms | concept_forms
    trials = [t.uid for t in trial_rows(store) if any(fold(n) in trial_forms for n in t.names)]
    if not concepts and not labels and not trials:
        raise UnknownDrugError(query, suggest(query, known_names(store=store, lexicon=lexicon)))
    preferred = _preferred(query, concepts if not combination else [], labels)
    names = _names(query, concepts if not combination else [], labels, combination=combination)
    return DrugMatch(
        query=query,
        preferred=preferred,
        concepts=concepts,
        labels=labels,
        trial_uids=trials,
        names=names,
        combination=combination,
    )


def _preferred(query: str, concepts: list[Concept], labels: list[LabelRow]) -> str:
    if len(concepts) == 1:
        return concepts[0].preferred
    for r in labels:
        if r.generics:
            g = r.generics[0]
            return g[:1].upper() + g[1:] if g.islower() or g.isupper() else g
    return query


def _names(query: str, concepts: list[Concept], labels: list[LabelRow], *, combination: bool) -> list[str]:
    """Names to look for in text: the query, concept names, label generic and brand names."""
    out: dict[str, str] = {}

    def add(name: str) -> None:
        if len(name.strip()) >= 3:
            out.setdefault(fold(name), name.strip())

    add(query)
    for c in concepts:
        for n in c.names():
            add(n)
    for r in labels:
        for g in r.generics:
            add(g)
            if not combination:
                add(strip_salts(g))
        for b in r.brands:
            add(b)
    return list(out.values())


# ------------------------------------------------------------------ suggestions
_LEXICON_NAMES: weakref.WeakKeyDictionary[Lexicon, dict[str, str]] = weakref.WeakKeyDictionary()


def _lexicon_names(lexicon: Lexicon) -> dict[str, str]:
    got = _LEXICON_NAMES.get(lexicon)
    if got is None:
        got = {}
        for c in lexicon:
            if c.kind == "drug":
                for n in c.names():
                    got.setdefault(n.casefold(), n)
        _LEXICON_NAMES[lexicon] = got
    return got


def known_names(*, store: Store, lexicon: Lexicon) -> dict[str, str]:
    """Every known drug name, keyed by its case-folded form."""
    names = dict(_lexicon_names(lexicon))
    for r in label_rows(store):
        for n in (*r.generics, *r.brands):
            names.setdefault(n.casefold(), n)
    for t in trial_rows(store):
        for n in t.names:
            names.setdefault(n.casefold(), n)
    return names


def suggest(query: str, names: dict[str, str], *, n: int = MAX_SUGGESTIONS) -> list[str]:
    """The closest known names (difflib), best first, one per case-folded form."""
    q = query.casefold()
    pool = [k for k in names if abs(len(k) - len(q)) <= max(3, len(q) // 3)]
    hits = difflib.get_close_matches(q, pool, n=n, cutoff=0.6)
    return [names[h] for h in hits]
