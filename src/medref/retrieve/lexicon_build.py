"""Build the lexicon file from DrugBank's open vocabulary and MeSH (descriptors, trees, actions).

Rules (each one keeps two different drugs from being merged):

1. **Drugs** come from DrugBank: the common name plus synonyms, dropping synonyms shorter than
   3 characters, purely numeric ones and chemical names longer than 60 characters.
2. **Linking**: a drug is linked to at most one MeSH descriptor of the D (chemicals and drugs)
   tree, and a descriptor to at most one drug, by exact normalised match of a drug name with the
   descriptor name (best) or with a term of the descriptor's *preferred concept* (a true
   synonym). Matches with terms of other concepts (MeSH "narrower" concepts) never link: MeSH
   files Belatacept as a narrower concept of Abatacept. Curated ``mesh_id`` links come first.
3. **MeSH terms as drug synonyms**: the preferred concept's terms are added, minus any term
   that names another DrugBank drug. Terms of the other concepts (trade names, codes, salts)
   are added only when *no* term of the descriptor names another DrugBank drug: a descriptor
   that does (Abatacept lists Belatacept, LEA29Y, Nulojix, BMS-224818) is a family, not a
   synonym set, so none of its narrower terms are trusted.
4. **Conditions** are the descriptors of the C tree and of F03 (mental disorders), with their
   non-permuted terms; inverted MeSH forms ("Arthritis, Rheumatoid") also get their natural
   order ("Rheumatoid Arthritis").
5. **Classes** are the MeSH pharmacological actions; a drug's ``classes`` name the actions of
   its linked descriptor and of the descriptors of its salt forms (:mod:`medref.retrieve.salts`:
   "Sildenafil Citrate" for Sildenafil) or, for a salt-named drug with no descriptor of its own,
   of its parent's descriptor ("Fluticasone" for Fluticasone propionate), which makes it an
   explicit member of that class. Each class records the descriptor it came from
   (``Concept.class_sources``). A salt or parent descriptor only adds classes: its terms are not
   added and it never links a second drug.
6. The curated built-in concepts are merged in (by DrugBank id, else MeSH id). A curated
   surface form wins: the same form is removed from every non-curated concept. Among drugs,
   a form claimed by several drugs stays only with the drug whose common name it is (or with
   none, when it is only a synonym of each).
"""

from __future__ import annotations

import csv
import gzip
import io
import time
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from medref.errors import InputError, ParseError
from medref.retrieve.lexicon import Concept, Kind, LexiconStats, norm_key, write_concepts
from medref.retrieve.salts import CURATED_SOURCE, Tables, parent_links, salt_links

MAX_SYNONYM_CHARS = 60
CURATED, PREFERRED, DRUGBANK, MESH = 0, 1, 2, 3  # claim priority of a surface form, best first
# Forms too generic to mark a mention of one concept; a concept named only by one is skipped.
NOISE = frozenset(
    {
        "disease",
        "diseases",
        "syndrome",
        "syndromes",
        "disorder",
        "disorders",
        "illness",
        "condition",
        "conditions",
        "recurrence",
        "death",
        "strain",
        "strains",
        "blood",
        "date",
        "indicators",
        "pathologic processes",
        "disease attributes",
        "signs and symptoms",
    }
)


def _rejected(surface: str, priority: int, kind: str) -> bool:
    """Non-curated forms that are noise: generic words, and 2-3 letter capitals naming a drug ("ASA", "MDA")."""
    if priority == CURATED:
        return False
    if norm_key(surface) in NOISE:
        return True
    letters = surface.replace("-", "")
    return (
        kind == "drug"
        and priority != PREFERRED
        and letters.isalpha()
        and letters.isupper()
        and len(letters) <= 3
    )


@dataclass
class _Draft:
    id: str
    kind: Kind
    preferred: str
    surfaces: dict[str, int] = field(default_factory=dict)  # surface form -> priority
    drugbank_id: str | None = None
    mesh_id: str | None = None
    classes: list[tuple[str, str]] = field(default_factory=list)  # (class, "UI descriptor name" or CURATED)
    trees: list[str] = field(default_factory=list)
    unii: str | None = None
    cas: str | None = None
    is_class: bool = False
    members: list[str] = field(default_factory=list)
    targets: list[str] = field(default_factory=list)

    def add(self, surface: str, priority: int) -> None:
        surface = " ".join(surface.split())
        if (
            surface
            and priority < self.surfaces.get(surface, 99)
            and not _rejected(surface, priority, self.kind)
        ):
            self.surfaces[surface] = priority

    def concept(self) -> Concept:
        seen = {self.preferred.casefold()}
        syns: list[str] = []
        for s in sorted(self.surfaces, key=lambda s: (self.surfaces[s], len(s), s)):
            k = s if s.isupper() or len(s) <= 6 else s.casefold()
            if k not in seen:
                seen.add(k)
                syns.append(s)
        classes: dict[str, str] = {}
        for name, source in self.classes:
            classes.setdefault(name, source)
        return Concept(
            id=self.id,
            kind=self.kind,
            preferred=self.preferred,
            synonyms=tuple(syns),
            drugbank_id=self.drugbank_id,
            mesh_id=self.mesh_id,
            classes=tuple(classes),
            class_sources=tuple(classes.values()),
            tree_numbers=tuple(sorted(set(self.trees))),
            unii=self.unii,
            cas=self.cas,
            is_class=self.is_class,
            members=tuple(dict.fromkeys(self.members)),
            targets=tuple(dict.fromkeys(self.targets)),
            curated=tuple(s for s, p in self.surfaces.items() if p == CURATED),
        )


@dataclass
class _Descriptor:
    ui: str
    name: str
    preferred_concept: str | None = None
    terms: list[tuple[str, str]] = field(default_factory=list)  # (concept UI, term)

    def preferred_terms(self) -> list[str]:
        return [t for c, t in self.terms if c == self.preferred_concept] or [self.name]

    def other_terms(self) -> list[str]:
        return [t for c, t in self.terms if c != self.preferred_concept]


# ------------------------------------------------------------------ readers
def _open_text(path: Path) -> IO[str]:
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    with path.open("rb") as fh:
        magic = fh.read(2)
    if magic == b"\x1f\x8b":
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding="utf-8", newline="")
    return path.open(encoding="utf-8", newline="")


def _rows(path: Path, required: tuple[str, ...], *, delimiter: str) -> Iterator[dict[str, str]]:
    with _open_text(path) as fh:
        reader = csv.DictReader(fh, delimiter=delimiter)
        missing = [c for c in required if c not in (reader.fieldnames or ())]
        if missing:
            raise ParseError(path, f"missing column(s) {', '.join(missing)}; got {reader.fieldnames}")
        for row in reader:
            yield {k: (v or "").strip() for k, v in row.items() if k}


def keep_synonym(s: str) -> bool:
    """DrugBank synonym filter: not too short, not just a number, not a chemical-name monster."""
    compact = "".join(ch for ch in s if ch.isalnum())
    return len(s) >= 3 and len(s) <= MAX_SYNONYM_CHARS and bool(compact) and not compact.isdigit()


def uninvert(term: str) -> str | None:
    """MeSH inverted form to natural order: "Lymphoma, Large B-Cell, Diffuse" -> "Diffuse Large B-Cell Lymphoma"."""
    if ", " not in term or "(" in term or term[:1].isdigit() or term.count(", ") > 3:
        return None
    return " ".join(reversed(term.split(", ")))


def _read_mesh(thesaurus: Path) -> dict[str, _Descriptor]:
    cols = (
        "DescriptorUI",
        "DescriptorName",
        "ConceptUI",
        "TermName",
        "IsPermutedTermYN",
        "RecordPreferredTermYN",
    )
    out: dict[str, _Descriptor] = {}
    for r in _rows(thesaurus, cols, delimiter="\t"):
        if r["IsPermutedTermYN"] == "Y" or not r["DescriptorUI"]:
            continue
        d = out.get(r["DescriptorUI"])
        if d is None:
            d = out[r["DescriptorUI"]] = _Descriptor(r["DescriptorUI"], r["DescriptorName"])
        if r["RecordPreferredTermYN"] == "Y":
            d.preferred_concept = r["ConceptUI"]
        if r["TermName"]:
            d.terms.append((r["ConceptUI"], r["TermName"]))
    return out


def _read_trees(trees: Path) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for r in _rows(trees, ("DescriptorUI", "tree_location"), delimiter="\t"):
        if r["tree_location"]:
            out[r["DescriptorUI"]].append(r["tree_location"])
    return out


def _read_actions(path: Path) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for r in _rows(path, ("DescriptorUI", "PharmActionUI", "PharmActionName"), delimiter="\t"):
        out[r["DescriptorUI"]].append((r["PharmActionUI"], r["PharmActionName"]))
    return out


def _read_drugbank(path: Path) -> tuple[dict[str, _Draft], int]:
    drafts: dict[str, _Draft] = {}
    dropped = 0
    for r in _rows(path, ("DrugBank ID", "Common name", "Synonyms"), delimiter=","):
        did, name = r["DrugBank ID"], r["Common name"]
        if not did or not name:
            continue
        d = _Draft(did, "drug", name, drugbank_id=did, unii=r.get("UNII") or None, cas=r.get("CAS") or None)
        d.add(name, PREFERRED)
        for s in r["Synonyms"].split(" | "):
            s = s.strip()
            if not s:
                continue
            if keep_synonym(s):
                d.add(s, DRUGBANK)
            else:
                dropped += 1
        drafts[did] = d
    return drafts, dropped


# ------------------------------------------------------------------ the build
def build_lexicon(
    drugbank_csv: str | Path,
    mesh_thesaurus_tsv_gz: str | Path,
    mesh_trees_tsv_gz: str | Path,
    pharm_action_tsv: str | Path,
    out_path: str | Path,
    *,
    include_builtin: bool = True,
) -> LexiconStats:
    """Build the lexicon and write it to ``out_path`` (gzip JSON lines). Inputs may be gzipped or not."""
    t0 = time.perf_counter()
    stats = LexiconStats()
    drugs, stats.dropped_synonyms = _read_drugbank(Path(drugbank_csv))
    mesh = _read_mesh(Path(mesh_thesaurus_tsv_gz))
    trees = _read_trees(Path(mesh_trees_tsv_gz))
    actions = _read_actions(Path(pharm_action_tsv))
    curated: list[Concept] = []
    if include_builtin:
        from medref.retrieve.builtin_lexicon import builtin_concepts

        curated = builtin_concepts()

    # every name of every drug (DrugBank + curated), to spot MeSH terms that name another drug
    drug_keys: dict[str, set[str]] = defaultdict(set)
    for d in drugs.values():
        for s in d.surfaces:
            drug_keys[norm_key(s)].add(d.id)
    for c in curated:
        if c.kind == "drug":
            for s in c.names():
                drug_keys[norm_key(s)].add(c.id)

    links = _link(drugs, mesh, trees, curated)
    stats.drugs_linked_to_mesh = len(links)
    tables = Tables(
        {ui: desc.name for ui, desc in mesh.items()},
        trees,
        actions,
        {did: (d.preferred, list(d.surfaces)) for did, d in drugs.items()},
        links,
    )
    salts = salt_links(tables)
    for did, uis in parent_links(tables).items():
        salts.setdefault(did, []).extend(uis)
    for did, ui in links.items():
        d, desc = drugs[did], mesh[ui]
        d.mesh_id = ui
        d.trees.extend(trees.get(ui, ()))
        d.classes.extend(_classes(desc, actions))
        mixed = _add_mesh_terms(d, desc, drug_keys)
        stats.mixed_descriptors += mixed
    for did, uis in salts.items():
        for ui in uis:
            drugs[did].classes.extend(_classes(mesh[ui], actions))

    drafts: dict[str, _Draft] = dict(drugs)
    linked = set(links.values())
    for ui, desc in mesh.items():
        tns = trees.get(ui, ())
        if ui in linked or not any(t.startswith(("C", "F03")) for t in tns):
            continue
        cond = _Draft(ui, "condition", _display(desc), mesh_id=ui, trees=list(tns))
        _add_all_terms(cond, desc)
        drafts[ui] = cond
    for acts in actions.values():
        for aui, aname in acts:
            if aui in drafts:
                continue
            cls = _Draft(aui, "other", aname, mesh_id=aui, is_class=True, trees=list(trees.get(aui, ())))
            cls.add(aname, PREFERRED)
            if aui in mesh:
                _add_all_terms(cls, mesh[aui])
            drafts[aui] = cls

    for key in [k for k, d in drafts.items() if norm_key(d.preferred) in NOISE]:
        del drafts[key]
    for c in curated:
        _merge_curated(drafts, c, mesh, trees, actions, drug_keys)
    stats.dropped_synonyms += _resolve_claims(drafts)

    concepts = [d.concept() for d in drafts.values()]
    stats.concepts = len(concepts)
    for c in concepts:
        if c.is_class:
            stats.classes += 1
        attr = {"drug": "drugs", "condition": "conditions", "target": "targets"}.get(c.kind, "other")
        setattr(stats, attr, getattr(stats, attr) + 1)
    stats.surface_forms = len({norm_key(s) for c in concepts for s in c.names()})
    stats.seconds = round(time.perf_counter() - t0, 2)
    stats.path = str(out_path)
    stats.file_bytes = write_concepts(out_path, concepts, stats=stats.as_dict())
    stats.seconds = round(time.perf_counter() - t0, 2)
    return stats


def build_default(shared_data_dir: Path, out: Path) -> LexiconStats:
    """Build from ``<dir>/drugbank/drugbank_vocabulary.csv`` and ``<dir>/mesh/*`` (the shared data layout)."""
    base = Path(shared_data_dir)
    return build_lexicon(
        base / "drugbank" / "drugbank_vocabulary.csv",
        base / "mesh" / "data_mesh_thesaurus.tsv.gz",
        base / "mesh" / "data_mesh_trees.tsv.gz",
        base / "mesh" / "data_pharm_action.tsv",
        out,
    )


def _classes(desc: _Descriptor, actions: dict[str, list[tuple[str, str]]]) -> list[tuple[str, str]]:
    """The pharmacological actions of a descriptor, each with the descriptor as its source."""
    return [(name, f"{desc.ui} {desc.name}") for _, name in actions.get(desc.ui, ())]


def _display(desc: _Descriptor) -> str:
    """A readable preferred name: the natural-order form of an inverted descriptor name."""
    return uninvert(desc.name) or desc.name


def _add_all_terms(d: _Draft, desc: _Descriptor) -> None:
    for _, term in [("", desc.name), *desc.terms]:
        d.add(term, MESH if term != d.preferred else PREFERRED)
        natural = uninvert(term)
        if natural:
            d.add(natural, MESH)
    d.add(d.preferred, PREFERRED)


def _link(
    drugs: dict[str, _Draft],
    mesh: dict[str, _Descriptor],
    trees: dict[str, list[str]],
    curated: list[Concept],
) -> dict[str, str]:
    """drug id -> descriptor UI, one-to-one, best match first (see the module docstring, rule 2)."""
    index: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for ui, desc in mesh.items():
        if trees.get(ui) and not any(t.startswith("D") for t in trees[ui]):
            continue
        index[norm_key(desc.name)].append((0, ui))
        for term in desc.preferred_terms():
            index[norm_key(term)].append((1, ui))
    links: dict[str, str] = {}
    taken: set[str] = set()
    for c in curated:
        if c.kind == "drug" and c.drugbank_id in drugs and c.mesh_id in mesh:
            links[c.drugbank_id] = c.mesh_id
            taken.add(c.mesh_id)
    candidates: list[tuple[int, int, str, str]] = []
    for did, d in drugs.items():
        for s, prio in d.surfaces.items():
            for rank, ui in index.get(norm_key(s), ()):
                candidates.append((rank, prio, did, ui))
    for _rank, _prio, did, ui in sorted(candidates):
        if did not in links and ui not in taken:
            links[did] = ui
            taken.add(ui)
    return links


def _add_mesh_terms(d: _Draft, desc: _Descriptor, drug_keys: dict[str, set[str]]) -> int:
    """Add a linked descriptor's terms to drug ``d``; returns 1 when the descriptor is 'mixed'."""

    own = {norm_key(s) for s in d.surfaces}

    def other_drug(term: str) -> bool:  # names another drug, and is not one of d's own names
        key = norm_key(term)
        return key not in own and bool(drug_keys.get(key, set()) - {d.id})

    mixed = any(other_drug(t) for _, t in desc.terms)
    terms = desc.preferred_terms() + ([] if mixed else desc.other_terms())
    for term in terms:
        if not other_drug(term) and len(term) <= MAX_SYNONYM_CHARS:
            d.add(term, MESH)
    return int(mixed)


def _merge_curated(
    drafts: dict[str, _Draft],
    c: Concept,
    mesh: dict[str, _Descriptor],
    trees: dict[str, list[str]],
    actions: dict[str, list[tuple[str, str]]],
    drug_keys: dict[str, set[str]],
) -> None:
    target = drafts.get(c.drugbank_id or "") or drafts.get(c.id) or drafts.get(c.mesh_id or "")
    if target is None:
        target = _Draft(c.id, c.kind, c.preferred, mesh_id=c.mesh_id, drugbank_id=c.drugbank_id)
        desc = mesh.get(c.mesh_id or "")
        if desc is not None:
            target.trees.extend(trees.get(desc.ui, ()))
            if c.kind == "drug":
                _add_mesh_terms(target, desc, drug_keys)
                target.classes.extend(_classes(desc, actions))
            elif c.kind == "condition" or c.is_class:
                _add_all_terms(target, desc)
            else:  # targets and others: true synonyms only
                for term in desc.preferred_terms():
                    target.add(term, MESH)
        drafts[target.id] = target
    old_preferred = target.preferred
    target.kind, target.preferred = c.kind, c.preferred
    target.surfaces.pop(old_preferred, None)
    target.add(old_preferred, DRUGBANK if target.kind == "drug" else MESH)
    for s in c.names():
        target.add(s, CURATED)
    target.mesh_id = target.mesh_id or c.mesh_id
    target.drugbank_id = target.drugbank_id or c.drugbank_id
    target.classes.extend((cls, CURATED_SOURCE) for cls in c.classes)
    target.trees.extend(c.tree_numbers)
    target.is_class = target.is_class or c.is_class
    target.members.extend(c.members)
    target.targets.extend(c.targets)


def _resolve_claims(drafts: dict[str, _Draft]) -> int:
    """Drop surface forms claimed by several concepts (rule 6); returns how many were dropped."""
    claims: dict[str, list[tuple[int, _Draft, str]]] = defaultdict(list)
    for d in drafts.values():
        for s, prio in d.surfaces.items():
            claims[norm_key(s)].append((prio, d, s))
    dropped = 0
    for group in claims.values():
        if len({id(d) for _, d, _ in group}) < 2:
            continue
        best = min(p for p, _, _ in group)
        if best == CURATED:
            losers = [(d, s) for p, d, s in group if p != CURATED and s != d.preferred]
        else:
            drug_claims = [(p, d, s) for p, d, s in group if d.kind == "drug"]
            if len({id(d) for _, d, _ in drug_claims}) < 2:
                continue
            low = min(p for p, _, _ in drug_claims)
            winners = {id(d) for p, d, _ in drug_claims if p == low}
            keep_winners = len(winners) == 1 or low == PREFERRED
            losers = [
                (d, s)
                for p, d, s in drug_claims
                if s != d.preferred and (id(d) not in winners or not keep_winners)
            ]
        for d, s in losers:
            if d.surfaces.pop(s, None) is not None:
                dropped += 1
    return dropped
