"""LOINC section names for :mod:`medref.ingest.spl`, and section-title helpers.

``SECTION_NAMES`` names a section that has no title of its own. The codes are the LOINC
section codes used in FDA Structured Product Labels; the names are written here in plain
words (``&`` spelled out), not copied from any list.
"""

from __future__ import annotations

import re

from medref.ingest.base import clean

BOXED_WARNING = "34066-1"
UNCLASSIFIED = "42229-5"

SECTION_NAMES: dict[str, str] = {
    # prescription label (PLR and older formats)
    "34066-1": "Boxed Warning",
    "43683-2": "Recent Major Changes",
    "34067-9": "Indications and Usage",
    "34068-7": "Dosage and Administration",
    "43678-2": "Dosage Forms and Strengths",
    "34070-3": "Contraindications",
    "43685-7": "Warnings and Precautions",
    "34071-1": "Warnings",
    "42232-9": "Precautions",
    "34072-9": "General Precautions",
    "34084-4": "Adverse Reactions",
    "34073-7": "Drug Interactions",
    "34074-5": "Drug and Laboratory Test Interactions",
    "43684-0": "Use in Specific Populations",
    "42228-7": "Pregnancy",
    "34077-8": "Teratogenic Effects",
    "34078-6": "Nonteratogenic Effects",
    "34079-4": "Labor and Delivery",
    "34080-2": "Nursing Mothers",
    "34081-0": "Pediatric Use",
    "34082-8": "Geriatric Use",
    "42227-9": "Drug Abuse and Dependence",
    "34085-1": "Controlled Substance",
    "34086-9": "Abuse",
    "34087-7": "Dependence",
    "34088-5": "Overdosage",
    "34089-3": "Description",
    "34090-1": "Clinical Pharmacology",
    "43679-0": "Mechanism of Action",
    "43681-6": "Pharmacodynamics",
    "43682-4": "Pharmacokinetics",
    "66106-6": "Pharmacogenomics",
    "49489-8": "Microbiology",
    "43680-8": "Nonclinical Toxicology",
    "34083-6": "Carcinogenesis, Mutagenesis and Impairment of Fertility",
    "34091-9": "Animal Pharmacology and Toxicology",
    "34092-7": "Clinical Studies",
    "34093-5": "References",
    "34069-5": "How Supplied",
    "44425-7": "Storage and Handling",
    "34076-0": "Information for Patients",
    "34075-2": "Laboratory Tests",
    "42231-1": "Medication Guide",
    "42230-3": "Patient Package Insert",
    "68498-5": "Patient Medication Information",
    "59845-8": "Instructions for Use",
    "71744-7": "Health Care Provider Letter",
    "60561-8": "Other Safety Information",
    "69759-9": "Risks",
    "42229-5": "Unclassified",
    "51945-4": "Package Label (Principal Display Panel)",
    "48780-1": "Product Data",
    "48779-3": "Indexing Data",
    # over-the-counter "Drug Facts" sections
    "55106-9": "Active Ingredient",
    "55105-1": "Purpose",
    "50570-1": "Do Not Use",
    "50569-3": "Ask a Doctor",
    "50568-5": "Ask a Doctor or Pharmacist",
    "50567-7": "When Using",
    "50566-9": "Stop Use",
    "50565-1": "Keep Out of Reach of Children",
    "53414-9": "Pregnancy or Breast-feeding",
    "53413-1": "Questions",
    "51727-6": "Inactive Ingredients",
    "69718-5": "Statement of Identity",
    "69719-3": "Health Claim",
    # veterinary, devices and other product types
    "50740-0": "Guaranteed Analysis of Feed",
    "50741-8": "Safe Handling Warning",
    "50742-6": "Environmental Warning",
    "50743-4": "Food Safety Warning",
    "50744-2": "Information for Owners or Caregivers",
    "50745-9": "Veterinary Indications",
    "53412-3": "Residue Warning",
    "54433-8": "User Safety Warnings",
    "60555-0": "Accessories",
    "60556-8": "Assembly or Installation Instructions",
    "60557-6": "Calibration Instructions",
    "60558-4": "Cleaning, Disinfecting and Sterilization Instructions",
    "60559-2": "Components",
    "60560-0": "Intended Use of the Device",
    "60562-6": "Route, Method and Frequency of Administration",
    "60563-4": "Summary of Safety and Effectiveness",
    "60684-8": "Cellular Therapy",
    "69758-1": "Diagram of Device",
    "69760-7": "Compatible Accessories",
    "69761-5": "Alarms",
    "69762-3": "Troubleshooting",
    "69763-1": "Disposal and Waste Handling",
}

# "6.1 Clinical Trials Experience" -> ("6.1", "Clinical Trials Experience"); the number must be
# followed by an upper-case letter so titles like "5 mg tablets" are left alone.
_NUMBERED = re.compile(r"^(\d{1,2}(?:\.\d{1,2})*)\.?\s+(?=[A-Z])")
_SECTION_SUFFIX = re.compile(r"\s+section$", re.IGNORECASE)


def split_number(title: str) -> tuple[str | None, str]:
    """Split a leading section number off a (cleaned) title."""
    m = _NUMBERED.match(title)
    if not m:
        return None, title
    return m.group(1), title[m.end() :].strip()


def section_name(code: str | None, display_name: str | None = None) -> str:
    """A readable name for a section without a title: our table, then the file's code name."""
    if code and code in SECTION_NAMES:
        return SECTION_NAMES[code]
    shown = _SECTION_SUFFIX.sub("", clean(display_name))
    if shown:
        return shown.title() if shown.isupper() else shown
    return "Section"
