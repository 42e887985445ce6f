"""The monograph's sections and fields, in page order, and the label sections behind each field.

``SECTIONS`` fixes the page: every monograph has these sections and fields (OTC-only fields are
added only when the label has Drug Facts sections), so a field the sources do not support is
shown as :data:`~medref.models.NOT_FOUND` rather than left out.

``LABEL_CODES`` names, per label-driven field, the SPL LOINC section codes whose text may fill
it; ``top_only`` codes count only as top-level sections (a boxed warning nested in another
section, as some labels code tamper-evident notices or dosing boxes, is not the boxed warning).
The benchmark uses the same table to decide which fields a label supports. The full mapping of
every label-driven field, with title-based lookup and fallback tiers, is
:data:`medref.monograph.mapping.MAPPING` (docs/monograph-fields.md).
"""

from __future__ import annotations

from dataclasses import dataclass

# LOINC section codes (FDA SPL)
BOXED = "34066-1"
INDICATIONS = "34067-9"
DOSAGE = "34068-7"
CONTRAINDICATIONS = "34070-3"
WARNINGS_PRECAUTIONS = "43685-7"
WARNINGS = "34071-1"
PRECAUTIONS = "42232-9"
GENERAL_PRECAUTIONS = "34072-9"
ADVERSE = "34084-4"
ADVERSE_TRIALS = "90374-0"
INTERACTIONS = "34073-7"
LAB_INTERACTIONS = "34074-5"
SPECIFIC_POPULATIONS = "43684-0"
PREGNANCY = ("42228-7", "34077-8", "34078-6", "53414-9")
LACTATION = ("34080-2", "77290-5")
PEDIATRIC = "34081-0"
GERIATRIC = "34082-8"
OVERDOSAGE = "34088-5"
DESCRIPTION = "34089-3"
CLIN_PHARM = "34090-1"
MECHANISM = "43679-0"
CLINICAL_STUDIES = "34092-7"
LAB_TESTS = "34075-2"
PATIENT_COUNSELING = "34076-0"
MEDICATION_GUIDE = "42231-1"
PATIENT_INSERT = "42230-3"
PATIENT_INFO = "68498-5"
INSTRUCTIONS = "59845-8"
# OTC Drug Facts
ACTIVE_INGREDIENT = "55106-9"
PURPOSE = "55105-1"
DO_NOT_USE = "50570-1"
ASK_DOCTOR = "50569-3"
ASK_DOCTOR_PHARMACIST = "50568-5"
WHEN_USING = "50567-7"
STOP_USE = "50566-9"
KEEP_AWAY = "50565-1"
OTC_CODES = (ACTIVE_INGREDIENT, PURPOSE)


@dataclass(frozen=True)
class LabelCodes:
    codes: tuple[str, ...]
    top_only: bool = False
    otc: tuple[str, ...] = ()  # further codes used on OTC "Drug Facts" labels
    rx: tuple[str, ...] = ()  # further codes used on prescription labels only

    def for_label(self, *, otc: bool) -> tuple[str, ...]:
        return (*self.codes, *self.otc) if otc else (*self.codes, *self.rx)


LABEL_CODES: dict[str, LabelCodes] = {
    "overview": LabelCodes((DESCRIPTION, INDICATIONS, PURPOSE)),
    "active_ingredients": LabelCodes((ACTIVE_INGREDIENT,)),
    "purpose": LabelCodes((PURPOSE,)),
    "mechanism": LabelCodes((MECHANISM, CLIN_PHARM)),
    "indications": LabelCodes((INDICATIONS,)),
    "dosing": LabelCodes((DOSAGE,)),
    "dose_pregnancy": LabelCodes(PREGNANCY),
    "dose_lactation": LabelCodes(LACTATION),
    "dose_pediatric": LabelCodes((PEDIATRIC,)),
    "dose_geriatric": LabelCodes((GERIATRIC,)),
    "clinical_efficacy": LabelCodes((CLINICAL_STUDIES,)),
    "boxed_warning": LabelCodes((BOXED,), top_only=True),
    "common_adverse_reactions": LabelCodes((ADVERSE, ADVERSE_TRIALS)),
    # a Drug Facts "Warnings" section holds cautions for the buyer, not serious adverse events; a
    # boxed text nested in another section (a tamper-evident notice) is not the boxed warning
    "serious_adverse_events": LabelCodes(
        (BOXED, ADVERSE, ADVERSE_TRIALS), top_only=True, rx=(WARNINGS_PRECAUTIONS, WARNINGS, PRECAUTIONS)
    ),
    "contraindications": LabelCodes((CONTRAINDICATIONS, DO_NOT_USE)),
    "warnings_precautions": LabelCodes((WARNINGS_PRECAUTIONS, WARNINGS, PRECAUTIONS)),
    "interactions": LabelCodes((INTERACTIONS, LAB_INTERACTIONS, ASK_DOCTOR_PHARMACIST)),
    "overdosage": LabelCodes(
        (OVERDOSAGE, KEEP_AWAY)
    ),  # OTC: "In case of overdose ..." under Keep out of reach
    "management": LabelCodes((WARNINGS_PRECAUTIONS, WARNINGS, PRECAUTIONS, STOP_USE, OVERDOSAGE)),
    "patient_precautions": LabelCodes((PATIENT_COUNSELING, ASK_DOCTOR, WHEN_USING, GENERAL_PRECAUTIONS)),
    "dos_and_donts": LabelCodes(
        otc=(DOSAGE, WHEN_USING),
        codes=(
            MEDICATION_GUIDE,
            PATIENT_INSERT,
            PATIENT_INFO,
            INSTRUCTIONS,
            PATIENT_COUNSELING,
            KEEP_AWAY,
            STOP_USE,
        ),
    ),
}
# the two indication fields share the label's Indications section
INDICATION_FIELDS = ("indications_oncological", "indications_non_oncological")


DOSE_INTERACTIONS_TITLE = "With interacting drugs (e.g. strong CYP3A4 inhibitors)"


@dataclass(frozen=True)
class FieldSpec:
    key: str
    title: str


@dataclass(frozen=True)
class SectionSpec:
    key: str
    title: str
    fields: tuple[FieldSpec, ...]


def _f(*pairs: tuple[str, str]) -> tuple[FieldSpec, ...]:
    return tuple(FieldSpec(k, t) for k, t in pairs)


SECTIONS: tuple[SectionSpec, ...] = (
    SectionSpec("overview", "Overview", _f(("overview", "Overview"))),
    SectionSpec(
        "identity",
        "Names, codes and class",
        _f(
            ("generic_name", "Generic name"),
            ("brand_names", "Brand names"),
            ("active_ingredients", "Active ingredients"),
            ("purpose", "Purpose"),
            ("synonyms", "Synonyms"),
            ("codes", "Codes"),
            ("drug_class", "Drug class"),
            ("route", "Route"),
            ("approval_status", "Approval status"),
        ),
    ),
    SectionSpec("pharmacology", "Pharmacology", _f(("mechanism", "Mechanism of action"))),
    SectionSpec(
        "indications",
        "Indications",
        _f(
            ("indications_oncological", "Oncological indications"),
            ("indications_non_oncological", "Non-oncological indications"),
        ),
    ),
    SectionSpec(
        "dosing",
        "Dosage and administration",
        _f(
            ("dosing", "Dosing"),
            ("dose_renal", "Renal impairment"),
            ("dose_hepatic", "Hepatic impairment"),
            ("dose_pregnancy", "Pregnancy"),
            ("dose_lactation", "Lactation"),
            ("dose_pediatric", "Paediatric use"),
            ("dose_geriatric", "Geriatric use"),
            ("dose_interactions", DOSE_INTERACTIONS_TITLE),
        ),
    ),
    SectionSpec(
        "efficacy",
        "Clinical efficacy and research",
        _f(
            ("conditions_under_study", "Conditions under study (not approved indications)"),
            ("clinical_efficacy", "Clinical efficacy"),
            ("research_areas", "Research areas"),
        ),
    ),
    SectionSpec(
        "safety",
        "Safety",
        _f(
            ("boxed_warning", "Boxed warning"),
            ("common_adverse_reactions", "Common adverse reactions (more than 10%)"),
            ("serious_adverse_events", "Serious adverse events"),
            ("contraindications", "Contraindications"),
            ("warnings_precautions", "Warnings and precautions"),
            ("interactions", "Interactions"),
            ("overdosage", "Overdosage"),
            ("management", "Management of adverse effects"),
        ),
    ),
    SectionSpec(
        "patient_management",
        "Patient management",
        _f(
            ("pretreatment_tests", "Pre-treatment tests"),
            ("patient_precautions", "Precautions"),
            ("dos_and_donts", "Do's and don'ts"),
        ),
    ),
)
OTC_ONLY = frozenset({"active_ingredients", "purpose"})
FIELD_KEYS: tuple[str, ...] = tuple(f.key for s in SECTIONS for f in s.fields)
