"""ClinicalTrials.gov API v2 study records (JSON).

A file holds one study object (``{"protocolSection": {...}, "hasResults": ...}``), a page of
the ``/studies`` endpoint (``{"studies": [...], "nextPageToken": ...}``) or a JSON list of
studies; plain or gzipped. Each study becomes one ``nct:<NCT id>`` trial-registration
document whose passages are the summary, description, conditions, one passage per
intervention and per arm, one per outcome, and the eligibility criteria.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from medref.errors import ParseError
from medref.ingest.base import DocumentBuilder, Parsed, clean, read_json
from medref.models import Document, SourceKind

FORMAT = "ctgov"
JOURNAL = "ClinicalTrials.gov"

_ISO_DATE = re.compile(r"^(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?$")
_UNIT = (
    r"(?:mg|mcg|µg|μg|ug|ng|g|kg|mL|ml|L|IU|MU|units?|U|mmol|mEq|µmol|mol|%|"
    r"vg|viral genomes|cells|PFU|TCID50)"
)
_PER = r"(?:\s*/\s*(?:kg|m2|m²|m\^2|day|d|dose|mL|ml|L|h|hr|hour|min|week|wk|month|BSA))*"
_NUM = r"\d+(?:[.,]\d+)*(?:\s*[x×]\s*10\^?\d+)?"
DOSE_RE = re.compile(rf"(?<![\w.]){_NUM}(?:\s*(?:-|–|to)\s*{_NUM})?\s*{_UNIT}{_PER}(?![\w/])")
"""A dose as written in free text: ``10 mg/kg``, ``2.5-5 mg``, ``100 mcg``, ``1,000 IU/day``."""

_CRITERIA_HEAD = re.compile(r"^\s*(inclusion|exclusion)\s+criteria\s*:?\s*$", re.IGNORECASE)
_OUTCOME_SECTIONS = (("Primary Outcomes", "primaryOutcomes"), ("Secondary Outcomes", "secondaryOutcomes"))
_BULLET = re.compile(r"^\s*(?:[*\-•+]|\d+[.)])\s+")


def sniff(head: bytes, path: Path) -> bool:
    """JSON (object or list) whose first bytes mention ``protocolSection``."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start in (b"{", b"[") and b'"protocolSection"' in head


def parse(path: Path, **options: Any) -> Iterator[Parsed]:
    """Yield one Document per study in the file."""
    for i, study in enumerate(_studies(path), start=1):
        yield study_document(study, path=path, record=f"study #{i}")


def _studies(path: Path) -> list[Any]:
    data = read_json(path)
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        if "protocolSection" in data:
            return [data]
        if isinstance(data.get("studies"), list):
            return list(data["studies"])
    raise ParseError(path, 'expected a study object, a {"studies": [...]} page or a JSON list of studies')


class _Reader:
    """Typed access to one study's nested JSON; wrong types are ParseErrors naming the record."""

    def __init__(self, path: Path | None, record: str) -> None:
        self.path, self.record = path, record

    def fail(self, reason: str) -> ParseError:
        return ParseError(self.path, reason, record=self.record)

    def obj(self, data: Any, *keys: str) -> dict[str, Any]:
        for key in keys:
            if not isinstance(data, dict):
                raise self.fail(f"{key!r} is inside something that is not a JSON object")
            data = data.get(key)
            if data is None:
                return {}
        if not isinstance(data, dict):
            raise self.fail(f"{'.'.join(keys)} should be a JSON object, not {type(data).__name__}")
        return data

    def text(self, data: dict[str, Any], key: str) -> str:
        value = data.get(key)
        if value is None:
            return ""
        if isinstance(value, str | int | float):
            return clean(str(value))
        raise self.fail(f"{key} should be text, not {type(value).__name__}")

    def texts(self, data: dict[str, Any], key: str) -> list[str]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(f"{key} should be a list, not {type(value).__name__}")
        return [clean(str(v)) for v in value if isinstance(v, str | int | float) and clean(str(v))]

    def objs(self, data: dict[str, Any], key: str) -> list[dict[str, Any]]:
        value = data.get(key)
        if value is None:
            return []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise self.fail(f"{key} should be a list of JSON objects")
        return value


def _date(text: str) -> tuple[int | None, dt.date | None]:
    """'2021-03-15' -> (2021, date); '2021-03' -> (2021, None); else (None, None)."""
    m = _ISO_DATE.match(text.strip())
    if not m:
        return None, None
    year = int(m.group(1))
    if m.group(3):
        try:
            return year, dt.date(year, int(m.group(2)), int(m.group(3)))
        except ValueError:
            return year, None
    return year, None


def _label(enum_value: str) -> str:
    """'ACTIVE_COMPARATOR' -> 'Active comparator'; text that is not an enum is kept."""
    if enum_value and enum_value.upper() == enum_value:
        return enum_value.replace("_", " ").capitalize()
    return enum_value


def find_doses(*texts: str) -> list[str]:
    """Raw dose strings found in the texts, in order of appearance, without repeats."""
    seen: dict[str, None] = {}
    for text in texts:
        for m in DOSE_RE.finditer(text or ""):
            seen.setdefault(clean(m.group(0)), None)
    return list(seen)


def _criteria_blocks(text: str) -> list[str]:
    """Eligibility text as blocks ('Inclusion criteria: a. b.'), bullets made into sentences."""
    blocks: list[tuple[str, list[str]]] = [("", [])]
    for line in (text or "").splitlines():
        head = _CRITERIA_HEAD.match(line)
        if head:
            blocks.append((f"{head.group(1).capitalize()} criteria:", []))
            continue
        item = clean(_BULLET.sub("", line))
        if not item:
            continue
        if _BULLET.match(line) and item[-1] not in ".;:!?":
            item += "."
        blocks[-1][1].append(item)
    return [" ".join([head, *items]).strip() for head, items in blocks if items]


def _criteria_text(value: Any, r: _Reader) -> str:
    """eligibilityCriteria as text: the API gives one string; a list of strings is read as one
    criterion per line (bulleted unless it is an Inclusion/Exclusion heading)."""
    if value is None or isinstance(value, str):
        return value or ""
    if isinstance(value, list) and all(isinstance(v, str | int | float) for v in value):
        lines = [str(v).strip() for v in value]
        return "\n".join(
            line if _CRITERIA_HEAD.match(line) or _BULLET.match(line) else f"* {line}"
            for line in lines
            if line
        )
    raise r.fail(f"eligibilityCriteria should be text or a list of texts, not {type(value).__name__}")


def _outcome_text(o: dict[str, Any], r: _Reader) -> str:
    text = r.text(o, "measure")
    desc, frame = r.text(o, "description"), r.text(o, "timeFrame")
    if desc:
        text = f"{text}: {desc}" if text else desc
    if frame:
        text = f"{text} [Time frame: {frame}]"
    return text


def study_document(study: Any, *, path: Path | None = None, record: str = "study") -> Document:
    """One v2 study object -> Document (raises ParseError naming the study when malformed)."""
    r = _Reader(path, record)
    if not isinstance(study, dict):
        raise r.fail(f"a study must be a JSON object, not {type(study).__name__}")
    if "protocolSection" not in study:
        raise r.fail("no protocolSection")
    proto = r.obj(study, "protocolSection")
    ident = r.obj(proto, "identificationModule")
    nct = r.text(ident, "nctId").upper()
    if not nct:
        raise r.fail("no protocolSection.identificationModule.nctId")
    r.record = nct

    status = r.obj(proto, "statusModule")
    desc = r.obj(proto, "descriptionModule")
    cond = r.obj(proto, "conditionsModule")
    design = r.obj(proto, "designModule")
    arms_mod = r.obj(proto, "armsInterventionsModule")
    outcomes_mod = r.obj(proto, "outcomesModule")
    elig = r.obj(proto, "eligibilityModule")
    sponsor = r.text(r.obj(proto, "sponsorCollaboratorsModule", "leadSponsor"), "name")

    title = r.text(ident, "officialTitle") or r.text(ident, "briefTitle") or nct
    dates = {
        key: r.text(r.obj(status, field), "date")
        for key, field in (
            ("first_posted", "studyFirstPostDateStruct"),
            ("start", "startDateStruct"),
            ("primary_completion", "primaryCompletionDateStruct"),
            ("completion", "completionDateStruct"),
            ("last_update_posted", "lastUpdatePostDateStruct"),
        )
    }
    dates["first_submitted"] = r.text(status, "studyFirstSubmitDate")
    dates = {k: v for k, v in dates.items() if v}
    year, date = None, None
    for key in ("first_posted", "start", "first_submitted"):
        year, date = _date(dates.get(key, ""))
        if year:
            break

    conditions, keywords = r.texts(cond, "conditions"), r.texts(cond, "keywords")
    interventions: list[dict[str, Any]] = []
    for iv in r.objs(arms_mod, "interventions"):
        name, kind, text = r.text(iv, "name"), r.text(iv, "type"), r.text(iv, "description")
        other = r.texts(iv, "otherNames")
        interventions.append(
            {
                "name": name,
                "type": kind,
                "description": text,
                "other_names": other,
                "arm_groups": r.texts(iv, "armGroupLabels"),
                "doses": find_doses(name, text, *other),
            }
        )
    arms: list[dict[str, Any]] = [
        {
            "label": r.text(a, "label"),
            "type": r.text(a, "type"),
            "description": r.text(a, "description"),
            "interventions": r.texts(a, "interventionNames"),
        }
        for a in r.objs(arms_mod, "armGroups")
    ]
    outcomes = {
        kind: [
            {
                "measure": r.text(o, "measure"),
                "description": r.text(o, "description"),
                "time_frame": r.text(o, "timeFrame"),
            }
            for o in r.objs(outcomes_mod, key)
        ]
        for kind, key in (("primary", "primaryOutcomes"), ("secondary", "secondaryOutcomes"))
    }
    results = r.obj(study, "resultsSection", "outcomeMeasuresModule")
    result_titles = [r.text(m, "title") for m in r.objs(results, "outcomeMeasures") if r.text(m, "title")]
    enrollment = r.obj(design, "enrollmentInfo")
    count = enrollment.get("count")
    derived = r.obj(study, "derivedSection")
    mesh = [
        r.text(m, "term")
        for module in ("conditionBrowseModule", "interventionBrowseModule")
        for m in r.objs(r.obj(derived, module), "meshes")
        if r.text(m, "term")
    ]

    b = DocumentBuilder()
    b.add("Title", title, kind="title", split=False)
    b.add("Brief Summary", r.text(desc, "briefSummary"))
    b.add("Detailed Description", r.text(desc, "detailedDescription"))
    cond_text = f"Conditions: {'; '.join(conditions)}." if conditions else ""
    if keywords:
        cond_text += f" Keywords: {'; '.join(keywords)}."
    b.add("Conditions", cond_text)
    for iv in interventions:
        head = f"{iv['name']} ({_label(iv['type'])})" if iv["type"] else iv["name"]
        text = f"{head}: {iv['description']}" if iv["description"] else head
        if iv["other_names"]:
            text += f" Other names: {', '.join(iv['other_names'])}."
        b.add("Interventions", text)
    for arm in arms:
        head = f"{arm['label']} ({_label(arm['type'])})" if arm["type"] else arm["label"]
        text = f"{head}: {arm['description']}" if arm["description"] else head
        if arm["interventions"]:
            text += f" Interventions: {'; '.join(arm['interventions'])}."
        b.add("Arms", text)
    for section, key in _OUTCOME_SECTIONS:
        for o in r.objs(outcomes_mod, key):
            b.add(section, _outcome_text(o, r))
    for block in _criteria_blocks(_criteria_text(elig.get("eligibilityCriteria"), r)):
        b.add("Eligibility", block)
    if result_titles:
        b.add("Results", f"Outcome measures with posted results: {'; '.join(result_titles)}.")

    meta: dict[str, Any] = {
        "brief_title": r.text(ident, "briefTitle"),
        "organization": r.text(r.obj(ident, "organization"), "fullName"),
        "status": r.text(status, "overallStatus"),
        "study_type": r.text(design, "studyType"),
        "phases": r.texts(design, "phases"),
        "allocation": r.text(r.obj(design, "designInfo"), "allocation"),
        "enrollment": count if isinstance(count, int) else None,
        "enrollment_type": r.text(enrollment, "type"),
        "sponsor": sponsor,
        "conditions": conditions,
        "keywords": keywords,
        "interventions": interventions,
        "arms": arms,
        "outcomes": outcomes,
        "dates": dates,
        "has_results": bool(study.get("hasResults")) or bool(result_titles),
        "result_outcome_titles": result_titles,
    }
    return b.build(
        uid=f"nct:{nct}",
        kind=SourceKind.TRIAL_REGISTRATION,
        title=title,
        journal=JOURNAL,
        year=year,
        date=date,
        nct_id=nct,
        mesh_terms=list(dict.fromkeys(mesh)),
        meta=meta,
        source_path=str(path) if path is not None else None,
    )
