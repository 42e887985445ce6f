"""How serious a label says a drug combination is, read from the sentence and its section.

:func:`classify` returns a :class:`Severity` and the words that set it. The classes, most
severe first:

* ``contraindicated``: the sentence sits in Contraindications (or an OTC "Do not use" list), or
  says "contraindicated" / "must not be used";
* ``avoid``: "avoid", "should not be used / given / co-administered", "not recommended",
  "except for" (as in "may receive vaccinations, except for live vaccines");
* ``adjust dose``: a dose limit or change ("should not exceed 20 mg", "limited to 40 mg",
  "reduction in dosage", "lowest dose necessary", "dose may be adjusted");
* ``monitor``: "monitor", "caution", "closely", "weigh the benefits and risks", "consider", an
  OTC "ask a doctor or pharmacist before use"; and any other sentence that names the drug in
  the sections the checker reads (an increased exposure or risk stated without advice);
* ``no change``: the label says the combination needs no change ("no clinically significant
  effect", "do not suggest the need for dose adjustment", "may be continued"). Such a sentence
  is shown but does not count as an interaction.

The first matching class in that order wins, except that ``no change`` is tried after ``avoid``
(so "the data do not suggest the need for dose adjustment" is not read as a dose change).
"""

from __future__ import annotations

import re
from enum import StrEnum


class Severity(StrEnum):
    CONTRAINDICATED = "contraindicated"
    AVOID = "avoid"
    ADJUST_DOSE = "adjust dose"
    MONITOR = "monitor"
    NO_CHANGE = "no change"

    @property
    def rank(self) -> int:
        """0 for the most severe; ``no change`` ranks last."""
        return list(Severity).index(self)

    @property
    def is_interaction(self) -> bool:
        return self is not Severity.NO_CHANGE


# section kinds the checker reads (see medref.monograph.interactions.SECTION_CODES)
CONTRAINDICATIONS = "contraindications"
DO_NOT_USE = "do_not_use"
ASK_DOCTOR_PHARMACIST = "ask_doctor_pharmacist"
DEFAULT_REASON = "named in a label section on interactions, warnings or dosing, with no advice word"

_I = re.IGNORECASE
_RULES: tuple[tuple[Severity, re.Pattern[str]], ...] = (
    (
        Severity.CONTRAINDICATED,
        re.compile(r"\bcontraindicat\w*|\bmust not be (?:used|given|taken|co-?administered)", _I),
    ),
    (
        Severity.AVOID,
        re.compile(
            r"\bavoid\w*|\bnot (?:be )?recommended|\bshould not be (?:used|given|taken|started|initiated|"
            r"co-?administered|administered|combined)|\bdo not (?:use|take|give|co-?administer|combine)\b|"
            r"\bexcept for\b|\bshould not receive\b",
            _I,
        ),
    ),
    (
        Severity.ADJUST_DOSE,
        re.compile(
            r"\b(?:not|never) (?:to )?exceed(?: \d+(?: ?mg)?)?|\blimited to \d+(?: ?mg)?|\bdos\w* (?:\w+ ){0,4}(?:reduc\w*|adjust\w*|lower\w*|"
            r"decreas\w*|modif\w*)|\b(?:reduc\w*|adjust\w*|lower\w*|decreas\w*) "
            r"(?:\w+ ){0,3}(?:dose|doses|dosage|dosing)\b|\blowest dose\b|\bmaximum (?:daily )?dose\b|"
            r"\bstarting (?:and maintenance )?doses?\b",
            _I,
        ),
    ),
    (
        Severity.MONITOR,
        re.compile(
            r"\bmonitor\w*|\bcaution\w*|\bclosely\b|\bcarefully\b|\bweigh\b|\bconsider\w*|\bask a doctor\b|"
            r"\bobserv\w+ (?:for|closely)\b",
            _I,
        ),
    ),
)
_NO_CHANGE = re.compile(
    r"\bno (?:clinically )?(?:significant|relevant|meaningful|important) (?:\w+ ){0,2}(?:effect|interaction|"
    r"change|difference)|\bdo(?:es)? not suggest (?:the|a) need for (?:\w+ ){0,2}(?:dose|dosage) adjustment|"
    r"\bno (?:dose|dosage) adjustment|\b(?:dose|dosage) adjustment (?:is|was) not (?:necessary|needed|required)|"
    r"\bmay be continued\b|\bno difference was (?:detected|seen|observed)",
    _I,
)


def classify(text: str, section_kind: str) -> tuple[Severity, str]:
    """The severity of one label sentence and the words (or section) that set it."""
    if section_kind in (CONTRAINDICATIONS, DO_NOT_USE):
        where = "Contraindications" if section_kind == CONTRAINDICATIONS else "'Do not use'"
        return Severity.CONTRAINDICATED, f"listed under {where}"
    for severity, pattern in _RULES:
        if severity is Severity.ADJUST_DOSE and (no := _NO_CHANGE.search(text)):
            return Severity.NO_CHANGE, f'"{no.group(0)}"'
        m = pattern.search(text)
        if m:
            return severity, f'"{m.group(0)}"'
    no = _NO_CHANGE.search(text)
    if no:
        return Severity.NO_CHANGE, f'"{no.group(0)}"'
    if section_kind == ASK_DOCTOR_PHARMACIST:
        return Severity.MONITOR, "listed under 'Ask a doctor or pharmacist before use'"
    return Severity.MONITOR, DEFAULT_REASON
