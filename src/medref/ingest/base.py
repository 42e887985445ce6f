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


# Characters no store can keep: NUL (PostgreSQL text and JSON refuse it) and lone UTF-16
# surrogates (not encodable as UTF-8; JSON "\\ud800" escapes produce them).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


def storable(text: str) -> str:
    """``text`` with NUL and lone surrogates replaced by U+FFFD, one character for one.

    Lengths and offsets are unchanged, so this is safe on text whose passages are already cut.
    """
    if _UNSTORABLE.search(text) is None:
        return text
    return _UNSTORABLE.sub(REPLACEMENT, text)


def storable_data(value: Any) -> Any:
    """:func:`storable` applied to every string (and key) inside parsed JSON data."""
    if isinstance(value, str):
        return storable(value)
    if isinstance(value, list):
        return [storable_data(v) for v in value]
    if isinstance(value, dict):
        return {storable(k) if isinstance(k, str) else k: storable_data(v) for k, v in value.items()}
    return value


def clean(text: str | None) -> str:
    """Collapse whitespace, drop NUL and mark lone surrogates (U+FFFD); None becomes ''."""
    if not text:
        return ""
    if _UNSTORABLE.search(text) is not None:
        text = _UNSTORABLE.sub(lambda m: " " if m.group(0) == "\x00" else REPLACEMENT, text)
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
        if len(sent) > limit:  # a single monster sentence: hard split on spaces
            if current:
                pieces.append(current)
                current = ""
            heads, sent = _hard_split(sent, limit)
            pieces.extend(heads)
        if current and len(current) + 1 + len(sent) > limit:
            pieces.append(current)
            current = sent
        else:
            current = f"{current} {sent}" if current else sent
    if current:
        pieces.append(current)
    return pieces


def _hard_split(sent: str, limit: int) -> tuple[list[str], str]:
    """Cut a sentence longer than ``limit`` at spaces (mid-word only when a word is that long).

    Returns the full-size pieces and the remainder (at most ``limit`` long). Works with a moving
    start offset so a sentence of n characters costs O(n), not O(n²/limit) slicing.
    """
    heads: list[str] = []
    pos, end = 0, len(sent)
    while end - pos > limit:
        cut = sent.rfind(" ", pos, pos + limit)
        cut = cut if cut - pos > limit // 2 else pos + limit
        heads.append(sent[pos:cut].rstrip())
        pos = cut
        while pos < end and sent[pos].isspace():
            pos += 1
    return heads, sent[pos:]


# JSON escapes that decode to characters no store keeps (see storable)
_UNSTORABLE_ESCAPE = re.compile(r"\\u(?:0000|[dD][89a-fA-F][0-9a-fA-F]{2})")
_WIDE_START = (b"\x00", b"\xff\xfe", b"\xfe\xff")


def read_json(path: Path) -> Any:
    """Load a JSON file (plain or gzipped; UTF-8 with or without BOM, or UTF-16/32); errors name the file.

    Strings that would not store (NUL, lone surrogates) are made storable; nesting too deep
    for the decoder is an error naming the file, not a crash.
    """
    from medref.ingest.compressed import open_maybe_gzip

    try:
        with open_maybe_gzip(path) as fh:
            raw = fh.read()
    except (OSError, EOFError, zlib.error) as exc:
        raise ParseError(path, f"file could not be read: {exc}") from exc
    if not raw.strip():
        raise ParseError(path, "file is empty")
    try:
        wide = raw.startswith(_WIDE_START) or raw[1:2] == b"\x00"
        encoding = json.detect_encoding(raw) if wide else "utf-8-sig"
        text = raw.decode(encoding)
        data = json.loads(text.removeprefix("\ufeff"))
        if _UNSTORABLE_ESCAPE.search(text) is not None:
            data = storable_data(data)
    except UnicodeDecodeError as exc:
        raise ParseError(
            path, f"not {encoding.upper().removesuffix('-SIG')} text (byte {exc.start})"
        ) from exc
    except json.JSONDecodeError as exc:
        raise ParseError(path, f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}") from exc
    except RecursionError as exc:
        raise ParseError(path, "JSON is nested too deeply to read") from exc
    return data


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
        lines: bool = False,
    ) -> None:
        """Add one section (cleaned, chunked when long). Empty text adds nothing.

        ``lines=True``: the text is already tidied and its line breaks are kept (SPL layout)."""
        body = clean(text) if kind != "table" and not lines else (text or "").strip()
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
