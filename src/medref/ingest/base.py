"""What every parser shares: the parser protocol and the document text builder.

A parser is a module with::

    FORMAT: str                                   # e.g. "pubmed"
    def sniff(head: bytes, path: Path) -> bool    # True when this parser reads the file
    def parse(path: Path, **options) -> Iterator[Document | Deletion]

``parse`` is pure (reads the file, writes nothing) and raises
:class:`medref.errors.ParseError` naming the file, the record and what was wrong.
"""

from __future__ import annotations

import json
import re
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Protocol

from medref.errors import ParseError
from medref.models import Deletion, Document, Passage

Parsed = Document | Deletion

MAX_PASSAGE_CHARS = 1200
"""Sections longer than this are split into chunks on sentence boundaries."""

# A sentence ends at . ! or ? followed by space and an upper-case letter, digit or bracket.
_SENT_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9(\[])")


def clean(text: str | None) -> str:
    """Collapse whitespace; None becomes ''."""
    if not text:
        return ""
    return " ".join(text.split())


def split_sentences(text: str) -> list[str]:
    """A light sentence splitter good enough for chunking (not for composition)."""
    return [s for s in _SENT_END.split(text) if s]


def chunk(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Split ``text`` into pieces of at most ~limit chars, on sentence boundaries when possible.

    The pieces joined with single spaces give back ``text`` (whitespace already collapsed).
    """
    if len(text) <= limit:
        return [text]
    pieces: list[str] = []
    current = ""
    for sent in split_sentences(text):
        while len(sent) > limit:  # a single monster sentence: hard split on a space
            cut = sent.rfind(" ", 0, limit)
            cut = cut if cut > limit // 2 else limit
            head, sent = sent[:cut].rstrip(), sent[cut:].lstrip()
            if current:
                pieces.append(current)
                current = ""
            pieces.append(head)
        if current and len(current) + 1 + len(sent) > limit:
            pieces.append(current)
            current = sent
        else:
            current = f"{current} {sent}" if current else sent
    if current:
        pieces.append(current)
    return pieces


def read_json(path: Path) -> Any:
    """Load a JSON file (plain or gzipped, UTF-8 with or without BOM); errors name the file."""
    from medref.ingest.safexml import open_maybe_gzip

    try:
        with open_maybe_gzip(path) as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ParseError(path, f"file could not be read: {exc}") from exc
    if not raw.strip():
        raise ParseError(path, "file is empty")
    try:
        return json.loads(raw.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(path, f"not UTF-8 text (byte {exc.start})") from exc
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc


class DocumentBuilder:
    """Accumulates sections into ``Document.text`` and passages with exact offsets."""

    SEPARATOR = "\n\n"

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.passages: list[Passage] = []

    def _append(self, text: str) -> int:
        if self._parts:
            self._parts.append(self.SEPARATOR)
            self._length += len(self.SEPARATOR)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start

    def add(
        self,
        section: str,
        text: str | None,
        *,
        kind: str = "text",
        loinc: str | None = None,
        table: list[list[str]] | None = None,
        split: bool = True,
    ) -> None:
        """Add one section (cleaned, chunked when long). Empty text adds nothing."""
        body = clean(text) if kind != "table" else (text or "").strip()
        if not body:
            return
        pieces = chunk(body) if split and kind == "text" else [body]
        for piece in pieces:
            start = self._append(piece)
            self.passages.append(
                Passage(
                    ordinal=len(self.passages),
                    section=clean(section) or "Text",
                    text=piece,
                    start=start,
                    end=start + len(piece),
                    kind=kind,
                    loinc=loinc,
                    table=table,
                )
            )

    def add_table(self, section: str, rows: list[list[str]], *, loinc: str | None = None) -> None:
        """Add a table as one passage; its text is the rows, cells joined by ' | '."""
        rows = [[clean(c) for c in r] for r in rows]
        rows = [r for r in rows if any(r)]
        if not rows:
            return
        text = "\n".join(" | ".join(r) for r in rows)
        self.add(section, text, kind="table", loinc=loinc, table=rows)

    @property
    def text(self) -> str:
        return "".join(self._parts)

    def build(self, **fields: Any) -> Document:
        """Make the Document; ``fields`` are the Document's other attributes. Passages that read
        as instructions to a language model are recorded in ``meta["suspect_passages"]``."""
        from medref.ingest.suspect import mark_suspect

        return mark_suspect(Document(text=self.text, passages=list(self.passages), **fields))


class ParserModule(Protocol):
    FORMAT: str

    def sniff(self, head: bytes, path: Path) -> bool: ...

    def parse(self, path: Path, **options: Any) -> Iterator[Parsed]: ...
