"""Approval status from Drugs@FDA, the label, or the trial registrations.

There is no Drugs@FDA ingest yet, so :class:`DrugsAtFDA` reads the FDA's ``drugsatfda.zip``
dump directly (read-only; tab-separated ``Products.txt``, ``Applications.txt``,
``Submissions.txt``, ``MarketingStatus.txt`` and ``MarketingStatus_Lookup.txt``), once per path.
Products are matched by their set of active ingredients (salt words dropped, so "ATORVASTATIN
CALCIUM" is atorvastatin) and by brand name. The application reported is the one whose brand
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
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from medref.models import Document, DocumentRef
from medref.monograph.evidence import Quote, structured
from medref.monograph.names import fold, strip_salts

APPROVED = "approved"
INVESTIGATIONAL = "investigational"
UNKNOWN = "unknown"
_INNOVATOR = {"NDA": 0, "BLA": 0, "ANDA": 1}


@dataclass(frozen=True)
class Product:
    product_no: str
    form: str
    strength: str
    drug_name: str
    ingredient: str
    status: str

    @property
    def ingredient_keys(self) -> frozenset[str]:
        return ingredient_keys(self.ingredient)


@lru_cache(maxsize=65536)
def ingredient_keys(ingredient: str) -> frozenset[str]:
    """'ATORVASTATIN CALCIUM' -> {'atorvastatin'}; ';' separates the parts of a combination."""
    return frozenset(strip_salts(p) for p in ingredient.split(";") if p.strip())


@dataclass
class Application:
    appl_no: str
    appl_type: str
    sponsor: str
    products: list[Product] = field(default_factory=list)
    original_date: dt.date | None = None

    @property
    def number(self) -> str:
        return f"{self.appl_type}{self.appl_no}"

    @property
    def statuses(self) -> list[str]:
        return sorted({p.status for p in self.products if p.status})


def _rows(zf: zipfile.ZipFile, name: str, *, having: str | None = None) -> Iterator[dict[str, str]]:
    """Rows of one tab-separated member as dicts (no quoting in these files); ``having``: only
    lines containing that text."""
    lines = zf.read(name).decode("latin-1").splitlines()
    if not lines:
        return
    header = lines[0].split("\t")
    width = len(header)
    for line in lines[1:]:
        if having is not None and having not in line:
            continue
        cells = line.split("\t")
        if len(cells) < width:
            cells += [""] * (width - len(cells))
        yield dict(zip(header, cells, strict=False))


class DrugsAtFDA:
    """The Drugs@FDA dump, indexed by active-ingredient set."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as zf:
            stamps = [dt.date(*i.date_time[:3]) for i in zf.infolist() if i.filename.endswith(".txt")]
            self.data_date = max(stamps) if stamps else None
            lookup = {
                r["MarketingStatusID"]: r["MarketingStatusDescription"]
                for r in _rows(zf, "MarketingStatus_Lookup.txt")
            }
            status = {
                (r["ApplNo"].strip(), r["ProductNo"].strip()): lookup.get(r["MarketingStatusID"].strip(), "")
                for r in _rows(zf, "MarketingStatus.txt")
            }
            self.apps: dict[str, Application] = {
                r["ApplNo"].strip(): Application(
                    r["ApplNo"].strip(), r["ApplType"].strip(), (r["SponsorName"] or "").strip()
                )
                for r in _rows(zf, "Applications.txt")
            }
            for r in _rows(zf, "Submissions.txt", having="\tORIG"):
                if r["SubmissionType"].strip() == "ORIG" and r["SubmissionStatus"].strip() == "AP":
                    app = self.apps.get(r["ApplNo"].strip())
                    when = (r["SubmissionStatusDate"] or "")[:10]
                    if app is not None and len(when) == 10:
                        day = dt.date.fromisoformat(when)
                        if app.original_date is None or day < app.original_date:
                            app.original_date = day
            self.by_ingredients: dict[frozenset[str], list[str]] = {}
            for r in _rows(zf, "Products.txt"):
                appl = r["ApplNo"].strip()
                app = self.apps.get(appl)
                if app is None:
                    continue
                prod = Product(
                    product_no=r["ProductNo"].strip(),
                    form=(r["Form"] or "").strip(),
                    strength=(r["Strength"] or "").split("**")[0].strip(),
                    drug_name=(r["DrugName"] or "").strip(),
                    ingredient=(r["ActiveIngredient"] or "").strip(),
                    status=status.get((appl, r["ProductNo"].strip()), ""),
                )
                app.products.append(prod)
                bucket = self.by_ingredients.setdefault(prod.ingredient_keys, [])
                if appl not in bucket:
                    bucket.append(appl)

    @property
    def source(self) -> str:
        when = f", data of {self.data_date.isoformat()}" if self.data_date else ""
        return f"Drugs@FDA ({self.path.name}{when})"

    def find(
        self,
        *,
        ingredient_sets: list[frozenset[str]],
        brands: set[str],
        sponsor: str | None,
        names: set[str] | None = None,
    ) -> list[Application]:
        """Applications whose products have exactly one of ``ingredient_sets``, best first: the label's brand
        name, then the label's sponsor, then another name of the drug, then NDA/BLA before ANDA, oldest first."""
        seen: dict[str, Application] = {}
        for keys in ingredient_sets:
            for appl in self.by_ingredients.get(keys, []):
                seen[appl] = self.apps[appl]
        brand_keys = {fold(b) for b in brands}
        name_keys = {fold(n) for n in names or set()}
        sponsor_key = fold(sponsor or "").split(" ")[0] if sponsor else ""

        def rank(app: Application) -> tuple[int, int, int, int, dt.date, str]:
            brand = any(fold(p.drug_name) in brand_keys for p in app.products)
            own = bool(sponsor_key) and fold(app.sponsor).split(" ")[0] == sponsor_key
            named = any(fold(p.drug_name) in name_keys for p in app.products)
            return (
                0 if brand else 1,
                0 if own else 1,
                0 if named else 1,
                _INNOVATOR.get(app.appl_type, 2),
                app.original_date or dt.date.max,
                app.appl_no,
            )

        return sorted(seen.values(), key=rank)


@lru_cache(maxsize=4)
def _load(path: str, mtime: float) -> DrugsAtFDA:
    return DrugsAtFDA(Path(path))


def load_drugsatfda(path: Path | None) -> DrugsAtFDA | None:
    """The parsed dump at ``path`` (cached per file version); None when no path or no file."""
    if path is None or not Path(path).is_file():
        return None
    p = Path(path)
    return _load(str(p.resolve()), p.stat().st_mtime)


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


def clear_drugsatfda_cache() -> None:
    """Forget the parsed dumps (the next :func:`load_drugsatfda` reads the file again)."""
    _load.cache_clear()


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


DRUGSATFDA_MEMBERS = ("Products.txt", "Applications.txt")


def is_drugsatfda_zip(path: Path) -> bool:
    """True for a Drugs@FDA data export (a zip holding Products.txt and Applications.txt)."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = {Path(n).name for n in zf.namelist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return all(m in names for m in DRUGSATFDA_MEMBERS)


def register_drugsatfda(paths: Iterable[str], data_dir: Path) -> tuple[list[Path], list[str]]:
    """Copy Drugs@FDA zips among ``paths`` to ``data_dir/drugsatfda.zip`` (atomically).

    Drugs@FDA is reference data for monographs' approval status, not evidence text, so it is
    kept as the export file rather than as documents. Returns (registered, other paths).
    """
    import os
    import shutil
    import tempfile

    registered: list[Path] = []
    rest: list[str] = []
    for raw in paths:
        p = Path(raw)
        if not is_drugsatfda_zip(p):
            rest.append(raw)
            continue
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, suffix=".zip.part")
        os.close(fd)
        shutil.copyfile(p, tmp)
        os.replace(tmp, data_dir / "drugsatfda.zip")
        clear_drugsatfda_cache()
        registered.append(p)
    return registered, rest
