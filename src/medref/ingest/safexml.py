"""XML parsing with entity resolution and network access turned off.

Every XML parser in medref goes through here. Documents that declare entities
(billion-laughs style bombs) or reference external entities/DTDs are refused with
:class:`medref.errors.UnsafeXMLError` before any expansion happens.
"""

from __future__ import annotations

import contextlib
import gzip
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, cast

from lxml import etree

from medref.errors import ParseError, UnsafeXMLError
from medref.ingest.compressed import open_maybe_gzip

_PARSER_OPTS: dict[str, Any] = {
    "resolve_entities": False,
    "no_network": True,
    "load_dtd": False,
    "dtd_validation": False,
    "huge_tree": False,
    "remove_comments": True,
    "remove_pis": True,
}

# Where NLM's own DTDs live: a DOCTYPE naming one of these is harmless (never fetched).
_NLM_DTD_PREFIXES = (
    "http://www.ncbi.nlm.nih.gov/",
    "https://www.ncbi.nlm.nih.gov/",
    "http://dtd.nlm.nih.gov/",
    "https://dtd.nlm.nih.gov/",
)
# Raised by a truncated or corrupt file while it is being read (gzip EOF, bad CRC, ...).
_READ_ERRORS = (OSError, EOFError, zlib.error)
__all__ = ["iterparse", "open_maybe_gzip", "parse_tree", "root_tag", "text_of"]


def _read_error(path: Path, exc: BaseException) -> ParseError:
    """A ParseError for a file that failed while being read (unreadable, truncated, corrupt)."""
    if isinstance(exc, EOFError | zlib.error | gzip.BadGzipFile):
        return ParseError(path, f"compressed file is truncated or corrupt: {exc}")
    return ParseError(path, f"file could not be read: {getattr(exc, 'strerror', None) or exc}")


def _check_docinfo(docinfo: Any, path: Path) -> None:
    """Refuse any internal DTD subset (where entities are declared) or external DTD/system id."""
    if docinfo is None:
        return
    dtd = getattr(docinfo, "internalDTD", None)
    if dtd is not None:
        entities = list(dtd.iterentities())
        if entities:
            raise UnsafeXMLError(path, f"XML declares entities ({entities[0].name!r}); refused")
    if docinfo.system_url and not docinfo.system_url.startswith(_NLM_DTD_PREFIXES):
        # an external DTD we would never fetch anyway; NLM's PubMed DTD is the usual harmless case
        raise UnsafeXMLError(
            path, f"XML references an external DTD/system id {docinfo.system_url!r}; refused"
        )


def _scan_prolog(head: bytes, path: Path) -> None:
    """Cheap pre-check of the prolog: refuse <!ENTITY declarations outright."""
    upper = head.upper()
    if b"<!ENTITY" in upper:
        raise UnsafeXMLError(path, "XML declares entities (<!ENTITY ...>); refused")


def parse_tree(path: Path) -> etree._Element:
    """Parse a whole (small) XML file safely and return its root element."""
    try:
        with open_maybe_gzip(path) as fh:
            data = fh.read()
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from exc
    if not data.strip():
        raise ParseError(path, "file is empty")
    _scan_prolog(data[:65536], path)
    parser = etree.XMLParser(**_PARSER_OPTS)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise ParseError(path, f"malformed XML: {exc}") from exc
    if root is None:
        raise ParseError(path, "no XML root element")
    _check_docinfo(root.getroottree().docinfo, path)
    return root


def iterparse(path: Path, tag: str | tuple[str, ...]) -> Iterator[etree._Element]:
    """Stream elements with the given end tag(s), clearing memory as it goes.

    The caller must finish with each element before asking for the next one; elements
    are cleared (and their preceding siblings freed) after being yielded, so memory stays
    flat whatever the file size. Before the first element is handed out the parsed DOCTYPE
    is checked too, so entity declarations hidden past the prolog scan are still refused.
    """
    try:
        with open_maybe_gzip(path) as fh:
            head = fh.read(65536)
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from exc
    if not head.strip():
        raise ParseError(path, "file is empty")
    _scan_prolog(head, path)
    tags = (tag,) if isinstance(tag, str) else tag
    with open_maybe_gzip(path) as fh:
        context = etree.iterparse(fh, events=("end",), tag=tags, **_PARSER_OPTS)
        checked = False
        try:
            for _event, elem in context:
                if not checked:
                    _check_docinfo(elem.getroottree().docinfo, path)
                    checked = True
                yield elem
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
        except etree.XMLSyntaxError as exc:
            raise ParseError(path, f"malformed XML: {exc}") from exc
        except _READ_ERRORS as exc:
            raise _read_error(path, exc) from exc


def root_tag(path: Path) -> str | None:
    """The local name of the root element, read from the file's first bytes.

    None when the start of the file is not well-formed enough to tell (the full parse then
    reports the problem). Unsafe prologs are refused as in :func:`iterparse`.
    """
    try:
        with open_maybe_gzip(path) as fh:
            head = fh.read(65536)
    except _READ_ERRORS as exc:
        raise _read_error(path, exc) from exc
    _scan_prolog(head, path)
    puller = etree.XMLPullParser(events=("start",), **_PARSER_OPTS)
    with contextlib.suppress(etree.XMLSyntaxError):  # events parsed before an error stay readable
        puller.feed(head)
    for _event, elem in puller.read_events():
        return str(etree.QName(cast(etree._Element, elem)).localname)
    return None


def text_of(elem: etree._Element | None) -> str:
    """All text inside an element (including children like <i>, <sup>), whitespace kept."""
    if elem is None:
        return ""
    return "".join(cast(Iterator[str], elem.itertext()))  # str for a parsed (not bytes) tree
