"""Parser registry: format name -> parser module, and content-based format detection."""

from __future__ import annotations

import codecs
import importlib
import zlib
from pathlib import Path
from typing import Any, cast

from medref.errors import ParseError, UnknownFormatError
from medref.ingest.base import ParserModule
from medref.ingest.safexml import open_maybe_gzip

# name -> "module[:attribute]"; the attribute form is for modules holding several parsers.
PARSERS: dict[str, str] = {
    "pubmed": "medref.ingest.pubmed",
    "spl": "medref.ingest.spl",
    "ctgov": "medref.ingest.ctgov",
    "pubmedqa": "medref.ingest.benchmarks:PUBMEDQA",
    "bioasq": "medref.ingest.benchmarks:BIOASQ",
    "guideline": "medref.ingest.guideline",
}
# sniffing order: the most specific content checks first; guideline (by extension) last
DETECT_ORDER = ("pubmed", "spl", "ctgov", "bioasq", "pubmedqa", "guideline")
HEAD_BYTES = 65536


def get_parser(name: str) -> ParserModule:
    if name not in PARSERS:
        raise UnknownFormatError(f"unknown format {name!r}; known formats: {', '.join(sorted(PARSERS))}")
    target = PARSERS[name]
    module_name, _, attr = target.partition(":")
    module = importlib.import_module(module_name)
    return cast(ParserModule, getattr(module, attr) if attr else module)


def read_head(path: Path) -> bytes:
    """The first bytes of a file (decompressed when gzipped, UTF-16/32 text given as UTF-8).

    Errors name the file: unreadable, truncated or corrupt compressed data.
    """
    try:
        with open_maybe_gzip(path) as fh:
            head: bytes = fh.read(HEAD_BYTES)
    except PermissionError as exc:
        raise ParseError(path, "file is not readable (permission denied)") from exc
    except OSError as exc:
        raise ParseError(path, f"file could not be read: {exc.strerror or exc}") from exc
    except (EOFError, zlib.error) as exc:
        raise ParseError(path, f"compressed file is truncated or corrupt: {exc}") from exc
    return as_utf8(head)


# byte order marks, longest first (UTF-32 LE starts like UTF-16 LE)
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


def as_utf8(head: bytes) -> bytes:
    """``head`` re-encoded as UTF-8 when it is UTF-16 or UTF-32 text (so sniffers can match it).

    Recognised by a byte order mark, or, without one, by ``<`` or ``{`` followed (or preceded)
    by a zero byte, which UTF-8 text never has at its start. A cut-off final character is dropped.
    """
    encoding = next((enc for bom, enc in _BOMS if head.startswith(bom)), None)
    if encoding is not None:
        head = head[len(codecs.BOM_UTF32_LE if "32" in encoding else codecs.BOM_UTF16_LE) :]
    elif head[:2] in (b"<\x00", b"{\x00", b"[\x00"):
        encoding = "utf-16-le"
    elif head[:2] in (b"\x00<", b"\x00{", b"\x00["):
        encoding = "utf-16-be"
    if encoding is None:
        return head
    return head.decode(encoding, errors="ignore").encode("utf-8")


def detect_format(path: Path, head: bytes | None = None) -> str:
    """Detect a file's format from its content (extension only as a last resort)."""
    if head is None:
        head = read_head(path)
    if not head.strip():
        raise ParseError(path, "file is empty")
    for name in DETECT_ORDER:
        if get_parser(name).sniff(head, path):
            return name
    raise UnknownFormatError(
        f"{path}: could not detect the format; pass --format ({', '.join(sorted(PARSERS))})"
    )


def parse_options(name: str, options: dict[str, Any]) -> dict[str, Any]:
    """Keep only the options a given format understands (issuer/year/title: guidelines)."""
    if name == "guideline":
        return {k: v for k, v in options.items() if v is not None}
    return {}
