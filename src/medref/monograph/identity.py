"""Names, codes, class and route: values read from structured sources, each naming its source.

* generic and brand names: the label's product data, Drugs@FDA product names, the lexicon's
  preferred name (DrugBank);
* synonyms and codes: the lexicon concept (DrugBank id, UNII, CAS number, MeSH id), the label
  (NDC product codes, SPL set id), Drugs@FDA (application number), trial registrations (other
  names of the intervention);
* class: the MeSH pharmacological actions of the lexicon concept, each citing the descriptor that
  lists it: the drug's own descriptor or the descriptor of a salt form ("Sildenafil Citrate",
  D000068677, for Sildenafil, DB00203; see :mod:`medref.retrieve.salts`); for a drug with no label,
  also the registrations' own words on what kind of agent it is
  (:func:`medref.monograph.investigational.agent_kind`), quoted and cited;
* route: the label's product data, else the route words of trial intervention descriptions.

Nothing here is filled from general knowledge: a value exists only when one of those sources
has it.
"""

from __future__ import annotations

from medref.models import Document, DocumentRef
from medref.monograph.evidence import Draft, Quote, structured
from medref.monograph.label import LabelView
from medref.monograph.names import DrugMatch, fold
from medref.retrieve.lexicon import Concept, Lexicon
from medref.retrieve.salts import CURATED_SOURCE, salt_base

MAX_SYNONYMS = 20


def label_source(view: LabelView) -> str:
    return f"label product data (SPL set {view.doc.spl_setid}, version {view.doc.spl_version})"


def lexicon_source(lexicon: Lexicon, c: Concept) -> str:
    ident = c.drugbank_id or c.mesh_id or c.id
    return f"medref curated lexicon ({ident})" if lexicon.is_builtin else f"DrugBank vocabulary ({ident})"


def mesh_source(lexicon: Lexicon, c: Concept) -> str:
    ident = c.mesh_id or c.drugbank_id or c.id
    where = "medref curated lexicon" if lexicon.is_builtin else "MeSH"
    return f"{where}: pharmacological actions of {c.preferred} ({ident})"


class _Values:
    """Quotes without repeats (compared as folded text)."""

    def __init__(self) -> None:
        self.quotes: list[Quote] = []
        self._seen: set[str] = set()

    def add(self, text: str, source: str, *docs: DocumentRef) -> None:
        key = fold(text)
        if text and key not in self._seen:
            self._seen.add(key)
            self.quotes.append(structured(text, source, *docs))


def _pretty(value: str) -> str:
    return value[:1].upper() + value[1:].lower() if value.isupper() else value


def generic_name(match: DrugMatch, view: LabelView | None, lexicon: Lexicon) -> Draft:
    v = _Values()
    if view is not None:
        for g in view.meta.get("generic_names") or []:
            v.add(str(g), label_source(view), view.ref)
    for c in match.concepts:
        v.add(c.preferred, lexicon_source(lexicon, c))
    return Draft("generic_name", "Generic name", v.quotes)


def brand_names(view: LabelView | None, fda_brands: list[str], fda_source: str | None) -> Draft:
    v = _Values()
    if view is not None:
        for b in view.meta.get("brand_names") or []:
            v.add(str(b), label_source(view), view.ref)
    for b in fda_brands:
        if fda_source:
            v.add(_pretty(b), fda_source)
    return Draft("brand_names", "Brand names", v.quotes)


def synonyms(match: DrugMatch, trials: list[Document], lexicon: Lexicon) -> Draft:
    v = _Values()
    shown = {fold(c.preferred) for c in match.concepts}
    total = 0
    for c in match.concepts:
        for s in c.synonyms:
            if fold(s) in shown:
                continue
            total += 1
            if len(v.quotes) < MAX_SYNONYMS:
                v.add(f"{c.preferred}: {s}" if len(match.concepts) > 1 else s, lexicon_source(lexicon, c))
    wanted = {fold(n) for n in match.names}
    for doc in trials:
        for iv in doc.meta.get("interventions") or []:
            if isinstance(iv, dict) and fold(str(iv.get("name") or "")) in wanted:
                for other in iv.get("other_names") or []:
                    v.add(
                        str(other),
                        f"trial registration {doc.nct_id or doc.uid} (intervention other names)",
                        DocumentRef.of(doc),
                    )
    d = Draft("synonyms", "Synonyms", v.quotes)
    if total > MAX_SYNONYMS:
        d.note = f"First {MAX_SYNONYMS} of {total} lexicon synonyms."
    return d


def codes(
    match: DrugMatch, view: LabelView | None, lexicon: Lexicon, application: tuple[str, str] | None
) -> Draft:
    v = _Values()
    many = len(match.concepts) > 1
    for c in match.concepts:
        who = f"{c.preferred} " if many else ""
        src = lexicon_source(lexicon, c)
        if c.drugbank_id:
            v.add(f"{who}DrugBank: {c.drugbank_id}", src)
        if c.unii:
            v.add(f"{who}UNII: {c.unii}", src)
        if c.cas:
            v.add(f"{who}CAS: {c.cas}", src)
        if c.mesh_id:
            v.add(f"{who}MeSH: {c.mesh_id}", mesh_source(lexicon, c).split(":")[0])
        for descriptor in dict.fromkeys(c.class_sources):
            ui, _, name = descriptor.partition(" ")
            if ui and ui != c.mesh_id and not lexicon.is_builtin and descriptor != CURATED_SOURCE:
                kind = "parent drug" if _is_parent(c, name) else "salt form"
                v.add(f"{who}MeSH ({kind} {name}): {ui}", class_source(lexicon, c, descriptor).split(":")[0])
    if view is not None:
        ndc = sorted({str(n) for p in view.meta.get("products") or [] for n in (p.get("ndc") or [])})
        if ndc:
            v.add(f"NDC product codes: {', '.join(ndc)}", label_source(view), view.ref)
        if view.doc.spl_setid:
            v.add(f"SPL set id: {view.doc.spl_setid}", label_source(view), view.ref)
    if application is not None:
        v.add(f"Drugs@FDA application: {application[0]}", application[1])
    return Draft("codes", "Codes", v.quotes)


def class_source(lexicon: Lexicon, c: Concept, descriptor: str) -> str:
    """Where one class of ``c`` comes from: the MeSH descriptor listing it ("UI Name"), else the lexicon."""
    ui, _, name = descriptor.partition(" ")
    if descriptor == CURATED_SOURCE:
        ident = c.drugbank_id or c.mesh_id or c.id
        return f"medref curated lexicon: classes of {c.preferred} ({ident})"
    if not ui or lexicon.is_builtin:
        return mesh_source(lexicon, c)
    drug = f"{c.preferred}, DrugBank {c.drugbank_id}" if c.drugbank_id else c.preferred
    if ui == c.mesh_id:
        return f"MeSH {ui} ({name}, linked to {drug}): pharmacological actions"
    if _is_parent(c, name):
        return f"MeSH {ui} ({name}, parent of the salt or ester {drug}): pharmacological actions"
    return f"MeSH {ui} ({name}, a salt form of {drug}): pharmacological actions"


def _is_parent(c: Concept, descriptor_name: str) -> bool:
    """Whether the descriptor names the parent of a salt-named drug ('Fluticasone' for 'Fluticasone propionate')."""
    return salt_base(c.preferred) == fold(descriptor_name)


def drug_class(match: DrugMatch, lexicon: Lexicon, registrations: list[Quote] | None = None) -> Draft:
    """MeSH classes of the drug and its salt forms, then the registrations' own words (no label)."""
    v = _Values()
    many = len(match.concepts) > 1
    for c in match.concepts:
        sources = c.class_sources if len(c.class_sources) == len(c.classes) else ("",) * len(c.classes)
        for cls, descriptor in zip(c.classes, sources, strict=True):
            v.add(f"{c.preferred}: {cls}" if many else cls, class_source(lexicon, c, descriptor))
    mesh = len(v.quotes)
    d = Draft("drug_class", "Drug class", [*v.quotes, *(registrations or [])])
    notes = []
    if not mesh:
        notes.append(
            "The built-in lexicon lists no MeSH pharmacological action for this drug (build the full lexicon to look further)."
            if lexicon.is_builtin
            else "MeSH lists no pharmacological action for this drug or its salt forms."
        )
    if registrations:
        notes.append("Quoted from trial registrations: how they describe the drug, not an approved class.")
    d.note = " ".join(notes) or None
    return d


def route_from_label(view: LabelView) -> list[Quote]:
    v = _Values()
    for r in view.meta.get("routes") or []:
        v.add(_pretty(str(r)), label_source(view), view.ref)
    return v.quotes
