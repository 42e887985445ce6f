"""Efficacy and research from trial registrations and study abstracts that name the drug.

:func:`gather` collects the trial registrations whose interventions name the drug (found by
:mod:`medref.monograph.names`) and the studies about it: retrieved with the
:class:`~medref.retrieve.retriever.Retriever` (kinds filter: studies and registrations) when one is
given, else found by a case-insensitive text search of the store; either way a study counts only
when its title or one of its passages names the drug. The search is lexical only: the query is the
drug's name and every kept hit must name it, which the lexical index (with the lexicon's synonyms)
finds; a dense search would only add neighbours that do not name the drug (and would load the
embedding model, about a second from a cold start).

The field builders quote those documents' own sentences:

* efficacy: results sentences (percentages, comparisons, response, remission ...) from the
  results and conclusions of studies that name the drug, strongest evidence first;
* research areas: each registration's conditions and each study's title;
* for a drug with no label only (marked as such in the field notes): an overview, the mechanism,
  the route and doses studied, and the safety findings of the studies.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import or_, select

from medref.compose.sentences import Entity
from medref.models import Document, DocumentRef, Passage, SourceKind
from medref.monograph.dosing import HEADER, ROUTE, dosing_rows
from medref.monograph.evidence import Cand, Draft, Quote, cands, pick, quote
from medref.monograph.patterns import MECHANISM_WORDS, is_result
from medref.retrieve.retriever import Retriever
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import documents, passages

STUDY_KINDS = (
    SourceKind.SYSTEMATIC_REVIEW,
    SourceKind.RCT,
    SourceKind.OBSERVATIONAL,
    SourceKind.OTHER,
    SourceKind.NARRATIVE_REVIEW,
    SourceKind.CASE_REPORT,
)
MAX_STUDIES = 12
MAX_TRIALS = 20
_RESULT_SECTIONS = re.compile(
    r"result|conclusion|finding|outcome|interpretation|abstract|summary|^text$", re.I
)
_INTRO_SECTIONS = re.compile(
    r"background|introduction|objective|purpose|aim|abstract|summary|description|^text$", re.I
)
FINDING = re.compile(  # a number is a count or a figure, not part of a name such as "CD40"
    r"\b(?:observed|occurred|reported|developed|experienced|incidence|rates?|most common)\b"
    r"|(?<![\w-])\d+(?:[.,]\d+)?(?![\w-])",
    re.I,
)
# a finding on the most common events, unless it is about serious ones
COMMON = re.compile(r"\b(?:most )?(?:common(?:ly)?|frequent(?:ly)?)\b", re.I)
SERIOUS = re.compile(
    r"\bserious\b|\bsevere\b|\bthrombo\w*|\bdeaths?\b|\bdied\b|\bfatal\b|\bhospitali[sz]\w*|"
    r"\bdiscontinu\w*|\bmalignan\w*|\blife-threatening\b",
    re.I,
)
SAFETY = re.compile(
    r"\badverse\b|\bserious\b|\bsafety\b|\bthrombo\w*|\binfections?\b|\bdeaths?\b|\bdied\b|\btoxicit\w*|\bside effects?\b",
    re.I,
)


@dataclass
class Literature:
    trials: list[Document] = field(default_factory=list)
    studies: list[Document] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _names_drug(doc: Document, drug: Entity) -> bool:
    return drug.mentioned_in(doc.title) or any(drug.mentioned_in(p.text) for p in doc.passages)


def _search_store(
    store: Store, names: Iterable[str], kinds: Iterable[SourceKind], limit: int = 200
) -> list[str]:
    """Uids of documents whose passages contain one of ``names`` (case-insensitive), newest first."""
    terms = [n for n in names if len(n) >= 4][:8]
    if not terms:
        return []
    q = (
        select(documents.c.uid, documents.c.pub_date)
        .join(passages, passages.c.document_id == documents.c.id)
        .where(documents.c.kind.in_([k.value for k in kinds]))
        .where(or_(*[passages.c.text.icontains(t, autoescape=True) for t in terms]))
        .distinct()
        .limit(limit)
    )
    with read_tx(store.engine) as conn:
        rows = list(conn.execute(q).all())
    rows.sort(key=lambda r: (r.pub_date is not None, r.pub_date), reverse=True)
    return [r.uid for r in rows]


def gather(
    *,
    store: Store,
    retriever: Retriever | None,
    drug: Entity,
    query: str,
    trial_uids: list[str],
    names: list[str],
) -> Literature:
    """The registrations and studies that name the drug (see the module docstring)."""
    lit = Literature()
    uids: list[str] = []
    if retriever is not None:
        result = retriever.search(
            query, k=40, kinds=(*STUDY_KINDS, SourceKind.TRIAL_REGISTRATION), dense=False
        )
        lit.notes += [n for n in result.notes if "behind the store" in n]
        for hit in result.hits:
            if hit.document.uid not in uids and (
                drug.mentioned_in(hit.passage.text) or drug.mentioned_in(hit.document.title)
            ):
                uids.append(hit.document.uid)
    else:
        uids = _search_store(store, names, (*STUDY_KINDS, SourceKind.TRIAL_REGISTRATION))
        lit.notes.append(
            "No search index was given: studies were found by a text search for the drug's names."
        )
    trial_ids = list(dict.fromkeys(trial_uids))
    for uid in uids:
        if len(lit.studies) >= MAX_STUDIES:
            break
        doc = store.get_document(uid)
        if doc.kind is SourceKind.TRIAL_REGISTRATION:
            if uid not in trial_ids and _names_drug(doc, drug):
                trial_ids.append(uid)
            continue
        if _names_drug(doc, drug):
            lit.studies.append(doc)
    lit.trials = [store.get_document(uid) for uid in trial_ids[:MAX_TRIALS]]
    lit.studies.sort(key=lambda d: (int(d.evidence_level), -(d.year or 0)))
    return lit


def _cands_in(doc: Document, pattern: re.Pattern[str], *, skip_title: bool = True) -> list[Cand]:
    ref = DocumentRef.of(doc)
    plist = [p for p in doc.passages if pattern.search(p.section) and not (skip_title and p.kind == "title")]
    return cands(ref, plist)


def efficacy(lit: Literature, drug: Entity, *, seen: set[str], limit: int = 8) -> list[Quote]:
    """Results sentences of the studies (two per study at most)."""
    out: list[Quote] = []
    for doc in lit.studies:
        if len(out) >= limit:
            break
        about = drug.mentioned_in(doc.title)
        keep = is_result if about else (lambda t: is_result(t) and drug.mentioned_in(t))
        got = pick(_cands_in(doc, _RESULT_SECTIONS), limit=min(2, limit - len(out)), keep=keep, seen=seen)
        out.extend(got)
    return out


def research_areas(lit: Literature, *, seen: set[str], limit: int = 10) -> list[Quote]:
    """Each registration's conditions, then each study's title."""
    out: list[Quote] = []
    for doc in lit.trials:
        ref = DocumentRef.of(doc)
        plist = [p for p in doc.passages if p.section.lower() == "conditions"]
        out += pick(cands(ref, plist), limit=1, min_words=2, seen=seen)
    for doc in lit.studies:
        if len(out) >= limit:
            break
        ref = DocumentRef.of(doc)
        titles = [p for p in doc.passages if p.kind == "title"]
        out += pick(cands(ref, titles), limit=1, min_words=3, seen=seen)
    return out[:limit]


# ------------------------------------------------------------------ drugs without a label
def _intervention_passages(doc: Document, drug: Entity) -> list[Passage]:
    return [
        p
        for p in doc.passages
        if p.section.lower() == "interventions" and drug.mentioned_in(p.text.split(":", 1)[0])
    ]


def overview(lit: Literature, drug: Entity, *, seen: set[str]) -> list[Quote]:
    pool: list[Cand] = []
    for doc in [*lit.trials, *lit.studies]:
        pool += _cands_in(doc, _INTRO_SECTIONS)
    return pick(pool, limit=2, keep=drug.mentioned_in, min_words=5, seen=seen)


def mechanism(lit: Literature, drug: Entity, *, seen: set[str]) -> list[Quote]:
    pool: list[Cand] = []
    for doc in [*lit.trials, *lit.studies]:
        pool += _cands_in(doc, _INTRO_SECTIONS)
    return pick(
        pool, limit=3, keep=lambda t: bool(drug.mentioned_in(t) and MECHANISM_WORDS.search(t)), seen=seen
    )


def route(lit: Literature, drug: Entity) -> list[Quote]:
    """The route words of the registrations' intervention descriptions for the drug."""
    out: list[Quote] = []
    shown: set[str] = set()
    for doc in lit.trials:
        ref = DocumentRef.of(doc)
        for p in _intervention_passages(doc, drug):
            m = ROUTE.search(p.text)
            if m and m.group(0).casefold() not in shown:
                shown.add(m.group(0).casefold())
                out.append(quote(ref, p, m.start(), m.end()))
    return out


def dosing(lit: Literature, drug: Entity) -> Draft:
    d = Draft("dosing", "Dosing")
    rows: list[tuple[list[str], Quote]] = []
    for doc in lit.trials:
        rows += dosing_rows(DocumentRef.of(doc), _intervention_passages(doc, drug))
    if rows:
        d.table = [HEADER, *[[*r, ""] for r, _ in rows]]
        d.row_quotes = [q for _, q in rows]
        d.quotes = list(d.row_quotes)
        d.note = "Doses studied in trial registrations, not approved dosing: there is no drug label in the sources."
    return d


def safety(lit: Literature, drug: Entity, *, seen: set[str]) -> list[Quote]:
    out: list[Quote] = []
    for doc in lit.studies:
        about = drug.mentioned_in(doc.title)
        keep = (
            (lambda t: bool(SAFETY.search(t) and FINDING.search(t)))
            if about
            else (lambda t: bool(SAFETY.search(t) and FINDING.search(t) and drug.mentioned_in(t)))
        )
        out += pick(_cands_in(doc, _RESULT_SECTIONS), limit=2, keep=keep, seen=seen)
        if len(out) >= 6:
            break
    return out[:6]


def safety_fields(lit: Literature, drug: Entity, *, seen: set[str]) -> tuple[Draft, Draft]:
    """The studies' safety findings for a drug with no label: (most common events, serious events).

    A finding about the most common events goes to the first field unless it also names serious
    events; the notes say these are study findings, not label frequencies.
    """
    common = Draft("common_adverse_reactions", "")
    serious = Draft("serious_adverse_events", "")
    for q in safety(lit, drug, seen=seen):
        (common if COMMON.search(q.text) and not SERIOUS.search(q.text) else serious).quotes.append(q)
    if common.quotes:
        common.note = (
            "Most common events reported by studies of the drug, not label frequencies: "
            "there is no drug label in the sources, and the studies may not give a percentage."
        )
    if serious.quotes:
        serious.note = "Findings of studies of the drug; there is no drug label in the sources."
    return common, serious
