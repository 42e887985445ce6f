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

from medref.compose.sentences import Entity
from medref.monograph import fields as fs
from medref.monograph.adverse import common_reactions
from medref.monograph.dosing import HEADER, dosing_rows
from medref.monograph.evidence import Cand, Draft, Quote, cands, pick
from medref.monograph.label import PACKAGE, LabelView, Node
from medref.monograph.patterns import (
    COMMON,
    DO_DONT,
    MECHANISM_WORDS,
    OVERDOSE,
    POPULATION_TITLES,
    SERIOUS,
    is_management,
    is_pretreatment,
    is_result,
)
from medref.retrieve.lexicon import Lexicon

SHORT = 350  # serious-event statements longer than this are trial descriptions, not findings
CLINICAL_CONTAINERS = (
    fs.DOSAGE,
    fs.SPECIFIC_POPULATIONS,
    fs.PRECAUTIONS,
    fs.WARNINGS,
    fs.WARNINGS_PRECAUTIONS,
    fs.CONTRAINDICATIONS,
)
SAFETY_CODES = (fs.BOXED, fs.WARNINGS_PRECAUTIONS, fs.WARNINGS, fs.PRECAUTIONS, fs.ADVERSE, fs.ADVERSE_TRIALS)


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
        d = Draft(key, title)
        used: list[Node] = []
        if key in fs.LABEL_CODES:
            spec = self._codes(key)
            used = self.view.nodes_for(spec.codes)
            d.quotes = self._per_section(used, per=2, limit=3)
        if key in POPULATION_TITLES and len(d.quotes) < 3:
            done = {n.index for n in used} | {a for n in used for a in n.ancestors}
            nodes = [
                n
                for n in self.view.titled(POPULATION_TITLES[key], within=CLINICAL_CONTAINERS)
                if n.index not in done and not done.intersection(n.ancestors)
            ]
            shown = {q.text for q in d.quotes}
            d.quotes += [
                q for q in self._per_section(nodes, per=2, limit=3 - len(d.quotes)) if q.text not in shown
            ]
        return d

    def organ(self, key: str, title: str, title_re: re.Pattern[str], text_re: re.Pattern[str]) -> Draft:
        d = Draft(key, title)
        nodes = self.view.titled(title_re, within=(fs.DOSAGE, fs.SPECIFIC_POPULATIONS, fs.PRECAUTIONS))
        d.quotes = self._per_section(nodes, per=2, limit=3)
        if not d.quotes:
            plist = self.view.passages((fs.DOSAGE, fs.SPECIFIC_POPULATIONS, fs.PRECAUTIONS))
            d.quotes = self._pick(cands(self.view.ref, plist), limit=3, keep=text_re.search)
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
        plist = self.view.passages(spec.codes)
        table, quotes, tables = common_reactions(self.view.ref, plist, drug=self.drug)
        if table:
            common.table, common.row_quotes, common.quotes = table, quotes, list(quotes)
            common.note = "Rows of the label's adverse reaction tables with an incidence above 10% in the drug's column."
        else:
            common.quotes = self._pick(
                cands(self.view.ref, self.view.full_or_highlights(spec.codes)), limit=3, keep=COMMON.search
            )
            if common.quotes:
                common.note = (
                    f"The label's {tables} adverse reaction table(s) list no reaction above 10% in the drug's column; "
                    "its own statements on the most frequent reactions are quoted."
                    if tables
                    else "The label has no adverse reaction table; its own statements on the most frequent reactions are quoted."
                )
        serious = Draft("serious_adverse_events", "Serious adverse events")
        serious.quotes = self._pick(
            cands(self.view.ref, plist), limit=6, keep=lambda t: bool(SERIOUS.search(t)) and len(t) <= SHORT
        )
        return common, serious

    def contraindications(self) -> Draft:
        nodes = self.view.sub_nodes(self._codes("contraindications").codes)
        quotes = self._per_section(nodes, per=2, limit=12, min_words=1)
        return Draft("contraindications", "Contraindications", quotes)

    def warnings(self) -> Draft:
        nodes = self.view.sub_nodes(self._codes("warnings_precautions").codes)
        return Draft(
            "warnings_precautions",
            "Warnings and precautions",
            self._per_section(nodes, per=1, limit=14, min_words=2),
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
        codes = (
            fs.BOXED,
            fs.DOSAGE,
            fs.WARNINGS_PRECAUTIONS,
            fs.WARNINGS,
            fs.PRECAUTIONS,
            fs.LAB_TESTS,
            fs.CONTRAINDICATIONS,
        )
        plist = self.view.passages(codes, highlights=None)
        d = Draft("pretreatment_tests", "Pre-treatment tests")
        d.quotes = self._pick(cands(self.view.ref, plist), limit=6, keep=is_pretreatment)
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
