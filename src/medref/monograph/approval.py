"""Approval status from Drugs@FDA, the label, or the trial registrations.

Drugs@FDA data come from :mod:`medref.monograph.drugsatfda` (the FDA's export zip, read
directly; its names are re-exported here), loaded through the compiled copy of
:mod:`medref.monograph.drugsatfda_cache` so a fresh process does not parse the zip again. Products are matched by their set of active
ingredients and by brand name. The application reported is the one whose brand
name matches the label's, else whose sponsor matches the labeler, else the earliest original
NDA/BLA approval; the others with the same ingredients are counted.

:func:`approval` decides the status, in this order, never from general knowledge:

1. a Drugs@FDA application with an approved original submission: "approved" (application
   number, brand, sponsor, original approval date, marketing status);
2. a label whose title states "Initial U.S. Approval: <year>": "approved";
3. no label and no Drugs@FDA record, but trial registrations give the drug in an experimental arm:
   "investigational" (a drug named only as a comparator or background treatment is not);
4. otherwise "unknown" (with a note saying what was and was not found).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from medref.errors import ParseError
from medref.ingest.compressed import Limits
from medref.models import Document, DocumentRef
from medref.monograph.drugsatfda import (
    Application,
    DrugsAtFDA,
    Product,
    check_drugsatfda,
    ingredient_keys,
    is_drugsatfda_zip,
)
from medref.monograph.drugsatfda import register_drugsatfda as _register
from medref.monograph.drugsatfda_cache import clear_drugsatfda_cache, load_drugsatfda
from medref.monograph.evidence import Quote, structured
from medref.monograph.names import fold

__all__ = [
    "Application",
    "ApprovalResult",
    "DrugsAtFDA",
    "Product",
    "approval",
    "check_drugsatfda",
    "clear_drugsatfda_cache",
    "ingredient_keys",
    "is_drugsatfda_zip",
    "load_drugsatfda",
    "register_drugsatfda",
    "tested_drug",
]

APPROVED = "approved"


def register_drugsatfda(
    paths: Iterable[str], data_dir: Path, *, limits: Limits | None = None
) -> tuple[list[Path], list[str], list[ParseError]]:
    """:func:`medref.monograph.drugsatfda.register_drugsatfda`, then the compiled copy of the newly
    registered export written at once, so the first monograph after ``medref ingest`` is fast too."""
    registered, rest, refused = _register(paths, data_dir, limits=limits)
    if registered:
        load_drugsatfda(data_dir / "drugsatfda.zip")
    return registered, rest, refused


INVESTIGATIONAL = "investigational"
UNKNOWN = "unknown"


def tested_drug(trial: Document, drug_names: Iterable[str]) -> bool:
    """Whether the drug is given in an experimental arm of the trial (True when arms are not recorded)."""
    wanted = {fold(n) for n in drug_names}
    arms = [a for a in trial.meta.get("arms") or [] if isinstance(a, dict)]
    if not arms or not wanted:
        return True
    for arm in arms:
        if str(arm.get("type") or "").upper() != "EXPERIMENTAL":
            continue
        for iv in arm.get("interventions") or []:
            if fold(str(iv).split(":", 1)[-1]) in wanted:
                return True
    return False


@dataclass
class ApprovalResult:
    status: str
    quotes: list[Quote] = field(default_factory=list)
    note: str | None = None
    application: Application | None = None
    brands: list[str] = field(default_factory=list)  # brand names read from Drugs@FDA
    data_date: dt.date | None = None


def _describe(app: Application) -> str:
    names = sorted({f"{p.drug_name} ({p.ingredient})" for p in app.products})
    when = app.original_date.isoformat() if app.original_date else "date not given"
    status = ", ".join(app.statuses) or "not given"
    return (
        f"{app.number}: {'; '.join(names[:3])}; sponsor {app.sponsor}; original approval {when}; "
        f"marketing status: {status}"
    )


def approval(
    *,
    ingredient_sets: list[frozenset[str]],
    brands: set[str],
    names: set[str],
    label: Document | None,
    trials: list[Document],
    fda: DrugsAtFDA | None,
    drug_names: Iterable[str] = (),
) -> ApprovalResult:
    """The approval status and the sourced statements behind it (see the module docstring)."""
    notes: list[str] = []
    if fda is not None and ingredient_sets:
        apps = fda.find(
            ingredient_sets=ingredient_sets,
            brands=brands,
            names=names,
            sponsor=label.journal if label else None,
        )
        approved = [a for a in apps if a.original_date is not None]
        if approved:
            app = approved[0]
            quotes = [structured(_describe(app), f"{fda.source}, application {app.number}")]
            others = [a.number for a in approved[1:]]
            if others:
                shown = ", ".join(others[:5]) + (f" and {len(others) - 5} more" if len(others) > 5 else "")
                quotes.append(
                    structured(
                        f"{len(others)} other approved application(s) with the same active ingredient(s): {shown}",
                        fda.source,
                    )
                )
            return ApprovalResult(
                APPROVED,
                quotes,
                application=app,
                brands=sorted({p.drug_name for p in app.products}),
                data_date=fda.data_date,
            )
        notes.append(f"No approved application in {fda.source} has the same active ingredient(s).")
    elif fda is None:
        notes.append("Drugs@FDA data were not supplied.")
    if label is not None:
        year = label.meta.get("initial_us_approval")
        ref = DocumentRef.of(label)
        if year:
            src = f"label title (SPL set {label.spl_setid}, version {label.spl_version})"
            return ApprovalResult(
                APPROVED,
                [structured(f"Initial U.S. approval: {year}", src, ref)],
                note=" ".join(notes) or None,
            )
        kind = str(label.meta.get("document_type") or "drug label").lower()
        notes.append(
            f"A {kind} is in the sources, but it states no approval and no approval record was matched."
        )
        return ApprovalResult(UNKNOWN, [], note=" ".join(notes))
    experimental = [t for t in trials if tested_drug(t, drug_names)]
    if experimental:
        ids = [t.nct_id or t.uid for t in experimental]
        phases = sorted(
            {ph for t in experimental for ph in (t.meta.get("phases") or []) if isinstance(ph, str)}
        )
        phase_text = f" ({', '.join(p.replace('PHASE', 'phase ') for p in phases)})" if phases else ""
        text = (
            f"Investigational: the experimental drug of {len(ids)} trial registration(s){phase_text}: "
            f"{', '.join(ids)}; no drug label or approval record in the sources"
        )
        src = "ClinicalTrials.gov registrations in the store"
        return ApprovalResult(
            INVESTIGATIONAL,
            [structured(text, src, *[DocumentRef.of(t) for t in experimental])],
            note=" ".join(notes) or None,
        )
    if trials:
        named = ", ".join(t.nct_id or t.uid for t in trials)
        notes.append(
            f"Trial registrations name this drug only as a comparator or background treatment ({named})."
        )
        return ApprovalResult(UNKNOWN, [], note=" ".join(notes))
    notes.append("No drug label and no trial registration in the sources names this drug.")
    return ApprovalResult(UNKNOWN, [], note=" ".join(notes))
