"""The interaction checker: what the stored labels say about taking two drugs together.

    >>> report = check_interactions(["Lipitor", "clarithromycin"], store=store, lexicon=lexicon)  # doctest: +SKIP

For every pair of the drugs asked for, each drug's label (the newest current version, chosen as
:func:`medref.monograph.builder.build_monograph` chooses it) is read in the sections a
pharmacist reads for interactions (:data:`SECTION_CODES`: Drug Interactions, Contraindications,
Boxed warning, Warnings and Precautions, Dosage and Administration; on OTC Drug Facts, "Ask a
doctor or pharmacist before use if you are taking" and "Do not use"). A sentence (or table row)
is a finding when it names the *other* drug, a synonym or brand of it, or a class it belongs to
(:mod:`medref.monograph.interaction_terms`), or when its sub-section title does ("Warfarin").
In sections other than Drug Interactions, Contraindications and the OTC lists, the sentence must
also speak of taking drugs together ("concomitant", "taking", "in combination" ...), or name
the label's own drug with advice wording ("epinephrine should not be used since haloperidol
..."); a title-only match needs advice wording in the sentence; a class the label's own drug belongs to counts
only as "other ..." in a sentence on combined use ("with other TNF blockers is not recommended"),
so "TNF blockers including HUMIRA" is not an interaction of adalimumab with infliximab (OTC
"Ask a doctor or pharmacist ... if you are taking" and "Do not use" lists always mean other drugs).

Each finding quotes the sentence verbatim with its exact passage span and carries a severity
(:mod:`medref.monograph.severity`). A pair with no finding reads "No interaction found in the
sources", naming the labels searched, and says when a drug has no label in the store so the
absence is not read as safety. Unknown drug names raise :class:`UnknownDrugsError` with the
closest known names.
"""

from __future__ import annotations

import datetime as dt
import itertools
import re
from dataclasses import dataclass

from pydantic import BaseModel, Field

from medref.compose.citations import ReferenceBook
from medref.errors import NotFoundError, QueryError
from medref.models import Passage, Reference, SourcedValue
from medref.monograph import fields as fs
from medref.monograph import severity as sv
from medref.monograph.builder import choose_label
from medref.monograph.evidence import Quote, norm, quote, spans_of, usable
from medref.monograph.interaction_terms import DrugTerms, Hit, drug_terms
from medref.monograph.label import LabelView
from medref.monograph.names import DrugMatch, UnknownDrugError, resolve
from medref.monograph.severity import Severity
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store

NONE_FOUND = "No interaction found in the sources."
MAX_DRUGS = 8
DISCLAIMER = (
    "Each finding quotes a sentence of a stored drug label that names the other drug, one of its names or a "
    "class it belongs to; the severity is read from the sentence's wording and section. A pair with no finding "
    "means only that the labels searched do not name the combination, not that it is safe. This is not "
    "medical advice; check the current labels and a clinician or pharmacist."
)
# (section kind, title, codes), in the order a sentence is claimed (a passage is read once)
SECTION_CODES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("interactions", "Drug interactions", (fs.INTERACTIONS,)),
    (sv.ASK_DOCTOR_PHARMACIST, "Ask a doctor or pharmacist before use", (fs.ASK_DOCTOR_PHARMACIST,)),
    (sv.CONTRAINDICATIONS, "Contraindications", (fs.CONTRAINDICATIONS,)),
    (sv.DO_NOT_USE, "Do not use", (fs.DO_NOT_USE,)),
    ("boxed", "Boxed warning", (fs.BOXED,)),
    ("warnings", "Warnings and precautions", (fs.WARNINGS_PRECAUTIONS, fs.WARNINGS, fs.PRECAUTIONS)),
    ("dosing", "Dosage and administration", (fs.DOSAGE,)),
)
FREE_KINDS = frozenset({"interactions", sv.ASK_DOCTOR_PHARMACIST, sv.CONTRAINDICATIONS, sv.DO_NOT_USE})
_TOGETHER = re.compile(
    r"\b(?:concomitant\w*|concurren\w*|combin\w*|co-?administ\w*|coadminist\w*|together|taking|receiving|"
    r"plus|potentiat\w*|interact\w*|(?:used|given|administered|coadministered|treated) with)\b",
    re.IGNORECASE,
)
_OTHER_BEFORE = re.compile(r"\b(?:other|another)\s+(?:\S+\s+){0,2}$", re.IGNORECASE)


class UnknownDrugsError(NotFoundError):
    """One or more names are not known drugs; ``unknown`` maps each to its suggestions."""

    def __init__(self, unknown: dict[str, list[str]]) -> None:
        self.unknown = unknown
        self.suggestions = list(dict.fromkeys(s for v in unknown.values() for s in v))
        parts = []
        for name, sugg in unknown.items():
            parts.append(f"unknown drug {name!r}" + (f" (did you mean: {', '.join(sugg)}?)" if sugg else ""))
        super().__init__("; ".join(parts))


# ------------------------------------------------------------------ the report
class LabelSearched(BaseModel):
    drug: str = Field(description="the drug as resolved (preferred name)")
    query: str = Field(description="the name asked for")
    label: str | None = Field(default=None, description="title of the label read, None when there is none")
    doc_uid: str | None = None
    note: str = Field(description="which version was read, or that the store has no label for the drug")


class InteractionFinding(BaseModel):
    label_of: str = Field(description="the drug whose label says it")
    names: str = Field(description="the drug or class the sentence names")
    matched: str = Field(description="the words of the sentence that name it")
    via: str = Field(description="how those words relate to the drug (name, class and its source)")
    section: str = Field(description="the label section the sentence is in")
    severity: Severity
    severity_reason: str = Field(description="the words or section that set the severity")
    quote: SourcedValue = Field(description="the sentence, verbatim, with its exact passage span")


class InteractionPair(BaseModel):
    drugs: tuple[str, str]
    severity: Severity | None = Field(default=None, description="the most severe finding; None when none")
    findings: list[InteractionFinding] = Field(default_factory=list)
    note: str | None = Field(default=None, description="why a pair has no finding, and what was searched")

    @property
    def has_interaction(self) -> bool:
        return any(f.severity.is_interaction for f in self.findings)


class InteractionReport(BaseModel):
    drugs: list[LabelSearched]
    pairs: list[InteractionPair]
    references: list[Reference] = Field(default_factory=list)
    generated: dt.date = Field(default_factory=dt.date.today)
    disclaimer: str = DISCLAIMER


# ------------------------------------------------------------------ reading a label
@dataclass(frozen=True)
class Sentence:
    kind: str
    section: str
    title: str  # the passage's own sub-section title ("" at the top of a section)
    passage: Passage
    start: int
    end: int

    @property
    def text(self) -> str:
        return self.passage.text[self.start : self.end]


def label_sentences(view: LabelView) -> list[Sentence]:
    """Every usable sentence and table row of the sections the checker reads, each once."""
    titles = {o: n.title for n in view.nodes for o in n.own}
    seen_passages: set[str] = set()
    seen_text: set[str] = set()
    out: list[Sentence] = []
    for kind, title, codes in SECTION_CODES:
        for p in view.full_or_highlights(codes, top_only=kind == "boxed"):
            if p.id is None or p.id in seen_passages or p.kind == "title":
                continue
            seen_passages.add(p.id)
            for span in spans_of(p):
                key = norm(span.text)
                if key in seen_text or not usable(span.text):
                    continue
                seen_text.add(key)
                out.append(Sentence(kind, title, titles.get(p.ordinal, ""), p, span.start, span.end))
    return out


@dataclass
class Drug:
    match: DrugMatch
    view: LabelView | None
    note: str
    terms: DrugTerms
    sentences: list[Sentence]


def _load(name: str, store: Store, lexicon: Lexicon) -> Drug:
    match = resolve(name, store=store, lexicon=lexicon)
    view, version_note, _ = choose_label(match, store)
    if view is None:
        note = f"No label for {match.preferred} is in the store; only the other drugs' labels were searched."
    else:
        note = version_note or "Label read."
    sentences = label_sentences(view) if view is not None else []
    return Drug(match, view, note, drug_terms(match, lexicon), sentences)


def _findings(a: Drug, b: Drug) -> list[tuple[Sentence, Hit, Severity, str]]:
    """Sentences of a's label that name b (see the module docstring for the rules)."""
    out = []
    for s in a.sentences:
        text = s.text
        hits = b.terms.find(text)
        severity, reason = sv.classify(text, s.kind)
        if s.title and not hits and s.kind == "interactions" and not reason.startswith(sv.DEFAULT_REASON):
            via = "; named by the sub-section title"
            hits = [Hit(0, 0, h.surface, h.kind, f"{h.via}{via} '{s.title}'") for h in b.terms.find(s.title)]
        if not hits:
            continue
        together = bool(_TOGETHER.search(text))
        advice = not reason.startswith(sv.DEFAULT_REASON)
        if s.kind not in FREE_KINDS and not (together or (advice and a.terms.find(text))):
            continue
        otc = s.kind in (sv.ASK_DOCTOR_PHARMACIST, sv.DO_NOT_USE)  # lists of what else the patient takes
        kept = [
            h
            for h in hits
            if h.kind == "name" or otc or not _own_class(h, a) or _other_member(h, text, together)
        ]
        if not kept:
            continue
        out.append((s, min(kept, key=lambda h: h.kind != "name"), severity, reason))
    return out


def _own_class(hit: Hit, a: Drug) -> bool:
    """Whether the class a hit names is one the label's own drug belongs to."""
    return any(hit.via.startswith(f"class '{cls}'") for cls in a.terms.classes) or bool(
        a.terms.find(hit.surface)
    )


def _other_member(hit: Hit, text: str, together: bool) -> bool:
    """'... with other TNF blockers': the label's own class named as another drug taken with it."""
    return together and bool(_OTHER_BEFORE.search(text[: hit.start]))


# ------------------------------------------------------------------ the check
def check_interactions(drugs: list[str], *, store: Store, lexicon: Lexicon) -> InteractionReport:
    """The interaction report for every pair of ``drugs`` (2 to :data:`MAX_DRUGS` names)."""
    names = [" ".join(d.split()) for d in drugs if d and d.strip()]
    if len(names) < 2:
        raise QueryError("name at least two drugs")
    if len(names) > MAX_DRUGS:
        raise QueryError(f"name at most {MAX_DRUGS} drugs")
    loaded: list[Drug] = []
    unknown: dict[str, list[str]] = {}
    for name in names:
        try:
            loaded.append(_load(name, store, lexicon))
        except UnknownDrugError as exc:
            unknown[name] = exc.suggestions
    if unknown:
        raise UnknownDrugsError(unknown)
    book = ReferenceBook()
    pairs = [_pair(a, b, book) for a, b in itertools.combinations(loaded, 2)]
    searched = [
        LabelSearched(
            drug=d.match.preferred,
            query=d.match.query,
            label=d.view.doc.title if d.view else None,
            doc_uid=d.view.doc.uid if d.view else None,
            note=d.note,
        )
        for d in loaded
    ]
    return InteractionReport(drugs=searched, pairs=pairs, references=book.references())


def _pair(a: Drug, b: Drug, book: ReferenceBook) -> InteractionPair:
    pair = InteractionPair(drugs=(a.match.preferred, b.match.preferred))
    if (
        a.terms.concept_ids & b.terms.concept_ids
        or a.match.preferred.casefold() == b.match.preferred.casefold()
    ):
        pair.note = f"{a.match.query} and {b.match.query} name the same drug ({a.match.preferred})."
        return pair
    found: list[tuple[Drug, Drug, Sentence, Hit, Severity, str]] = []
    for x, y in ((a, b), (b, a)):
        found += [(x, y, *f) for f in _findings(x, y)]
    found.sort(key=lambda f: f[4].rank)
    for x, y, s, hit, severity, reason in found:
        assert x.view is not None
        q: Quote = quote(x.view.ref, s.passage, s.start, s.end)
        spans = [book.cite(sup) for sup in q.supports]
        pair.findings.append(
            InteractionFinding(
                label_of=x.match.preferred,
                names=y.match.preferred,
                matched=hit.surface,
                via=hit.via,
                section=s.section + (f" > {s.title}" if s.title and s.title != s.section else ""),
                severity=severity,
                severity_reason=reason,
                quote=SourcedValue(text=q.text, citations=sorted({c.number for c in spans}), spans=spans),
            )
        )
    if pair.findings:
        pair.severity = pair.findings[0].severity
    if not pair.has_interaction:
        pair.note = _none_note(a, b, bool(pair.findings))
    return pair


def _none_note(a: Drug, b: Drug, some: bool) -> str:
    read = [f"the {d.match.preferred} label ({d.view.doc.title})" for d in (a, b) if d.view is not None]
    missing = [d.match.preferred for d in (a, b) if d.view is None]
    lead = (
        "The labels mention this combination only to say no change is needed; no interaction found in the sources."
        if some
        else NONE_FOUND
    )
    if not read:
        return f"{lead} No label for {a.match.preferred} or {b.match.preferred} is in the store, so nothing was searched."
    text = f"{lead} Searched: {' and '.join(read)}."
    if missing:
        text += f" No label for {', '.join(missing)} is in the store, so its own warnings were not searched."
    return text
