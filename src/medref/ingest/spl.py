"""FDA Structured Product Label (HL7 v3 SPL XML) -> one Document per label version.

An SPL file is one ``<document>`` in the ``urn:hl7-org:v3`` namespace: a set id shared by
every version of the label, a version number, an effective time, the labeler, product data
(names, generic names, dosage forms, routes) and a ``structuredBody`` of LOINC-coded,
possibly nested ``<section>``s whose ``<text>`` holds paragraphs, lists and tables.

Each section becomes one or more passages in document order (section name = its title,
prefixed by the titles of the sections it sits in; ``loinc`` = its own code). Tables become
table passages; a table caption is a text passage just before its table and table footnotes
a text passage just after it. Highlights (``<excerpt><highlight>``) are kept as passages named
``"Highlights: <section>"`` unless ``highlights=False``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from medref.errors import ParseError
from medref.ingest import safexml
from medref.ingest.base import DocumentBuilder, clean
from medref.ingest.spl_names import BOXED_WARNING, UNCLASSIFIED, section_name, split_number
from medref.ingest.spl_sections import HL7_NS, Block, join_items, local_name, pieces, render, text_at
from medref.models import Document, SourceKind

FORMAT = "spl"

_V = "{" + HL7_NS + "}"
_NDC_SYSTEM = "2.16.840.1.113883.6.69"

# the root start tag, after the XML declaration, processing instructions and comments
_ROOT = re.compile(
    rb"^(?:\xef\xbb\xbf)?(?:\s|<\?.*?\?>|<!--.*?-->)*<(?:[\w.-]+:)?document\b([^>]*)>", re.DOTALL
)
_BOILERPLATE = re.compile(
    r"these highlights do not include all the information needed to use .+? safely and "
    r"effectively\.\s*(?:see full prescribing information for [^.]*\.)?\s*",
    re.IGNORECASE,
)
_APPROVAL = re.compile(r"initial u\.\s?s\.\s?approval\s*:?\s*(\d{4})", re.IGNORECASE)
_MIN_TITLE_WORDS = 4
_GENERIC = "asEntityWithGeneric/genericMedicine/name"
_GENERIC_TITLES = {"drug facts", "drug facts label"}


# ------------------------------------------------------------------ detection
def sniff(head: bytes, path: Path) -> bool:
    """True for an HL7 v3 ``<document>`` root that looks like a product label."""
    m = _ROOT.match(head)
    if not m or HL7_NS.encode() not in m.group(1):
        return False
    return b"structuredBody" in head or b"setId" in head


# ------------------------------------------------------------------ sections
@dataclass
class _Walk:
    builder: DocumentBuilder
    highlights: bool
    sections: list[dict[str, Any]] = field(default_factory=list)

    def emit(self, name: str, blocks: list[Block], loinc: str | None) -> None:
        for block in blocks:
            if isinstance(block, str):
                for piece in pieces(block):
                    self.builder.add(name, piece, loinc=loinc, split=False, lines=True)
                continue
            if block.caption:
                self.builder.add(name, block.caption, loinc=loinc)
            self.builder.add_table(name, block.rows, loinc=loinc)
            if block.notes:
                self.builder.add(name, "Table notes: " + join_items(block.notes), loinc=loinc)

    def section(self, sec: etree._Element, path: list[str], depth: int, parent: str | None) -> None:
        code_el = sec.find(_V + "code")
        loinc = ((code_el.get("code") or "").strip() or None) if code_el is not None else None
        display = code_el.get("displayName") if code_el is not None else None
        number, own = split_number(text_at(sec, "title"))
        if own:
            label: str | None = own
        elif loinc == UNCLASSIFIED and path:
            label = None  # an untitled unclassified sub-section reads as part of its parent
        else:
            label = section_name(loinc, display)
        here = [*path, label] if label else path
        name = " > ".join(here) or "Section"
        entry: dict[str, Any] = {
            "loinc": loinc,
            "title": label or section_name(loinc, display),
            "path": name,
            "number": number,
            "ordinal": len(self.sections),
            "depth": depth,
            "parent_loinc": parent,
            "passages": [],
        }
        self.sections.append(entry)
        first = len(self.builder.passages)
        children = sec.findall(f"{_V}component/{_V}section")
        has_text = False
        for child in sec:
            tag = local_name(child)
            if tag == "text":
                has_text = True
                self.emit(name, render(child), loinc)
            elif tag == "excerpt" and self.highlights:
                for text_el in child.iterfind(f"{_V}highlight/{_V}text"):
                    self.emit(f"Highlights: {name}", render(text_el), loinc)
        if own and not has_text and not children and len(own.split()) >= _MIN_TITLE_WORDS:
            # a leaf with only a title (e.g. one contraindication per sub-section): the title is
            # the content. Short ones are bare headings whose text sits in the next sections.
            self.builder.add(name, own, loinc=loinc)
        entry["passages"] = list(range(first, len(self.builder.passages)))
        for child_sec in children:
            self.section(child_sec, here, depth + 1, loinc)


# ------------------------------------------------------------------ header and products
def _attr(root: etree._Element, tag: str, attr: str) -> str | None:
    el = root.find(_V + tag)
    value = el.get(attr) if el is not None else None
    return value.strip() if value and value.strip() else None


def _routes(product: etree._Element) -> list[str]:
    found = product.iterfind(f"{_V}consumedIn/{_V}substanceAdministration/{_V}routeCode")
    return _dedupe([clean(r.get("displayName")) for r in found])


def _dedupe(values: list[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for v in values:
        if v and v.lower() not in seen:
            seen.add(v.lower())
            out.append(v)
    return out


def _product(outer: etree._Element) -> dict[str, Any] | None:
    """name / generic name / dosage form / routes of one ``subject/manufacturedProduct``."""
    inner = outer.find(_V + "manufacturedProduct")
    if inner is None:
        inner = outer.find(_V + "manufacturedMedicine")  # older SPL releases
    if inner is None:
        return None
    name = text_at(inner, "name")
    generic = text_at(inner, _GENERIC)
    form_el = inner.find(_V + "formCode")
    form = clean(form_el.get("displayName")) if form_el is not None else ""
    routes = _routes(outer)
    if not routes:  # a kit: take the routes of its parts that carry the kit's own drug
        parts = list(inner.iterfind(_V + "part"))
        wanted = generic.lower()
        same = [p for p in parts if wanted and text_at(p, f"partProduct/{_GENERIC}").lower() == wanted]
        routes = _dedupe([r for p in (same or parts) for r in _routes(p)])
    ndc = [c.get("code", "") for c in inner.iterfind(_V + "code") if c.get("codeSystem") == _NDC_SYSTEM]
    if not (name or generic):
        return None
    return {
        "name": name or generic,
        "generic_name": generic or None,
        "form": form or None,
        "routes": routes,
        "ndc": [c for c in ndc if c],
    }


def _products(body: etree._Element) -> list[dict[str, Any]]:
    merged: dict[tuple[str, ...], dict[str, Any]] = {}  # same product in several packages: one entry
    for outer in body.iterfind(f".//{_V}subject/{_V}manufacturedProduct"):
        prod = _product(outer)
        if prod is None:
            continue
        fields = [prod["name"], prod["generic_name"] or "", prod["form"] or "", *prod["routes"]]
        key = tuple(f.lower() for f in fields)
        if key in merged:
            merged[key]["ndc"] = _dedupe(merged[key]["ndc"] + prod["ndc"])
        else:
            merged[key] = prod
    return list(merged.values())


def _product_title(products: list[dict[str, Any]]) -> str:
    names: list[str] = []
    for p in products:
        generic = p["generic_name"]
        shown = f"{p['name']} ({generic})" if generic and generic.lower() != p["name"].lower() else p["name"]
        if shown.lower() not in {n.lower() for n in names}:
            names.append(shown)
    return ", ".join(names[:3]) + (" and others" if len(names) > 3 else "")


def _title(
    root: etree._Element, products: list[dict[str, Any]], doc_type: str | None
) -> tuple[str, str, str | None]:
    """(shown title, full cleaned title, initial US approval year) for the label."""
    full = text_at(root, "title")
    approval = _APPROVAL.search(full)
    short = clean(_APPROVAL.sub(" ", _BOILERPLATE.sub(" ", full))) or full
    product_title = _product_title(products)
    if not short:
        short = f"{product_title} label" if product_title else clean(doc_type).capitalize() or "Product label"
    elif short.lower() in _GENERIC_TITLES and product_title:
        short = f"{product_title} {short}"
    return short, full, approval.group(1) if approval else None


def _date(value: str | None) -> tuple[dt.date | None, int | None]:
    digits = re.match(r"\d{4,8}", value or "")
    if not digits:
        return None, None
    raw = digits.group(0)
    year = int(raw[:4])
    try:
        return (dt.date(year, int(raw[4:6]), int(raw[6:8])) if len(raw) == 8 else None), year
    except ValueError:
        return None, year


# ------------------------------------------------------------------ parse
def parse(path: Path, *, highlights: bool = True, **unknown: Any) -> Iterator[Document]:
    """Parse one SPL XML file (optionally gzipped) into one Document.

    ``highlights=False`` leaves out the Highlights excerpts (they summarise the full sections).
    """
    if unknown:
        raise TypeError(f"spl.parse got unknown option(s): {', '.join(sorted(unknown))}")
    path = Path(path)
    root = safexml.parse_tree(path)
    yield _document(root, path, highlights=highlights)


def _document(root: etree._Element, path: Path, *, highlights: bool) -> Document:
    if root.tag != _V + "document":
        qname = etree.QName(root.tag)
        raise ParseError(
            path,
            f"not an SPL document: root element is <{qname.localname}> in namespace "
            f"{qname.namespace or '(none)'}; expected <document> in {HL7_NS}",
        )
    setid = (_attr(root, "setId", "root") or "").lower()
    record = setid or _attr(root, "id", "root")
    if not setid:
        raise ParseError(path, "SPL document has no setId/@root", record=record)
    raw_version = _attr(root, "versionNumber", "value")
    if raw_version is None:
        raise ParseError(path, "SPL document has no versionNumber/@value", record=record)
    if not raw_version.isdigit():
        raise ParseError(path, f"versionNumber {raw_version!r} is not a whole number", record=record)
    version = int(raw_version)
    body = root.find(f"{_V}component/{_V}structuredBody")
    if body is None:
        raise ParseError(path, "SPL document has no component/structuredBody", record=record)

    doc_type = _attr(root, "code", "displayName")
    products = _products(body)
    title, full_title, approval = _title(root, products, doc_type)
    effective = _attr(root, "effectiveTime", "value")
    date, year = _date(effective)
    labeler = text_at(root, "author/assignedEntity/representedOrganization/name")

    walk = _Walk(DocumentBuilder(), highlights)
    for sec in body.iterfind(f"{_V}component/{_V}section"):
        walk.section(sec, [], 0, None)

    generics = _dedupe([p["generic_name"] or "" for p in products])
    brands = _dedupe([p["name"] for p in products if p["name"].lower() not in {g.lower() for g in generics}])
    meta: dict[str, Any] = {
        "setid": setid,
        "version": version,
        "document_id": _attr(root, "id", "root"),
        "document_type": doc_type,
        "document_type_code": _attr(root, "code", "code"),
        "effective_time": effective[:8] if effective else None,
        "full_title": full_title,
        "initial_us_approval": approval,
        "products": products,
        "generic_names": generics,
        "brand_names": brands,
        "routes": _dedupe([r for p in products for r in p["routes"]]),
        # only a top-level boxed warning counts: some labels code other nested boxes as 34066-1
        "has_boxed_warning": any(s["loinc"] == BOXED_WARNING and s["depth"] == 0 for s in walk.sections),
        "sections": walk.sections,
    }
    return walk.builder.build(
        uid=f"spl:{setid}:v{version}",
        kind=SourceKind.DRUG_LABEL,
        title=title,
        journal=labeler or None,
        year=year,
        date=date,
        spl_setid=setid,
        spl_version=version,
        language="en",
        meta=meta,
        source_path=str(path),
    )
