"""Build a drug monograph in which every statement cites its source.

    >>> m = build_monograph("belatacept", store=store, retriever=retriever, lexicon=lexicon)  # doctest: +SKIP

Steps:

1. resolve the name (:mod:`medref.monograph.names`; an unknown name raises NotFoundError with
   the closest known names);
2. choose the label: among the matching label sets the one whose current version is newest,
   and in it the newest current version (``label_note`` says which version was used and which
   are superseded);
3. draft every field of :data:`medref.monograph.fields.SECTIONS` in page order: label sections
   first (:mod:`~medref.monograph.label_fields`), structured names, codes and class
   (:mod:`~medref.monograph.identity`), approval status (:mod:`~medref.monograph.approval`),
   literature for efficacy and research areas (and, for a drug with no label, for what it
   can honestly say: overview, mechanism, route, doses studied, safety findings);
4. number the references in one pass in page order (:class:`~medref.compose.citations.ReferenceBook`):
   every passage quote carries exact spans, every structured value its source;
5. adapt for patients when asked (:mod:`medref.monograph.patient`).

A field with nothing sourced stays empty (rendered as :data:`~medref.models.NOT_FOUND`), with a
note saying why when the reason is known.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from medref.compose.citations import ReferenceBook, markers
from medref.compose.sentences import Entity
from medref.models import Audience, Monograph, MonographField, MonographSection, SourcedValue
from medref.monograph import approval as ap
from medref.monograph import fields as fs
from medref.monograph import identity, investigational, literature
from medref.monograph.evidence import Draft, Quote
from medref.monograph.label import LabelView
from medref.monograph.label_fields import LabelFields
from medref.monograph.mapping import MAPPING, has_own_section
from medref.monograph.names import DrugMatch, ingredients, resolve, strip_salts
from medref.monograph.patient import adapt_monograph
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.store.repository import Store

DISCLAIMER = (
    "This monograph is assembled from the sources listed under References and is meant for education and "
    "reference. Every entry quotes its cited source or names the structured record it was read from; an entry "
    'with no source reads "Not found in the sources" and is never filled in from elsewhere. It is not the '
    "official prescribing information and not medical advice, and it does not replace the judgement of a "
    "qualified clinician who knows the patient. Check the current label and the cited sources before "
    "prescribing, dispensing or giving any medicine."
)
NO_LABEL = "No drug label for this drug is in the sources."


def _fmt(day: dt.date | None) -> str:
    return day.isoformat() if day else "date not given"


def choose_label(match: DrugMatch, store: Store) -> tuple[LabelView | None, str | None, list[str]]:
    """The newest current version of the best matching label set, the version note, other notes."""
    if not match.labels:
        return None, None, []
    by_set: dict[str, list[tuple[int, bool, str]]] = {}
    for row in match.labels:
        if row.setid not in by_set:
            by_set[row.setid] = store.label_versions(row.setid)
    current = {s: next((v for v in vs if v[1]), vs[0]) for s, vs in by_set.items() if vs}
    dates = {r.uid: r.date or dt.date.min for r in match.labels}
    setid = max(current, key=lambda s: (dates.get(current[s][2], dt.date.min), current[s][0]))
    version, _, uid = current[setid]
    doc = store.get_document(uid)
    older = [v for v, _, u in by_set[setid] if u != uid]
    note = f"Label version {version} (effective {_fmt(doc.date)}) used"
    if older:
        listed = ", ".join(str(v) for v in sorted(older))
        note += f"; version{'s' if len(older) > 1 else ''} {listed} {'are' if len(older) > 1 else 'is'} superseded and kept as history."
    else:
        note += "; no other version of this label is stored."
    notes = []
    others = [s for s in current if s != setid]
    if others:
        notes.append(
            f"{len(others)} other label set(s) in the store also match this name and were not used: {', '.join(others)}."
        )
    return LabelView(doc), note, notes


def build_monograph(
    drug: str,
    *,
    store: Store,
    retriever: Retriever | None,
    lexicon: Lexicon,
    audience: Audience | str = Audience.CLINICIAN,
    drugsatfda: Path | None = None,
) -> Monograph:
    """The monograph for ``drug`` (see the module docstring); raises NotFoundError for unknown names."""
    audience = Audience(audience)
    match = resolve(drug, store=store, lexicon=lexicon)
    entity = Entity(name=match.preferred, names=tuple(match.names), kind="drug", primary=tuple(match.names))
    view, label_note, notes = choose_label(match, store)
    lit = literature.gather(
        store=store,
        retriever=retriever,
        drug=entity,
        query=match.preferred,
        trial_uids=match.trial_uids,
        names=match.names,
    )
    notes += lit.notes
    fda = ap.load_drugsatfda(drugsatfda)
    if drugsatfda is not None and fda is None:
        notes.append(f"The Drugs@FDA file {drugsatfda} was not found.")
    drafts, approval = _draft(match, entity, view, lit, lexicon, fda)
    if view is not None and len(view.meta.get("generic_names") or []) == 1:
        parts = ingredients(str(view.meta["generic_names"][0]))
        if len({strip_salts(p) for p in parts}) > 1 and not match.combination:
            notes.append(f"The label used is for a combination product ({view.meta['generic_names'][0]}).")
    monograph = _assemble(match, drafts, view, label_note, approval, notes, lit)
    if audience is Audience.PATIENT:
        return adapt_monograph(monograph)
    return monograph.model_copy(update={"audience": audience})


def _draft(
    match: DrugMatch,
    entity: Entity,
    view: LabelView | None,
    lit: literature.Literature,
    lexicon: Lexicon,
    fda: ap.DrugsAtFDA | None,
) -> tuple[dict[str, Draft], ap.ApprovalResult]:
    """Every field, drafted in page order after the boxed warning and contraindications (a sentence is
    quoted once, by the first field drafted that it fits)."""
    d: dict[str, Draft] = {}
    lf = LabelFields(view, entity, lexicon) if view is not None else None
    if lf is not None:  # the safety-critical fields claim their sentences first (shown later on the page)
        d["boxed_warning"] = lf.boxed()
        d["contraindications"] = lf.contraindications()
    seen = lf.seen if lf is not None else set()

    d["overview"] = (
        lf.overview() if lf else Draft("overview", "Overview", literature.overview(lit, entity, seen=seen))
    )
    # approval first (its brand names feed the names field), shown later in page order
    ingredient_sets = []
    brands = {b for r in match.labels for b in r.brands}
    if view is not None:
        for g in view.meta.get("generic_names") or []:
            ingredient_sets.append(frozenset(strip_salts(p) for p in ingredients(str(g))))
    if len(match.concepts) == 1:
        ingredient_sets.append(frozenset({strip_salts(match.concepts[0].preferred)}))
    result = ap.approval(
        ingredient_sets=list(dict.fromkeys(ingredient_sets)),
        brands=brands,
        names={n for c in match.concepts for n in c.names()},
        label=view.doc if view else None,
        trials=lit.trials,
        fda=fda,
        drug_names=match.names,
    )
    app = (
        (result.application.number, fda.source)
        if result.application is not None and fda is not None
        else None
    )
    d["generic_name"] = identity.generic_name(match, view, lexicon)
    d["brand_names"] = identity.brand_names(view, result.brands, fda.source if fda else None)
    if lf is not None and view is not None and view.has(fs.OTC_CODES):
        d["active_ingredients"] = lf.otc("active_ingredients", "Active ingredients")
        d["purpose"] = lf.otc("purpose", "Purpose")
    d["synonyms"] = identity.synonyms(match, lit.trials, lexicon)
    d["codes"] = identity.codes(match, view, lexicon, app)
    kind_of_agent = None if view else investigational.agent_kind(lit.trials, entity)
    d["drug_class"] = identity.drug_class(match, lexicon, kind_of_agent)
    d["conditions_under_study"] = investigational.conditions_under_study(lit.trials, match.names)
    d["route"] = Draft(
        "route", "Route", identity.route_from_label(view) if view else literature.route(lit, entity)
    )
    d["approval_status"] = Draft("approval_status", "Approval status", result.quotes, note=result.note)

    if lf is not None:
        d["mechanism"] = lf.mechanism()
        d["indications_oncological"], d["indications_non_oncological"] = lf.indications()
        d["dosing"] = lf.dosing()
        for key, title in (
            ("dose_renal", "Renal impairment"),
            ("dose_hepatic", "Hepatic impairment"),
            ("dose_pregnancy", "Pregnancy"),
            ("dose_lactation", "Lactation"),
            ("dose_pediatric", "Paediatric use"),
            ("dose_geriatric", "Geriatric use"),
        ):
            d[key] = lf.population(key, title)
        d["dose_interactions"] = lf.dose_interactions()
        d["clinical_efficacy"] = lf.efficacy()
        d["clinical_efficacy"].quotes += literature.efficacy(lit, entity, seen=seen)
        d["research_areas"] = Draft(
            "research_areas", "Research areas", literature.research_areas(lit, seen=seen)
        )
        d["common_adverse_reactions"], d["serious_adverse_events"] = lf.adverse()
        d["warnings_precautions"] = lf.warnings()
        d["interactions"] = lf.interactions()
        d["overdosage"] = lf.overdosage()
        d["management"] = lf.management()
        d["pretreatment_tests"] = lf.pretreatment()
        d["patient_precautions"] = lf.patient_precautions()
        d["dos_and_donts"] = lf.dos_and_donts()
    else:
        d["mechanism"] = Draft(
            "mechanism", "Mechanism of action", literature.mechanism(lit, entity, seen=seen)
        )
        studied = (
            ' The conditions its trials study are shown under "Conditions under study", not as indications.'
            if d["conditions_under_study"].found
            else ""
        )
        for key in fs.INDICATION_FIELDS:
            d[key] = Draft(key, "", note=NO_LABEL + studied)
        d["dosing"] = literature.dosing(lit, entity)
        d["clinical_efficacy"] = Draft(
            "clinical_efficacy", "Clinical efficacy", literature.efficacy(lit, entity, seen=seen)
        )
        d["research_areas"] = Draft(
            "research_areas", "Research areas", literature.research_areas(lit, seen=seen)
        )
        d["common_adverse_reactions"], d["serious_adverse_events"] = literature.safety_fields(
            lit, entity, seen=seen
        )
    if not lit.trials and not lit.studies:
        for key in ("clinical_efficacy", "research_areas"):
            extra = "No trial registration or study in the sources names this drug."
            if d[key].found:
                extra = "Only the label is quoted: " + extra[0].lower() + extra[1:]
            d[key].note = f"{d[key].note} {extra}" if d[key].note else extra
    _explain_empty(d, view)
    return d, result


def _explain_empty(d: dict[str, Draft], view: LabelView | None) -> None:
    """A note on empty label-driven fields: no label, or the label has no such section."""
    for key in fs.FIELD_KEYS:
        draft = d.get(key)
        if draft is None:
            draft = d[key] = Draft(key, "")
        if draft.found or draft.note:
            continue
        if key not in MAPPING or key == "drug_class":  # the class comes mostly from MeSH / DrugBank
            continue
        if view is None:
            draft.note = NO_LABEL
        elif not has_own_section(view, key):
            draft.note = "The label has no section for this."


def _key(q: Quote) -> tuple[str, str | None, tuple[tuple[str, int, int], ...]]:
    return q.text, q.source, tuple((s.passage_id, s.start, s.end) for s in q.supports)


def _assemble(
    match: DrugMatch,
    drafts: dict[str, Draft],
    view: LabelView | None,
    label_note: str | None,
    approval: ap.ApprovalResult,
    notes: list[str],
    lit: literature.Literature,
) -> Monograph:
    book = ReferenceBook()
    dates: dict[str, dt.date] = {}
    for doc in lit.trials:  # a registration is as new as its last update
        last = (doc.meta.get("dates") or {}).get("last_update_posted")
        if isinstance(last, str) and len(last) == 10:
            dates[doc.uid] = dt.date.fromisoformat(last)

    def value(q: Quote) -> SourcedValue:
        spans = [book.cite(s) for s in q.supports]
        numbers = list(
            dict.fromkeys([*(c.number for c in spans), *(book.number(doc) for doc in q.documents)])
        )
        return SourcedValue(text=q.text, citations=numbers, spans=spans, source=q.source)

    sections: list[MonographSection] = []
    for spec in fs.SECTIONS:
        out: list[MonographField] = []
        for f in spec.fields:
            draft = drafts.get(f.key)
            if f.key in fs.OTC_ONLY and (draft is None or not draft.found):
                continue
            draft = draft or Draft(f.key, f.title)
            unique = {_key(q): q for q in reversed(draft.quotes)}  # one quote once per field, first kept
            values = [value(q) for q in draft.quotes if unique.get(_key(q)) is q]
            table = None
            table_numbers: list[int] = []
            if draft.table:
                by_text = {v.text: v for v in values}
                rows = [list(draft.table[0])]
                for cells, q in zip(draft.table[1:], draft.row_quotes, strict=True):
                    v = by_text.get(q.text) or value(q)
                    if cells and draft.table[0][-1] == "Source":
                        cells = [*cells[:-1], markers(v.citations)]
                    rows.append(cells)
                    table_numbers += [n for n in v.citations if n not in table_numbers]
                table = rows
            out.append(
                MonographField(
                    key=f.key,
                    # the label's own boxed warning title, when it has one
                    title=draft.title if f.key == "boxed_warning" and draft.title else f.title,
                    values=values,
                    table=table,
                    table_citations=table_numbers,
                    note=draft.note,
                )
            )
        sections.append(MonographSection(key=spec.key, title=spec.title, fields=out))
    cited_docs = [*([view.doc] if view is not None else []), *lit.trials, *lit.studies]
    references = book.references({p.id: p for d in cited_docs for p in d.passages if p.id})
    newest = [dates.get(r.document.uid) or r.document.date for r in references]
    if approval.data_date is not None:
        newest.append(approval.data_date)
    known = [d for d in newest if d is not None]
    return Monograph(
        drug=match.preferred,
        query=match.query,
        approval_status=approval.status,
        label=view.ref if view else None,
        label_note=label_note,
        sections=sections,
        references=references,
        disclaimer=DISCLAIMER,
        data_as_of=max(known) if known else None,
        notes=notes,
        created_at=dt.datetime.now(dt.UTC),
    )
