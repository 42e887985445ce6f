"""Monograph fields read from a drug label, section by section (LOINC code, title and section tree).

Every field returns quotes of the label's own sentences, table rows or leaf-section texts (never
rewritten), chosen by the sections its mapping allows (:data:`medref.monograph.mapping.MAPPING`:
LOINC codes and, for sections coded "unclassified", titles) and, for some fields, by a pattern
(results sentences for efficacy, imperative wording for do's and don'ts). The fields most tied
to the mapping's tiers (special-population doses, doses with interacting drugs, serious adverse
events, pre-treatment tests) are in :mod:`medref.monograph.label_mapped`.
"""

from __future__ import annotations

from collections.abc import Callable

from medref.monograph import fields as fs
from medref.monograph.adverse import common_reactions
from medref.monograph.boxed import boxed_title, is_caps_heading
from medref.monograph.dosing import HEADER, dosing_rows
from medref.monograph.evidence import Draft, Quote, pick
from medref.monograph.label import PACKAGE, Node
from medref.monograph.label_mapped import MappedFields, with_items
from medref.monograph.mapping import MAPPING, POSTMARKETING_TITLE, REGIONS, Source, source_nodes
from medref.monograph.patterns import (
    DO_DONT,
    DOSING_CONDITION,
    KEEPS,
    NOT_A_REACTION,
    OVERDOSE,
    TREATED,
    above_ten_percent,
    is_management,
    is_result,
)


class LabelFields(MappedFields):
    """Field extractors over one label; ``seen`` keeps a sentence from being quoted twice."""

    def _from_region(
        self,
        key: str,
        *,
        limit: int,
        keep: Callable[[str], object] | None = None,
        min_words: int = 3,
        per_passage: int | None = None,
    ) -> list[Quote]:
        plist = self._region(key)
        return self._pick(
            self._cands(plist), limit=limit, keep=keep, min_words=min_words, per_passage=per_passage
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
        per_passage: int | None = None,
        claim: bool = True,
    ) -> list[Quote]:
        """Up to ``per`` quotes from each section's own text (``per_passage`` from each paragraph),
        in document order, breadth first. Sections coded in ``keep_all`` are quoted without the
        ``keep`` filter. ``claim=False``: sentences earlier fields quoted are quoted here too.
        """
        out: list[Quote] = []
        seen = self.seen if claim else set()
        for node in nodes:
            if len(out) >= limit:
                break
            if node.loinc in PACKAGE:
                continue
            own = self._cands(self.view.node_passages([node], own=True))
            node_keep = None if node.loinc in keep_all else keep
            room = min(per, limit - len(out))
            got = pick(
                own, limit=room, keep=node_keep, min_words=min_words, per_passage=per_passage, seen=seen
            )
            if per_passage is not None and len(got) < room:  # few paragraphs: their next sentences too
                got += pick(own, limit=room - len(got), keep=node_keep, min_words=min_words, seen=seen)
            out.extend(with_items(own, got, seen))
        # everything here was quoted by an earlier field: quote it again; then try the Highlights
        for highlights in (False, True):
            if out:
                break
            pool = [
                c
                for n in nodes
                if n.loinc not in PACKAGE
                for c in self._cands(self.view.node_passages([n], own=True, highlights=highlights))
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
        for src in (*MAPPING["overview"].tiers[0], *MAPPING["overview"].otc):
            plist = self.view.full_or_highlights(REGIONS[src.region].codes)
            if self.view.has_sections:
                nodes = source_nodes(self.view, src)
                plist = self.view.node_passages(nodes) or self.view.node_passages(nodes, highlights=True)
            # the overview repeats what later fields quote in full, so it does not claim sentences
            d.quotes += pick(
                self._cands(plist),
                limit=1,
                min_words=1 if src.region == "otc_purpose" else 4,
                seen=own,
            )
        return d

    def otc(self, key: str, title: str) -> Draft:
        return Draft(key, title, self._from_region(key, limit=6, min_words=1))

    def mechanism(self) -> Draft:
        d = Draft("mechanism", "Mechanism of action")
        d.quotes = self.mapped("mechanism", limit=3)
        return d

    def indications(self) -> tuple[Draft, Draft]:
        onc = Draft("indications_oncological", "Oncological indications")
        other = Draft("indications_non_oncological", "Non-oncological indications")
        # Drug Facts "Uses" are one- or two-word items ("sneezing")
        quotes = self._from_region("indications", limit=40, min_words=1 if self.view.is_otc else 2)
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
        nodes = self._nodes("dosing")
        codes = self._codes("dosing").codes
        rows = dosing_rows(
            self.view.ref, self.view.node_passages(nodes) if nodes else self.view.passages(codes)
        )
        if not rows:
            high = (
                self.view.node_passages(nodes, highlights=True)
                if nodes
                else self.view.passages(codes, highlights=True)
            )
            rows = dosing_rows(self.view.ref, high)
        if rows:
            d.table = [HEADER, *[[*r, ""] for r, _ in rows]]
            d.row_quotes = [q for _, q in rows]
            d.quotes = list(d.row_quotes)
            d.note = (
                "One row per label sentence or table row that states a dose; cells are taken from that text "
                "(population may be the label sub-heading above it); empty cells are not stated there."
            )
            shown = {q.text for q in d.row_quotes}
            pool = [c for c in self._cands(self.view.node_passages(nodes)) if c.text not in shown]
            conditions = pick(pool, limit=6, keep=DOSING_CONDITION.search, seen=set())
            if conditions:
                d.quotes += conditions
                d.note += " The sentences after the table give the label's conditions for continuing, checking or limiting the dose."
        else:  # a dosage section without amounts (e.g. 'individualise the dose'): quote it
            d.quotes = self._from_region("dosing", limit=4)
            if d.quotes:
                d.note = "The label's dosage section states no amount that could be tabulated; it is quoted."
        return d

    def efficacy(self) -> Draft:
        d = Draft("clinical_efficacy", "Clinical efficacy")
        nodes = self._nodes("clinical_efficacy") or self.view.sub_nodes((fs.CLINICAL_STUDIES,))
        d.quotes = self._per_section(nodes, per=1, limit=8, keep=is_result)
        return d

    def boxed(self) -> Draft:
        """The box's statements; its own heading lines ("SERIOUS INFECTIONS") are not statements."""
        quotes = self._from_region(
            "boxed_warning", limit=40, min_words=2, keep=lambda t: not is_caps_heading(t)
        )
        return Draft("boxed_warning", boxed_title(self.view), quotes)

    def adverse(self) -> tuple[Draft, Draft]:
        common = Draft("common_adverse_reactions", "Common adverse reactions (more than 10%)")
        nodes = self._nodes("common_adverse_reactions")
        codes = self._codes("common_adverse_reactions").codes
        plist = self.view.node_passages(nodes) if nodes else self.view.passages(codes)
        table, quotes, tables = common_reactions(self.view.ref, plist)
        stated = self._stated_incidences(nodes, quotes)
        if table:
            common.table, common.row_quotes, common.quotes = table, quotes, list(quotes)
            common.note = (
                "Rows of the label's adverse reaction tables with an incidence above 10% in any drug column "
                "(every dose and arm; placebo and comparator columns are not counted); the column each "
                "figure comes from is named."
            )
            if stated:
                common.quotes += stated
                common.note += " The sentences give incidences above 10% stated in the section's text."
        elif stated:
            common.quotes = stated
            common.note = "Incidences above 10% stated in the text of the label's adverse reactions section."
        else:
            common.quotes = self._pick(
                self._cands(self._region("common_adverse_reactions")),
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

    def _stated_incidences(self, nodes: list[Node], rows: list[Quote]) -> list[Quote]:
        """Adverse-reaction sentences (not postmarketing) giving an incidence above 10% in patients
        treated with the drug ("20% of patients treated with X developed injection site reactions")."""
        late = {n.index for n in source_nodes(self.view, Source("adverse", POSTMARKETING_TITLE))}
        keep = [n for n in nodes if n.index not in late and not late.intersection(n.ancestors)]
        shown = {q.text for q in rows}

        def incidence(t: str) -> bool:
            return (
                above_ten_percent(t)
                and bool(TREATED.search(t) or self.drug.mentioned_in(t))
                and not NOT_A_REACTION.search(t)
            )

        pool = [c for c in self._cands(self.view.node_passages(keep, own=True)) if c.text not in shown]
        return pick(pool, limit=8, keep=incidence, seen=set())

    def contraindications(self) -> Draft:
        nodes = self._nodes("contraindications") or self.view.sub_nodes(
            self._codes("contraindications").codes
        )
        # Drug Facts "Do not use" items are short: all of them
        quotes = self._per_section(nodes, per=8 if self.view.is_otc else 2, limit=16, min_words=1)
        return Draft("contraindications", "Contraindications", quotes)

    def warnings(self) -> Draft:
        nodes = self._nodes("warnings_precautions") or self.view.sub_nodes(
            self._codes("warnings_precautions").codes
        )
        return Draft(
            "warnings_precautions",
            "Warnings and precautions",
            # Drug Facts warnings are lists of short items: a few per heading; a prescription label's
            # sub-section: the lead sentence of each of its first paragraphs
            self._per_section(nodes, per=3, limit=28, min_words=2)
            if self.view.is_otc
            else self._per_section(nodes, per=4, limit=40, min_words=2, per_passage=1),
        )

    def interactions(self) -> Draft:
        nodes = self._nodes("interactions") or self.view.sub_nodes(self._codes("interactions").codes)
        quotes = self._per_section(nodes, per=3, limit=32, min_words=2)
        if not quotes and not self.view.is_otc:  # an older label without the section: its warnings text
            pool = self._cands(self.view.node_passages(self._nodes("interactions", tier=1)))
            quotes = pick(pool, limit=12, keep=KEEPS["names another drug it is given with"], seen=set())
        return Draft("interactions", "Interactions", quotes)

    def overdosage(self) -> Draft:
        nodes = self._nodes("overdosage") or self.view.sub_nodes((fs.OVERDOSAGE,))
        quotes = self._per_section(nodes, per=2, limit=4)
        if not quotes:  # OTC labels: "In case of overdose ..." under Keep out of reach of children
            nodes = self._nodes("overdosage", tier=1) or self.view.sub_nodes((fs.KEEP_AWAY,))
            quotes = self._per_section(nodes, per=2, limit=2, keep=OVERDOSE.search)
        return Draft("overdosage", "Overdosage", quotes)

    def management(self) -> Draft:
        d = Draft("management", "Management of adverse effects")
        nodes = self._nodes("management") or self.view.sub_nodes(self._codes("management").codes)
        otc = self.view.is_otc  # Drug Facts "Stop use and ask a doctor if" items: all, also if quoted above
        d.quotes = self._per_section(
            nodes,
            per=6 if otc else 1,
            limit=12,
            keep=is_management,
            min_words=2,
            keep_all=frozenset({fs.STOP_USE}),
            claim=not otc,
        )
        return d

    def patient_precautions(self) -> Draft:
        nodes = self._nodes("patient_precautions") or self.view.sub_nodes(
            self._codes("patient_precautions").codes
        )
        otc = self.view.is_otc  # Drug Facts "Ask a doctor" / "When using" items: all, also if quoted above
        quotes = self._per_section(
            nodes, per=8 if otc else 2, limit=16, min_words=1 if otc else 2, claim=not otc
        )
        return Draft("patient_precautions", "Precautions", quotes)

    def dos_and_donts(self) -> Draft:
        codes = self._codes("dos_and_donts").for_label(otc=self.view.is_otc)
        nodes = [
            n for n in self._nodes("dos_and_donts") or self.view.sub_nodes(codes) if n.loinc not in PACKAGE
        ]
        plist = self.view.node_passages(nodes, own=True, highlights=None)
        d = Draft("dos_and_donts", "Do's and don'ts")
        d.quotes = self._pick(self._cands(plist), limit=12, keep=DO_DONT.search, min_words=3, per_passage=2)
        return d
