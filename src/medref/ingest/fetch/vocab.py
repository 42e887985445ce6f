"""Vocabularies for ``medref lexicon build``: MeSH descriptors and DrugBank's open vocabulary.

Files land in the layout ``lexicon build`` reads (:func:`medref.retrieve.lexicon_build.build_default`)::

    <data_dir>/vocab/drugbank/drugbank_vocabulary.csv    (the CSV inside DrugBank's zip)
    <data_dir>/vocab/mesh/desc<year>.gz                  (NLM's descriptor XML, kept)
    <data_dir>/vocab/mesh/data_mesh_thesaurus.tsv.gz     (converted: one row per term)
    <data_dir>/vocab/mesh/data_mesh_trees.tsv.gz         (one row per tree number)
    <data_dir>/vocab/mesh/data_pharm_action.tsv          (one row per pharmacological action)

so ``medref lexicon build <data_dir>/vocab`` works on them.
"""

from __future__ import annotations

import csv
import gzip
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from medref.ingest.fetch.base import (
    Fetcher,
    FetchError,
    FetchReport,
    FetchState,
    md5_file,
    tracked,
    write_atomic,
)

THESAURUS_COLS = (
    "DescriptorUI",
    "DescriptorName",
    "ConceptUI",
    "TermUI",
    "TermName",
    "ConceptPreferredTermYN",
    "IsPermutedTermYN",
    "LexicalTag",
    "RecordPreferredTermYN",
)
TREES_COLS = ("DescriptorUI", "DescriptorName", "tree_location")
ACTION_COLS = ("DescriptorUI", "DescriptorName", "PharmActionUI", "PharmActionName")
MAX_CSV_BYTES = 500 * 1024 * 1024


def _text(el: object, path: str) -> str:
    found = el.findtext(path)  # type: ignore[attr-defined]
    return (found or "").strip()


def _descriptors(source: Any) -> Iterator[object]:
    from lxml import etree

    for _event, el in etree.iterparse(
        source,
        events=("end",),
        tag="DescriptorRecord",
        resolve_entities=False,
        no_network=True,
        huge_tree=True,
    ):
        yield el
        el.clear()
        parent = el.getparent()
        while parent is not None and el.getprevious() is not None:
            del parent[0]


def mesh_xml_to_tsv(xml_gz: Path, out_dir: Path) -> int:
    """Convert NLM's descriptor XML (gzipped or not) to the three tables; returns descriptors written."""
    out_dir.mkdir(parents=True, exist_ok=True)
    parts = {
        "thesaurus": out_dir / "data_mesh_thesaurus.tsv.gz.part",
        "trees": out_dir / "data_mesh_trees.tsv.gz.part",
        "actions": out_dir / "data_pharm_action.tsv.part",
    }
    with xml_gz.open("rb") as probe:
        gz = probe.read(2) == b"\x1f\x8b"
    n = 0
    try:
        with (
            gzip.open(xml_gz, "rb") if gz else xml_gz.open("rb") as src,
            gzip.open(parts["thesaurus"], "wt", encoding="utf-8", newline="") as th,
            gzip.open(parts["trees"], "wt", encoding="utf-8", newline="") as tr,
            parts["actions"].open("w", encoding="utf-8", newline="") as pa,
        ):
            writers = [csv.writer(fh, delimiter="\t", lineterminator="\n") for fh in (th, tr, pa)]
            for w, cols in zip(writers, (THESAURUS_COLS, TREES_COLS, ACTION_COLS), strict=True):
                w.writerow(cols)
            for rec in _descriptors(src):
                ui, name = _text(rec, "DescriptorUI"), _text(rec, "DescriptorName/String")
                if not ui:
                    continue
                n += 1
                for concept in rec.iterfind("ConceptList/Concept"):  # type: ignore[attr-defined]
                    cui = _text(concept, "ConceptUI")
                    for term in concept.iterfind("TermList/Term"):
                        a = term.attrib
                        writers[0].writerow(
                            (ui, name, cui, _text(term, "TermUI"), _text(term, "String"),
                             a.get("ConceptPreferredTermYN", "N"), a.get("IsPermutedTermYN", "N"),
                             a.get("LexicalTag", ""), a.get("RecordPreferredTermYN", "N"))
                        )  # fmt: skip
                for tree in rec.iterfind("TreeNumberList/TreeNumber"):  # type: ignore[attr-defined]
                    writers[1].writerow((ui, name, (tree.text or "").strip()))
                for pa_el in rec.iterfind("PharmacologicalActionList/PharmacologicalAction"):  # type: ignore[attr-defined]
                    ref = pa_el.find("DescriptorReferredTo")
                    if ref is not None:
                        writers[2].writerow(
                            (ui, name, _text(ref, "DescriptorUI"), _text(ref, "DescriptorName/String"))
                        )
    except Exception as exc:
        for p in parts.values():
            p.unlink(missing_ok=True)
        if isinstance(exc, (OSError, EOFError, ValueError)) or type(exc).__name__ == "XMLSyntaxError":
            raise FetchError(f"{xml_gz}: not readable MeSH descriptor XML ({exc})") from exc
        raise
    if n == 0:
        for p in parts.values():
            p.unlink(missing_ok=True)
        raise FetchError(f"{xml_gz}: no DescriptorRecord found; is this MeSH desc<year> XML?")
    for p in parts.values():
        p.replace(p.with_name(p.name.removesuffix(".part")))
    return n


def drugbank_csv_from(data: bytes, what: str) -> bytes:
    """The vocabulary CSV from DrugBank's zip (or the CSV itself when sent unzipped)."""
    if data[:2] == b"PK":
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                members = [i for i in archive.infolist() if i.filename.lower().endswith(".csv")]
                if not members:
                    raise FetchError(f"{what}: the zip holds no CSV ({', '.join(archive.namelist()[:5])})")
                if members[0].file_size > MAX_CSV_BYTES:
                    raise FetchError(
                        f"{what}: {members[0].filename} is too large ({members[0].file_size:,} bytes)"
                    )
                data = archive.read(members[0])
        except zipfile.BadZipFile as exc:
            raise FetchError(f"{what}: a broken zip ({exc})") from exc
    head = data[:300].decode("utf-8", errors="replace")
    if "DrugBank ID" not in head or "Common name" not in head:
        raise FetchError(f"{what}: not DrugBank's vocabulary CSV (starts {head[:80]!r})")
    return data


@dataclass
class VocabFetcher(Fetcher):
    """Writes under ``folder`` (default ``<data_dir>/vocab``)."""

    mesh_url: str = "https://nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh"
    drugbank_url: str = "https://go.drugbank.com/releases/latest/downloads/all-drugbank-vocabulary"

    def fetch(self, *, mesh: bool = True, drugbank: bool = True, year: int | None = None) -> FetchReport:
        report = FetchReport("vocab", self.folder)
        state = FetchState.load(self.folder, "vocab")
        self.progress(0, int(mesh) + int(drugbank))
        with tracked(self.client, report):
            if drugbank:
                try:
                    self._drugbank(state, report)
                except FetchError as exc:
                    report.errors.append(str(exc))
                self.progress(1, None)
            if mesh:
                try:
                    self._mesh(year or datetime.now(UTC).year, state, report)
                except FetchError as exc:
                    report.errors.append(str(exc))
                self.progress(1, None)
        return report

    def _is_done(self, state: FetchState, item: str, path: Path) -> bool:
        info = state.done.get(item)
        return isinstance(info, dict) and path.is_file() and md5_file(path) == info.get("md5")

    def _drugbank(self, state: FetchState, report: FetchReport) -> None:
        target = self.folder / "drugbank" / "drugbank_vocabulary.csv"
        if self._is_done(state, "drugbank", target):
            report.skipped += 1
            return
        data = drugbank_csv_from(self.client.get(self.drugbank_url).content, self.drugbank_url)
        write_atomic(target, data)
        rows = max(0, data.count(b"\n") - 1)
        state.mark("drugbank", {"md5": md5_file(target), "rows": rows})
        self.landed(report, target, rows)

    def _mesh(self, year: int, state: FetchState, report: FetchReport) -> None:
        mesh_dir = self.folder / "mesh"
        xml = mesh_dir / f"desc{year}.gz"
        tables = mesh_dir / "data_mesh_thesaurus.tsv.gz"
        item = f"mesh-{year}"
        if self._is_done(state, item, xml) and tables.is_file():
            report.skipped += 1
            return
        if not self._is_done(state, f"{item}-xml", xml):
            digest = self.client.download(f"{self.mesh_url.rstrip('/')}/desc{year}.gz", xml)
            state.mark(f"{item}-xml", {"md5": digest})
            self.landed(report, xml, 0)
        n = mesh_xml_to_tsv(xml, mesh_dir)
        state.mark(item, {"md5": md5_file(xml), "descriptors": n})
        report.written.append(tables)
        report.records += n
