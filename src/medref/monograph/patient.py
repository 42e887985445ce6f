"""The patient version of a monograph: plain words, no dosing numbers, the same evidence.

Quoted statements go through the same rewriting as patient answers
(:func:`medref.compose.patient.plain_parts`): clinical terms become plain words, long sentences
are split at clause boundaries, asides and statistics go, and a sentence that gives a dose or a
dosing schedule becomes "Take or receive this medicine only as your care team directs." Every
part keeps the citations and evidence spans of the statement it came from; repeated dosing
sentences are merged. So:

* the dosing table is dropped and the dosing field becomes the dosing sentence alone (still citing
  every row), and an OTC active-ingredient field whose lines state amounts is left out (the
  ingredients are under Generic name);
* the common adverse reactions table is dropped and each row is shown by the reaction's name;
* values read from structured sources (names, codes, class, approval record) stay as they are;
* the disclaimer is the patient disclaimer, and the page's reading grade is added to its notes.
"""

from __future__ import annotations

from medref.compose.base import PATIENT_DISCLAIMER
from medref.compose.patient import DOSING_SENTENCE, TEXTSTAT_MISSING, is_dosing, plain_parts, reading_grade
from medref.compose.plain_terms import PlainLexicon, load_plain_terms
from medref.models import Audience, Monograph, MonographField, MonographSection, SourcedValue

PATIENT_MONOGRAPH_DISCLAIMER = (
    PATIENT_DISCLAIMER
    + " Doses are not given here: take or receive a medicine only as your care team directs."
)
COMMON_NOTE = "Side effects that the label's studies found in more than 10 in every 100 people treated."


def _merge_dosing(values: list[SourcedValue]) -> list[SourcedValue]:
    out: list[SourcedValue] = []
    for v in values:
        prev = out[-1] if out else None
        if prev is not None and prev.text == v.text == DOSING_SENTENCE:
            out[-1] = prev.model_copy(
                update={
                    "citations": list(dict.fromkeys([*prev.citations, *v.citations])),
                    "spans": [*prev.spans, *(s for s in v.spans if s not in prev.spans)],
                }
            )
            continue
        out.append(v)
    return out


def _plain_values(
    values: list[SourcedValue], lexicon: PlainLexicon, introduced: set[str]
) -> list[SourcedValue]:
    out: list[SourcedValue] = []
    for v in values:
        if not v.spans:  # a structured value: a name, a code, a record
            out.append(v)
            continue
        for part in plain_parts(v.text, lexicon, introduced):
            text = DOSING_SENTENCE if part.rstrip(".") == DOSING_SENTENCE.rstrip(".") else part
            out.append(v.model_copy(update={"text": text}, deep=True))
    return _merge_dosing(out)


def _field(f: MonographField, lexicon: PlainLexicon, introduced: set[str]) -> MonographField | None:
    if f.key == "dosing" and f.values:  # every row states a dose: one cited dosing sentence
        merged = _merge_dosing([v.model_copy(update={"text": DOSING_SENTENCE}, deep=True) for v in f.values])
        return f.model_copy(update={"values": merged, "table": None, "note": None})
    if f.key == "active_ingredients":  # amounts per dose are left out
        # a line that ends in a bare number states an amount whose unit the label left out
        kept = [v for v in f.values if not is_dosing(v.text) and not v.text.rstrip(" .")[-1:].isdigit()]
        if not kept:
            return None
        return f.model_copy(update={"values": _plain_values(kept, lexicon, introduced)})
    if f.key == "common_adverse_reactions" and f.table:
        names = [row[0] for row in f.table[1:]]
        values = [
            v.model_copy(update={"text": name}, deep=True) for v, name in zip(f.values, names, strict=False)
        ]
        return f.model_copy(update={"values": values, "table": None, "note": COMMON_NOTE})
    values = _plain_values(f.values, lexicon, introduced)
    update: dict[str, object] = {"values": values}
    if f.table is not None:
        update["table"] = None
        update["note"] = None
    return f.model_copy(update=update)


def published_text(m: Monograph) -> str:
    parts = [v.text for s in m.sections for f in s.fields for v in f.values if v.spans]
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in parts)


def adapt_monograph(monograph: Monograph) -> Monograph:
    """The patient version of a clinician monograph (see the module docstring)."""
    lexicon = load_plain_terms()
    introduced: set[str] = set()
    sections = [
        MonographSection(
            key=s.key,
            title=s.title,
            fields=[g for f in s.fields if (g := _field(f, lexicon, introduced)) is not None],
        )
        for s in monograph.sections
    ]
    adapted = monograph.model_copy(
        update={
            "sections": sections,
            "audience": Audience.PATIENT,
            "disclaimer": PATIENT_MONOGRAPH_DISCLAIMER,
        }
    )
    grade = reading_grade(published_text(adapted))
    note = (
        TEXTSTAT_MISSING if grade is None else f"Reading grade (Flesch-Kincaid) of the quoted text: {grade}."
    )
    return adapted.model_copy(update={"notes": [*adapted.notes, note]})
