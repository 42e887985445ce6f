"""Which label sections may fill each monograph field, in fallback order (see docs/monograph-fields.md).

A label is read as *regions*: the parts of a label a pharmacist knows by name (boxed warning,
dosage and administration, warnings and precautions, use in specific populations, ...). A
region is found by its LOINC section code or, because many labels code their sections
42229-5 "unclassified", by the title of a top-level section ("8 USE IN SPECIFIC POPULATIONS").
The pseudo-region ``clinical`` is every section outside the parts that describe studies,
pharmacology, the product or the patient leaflet, so a sub-section titled "Pregnancy" or
"Geriatric Use" is found wherever such a label puts it.

Each field has tiers of :class:`Source` (a region, optionally only its sub-sections with a
matching title, optionally only the region's own passages); the extractors in
:mod:`medref.monograph.label_fields` take tier 1 first and fall back tier by tier, and the
``keep`` name says which sentence filter applies (the filter is applied by the extractor; the
section rule is applied here). :func:`section_allowed` answers, for a passage of a label,
whether a field may cite it under any tier: the benchmark counts the values that break it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from medref.models import Document
from medref.monograph import fields as fs
from medref.monograph.label import PACKAGE, PATIENT_FACING, LabelView, Node


@dataclass(frozen=True)
class Region:
    """A named part of a label: its LOINC codes and the title of a top-level section."""

    codes: tuple[str, ...]
    title: re.Pattern[str] | None = None
    top_only: bool = False  # codes count only at top level (a nested boxed text is not the boxed warning)


def _re(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.I)


REGIONS: dict[str, Region] = {
    "boxed": Region((fs.BOXED,), _re(r"^(?:boxed warning|warning:)"), top_only=True),
    "indications": Region((fs.INDICATIONS,), _re(r"^indications\b")),
    "dosage": Region((fs.DOSAGE,), _re(r"^dosage and administration\b")),
    "contraindications": Region((fs.CONTRAINDICATIONS,), _re(r"^contraindications?\b")),
    "warnings": Region(
        (fs.WARNINGS_PRECAUTIONS, fs.WARNINGS, fs.PRECAUTIONS, fs.GENERAL_PRECAUTIONS),
        _re(r"^(?:warnings|precautions)\b"),
    ),
    "adverse": Region((fs.ADVERSE, fs.ADVERSE_TRIALS), _re(r"^adverse reactions?\b")),
    "interactions": Region((fs.INTERACTIONS, fs.LAB_INTERACTIONS), _re(r"^drug interactions\b")),
    "populations": Region((fs.SPECIFIC_POPULATIONS,), _re(r"\bspecific populations\b")),
    "pregnancy": Region(fs.PREGNANCY),
    "lactation": Region(fs.LACTATION),
    "pediatric": Region((fs.PEDIATRIC,)),
    "geriatric": Region((fs.GERIATRIC,)),
    "lab_tests": Region((fs.LAB_TESTS,), _re(r"^laboratory tests\b")),
    "overdosage": Region((fs.OVERDOSAGE,), _re(r"^overdosage\b")),
    "description": Region((fs.DESCRIPTION,), _re(r"^description\b")),
    "clin_pharm": Region((fs.CLIN_PHARM,), _re(r"^clinical pharmacology\b")),
    "mechanism": Region((fs.MECHANISM,), _re(r"^mechanism of action\b")),
    "clinical_studies": Region((fs.CLINICAL_STUDIES,), _re(r"^clinical studies\b")),
    "counseling": Region((fs.PATIENT_COUNSELING,), _re(r"\bpatient counsel+ing\b")),
    "patient": Region(tuple(sorted(PATIENT_FACING)), _re(r"^(?:medication guide|patient information)\b")),
    "general_precautions": Region((fs.GENERAL_PRECAUTIONS,)),
    "otc_active": Region((fs.ACTIVE_INGREDIENT,)),
    "otc_purpose": Region((fs.PURPOSE,)),
    "otc_do_not_use": Region((fs.DO_NOT_USE,)),
    "otc_ask_doctor": Region((fs.ASK_DOCTOR,)),
    "otc_ask_pharmacist": Region((fs.ASK_DOCTOR_PHARMACIST,)),
    "otc_when_using": Region((fs.WHEN_USING,)),
    "otc_stop_use": Region((fs.STOP_USE,)),
    "otc_keep_away": Region((fs.KEEP_AWAY,)),
}
# parts of a label that describe studies, pharmacology, the product or the patient leaflet: a
# sub-section titled for a population there ("Pediatric Patients" in Adverse Reactions, "Pregnancy"
# in Patient Counseling) is not where that population's dosing is stated
NOT_CLINICAL = (
    "indications",
    "adverse",
    "description",
    "clin_pharm",
    "mechanism",
    "clinical_studies",
    "counseling",
    "patient",
)
NOT_CLINICAL_CODES = frozenset(
    {
        *PACKAGE,
        "43680-8",  # nonclinical toxicology
        "34083-6",  # carcinogenesis, mutagenesis, impairment of fertility
        "34093-5",  # references
        "34069-5",  # how supplied
        "43678-2",  # dosage forms and strengths
        "43683-2",  # recent major changes
        "43681-6",  # pharmacodynamics
        "43682-4",  # pharmacokinetics
    }
)

RENAL_TITLE = r"\brenal\b|\bkidney\b"
HEPATIC_TITLE = r"\bhepatic\b|\bliver\b"
# outside dosing and specific populations a title must name the impairment, not an organ harm
# ("Renal Toxicity", "Liver Dysfunction" in warnings are about the drug's harm)
RENAL_IMPAIRMENT_TITLE = r"\b(?:renal|kidney) (?:impairment|insufficiency|disease|failure)\b"
HEPATIC_IMPAIRMENT_TITLE = r"\b(?:hepatic|liver) (?:impairment|insufficiency|disease|cirrhosis)\b"
PREGNANCY_TITLE = r"pregnan"
LACTATION_TITLE = r"nursing|lactat|breast"
PEDIATRIC_TITLE = r"pediatric|paediatric|^(?!keep out).*\bchildren\b"
GERIATRIC_TITLE = r"geriatric|elderly|older (?:adults|patients)"
INTERACTING_TITLE = (
    r"interact|concomitant|coadministration|co-administration|\btaking\b|inhibitors?\b|inducers?\b"
)
POSTMARKETING_TITLE = r"post-?marketing|post-?approval"


@dataclass(frozen=True)
class Source:
    """Sections of one region that may fill a field: all of it, its sub-sections titled
    ``title``, or only its own (top) passages; ``keep`` names the sentence filter applied."""

    region: str
    title: str | None = None
    own: bool = False
    keep: str = ""

    def describe(self) -> str:
        where = self.region
        if self.title:
            where += f" sub-sections titled /{self.title}/"
        if self.own:
            where += " (its own lead text, not its sub-sections)"
        return where + (f"; sentences: {self.keep}" if self.keep else "")


@dataclass(frozen=True)
class FieldMap:
    key: str
    tiers: tuple[tuple[Source, ...], ...]
    filtered: str = ""  # what the extractor leaves out, in words
    otc: tuple[Source, ...] = ()  # extra sources on OTC "Drug Facts" labels


def _s(region: str, title: str | None = None, *, own: bool = False, keep: str = "") -> Source:
    return Source(region, title, own, keep)


_DOSE_KEEP = "names the population and states a dose"


def _population(title: str, region: str, text_keep: str) -> tuple[tuple[Source, ...], ...]:
    return (
        (_s("dosage", title), _s("dosage", keep=_DOSE_KEEP)),
        (_s(region), _s("clinical", title)),
        (_s("dosage", keep=text_keep), _s("populations", keep=text_keep), _s("warnings", keep=text_keep)),
    )


def _organ(key: str, title: str, impairment: str, organ: str) -> FieldMap:
    named = f"names {organ} impairment"
    return FieldMap(
        key,
        (
            (_s("dosage", title), _s("dosage", keep=f"{named} and states a dose")),
            (_s("populations", title), _s("clinical", impairment)),
            (_s("dosage", keep=named), _s("populations", keep=named)),
        ),
        "pharmacokinetics (section 12.3) and clinical studies",
    )


def _mother(key: str, region: str, title: str, named: str) -> FieldMap:
    """Pregnancy or lactation: the coded or titled section, else sentences naming it in the
    contraindications, warnings and specific-populations text."""
    where = ("contraindications", "warnings", "populations")
    return FieldMap(
        key,
        ((_s(region), _s("clinical", title)), tuple(_s(r, keep=named) for r in where)),
        "patient counselling and Medication Guide text",
    )


MAPPING: dict[str, FieldMap] = {
    m.key: m
    for m in (
        FieldMap("overview", ((_s("description"), _s("indications")),), otc=(_s("otc_purpose"),)),
        FieldMap("active_ingredients", ((_s("otc_active"),),)),
        FieldMap("purpose", ((_s("otc_purpose"),),)),
        FieldMap(
            "mechanism",
            ((_s("mechanism"),), (_s("clin_pharm", keep="mechanism wording"),)),
        ),
        FieldMap("indications_oncological", ((_s("indications", keep="names a neoplasm"),),)),
        FieldMap("indications_non_oncological", ((_s("indications", keep="names no neoplasm"),),)),
        FieldMap(
            "dosing",
            ((_s("dosage", keep="states a dose"),), (_s("dosage"),)),
            "product strengths and preparation steps are not doses",
        ),
        _organ("dose_renal", RENAL_TITLE, RENAL_IMPAIRMENT_TITLE, "renal"),
        _organ("dose_hepatic", HEPATIC_TITLE, HEPATIC_IMPAIRMENT_TITLE, "hepatic"),
        _mother("dose_pregnancy", "pregnancy", PREGNANCY_TITLE, "names pregnancy"),
        _mother("dose_lactation", "lactation", LACTATION_TITLE, "names nursing or breastfeeding"),
        FieldMap(
            "dose_pediatric",
            _population(PEDIATRIC_TITLE, "pediatric", "names children"),
            "adverse-reaction and clinical-study text about children",
        ),
        FieldMap(
            "dose_geriatric",
            _population(GERIATRIC_TITLE, "geriatric", "names older patients"),
            "clinical-study text",
        ),
        FieldMap(
            "dose_interactions",
            (
                (
                    _s("dosage", INTERACTING_TITLE, keep="a dose statement"),
                    _s("dosage", keep="names another drug and a dose change"),
                ),
                (_s("interactions", keep="states a dose change"),),
            ),
            "interaction statements without a dose change (they are under Interactions)",
        ),
        FieldMap(
            "clinical_efficacy",
            ((_s("clinical_studies", keep="results with a figure or comparison"),),),
            "study design and harm sentences",
        ),
        FieldMap("boxed_warning", ((_s("boxed"),),)),
        # the class is mostly structured data (MeSH, DrugBank); a label sentence naming it may be quoted
        FieldMap(
            "drug_class",
            (
                (_s("indications", keep="names a class"), _s("description", keep="names a class")),
                (_s("mechanism", keep="names a class"), _s("clin_pharm", keep="names a class")),
            ),
        ),
        FieldMap(
            "common_adverse_reactions",
            (
                (_s("adverse", keep="table rows above 10% in any drug column"),),
                (_s("adverse", keep="most common"),),
            ),
            "placebo and comparator columns",
        ),
        FieldMap(
            "serious_adverse_events",
            (
                (_s("boxed"),),
                (_s("warnings", keep="sub-section titles and their lead sentence"),),
                (
                    _s("adverse", POSTMARKETING_TITLE, keep="serious wording"),
                    _s("adverse", own=True, keep="serious wording"),
                ),
            ),
            "clinical-trial descriptions (6.1), clinical studies and other fields' text",
        ),
        FieldMap("contraindications", ((_s("contraindications"),),), otc=(_s("otc_do_not_use"),)),
        FieldMap("warnings_precautions", ((_s("warnings"),),)),
        FieldMap(
            "interactions",
            ((_s("interactions"),), (_s("warnings", keep="names another drug it is given with"),)),
            "a label without a Drug Interactions section: only its warnings sentences on drugs given together",
            otc=(_s("otc_ask_pharmacist"),),
        ),
        FieldMap("overdosage", ((_s("overdosage"),), (_s("otc_keep_away", keep="overdose"),))),
        FieldMap(
            "management",
            ((_s("warnings", keep="an action"), _s("overdosage", keep="an action")),),
            otc=(_s("otc_stop_use"),),
        ),
        FieldMap(
            "pretreatment_tests",
            (
                (
                    _s("boxed", keep="a test before starting"),
                    _s("dosage", keep="a test before starting"),
                    _s("warnings", keep="a test before starting"),
                    _s("contraindications", keep="a test before starting"),
                    _s("lab_tests", keep="a test before starting"),
                ),
            ),
            "clinical studies, clinical pharmacology and trial descriptions",
        ),
        FieldMap(
            "patient_precautions",
            ((_s("counseling"), _s("general_precautions")),),
            otc=(_s("otc_ask_doctor"), _s("otc_when_using")),
        ),
        FieldMap(
            "dos_and_donts",
            (
                (
                    _s("patient", keep="imperative wording"),
                    _s("counseling", keep="imperative wording"),
                    _s("otc_keep_away", keep="imperative wording"),
                    _s("otc_stop_use", keep="imperative wording"),
                ),
            ),
            otc=(_s("dosage", keep="imperative wording"), _s("otc_when_using", keep="imperative wording")),
        ),
    )
}


# ---------------------------------------------------------------------- reading a label
def _matches(node: Node, region: Region) -> bool:
    if node.loinc in region.codes and (node.depth == 0 or not region.top_only):
        return True
    return region.title is not None and node.depth == 0 and bool(region.title.search(node.title))


def _in_any(view: LabelView, node: Node, names: tuple[str, ...]) -> bool:
    chain = [node, *(view.nodes[a] for a in node.ancestors)]
    if any(n.loinc in NOT_CLINICAL_CODES for n in chain):
        return True
    return any(_matches(n, REGIONS[name]) for n in chain for name in names)


def region_nodes(view: LabelView, name: str) -> list[Node]:
    """The outermost sections of region ``name`` (``clinical``: every top section outside
    :data:`NOT_CLINICAL`), in document order."""
    if name == "clinical":
        return [n for n in view.nodes if n.depth == 0 and not _in_any(view, n, NOT_CLINICAL)]
    region = REGIONS[name]
    found = [n for n in view.nodes if _matches(n, region)]
    ids = {n.index for n in found}
    return [n for n in found if not ids.intersection(n.ancestors)]


def source_nodes(view: LabelView, src: Source) -> list[Node]:
    """The sections ``src`` names in this label, outermost first, in document order."""
    tops = region_nodes(view, src.region)
    if not src.title:
        return tops
    title = re.compile(src.title, re.I)
    ids = {n.index for n in tops}
    inside = [n for n in view.nodes if n.index in ids or ids.intersection(n.ancestors)]
    if src.region == "clinical":
        inside = [n for n in inside if not _in_any(view, n, NOT_CLINICAL)]
    found = [n for n in inside if title.search(n.title)]
    chosen = {n.index for n in found}
    return [n for n in found if not chosen.intersection(n.ancestors)]


def sources(key: str, *, otc: bool = False) -> list[tuple[Source, ...]]:
    m = MAPPING[key]
    tiers = list(m.tiers)
    if otc and m.otc:
        tiers.append(m.otc)
    return tiers


def source_ordinals(view: LabelView, src: Source) -> set[int]:
    nodes = source_nodes(view, src)
    out: set[int] = set()
    for n in nodes:
        out.update(n.own if src.own else n.subtree)
    return out


def allowed_ordinals(view: LabelView, key: str) -> frozenset[int]:
    """Every passage ordinal of the label that field ``key`` may cite (any tier)."""
    if key not in MAPPING:
        return frozenset()
    out: set[int] = set()
    for tier in sources(key, otc=view.is_otc):
        for src in tier:
            if view.has_sections:
                out |= source_ordinals(view, src)
            else:  # stored without a section list: the passages' own codes
                codes = set(REGIONS[src.region].codes) if src.region in REGIONS else set()
                out |= {p.ordinal for p in view.doc.passages if p.loinc in codes}
    return frozenset(out)


def has_own_section(view: LabelView, key: str) -> bool:
    """Whether the label has a section meant for field ``key``: a source of the field's mapping that
    takes whole sections (not only sentences filtered out of a wider section). A field read only
    out of wider sections (oncological indications, pre-treatment tests) counts as having one."""
    if key not in MAPPING:
        return False
    if all(src.keep for tier in sources(key, otc=view.is_otc) for src in tier):
        return True  # the field is read out of wider sections: there is no section of its own to miss
    for tier in sources(key, otc=view.is_otc):
        for src in tier:
            if src.keep:
                continue
            if view.has_sections and source_nodes(view, src):
                return True
            if not view.has_sections and src.region in REGIONS:
                codes = set(REGIONS[src.region].codes)
                if any(p.loinc in codes for p in view.doc.passages):
                    return True
    return False


_VIEWS: dict[str, tuple[Document, LabelView, dict[str, frozenset[int]]]] = {}


def section_allowed(doc: Document, key: str, ordinal: int) -> bool:
    """Whether passage ``ordinal`` of label ``doc`` sits in a section field ``key``'s mapping allows.

    Fields without a label mapping (names, codes, route, approval, research areas) allow none.
    """
    cached = _VIEWS.get(doc.uid)
    if cached is None or cached[0] is not doc:
        if len(_VIEWS) > 16:
            _VIEWS.clear()
        cached = _VIEWS[doc.uid] = (doc, LabelView(doc), {})
    _, view, by_key = cached
    if key not in by_key:
        by_key[key] = allowed_ordinals(view, key)
    return ordinal in by_key[key]
