"""Key-fact recall and section-mapping violations of monographs built from real FDA labels.

The checklists in ``bench/data/monograph_facts.json`` were written by reading each label's XML
(not medref's output): per label, the facts a pharmacist checks first, each with the monograph
field it belongs in, a short description, the label section it was read from and a matcher: a
few case-insensitive regexes that must all match the text of that field (its values, then its
table rows with cells joined by `` | ``, one value or row a line).

* :func:`score_facts` says, per fact, whether it is in its own field, only in other fields
  (listed), or nowhere on the page.
* :func:`mapping_violations` checks every passage cited by a field against the sections that
  field may be read from: with ``medref.monograph.mapping.section_allowed(doc, key, ordinal)``
  when that function exists, else with the bench's own reading of ``fields.LABEL_CODES`` (the
  label's LOINC section tree; population fields may also cite a dosing or warnings
  sub-section), which can check only the fields that table names.
"""

from __future__ import annotations

import importlib
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import ROOT
from medref.models import Document, Monograph, MonographField
from medref.monograph.fields import INDICATION_FIELDS, LABEL_CODES

FACTS_PATH = ROOT / "bench" / "data" / "monograph_facts.json"
# dosing, specific populations, precautions, warnings, warnings and precautions, contraindications:
# sub-sections of these headed for a population may hold that population's dose or advice
HEADED = {"34068-7", "43684-0", "42232-9", "34071-1", "43685-7", "34070-3"}
POPULATION_FIELDS = {"dose_pregnancy", "dose_lactation", "dose_pediatric", "dose_geriatric"}


@dataclass(frozen=True)
class Fact:
    id: str
    field: str
    description: str
    match: tuple[str, ...]
    section: str

    def holds(self, text: str) -> bool:
        return bool(text) and all(re.search(p, text, re.I) for p in self.match)


@dataclass(frozen=True)
class LabelFacts:
    file: str
    query: str
    facts: tuple[Fact, ...]


def load_facts(path: Path = FACTS_PATH) -> list[LabelFacts]:
    raw = json.loads(path.read_text())
    out = []
    for file, lab in raw["labels"].items():
        facts = tuple(
            Fact(f["id"], f["field"], f["description"], tuple(f["match"]), f["section"]) for f in lab["facts"]
        )
        out.append(LabelFacts(file, lab["query"], facts))
    return out


# ------------------------------------------------------------------ field text
def field_text(f: MonographField) -> str:
    """A field's values, then its table rows (cells joined by ' | '), one a line."""
    lines = [v.text for v in f.values]
    lines += [" | ".join(c for c in row) for row in f.table or []]
    return "\n".join(lines)


def page_texts(m: Monograph) -> dict[str, str]:
    return {f.key: field_text(f) for s in m.sections for f in s.fields}


def score_facts(m: Monograph, facts: tuple[Fact, ...]) -> dict[str, Any]:
    """Facts in their own field, facts only in other fields (which), facts missing from the page."""
    texts = page_texts(m)
    present: list[str] = []
    elsewhere: list[dict[str, Any]] = []
    missing: list[dict[str, Any]] = []
    for fact in facts:
        if fact.holds(texts.get(fact.field, "")):
            present.append(fact.id)
            continue
        others = sorted(k for k, t in texts.items() if k != fact.field and fact.holds(t))
        row = {
            "id": fact.id,
            "field": fact.field,
            "description": fact.description,
            "section": fact.section,
            "field_on_page": fact.field in texts,
        }
        if others:
            elsewhere.append({**row, "found_in": others})
        else:
            missing.append(row)
    return {
        "facts": len(facts),
        "present": len(present),
        "recall": round(len(present) / max(1, len(facts)), 4),
        "page_words": sum(len(t.split()) for t in texts.values()),
        "elsewhere": elsewhere,
        "missing": missing,
    }


_LIST_MARK = re.compile(r"(?:^|(?<=\s))(?:\d{1,2}|[a-z])\)$")  # "1)" / "a)" numbering a list item


def broken_text(text: str) -> bool:
    """A quoted value cut in a bad place: it opens with closing punctuation or leaves a bracket unbalanced."""
    t = text.strip()
    if not t or t[0] in ")]},;:.":
        return True
    for opening, closing in (("(", ")"), ("[", "]")):
        depth = 0
        for i, ch in enumerate(t):
            if ch == opening:
                depth += 1
            elif ch == closing and depth:
                depth -= 1
            elif ch == closing and not (closing == ")" and _LIST_MARK.search(t[max(0, i - 3) : i + 1])):
                return True
        if depth:
            return True
    return False


def broken_values(m: Monograph) -> list[str]:
    """``field: text`` of every quoted (span-cited) value with broken text."""
    return [
        f"{f.key}: {v.text[:80]}"
        for s in m.sections
        for f in s.fields
        for v in f.values
        if v.spans and broken_text(v.text)
    ]


# ------------------------------------------------------------------ section mapping
def codes_around(doc: Document) -> tuple[dict[int, set[str]], dict[int, tuple[str | None, int]]]:
    """Per passage ordinal: the LOINC codes of its section and every enclosing one; its own (code, depth)."""
    around: dict[int, set[str]] = {}
    own: dict[int, tuple[str | None, int]] = {}
    stack: list[tuple[int, str | None]] = []
    for s in doc.meta.get("sections") or []:
        depth = int(s.get("depth") or 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        stack.append((depth, s.get("loinc")))
        for o in s.get("passages") or []:
            around[int(o)] = {c for _, c in stack if c}
            own[int(o)] = (s.get("loinc"), depth)
    return around, own


def _titles(doc: Document) -> dict[int, str]:
    """Per passage ordinal: the section path it sits in (for reports)."""
    out: dict[int, str] = {}
    for s in doc.meta.get("sections") or []:
        for o in s.get("passages") or []:
            out[int(o)] = str(s.get("path") or s.get("title") or s.get("loinc") or "")
    return out


Allowed = Callable[[Document, str, int], Any]


def mapping_function() -> Allowed | None:
    """``medref.monograph.mapping.section_allowed`` when it exists, else None."""
    try:
        mod = importlib.import_module("medref.monograph.mapping")
    except ImportError:
        return None
    fn = getattr(mod, "section_allowed", None)
    return fn if callable(fn) else None


def _fallback(doc: Document) -> Callable[[str, int], bool | None]:
    """The bench's own check from fields.LABEL_CODES; None for a field that table does not name."""
    around, _ = codes_around(doc)
    otc = "OTC" in str(doc.meta.get("document_type"))

    def allowed(key: str, ordinal: int) -> bool | None:
        spec = LABEL_CODES.get("indications" if key in INDICATION_FIELDS else key)
        if spec is None:
            return None
        wanted = set(spec.for_label(otc=otc)) | (HEADED if key in POPULATION_FIELDS else set())
        return bool(wanted & around.get(ordinal, set()))

    return allowed


def mapping_violations(m: Monograph, doc: Document, fn: Allowed | None = None) -> dict[str, Any]:
    """Every passage of ``doc`` cited by a field, checked against the sections the field may use."""
    check: Callable[[str, int], bool | None] = (
        _fallback(doc) if fn is None else (lambda key, ordinal: bool(fn(doc, key, ordinal)))
    )
    titles = _titles(doc)
    by_id = {p.id: p for p in doc.passages}
    checked = unchecked = 0
    violations: list[dict[str, Any]] = []
    seen: set[tuple[str, int]] = set()
    for s in m.sections:
        for f in s.fields:
            for v in f.values:
                for c in v.spans:
                    p = by_id.get(c.passage_id)
                    if c.doc_uid != doc.uid or p is None or (f.key, p.ordinal) in seen:
                        continue
                    seen.add((f.key, p.ordinal))
                    ok = check(f.key, p.ordinal)
                    if ok is None:
                        unchecked += 1
                        continue
                    checked += 1
                    if not ok:
                        violations.append(
                            {
                                "field": f.key,
                                "ordinal": p.ordinal,
                                "section": titles.get(p.ordinal, ""),
                                "text": v.text[:90],
                            }
                        )
    return {
        "checker": "medref.monograph.mapping.section_allowed"
        if fn is not None
        else "bench fallback (fields.LABEL_CODES)",
        "checked": checked,
        "unchecked": unchecked,
        "violations": violations,
    }
