"""Mapping-driven label readers: the tiers of :mod:`medref.monograph.mapping` applied to one label.

:class:`MappedFields` holds the label view and the page's ``seen`` set, finds a field's sections
by its mapping (LOINC code or title, tier by tier), and drafts the fields whose reading is most
tied to the mapping: the special-population doses (Dosage and Administration before Use in
Specific Populations), doses with interacting drugs, serious adverse events (boxed warning,
warnings-and-precautions leads, postmarketing) and pre-treatment tests (label instructions, not
study text). :class:`~medref.monograph.label_fields.LabelFields` adds the other fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from medref.compose.patient import DOSE_AMOUNT
from medref.compose.sentences import Entity, is_recommendation
from medref.models import Passage
from medref.monograph import fields as fs
from medref.monograph.evidence import Cand, Draft, Quote, cands, pick, row_spans
from medref.monograph.label import PACKAGE, LabelView, Node
from medref.monograph.mapping import MAPPING, REGIONS, Source, source_nodes, sources
from medref.monograph.patterns import (
    EVENT,
    KEEPS,
    POPULATION_DOSE,
    POPULATION_HEADER,
    SERIOUS,
    STUDY,
    TABLE_HEADER_KEEPS,
    is_cross_reference,
)
from medref.retrieve.lexicon import Lexicon

SERIOUS_LIMITS = (3, 10, 6)
POPULATION_LIMIT = 8
# sub-sections of Warnings / Precautions that belong to the population fields, not serious events
POPULATION_SECTION = re.compile(r"pregnan|nursing|lactat|breast|pediatric|paediatric|geriatric use", re.I)
POPULATION_CODES = frozenset(
    {*fs.PREGNANCY, *fs.LACTATION, fs.PEDIATRIC, fs.GERIATRIC}
)  # boxed warning, warnings and precautions, postmarketing / adverse lead


# a sentence opening with a pronoun ("These cases have been fatal") needs the one before it
_DEPENDENT = re.compile(r"^\W*(?:these|this|it|they|such|those)\b", re.I)


def _event(text: str) -> bool:
    """A statement of harm (risk, cases reported, may cause ...), not a study description."""
    return bool(EVENT.search(text)) and not STUDY.search(text) and not _DEPENDENT.match(text)


def _event_not_advice(text: str) -> bool:
    return _event(text) and not is_recommendation(text)


def _serious_finding(text: str) -> bool:
    return bool(SERIOUS.search(text)) and not STUDY.search(text) and not _DEPENDENT.match(text)


LIST_ITEMS = 4  # items quoted after a lead sentence that opens a list ("... cautiously to patients:")


def with_items(own: list[Cand], got: list[Quote], seen: set[str]) -> list[Quote]:
    """``got`` with, after each quote ending in ":", the next items of its passage (a lead that
    opens a list says nothing without them)."""
    out: list[Quote] = []
    for q in got:
        out.append(q)
        if not q.text.rstrip().endswith(":"):
            continue
        at = next((i for i, c in enumerate(own) if c.text == q.text and c.quote() == q), None)
        if at is None:
            continue
        same = [c for c in own[at + 1 :] if c.passage.id == own[at].passage.id]
        out += pick(same, limit=LIST_ITEMS, min_words=2, seen=seen)
    return out


class MappedFields:
    """Section lookups by mapping over one label; ``seen`` keeps a sentence from being quoted twice."""

    def __init__(self, view: LabelView, drug: Entity, lexicon: Lexicon) -> None:
        self.view = view
        self.drug = drug
        self.lexicon = lexicon
        self.seen: set[str] = set()
        self._split: dict[int, list[Cand]] = {}  # candidate statements per passage ordinal

    def _cands(self, passages: Iterable[Passage]) -> list[Cand]:
        """:func:`cands` with each passage cut into statements once per label (fields re-read
        sections); a bare cross-reference ("Clinical Pharmacology (12.3)") is not a statement."""
        out: list[Cand] = []
        for p in passages:
            got = self._split.get(p.ordinal)
            if got is None:
                got = self._split[p.ordinal] = [
                    c for c in cands(self.view.ref, [p]) if not is_cross_reference(c.text)
                ]
            out.extend(got)
        return out

    # ------------------------------------------------------------------ helpers
    def _codes(self, key: str) -> fs.LabelCodes:
        return fs.LABEL_CODES[key]

    def _nodes(self, key: str, *, tier: int = 0) -> list[Node]:
        """The sections of ``key``'s mapping tier (on OTC labels with the Drug Facts extras of tier
        1) and every section nested in them, in document order; none when the label was stored
        without a section list (callers then read by LOINC code)."""
        if not self.view.has_sections:
            return []
        m = MAPPING[fs.INDICATION_FIELDS[1] if key == "indications" else key]  # both share one mapping
        srcs = list(m.tiers[tier]) if tier < len(m.tiers) else []
        if tier == 0 and self.view.is_otc:
            srcs += m.otc
        ids = {n.index for src in srcs for n in source_nodes(self.view, src)}
        return [n for n in self.view.nodes if n.index in ids or ids.intersection(n.ancestors)]

    def _region(self, key: str) -> list[Passage]:
        """Full-text passages of ``_nodes(key)``, or their Highlights when there is nothing else."""
        if not self.view.has_sections:
            spec = fs.LABEL_CODES[key]
            return self.view.full_or_highlights(spec.for_label(otc=self.view.is_otc), top_only=spec.top_only)
        nodes = [n for n in self._nodes(key) if n.loinc not in PACKAGE]
        return self.view.node_passages(nodes, own=True) or self.view.node_passages(
            nodes, own=True, highlights=True
        )

    def _keep(self, key: str, src: Source) -> Callable[[str], bool] | None:
        if src.keep == "names the population and states a dose":
            return POPULATION_DOSE[key]
        return KEEPS.get(src.keep)

    def _source_cands(self, key: str, src: Source, *, highlights: bool = False) -> list[Cand]:
        """Candidate sentences of one mapped source, its sentence filter applied (a label stored
        without its section list: the passages coded with the region's LOINC codes)."""
        if self.view.has_sections:
            nodes = [n for n in source_nodes(self.view, src) if n.loinc not in PACKAGE]
            plist = self.view.node_passages(nodes, own=src.own, highlights=highlights)
        else:
            region = REGIONS.get(src.region)
            plist = (
                self.view.passages(region.codes, highlights=highlights) if region and not src.title else []
            )
        keep = self._keep(key, src)
        return [c for c in self._cands(plist) if keep is None or keep(c.text)]

    def mapped(
        self, key: str, *, limit: int, per_tier: int | None = None, fill: bool = False, claim: bool = True
    ) -> list[Quote]:
        """Quotes for ``key`` from its mapping, tier by tier (see :mod:`medref.monograph.mapping`).

        The first tier that yields wins, unless ``fill``: then every tier adds up to ``per_tier``
        until ``limit``. ``claim=False`` lets the field quote sentences other fields quote too (a
        starting dose for older patients and for renal impairment is one sentence) without taking
        them from later fields. Highlights are read when the full text yields nothing.
        """
        out: list[Quote] = []
        texts: set[str] = set()
        for highlights in (False, True):
            for tier in sources(key, otc=self.view.is_otc):
                pool: list[Cand] = []
                at: set[tuple[str | None, int]] = set()
                for src in tier:
                    for c in self._source_cands(key, src, highlights=highlights):
                        if (c.passage.id, c.span.start) not in at:
                            at.add((c.passage.id, c.span.start))
                            pool.append(c)
                room = min(limit - len(out), per_tier or limit)
                got = self._pick(pool, limit=room) if claim else pick(pool, limit=room, seen=set(texts))
                got = [q for q in got if q.text not in texts]
                texts.update(q.text for q in got)
                out += got
                if len(out) >= limit or (out and not fill):
                    return out
            if out:
                break
        return out

    def _pick(
        self,
        pool: list[Cand],
        *,
        limit: int,
        keep: Callable[[str], object] | None = None,
        min_words: int = 3,
        per_passage: int | None = None,
    ) -> list[Quote]:
        """:func:`pick` against the page's ``seen`` set; when that leaves nothing, the field may repeat
        sentences an earlier field quoted (a field is never emptied by the de-duplication)."""
        got = pick(pool, limit=limit, keep=keep, min_words=min_words, per_passage=per_passage, seen=self.seen)
        return got or pick(
            pool, limit=limit, keep=keep, min_words=min_words, per_passage=per_passage, seen=set()
        )

    # ------------------------------------------------------------------ mapped fields
    def population(self, key: str, title: str) -> Draft:
        """Pregnancy, lactation, paediatric, geriatric, renal and hepatic fields from their mapping.

        Every tier adds its quotes in order (dose fields: Dosage and Administration first, then Use
        in Specific Populations, then sentences naming the population elsewhere), up to
        :data:`POPULATION_LIMIT`. Each section gives up to two sentences (Dosage and
        Administration and filtered sentences: three), breadth first. A sentence other fields
        quote is quoted here too (one starting-dose sentence may name older patients and renal
        and hepatic impairment).
        """
        d = Draft(key, title)
        tiers = sources(key, otc=self.view.is_otc)
        shown: set[str] = set()
        read: set[tuple[int, bool, bool]] = set()  # (section, own only, highlights) already quoted from
        for tier in tiers:
            for src in tier:
                keep = self._keep(key, src)
                per = 4 if src.region == "dosage" else 2 if keep is None else 3
                # a dose statement only in the Highlights (full text words it otherwise) still counts
                for highlights in (False, True) if keep is not None else (False,):
                    before = len(d.quotes)
                    if not self.view.has_sections:  # stored without a section list: by LOINC code
                        pool = self._source_cands(key, src, highlights=highlights)
                        d.quotes += pick(
                            pool, limit=max(0, min(per, POPULATION_LIMIT - len(d.quotes))), seen=shown
                        )
                    for node in source_nodes(self.view, src):
                        if len(d.quotes) >= POPULATION_LIMIT:
                            return d
                        if keep is None and (node.index, src.own, highlights) in read:
                            continue  # one section found by code and by title gives its share once
                        read.add((node.index, src.own, highlights))
                        plist = self.view.node_passages([node], own=src.own, highlights=highlights)
                        pool = [c for c in self._cands(plist) if keep is None or keep(c.text)]
                        pool += self._table_rows(key, src, plist)
                        d.quotes += pick(pool, limit=min(per, POPULATION_LIMIT - len(d.quotes)), seen=shown)
                    if len(d.quotes) > before:
                        break
        return d

    def _table_rows(self, key: str, src: Source, plist: list[Passage]) -> list[Cand]:
        """Rows stating a dose of the dosing tables whose header row names the population
        ("Pediatric Patients (4 to 17 years) | Dose"), for a source read by a dose filter."""
        header = (
            POPULATION_HEADER.get(key)
            if src.keep == "names the population and states a dose"
            else TABLE_HEADER_KEEPS.get(src.keep)
        )
        if header is None:
            return []
        out: list[Cand] = []
        for p in plist:
            spans = row_spans(p) if p.kind == "table" else []
            if len(spans) > 1 and header.search(spans[0].text):
                out += [Cand(self.view.ref, p, sp) for sp in spans[1:] if DOSE_AMOUNT.search(sp.text)]
        return out

    def dose_interactions(self) -> Draft:
        d = Draft("dose_interactions", fs.DOSE_INTERACTIONS_TITLE)
        d.quotes = self.mapped("dose_interactions", limit=10, per_tier=6, fill=True, claim=False)
        if not d.quotes and self.view.has((fs.DOSAGE, fs.INTERACTIONS)):
            d.note = "The label's dosage and drug interaction sections state no dose change for another drug."
        return d

    def serious(self) -> Draft:
        """Boxed warning statements, the lead sentence of each warnings-and-precautions sub-section
        (a study description is passed over), postmarketing and adverse-reaction lead statements
        with serious wording (on an OTC Drug Facts label only the boxed and adverse-reaction text).
        Sentences other fields quote are quoted here too, not taken from them."""
        d = Draft("serious_adverse_events", "Serious adverse events")
        tiers = sources("serious_adverse_events")
        shown: set[str] = set()

        def add(pool: list[Cand], limit: int, keep: Callable[[str], object] | None, per: int | None) -> None:
            got = pick(pool, limit=limit, keep=keep, per_passage=per, seen=shown)  # pick adds to shown
            d.quotes.extend(got)

        boxed = [c for src in tiers[0] for c in self._source_cands("serious_adverse_events", src)]
        add(boxed, SERIOUS_LIMITS[0], lambda t: _serious_finding(t) and not is_recommendation(t), None)
        # Drug Facts warnings are cautions for the buyer ("marked drowsiness may occur"), not serious events
        leads = [] if self.view.is_otc else [n for src in tiers[1] for n in source_nodes(self.view, src)]
        for top in leads:
            subs = [
                n
                for n in self.view.nodes
                if top.index in n.ancestors
                and not POPULATION_SECTION.search(n.title)
                and n.loinc not in POPULATION_CODES
            ]
            if not subs:  # an older label's plain Warnings section: its serious statements
                own = self._cands(self.view.node_passages([top], own=True))
                add(own, SERIOUS_LIMITS[1], _serious_finding, None)
            for sub in subs:  # each sub-section's lead statement of harm (not advice, not a study)
                if len(d.quotes) >= sum(SERIOUS_LIMITS[:2]):
                    break
                pool = self._cands(self.view.node_passages([sub], own=True))
                before = len(d.quotes)
                add(pool, 1, _event_not_advice, None)
                if len(d.quotes) == before:
                    add(pool, 1, _event, None)
        late = [c for src in tiers[2] for c in self._source_cands("serious_adverse_events", src)]
        before = len(d.quotes)
        add(late, SERIOUS_LIMITS[2], None, None)
        # "... include the following:" lists its reactions as items without the word "serious"
        items = [
            c
            for src in tiers[2]
            for c in self._cands(self.view.node_passages(source_nodes(self.view, src), own=src.own))
        ]
        d.quotes[before:] = with_items(items, d.quotes[before:], shown)
        return d

    def pretreatment(self) -> Draft:
        d = Draft("pretreatment_tests", "Pre-treatment tests")
        d.quotes = self.mapped("pretreatment_tests", limit=8, claim=False)
        return d
