"""Monograph fields read from a drug label, section by section (LOINC code and section tree).

Every function takes a :class:`~medref.monograph.label.LabelView` and returns quotes of the
label's own sentences, table rows or leaf-section texts (never rewritten), chosen by the
section they sit in (see :data:`medref.monograph.fields.LABEL_CODES`) and, for some fields, by a
pattern (results sentences for efficacy, "serious"/"fatal" for serious events, imperative
wording for do's and don'ts, "before starting ... test" for pre-treatment tests).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from medref.compose.sentences import Entity, is_recommendation
from medref.monograph import fields as fs
from medref.monograph.adverse import common_reactions
from medref.monograph.dosing import HEADER, dosing_rows
from medref.monograph.evidence import Cand, Draft, Quote, cands, pick
from medref.monograph.label import PACKAGE, LabelView, Node
from medref.monograph.mapping import Source, source_nodes, sources
from medref.monograph.patterns import (
    DO_DONT,
    EVENT,
    KEEPS,
    MECHANISM_WORDS,
    OVERDOSE,
    POPULATION_DOSE,
    SERIOUS,
    STUDY,
    is_management,
    is_result,
)
from medref.retrieve.lexicon import Lexicon

SERIOUS_LIMITS = (3, 10, 4)
POPULATION_LIMIT = 6
# sub-sections of Warnings / Precautions that belong to the population fields, not serious events
POPULATION_SECTION = re.compile(r"pregnan|nursing|lactat|breast|pediatric|paediatric|geriatric use", re.I)
POPULATION_CODES = frozenset(
    {*fs.PREGNANCY, *fs.LACTATION, fs.PEDIATRIC, fs.GERIATRIC}
)  # boxed warning, warnings and precautions, postmarketing / adverse lead


def _event(text: str) -> bool:
    """A statement of harm (risk, cases reported, may cause ...), not a study description."""
    return bool(EVENT.search(text)) and not STUDY.search(text)


def _event_not_advice(text: str) -> bool:
    return _event(text) and not is_recommendation(text)


def _serious_finding(text: str) -> bool:
    return bool(SERIOUS.search(text)) and not STUDY.search(text)


class LabelFields:
    """Field extractors over one label; ``seen`` keeps a sentence from being quoted twice."""

    def __init__(self, view: LabelView, drug: Entity, lexicon: Lexicon) -> None:
        self.view = view
        self.drug = drug
        self.lexicon = lexicon
        self.seen: set[str] = set()

    # ------------------------------------------------------------------ helpers
    def _codes(self, key: str) -> fs.LabelCodes:
        return fs.LABEL_CODES[key]

    def _keep(self, key: str, src: Source) -> Callable[[str], bool] | None:
        if src.keep == "names the population and states a dose":
            return POPULATION_DOSE[key]
        return KEEPS.get(src.keep)

    def _source_cands(self, key: str, src: Source, *, highlights: bool = False) -> list[Cand]:
        """Candidate sentences of one mapped source, its sentence filter applied."""
        nodes = [n for n in source_nodes(self.view, src) if n.loinc not in PACKAGE]
        plist = self.view.node_passages(nodes, own=src.own, highlights=highlights)
        keep = self._keep(key, src)
        return [c for c in cands(self.view.ref, plist) if keep is None or keep(c.text)]

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

    def _from_codes(
        self,
        key: str,
        *,
        limit: int,
        keep: Callable[[str], object] | None = None,
        min_words: int = 3,
        per_passage: int | None = None,
    ) -> list[Quote]:
        spec = self._codes(key)
        plist = self.view.full_or_highlights(spec.codes, top_only=spec.top_only)
        return self._pick(
            cands(self.view.ref, plist), limit=limit, keep=keep, min_words=min_words, per_passage=per_passage
        )

    def _per_section(
        self,
        nodes: list[Node],
        *,
        per: int,
        limit: int,
        keep: Callable[[str], object] | None = None,
        min_words: int = 3,
        keep_all: frozenset[str] = frozenset(),
    ) -> list[Quote]:
        """Up to ``per`` quotes from each section's own text, in document order, breadth first.

        Sections coded in ``keep_all`` are quoted without the ``keep`` filter.
        """
        out: list[Quote] = []
        for node in nodes:
            if len(out) >= limit:
                break
            if node.loinc in PACKAGE:
                continue
            own = self.view.node_passages([node], own=True)
            out.extend(
                pick(
                    cands(self.view.ref, own),
                    limit=min(per, limit - len(out)),
                    keep=None if node.loinc in keep_all else keep,
                    min_words=min_words,
                    seen=self.seen,
                )
            )
        # everything here was quoted by an earlier field: quote it again; then try the Highlights
        for highlights in (False, True):
            if out:
                break
            pool = [
                c
                for n in nodes
                if n.loinc not in PACKAGE
                for c in cands(self.view.ref, self.view.node_passages([n], own=True, highlights=highlights))
                if keep is None or n.loinc in keep_all or keep(c.text)
            ]
            out = pick(
                pool, limit=limit, min_words=min_words, seen=set() if not highlights else set(self.seen)
            )
        return out

    # ------------------------------------------------------------------ fields
    def overview(self) -> Draft:
        d = Draft("overview", "Overview")
        own: set[str] = set()
        for codes in ((fs.DESCRIPTION,), (fs.INDICATIONS,), (fs.PURPOSE,)):
            plist = self.view.full_or_highlights(codes)
            # the overview repeats what later fields quote in full, so it does not claim sentences
            d.quotes += pick(
                cands(self.view.ref, plist), limit=1, min_words=1 if codes == (fs.PURPOSE,) else 4, seen=own
            )
        return d

    def otc(self, key: str, title: str) -> Draft:
        return Draft(key, title, self._from_codes(key, limit=6, min_words=1))

    def mechanism(self) -> Draft:
        d = Draft("mechanism", "Mechanism of action")
        d.quotes = self._pick(cands(self.view.ref, self.view.full_or_highlights((fs.MECHANISM,))), limit=3)
        if not d.quotes:
            plist = self.view.full_or_highlights((fs.CLIN_PHARM,))
            d.quotes = self._pick(cands(self.view.ref, plist), limit=3, keep=MECHANISM_WORDS.search)
        return d

    def indications(self) -> tuple[Draft, Draft]:
        onc = Draft("indications_oncological", "Oncological indications")
        other = Draft("indications_non_oncological", "Non-oncological indications")
        quotes = self._from_codes("indications", limit=16, min_words=2)
        neoplasms: list[str] = []
        for q in quotes:
            found = [m.concept for m in self.lexicon.find_mentions(q.text) if m.concept.kind == "condition"]
            c04 = [c.preferred for c in found if c.is_neoplasm]
            (onc if c04 else other).quotes.append(q)
            neoplasms += [n for n in c04 if n not in neoplasms]
        if onc.quotes:
            onc.note = f"Statements naming a neoplasm (MeSH tree C04): {', '.join(neoplasms)}."
        if other.quotes:
            other.note = (
                "Indication statements that name no neoplasm (MeSH tree C04) condition known to the lexicon."
            )
        return onc, other

    def dosing(self) -> Draft:
        d = Draft("dosing", "Dosing")
        spec = self._codes("dosing")
        rows = dosing_rows(self.view.ref, self.view.passages(spec.codes))
        if not rows:
            rows = dosing_rows(self.view.ref, self.view.passages(spec.codes, highlights=True))
        if rows:
            d.table = [HEADER, *[[*r, ""] for r, _ in rows]]
            d.row_quotes = [q for _, q in rows]
            d.quotes = list(d.row_quotes)
            d.note = (
                "One row per label sentence or table row that states a dose; cells are taken from that text "
                "(population may be the label sub-heading above it); empty cells are not stated there."
            )
        else:  # a dosage section without amounts (e.g. 'individualise the dose'): quote it
            d.quotes = self._from_codes("dosing", limit=4)
            if d.quotes:
                d.note = "The label's dosage section states no amount that could be tabulated; it is quoted."
        return d

    def population(self, key: str, title: str) -> Draft:
        """Pregnancy, lactation, paediatric, geriatric, renal and hepatic fields from their mapping.

        Every tier but the last adds its quotes (dose fields: Dosage and Administration first, then
        Use in Specific Populations); the last tier is a fallback for an empty field. Each section
        gives up to two sentences (dose sentences: three), breadth first. A sentence other fields
        quote is quoted here too (one starting-dose sentence may name older patients and renal
        and hepatic impairment).
        """
        d = Draft(key, title)
        tiers = sources(key, otc=self.view.is_otc)
        shown: set[str] = set()
        for i, tier in enumerate(tiers):
            if i == len(tiers) - 1 and i > 0 and d.quotes:
                break
            for src in tier:
                keep = self._keep(key, src)
                per = 2 if keep is None else 3
                for node in source_nodes(self.view, src):
                    if len(d.quotes) >= POPULATION_LIMIT:
                        return d
                    plist = self.view.node_passages([node], own=src.own)
                    got = pick(
                        cands(self.view.ref, plist),
                        limit=min(per, POPULATION_LIMIT - len(d.quotes)),
                        keep=keep,
                        seen=shown,
                    )
                    d.quotes += got
        return d

    def dose_interactions(self) -> Draft:
        d = Draft("dose_interactions", fs.DOSE_INTERACTIONS_TITLE)
        d.quotes = self.mapped("dose_interactions", limit=10, per_tier=6, fill=True, claim=False)
        if not d.quotes and self.view.has((fs.DOSAGE, fs.INTERACTIONS)):
            d.note = "The label's dosage and drug interaction sections state no dose change for another drug."
        return d

    def efficacy(self) -> Draft:
        d = Draft("clinical_efficacy", "Clinical efficacy")
        nodes = self.view.sub_nodes((fs.CLINICAL_STUDIES,))
        d.quotes = self._per_section(nodes, per=1, limit=8, keep=is_result)
        return d

    def boxed(self) -> Draft:
        return Draft(
            "boxed_warning", "Boxed warning", self._from_codes("boxed_warning", limit=40, min_words=2)
        )

    def adverse(self) -> tuple[Draft, Draft]:
        common = Draft("common_adverse_reactions", "Common adverse reactions (more than 10%)")
        spec = self._codes("common_adverse_reactions")
        plist = self.view.node_passages(source_nodes(self.view, Source("adverse")))
        table, quotes, tables = common_reactions(self.view.ref, plist)
        if table:
            common.table, common.row_quotes, common.quotes = table, quotes, list(quotes)
            common.note = (
                "Rows of the label's adverse reaction tables with an incidence above 10% in any drug column "
                "(every dose and arm; placebo and comparator columns are not counted); the column each "
                "figure comes from is named."
            )
        else:
            common.quotes = self._pick(
                cands(self.view.ref, self.view.full_or_highlights(spec.codes)),
                limit=3,
                keep=KEEPS["most common"],
            )
            if common.quotes:
                common.note = (
                    f"The label's {tables} adverse reaction table(s) list no reaction above 10% in any drug column; "
                    "its own statements on the most frequent reactions are quoted."
                    if tables
                    else "The label has no adverse reaction table; its own statements on the most frequent reactions are quoted."
                )
        return common, self.serious()

    def serious(self) -> Draft:
        """Boxed warning statements, the lead sentence of each warnings-and-precautions sub-section
        (a study description is passed over), postmarketing and adverse-reaction lead statements
        with serious wording. Sentences other fields quote are quoted here too, not taken from them."""
        d = Draft("serious_adverse_events", "Serious adverse events")
        tiers = sources("serious_adverse_events")
        shown: set[str] = set()

        def add(pool: list[Cand], limit: int, keep: Callable[[str], object] | None, per: int | None) -> None:
            got = pick(pool, limit=limit, keep=keep, per_passage=per, seen=set(shown))
            shown.update(q.text for q in got)
            d.quotes.extend(got)

        boxed = [c for src in tiers[0] for c in self._source_cands("serious_adverse_events", src)]
        add(boxed, SERIOUS_LIMITS[0], lambda t: _serious_finding(t) and not is_recommendation(t), None)
        for top in [n for src in tiers[1] for n in source_nodes(self.view, src)]:
            subs = [
                n
                for n in self.view.nodes
                if top.index in n.ancestors
                and not POPULATION_SECTION.search(n.title)
                and n.loinc not in POPULATION_CODES
            ]
            if not subs:  # an older label's plain Warnings section: its serious statements
                own = cands(self.view.ref, self.view.node_passages([top], own=True))
                add(own, SERIOUS_LIMITS[1], _serious_finding, None)
            for sub in subs:  # each sub-section's lead statement of harm (not advice, not a study)
                if len(d.quotes) >= sum(SERIOUS_LIMITS[:2]):
                    break
                pool = cands(self.view.ref, self.view.node_passages([sub], own=True))
                before = len(d.quotes)
                add(pool, 1, _event_not_advice, None)
                if len(d.quotes) == before:
                    add(pool, 1, _event, None)
        late = [c for src in tiers[2] for c in self._source_cands("serious_adverse_events", src)]
        add(late, SERIOUS_LIMITS[2], None, None)
        return d

    def contraindications(self) -> Draft:
        nodes = self.view.sub_nodes(self._codes("contraindications").codes)
        quotes = self._per_section(nodes, per=2, limit=12, min_words=1)
        return Draft("contraindications", "Contraindications", quotes)

    def warnings(self) -> Draft:
        nodes = self.view.sub_nodes(self._codes("warnings_precautions").codes)
        return Draft(
            "warnings_precautions",
            "Warnings and precautions",
            # Drug Facts warnings are lists of short items: a few per heading
            self._per_section(nodes, per=3 if self.view.is_otc else 1, limit=14, min_words=2),
        )

    def interactions(self) -> Draft:
        nodes = self.view.sub_nodes(self._codes("interactions").codes)
        return Draft("interactions", "Interactions", self._per_section(nodes, per=2, limit=12, min_words=2))

    def overdosage(self) -> Draft:
        quotes = self._per_section(self.view.sub_nodes((fs.OVERDOSAGE,)), per=2, limit=4)
        if not quotes:  # OTC labels: "In case of overdose ..." under Keep out of reach of children
            nodes = self.view.sub_nodes((fs.KEEP_AWAY,))
            quotes = self._per_section(nodes, per=2, limit=2, keep=OVERDOSE.search)
        return Draft("overdosage", "Overdosage", quotes)

    def management(self) -> Draft:
        d = Draft("management", "Management of adverse effects")
        nodes = self.view.sub_nodes(self._codes("management").codes)
        d.quotes = self._per_section(
            nodes, per=1, limit=10, keep=is_management, min_words=2, keep_all=frozenset({fs.STOP_USE})
        )
        return d

    def pretreatment(self) -> Draft:
        d = Draft("pretreatment_tests", "Pre-treatment tests")
        d.quotes = self.mapped("pretreatment_tests", limit=6, claim=False)
        return d

    def patient_precautions(self) -> Draft:
        nodes = self.view.sub_nodes(self._codes("patient_precautions").codes)
        return Draft(
            "patient_precautions", "Precautions", self._per_section(nodes, per=2, limit=10, min_words=2)
        )

    def dos_and_donts(self) -> Draft:
        codes = self._codes("dos_and_donts").for_label(otc=self.view.is_otc)
        nodes = [n for n in self.view.sub_nodes(codes) if n.loinc not in PACKAGE]
        plist = self.view.node_passages(nodes, own=True, highlights=None)
        d = Draft("dos_and_donts", "Do's and don'ts")
        d.quotes = self._pick(
            cands(self.view.ref, plist), limit=12, keep=DO_DONT.search, min_words=3, per_passage=2
        )
        return d
