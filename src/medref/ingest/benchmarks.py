"""Loaders for the benchmark datasets PubMedQA and BioASQ task b, and their ingest parsers.

PubMedQA (``ori_pqal.json`` style): one JSON object keyed by PMID; each item has QUESTION,
CONTEXTS (abstract parts) with LABELS (their section names), MESHES, YEAR, final_decision and
LONG_ANSWER (the abstract's conclusion). Each item becomes a ``pmid:`` document whose
passages are the labelled contexts plus the long answer as CONCLUSIONS. The question is not
stored: it is the benchmark's query (and mostly the article title reworded).

BioASQ task b golden files: ``{"questions": [{"id", "body", "type", "documents",
"snippets", "ideal_answer", "exact_answer"}]}``. BioASQ gives snippets, not abstracts, so a
document is the union of the distinct snippets quoted from one PMID, title section first,
then by offset.

``PUBMEDQA`` and ``BIOASQ`` are the parser objects the ingest registry points at.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from medref.errors import ParseError
from medref.ingest.base import DocumentBuilder, Parsed, clean, read_json
from medref.models import Document, SourceKind

_PMID_URL = re.compile(r"(\d+)\s*/?\s*$")
_PUBMEDQA_HEAD = re.compile(rb'^\s*\{\s*"\d+"\s*:\s*\{')


@dataclass(frozen=True)
class PubMedQAItem:
    pmid: str
    question: str
    contexts: list[tuple[str, str]]  # (label, text)
    meshes: list[str]
    year: int | None
    final_decision: str
    long_answer: str


@dataclass(frozen=True)
class BioASQSnippet:
    pmid: str
    text: str
    section: str  # beginSection: 'title' or 'abstract' (sometimes sections.N)
    end_section: str
    begin: int | None
    end: int | None


@dataclass(frozen=True)
class BioASQQuestion:
    id: str
    body: str
    type: str  # factoid, yesno, list, summary
    documents: list[str]  # PMIDs
    snippets: list[BioASQSnippet]
    ideal_answer: list[str]
    exact_answer: Any = None  # 'yes'/'no', list of synonym lists, or None for summaries
    source: str = field(default="", compare=False)


def _year(value: Any) -> int | None:
    m = re.match(r"\s*(\d{4})", str(value or ""))
    return int(m.group(1)) if m else None


# ---------------------------------------------------------------- PubMedQA
def load_pubmedqa(path: Path) -> list[PubMedQAItem]:
    """Every item of a PubMedQA file, in file order."""
    data = read_json(path)
    if not isinstance(data, dict):
        raise ParseError(path, "PubMedQA file should be a JSON object keyed by PMID")
    items = []
    for pmid, raw in data.items():
        if not isinstance(raw, dict) or not str(pmid).strip().isdigit():
            raise ParseError(
                path, "each PubMedQA entry should be an object keyed by a numeric PMID", record=str(pmid)
            )
        contexts, labels = raw.get("CONTEXTS"), raw.get("LABELS") or []
        if not isinstance(contexts, list) or not isinstance(labels, list):
            raise ParseError(path, "CONTEXTS and LABELS should be lists", record=str(pmid))
        pairs = [
            (clean(str(labels[i])) if i < len(labels) and labels[i] else "ABSTRACT", clean(str(text)))
            for i, text in enumerate(contexts)
        ]
        items.append(
            PubMedQAItem(
                pmid=str(pmid).strip(),
                question=clean(raw.get("QUESTION")),
                contexts=[(label, text) for label, text in pairs if text],
                meshes=[clean(str(m)) for m in raw.get("MESHES") or [] if clean(str(m))],
                year=_year(raw.get("YEAR")),
                final_decision=clean(raw.get("final_decision")).lower(),
                long_answer=clean(raw.get("LONG_ANSWER")),
            )
        )
    return items


def pubmedqa_documents(
    items: Iterable[PubMedQAItem], *, source_path: str | None = None
) -> Iterator[Document]:
    """One ``pmid:`` document per item: labelled contexts, then the long answer as CONCLUSIONS."""
    for item in items:
        b = DocumentBuilder()
        for label, text in item.contexts:
            b.add(label, text)
        b.add("CONCLUSIONS", item.long_answer)
        yield b.build(
            uid=f"pmid:{item.pmid}",
            kind=SourceKind.OTHER,
            title=f"PubMed {item.pmid}",
            pmid=item.pmid,
            year=item.year,
            mesh_terms=item.meshes,
            meta={"dataset": "pubmedqa"},
            source_path=source_path,
        )


def sniff_pubmedqa(head: bytes, path: Path) -> bool:
    """A JSON object keyed by PMID whose first item has QUESTION and CONTEXTS."""
    return bool(_PUBMEDQA_HEAD.match(head.lstrip(b"\xef\xbb\xbf"))) and (
        b'"QUESTION"' in head and b'"CONTEXTS"' in head
    )


def parse_pubmedqa(path: Path, **options: Any) -> Iterator[Parsed]:
    yield from pubmedqa_documents(load_pubmedqa(path), source_path=str(path))


# ---------------------------------------------------------------- BioASQ
def _pmid(url: Any, path: Path, record: str) -> str:
    m = _PMID_URL.search(str(url or ""))
    if not m:
        raise ParseError(path, f"cannot read a PMID from document {url!r}", record=record)
    return m.group(1)


def _offset(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _question(raw: Any, path: Path, index: int) -> BioASQQuestion:
    record = str(raw.get("id") or f"question #{index}") if isinstance(raw, dict) else f"question #{index}"
    if not isinstance(raw, dict) or not clean(raw.get("body")):
        raise ParseError(path, "a question must be an object with a 'body'", record=record)
    snippets = []
    for s in raw.get("snippets") or []:
        if not isinstance(s, dict) or not isinstance(s.get("text"), str):
            raise ParseError(path, "a snippet must be an object with a 'text'", record=record)
        snippets.append(
            BioASQSnippet(
                pmid=_pmid(s.get("document"), path, record),
                text=s["text"],
                section=str(s.get("beginSection") or "abstract"),
                end_section=str(s.get("endSection") or s.get("beginSection") or "abstract"),
                begin=_offset(s.get("offsetInBeginSection")),
                end=_offset(s.get("offsetInEndSection")),
            )
        )
    ideal = raw.get("ideal_answer")
    return BioASQQuestion(
        id=record,
        body=clean(raw["body"]),
        type=str(raw.get("type") or ""),
        documents=list(dict.fromkeys(_pmid(d, path, record) for d in raw.get("documents") or [])),
        snippets=snippets,
        ideal_answer=[clean(a) for a in ([ideal] if isinstance(ideal, str) else ideal or []) if clean(a)],
        exact_answer=raw.get("exact_answer"),
        source=str(path),
    )


def load_bioasq(paths: Path | str | Iterable[Path | str]) -> list[BioASQQuestion]:
    """Every question of one or more golden files (folders are searched for ``*.json``)."""
    files: list[Path] = []
    for p in [paths] if isinstance(paths, Path | str) else paths:
        p = Path(p)
        files.extend(sorted(p.rglob("*.json")) if p.is_dir() else [p])
    questions: list[BioASQQuestion] = []
    for path in files:
        data = read_json(path)
        if not isinstance(data, dict) or not isinstance(data.get("questions"), list):
            raise ParseError(path, 'BioASQ file should be a JSON object {"questions": [...]}')
        questions.extend(_question(q, path, i) for i, q in enumerate(data["questions"], start=1))
    return questions


def _section_rank(section: str) -> tuple[int, str]:
    return (0 if section == "title" else 1 if section == "abstract" else 2, section)


def bioasq_documents(
    questions: Iterable[BioASQQuestion], *, source_path: str | None = None
) -> Iterator[Document]:
    """One ``pmid:`` document per PMID quoted by a snippet: the union of its distinct snippets."""
    by_pmid: dict[str, list[BioASQSnippet]] = {}
    asked: dict[str, dict[str, None]] = {}
    for q in questions:
        for s in q.snippets:
            by_pmid.setdefault(s.pmid, []).append(s)
            asked.setdefault(s.pmid, {})[q.id] = None
    for pmid, snippets in by_pmid.items():
        ordered = sorted(
            snippets,
            key=lambda s: (
                _section_rank(s.section),
                s.begin if s.begin is not None else 1 << 30,
                -len(s.text),
            ),
        )
        kept: list[tuple[str, str]] = []  # (section, cleaned text)
        for s in ordered:
            text = clean(s.text)
            if text and not any(sec == s.section and text in k for sec, k in kept):
                kept.append((s.section, text))
        titles = [t for sec, t in kept if sec == "title"]
        title = titles[0] if titles else f"PubMed {pmid}"
        b = DocumentBuilder()
        for section, text in kept:
            if section == "title":
                b.add("Title", text, kind="title", split=False)
            else:
                b.add(section.capitalize() if section == "abstract" else section, text)
        yield b.build(
            uid=f"pmid:{pmid}",
            kind=SourceKind.OTHER,
            title=title,
            pmid=pmid,
            meta={"dataset": "bioasq", "questions": list(asked[pmid])},
            source_path=source_path,
        )


def sniff_bioasq(head: bytes, path: Path) -> bool:
    """A JSON object with a "questions" list whose items have a "body"."""
    start = head.lstrip(b"\xef\xbb\xbf \t\r\n")[:1]
    return start == b"{" and b'"questions"' in head and b'"body"' in head


def parse_bioasq(path: Path, **options: Any) -> Iterator[Parsed]:
    """Documents from one golden file (the union over a file's questions; see module doc)."""
    yield from bioasq_documents(load_bioasq(path), source_path=str(path))


def parse_bioasq_many(paths: list[Path], **options: Any) -> Iterator[Parsed]:
    """Documents from several golden files at once: a PMID's snippets are united across files."""
    yield from bioasq_documents(load_bioasq(paths), source_path=str(paths[0].parent) if paths else None)


class DatasetParser:
    """A parser object with the module protocol (FORMAT, sniff, parse), for the registry.

    ``parse_many`` (optional) parses several files as one unit, for datasets whose records
    span files; the ingest pipeline groups such files and stores them all-or-nothing together.
    """

    def __init__(
        self,
        fmt: str,
        sniff: Callable[[bytes, Path], bool],
        parse: Callable[..., Iterator[Parsed]],
        parse_many: Callable[..., Iterator[Parsed]] | None = None,
    ) -> None:
        self.FORMAT = fmt
        self._sniff, self._parse = sniff, parse
        self.parse_many = parse_many

    def sniff(self, head: bytes, path: Path) -> bool:
        return self._sniff(head, path)

    def parse(self, path: Path, **options: Any) -> Iterator[Parsed]:
        return self._parse(path, **options)


PUBMEDQA = DatasetParser("pubmedqa", sniff_pubmedqa, parse_pubmedqa)
BIOASQ = DatasetParser("bioasq", sniff_bioasq, parse_bioasq, parse_many=parse_bioasq_many)
