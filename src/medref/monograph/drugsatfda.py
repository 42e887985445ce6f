"""Drugs@FDA reference data: reading the FDA's export zip and registering it for monographs.

:class:`DrugsAtFDA` reads the FDA's ``drugsatfda.zip`` dump directly (read-only; tab-separated
``Products.txt``, ``Applications.txt``, ``Submissions.txt``, ``MarketingStatus.txt`` and
``MarketingStatus_Lookup.txt``, found at any folder depth in the zip), once per file version.
Products are matched by their set of active ingredients (salt words dropped, so "ATORVASTATIN
CALCIUM" is atorvastatin) and by brand name. A missing table or column is a ParseError naming
it, never a KeyError, and members are read within the ingest decompression limits.

``medref ingest drugsatfda.zip`` registers a copy as ``<data_dir>/drugsatfda.zip`` with
:func:`register_drugsatfda`, which reads the whole copy first: an incomplete or unreadable zip
is refused and the registration already in place is kept.
"""

from __future__ import annotations

import datetime as dt
import logging
import zipfile
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from medref.errors import MedrefError, ParseError
from medref.ingest.compressed import Limits, current_limits
from medref.monograph.names import fold, strip_salts

log = logging.getLogger(__name__)

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


# The tables of the FDA's export: those approval needs, and those only adding marketing status.
REQUIRED_TABLES: dict[str, tuple[str, ...]] = {
    "Products.txt": ("ApplNo", "ProductNo", "Form", "Strength", "DrugName", "ActiveIngredient"),
    "Applications.txt": ("ApplNo", "ApplType", "SponsorName"),
    "Submissions.txt": ("ApplNo", "SubmissionType", "SubmissionStatus", "SubmissionStatusDate"),
}
STATUS_TABLES: dict[str, tuple[str, ...]] = {
    "MarketingStatus.txt": ("MarketingStatusID", "ApplNo", "ProductNo"),
    "MarketingStatus_Lookup.txt": ("MarketingStatusID", "MarketingStatusDescription"),
}
DRUGSATFDA_TABLES = (*REQUIRED_TABLES, *STATUS_TABLES)


def _day(stamp: tuple[int, ...]) -> dt.date | None:
    try:
        return dt.date(*stamp[:3])
    except ValueError:  # a zeroed or nonsense timestamp in the zip directory
        return None


class _Export:
    """The members of a Drugs@FDA zip by file name (at any folder depth), read within limits."""

    def __init__(self, zf: zipfile.ZipFile, path: Path, limits: Limits | None) -> None:
        self.zf, self.path = zf, path
        self.limits = limits or current_limits()
        self.members = {Path(i.filename).name: i for i in zf.infolist() if not i.is_dir()}

    def missing(self, tables: Iterable[str]) -> list[str]:
        return [t for t in tables if t not in self.members]

    def rows(self, name: str, *, having: str | None = None) -> Iterator[dict[str, str]]:
        """Rows of one tab-separated member as dicts (no quoting in these files); ``having``: only
        lines containing that text. A missing member or column is a ParseError naming it."""
        info = self.members.get(name)
        if info is None:
            raise ParseError(self.path, f"the Drugs@FDA table {name} is missing")
        lim = self.limits
        if info.file_size > lim.max_bytes or (
            info.file_size > lim.ratio_floor and info.file_size > lim.max_ratio * max(info.compress_size, 1)
        ):
            raise ParseError(
                self.path,
                f"refused: {name} expands to {info.file_size:,} bytes from {info.compress_size:,} "
                "(limits ingest.max_decompressed_mb / ingest.max_compression_ratio)",
            )
        lines = self.zf.read(info).decode("latin-1").splitlines()
        if not lines:
            return
        header = lines[0].split("\t")
        wanted = {**REQUIRED_TABLES, **STATUS_TABLES}.get(name, ())
        absent = [c for c in wanted if c not in header]
        if absent:
            raise ParseError(self.path, f"the Drugs@FDA table {name} has no column {', '.join(absent)}")
        width = len(header)
        for line in lines[1:]:
            if having is not None and having not in line:
                continue
            cells = line.split("\t")
            if len(cells) < width:
                cells += [""] * (width - len(cells))
            yield dict(zip(header, cells, strict=False))


class DrugsAtFDA:
    """The Drugs@FDA dump, indexed by active-ingredient set.

    Products, Applications and Submissions are needed (a ParseError names what is missing);
    without the two MarketingStatus tables products simply have no marketing status.
    """

    def __init__(self, path: Path, *, limits: Limits | None = None) -> None:
        self.path = Path(path)
        with zipfile.ZipFile(self.path) as zf:
            export = _Export(zf, self.path, limits)
            missing = export.missing(REQUIRED_TABLES)
            if missing:
                raise ParseError(self.path, f"not a complete Drugs@FDA export: no {', '.join(missing)}")
            stamps = [_day(i.date_time) for i in zf.infolist() if i.filename.endswith(".txt")]
            self.data_date = max((d for d in stamps if d), default=None)
            status: dict[tuple[str, str], str] = {}
            if not export.missing(STATUS_TABLES):
                lookup = {
                    r["MarketingStatusID"]: r["MarketingStatusDescription"]
                    for r in export.rows("MarketingStatus_Lookup.txt")
                }
                status = {
                    (r["ApplNo"].strip(), r["ProductNo"].strip()): lookup.get(
                        r["MarketingStatusID"].strip(), ""
                    )
                    for r in export.rows("MarketingStatus.txt")
                }
            self.apps: dict[str, Application] = {
                r["ApplNo"].strip(): Application(
                    r["ApplNo"].strip(), r["ApplType"].strip(), (r["SponsorName"] or "").strip()
                )
                for r in export.rows("Applications.txt")
            }
            for r in export.rows("Submissions.txt", having="\tORIG"):
                if r["SubmissionType"].strip() == "ORIG" and r["SubmissionStatus"].strip() == "AP":
                    app = self.apps.get(r["ApplNo"].strip())
                    when = (r["SubmissionStatusDate"] or "")[:10]
                    if app is not None and len(when) == 10:
                        try:
                            day = dt.date.fromisoformat(when)
                        except ValueError:
                            continue  # an unreadable date is no approval date
                        if app.original_date is None or day < app.original_date:
                            app.original_date = day
            self.by_ingredients: dict[frozenset[str], list[str]] = {}
            for r in export.rows("Products.txt"):
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
    """The parsed dump at ``path`` (cached per file version); None when no path, no file, or a
    file that is not a readable Drugs@FDA export (logged: monographs then go on without it)."""
    if path is None or not Path(path).is_file():
        return None
    p = Path(path)
    try:
        return _load(str(p.resolve()), p.stat().st_mtime)
    except (MedrefError, zipfile.BadZipFile, OSError, EOFError, zlib.error, ValueError, KeyError) as exc:
        log.warning("Drugs@FDA file %s not used: %s", p, exc)
        return None


def clear_drugsatfda_cache() -> None:
    """Forget the parsed dumps (the next :func:`load_drugsatfda` reads the file again)."""
    _load.cache_clear()


DRUGSATFDA_MEMBERS = ("Products.txt", "Applications.txt")


def is_drugsatfda_zip(path: Path) -> bool:
    """True for what looks like a Drugs@FDA export: a zip holding Products.txt and Applications.txt
    (whether it is complete is checked when it is registered)."""
    if path.suffix.lower() != ".zip" or not path.is_file():
        return False
    try:
        with zipfile.ZipFile(path) as zf:
            names = {Path(n).name for n in zf.namelist()}
    except (zipfile.BadZipFile, OSError):
        return False
    return all(m in names for m in DRUGSATFDA_MEMBERS)


def check_drugsatfda(path: Path, limits: Limits | None = None) -> DrugsAtFDA:
    """Read a whole export, refusing an incomplete one: every table of the FDA's export must be
    there (a partial zip must not replace a complete registration). Raises ParseError."""
    try:
        with zipfile.ZipFile(path) as zf:
            missing = _Export(zf, Path(path), limits).missing(DRUGSATFDA_TABLES)
        if missing:
            raise ParseError(path, f"not a complete Drugs@FDA export: no {', '.join(missing)}")
        fda = DrugsAtFDA(path, limits=limits)
    except (zipfile.BadZipFile, OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
        raise ParseError(path, f"the Drugs@FDA zip could not be read: {exc}") from exc
    if not fda.apps:
        raise ParseError(path, "the Drugs@FDA export lists no applications")
    return fda


def register_drugsatfda(
    paths: Iterable[str], data_dir: Path, *, limits: Limits | None = None
) -> tuple[list[Path], list[str], list[ParseError]]:
    """Copy complete Drugs@FDA zips among ``paths`` to ``data_dir/drugsatfda.zip`` (atomically).

    Drugs@FDA is reference data for monographs' approval status, not evidence text, so it is
    kept as the export file rather than as documents. The copy is read in full before it
    replaces the registered file, so an incomplete or unreadable zip is refused and the
    earlier registration stays. Returns (registered, other paths, refusals naming each zip).
    """
    import os
    import shutil
    import tempfile

    registered: list[Path] = []
    rest: list[str] = []
    refused: list[ParseError] = []
    for raw in paths:
        p = Path(raw)
        if not is_drugsatfda_zip(p):
            rest.append(raw)
            continue
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=data_dir, suffix=".zip.part")
        os.close(fd)
        try:
            shutil.copyfile(p, tmp)
            check_drugsatfda(Path(tmp), limits)
        except Exception as exc:  # whatever is wrong with this zip, the registration in place stays
            os.unlink(tmp)
            reason = (
                exc.reason
                if isinstance(exc, ParseError)
                else f"could not be read: {type(exc).__name__}: {exc}"
            )
            refused.append(ParseError(p, f"{reason}; the registered Drugs@FDA data were kept"))
            continue
        os.replace(tmp, data_dir / "drugsatfda.zip")
        clear_drugsatfda_cache()
        registered.append(p)
    return registered, rest, refused
