"""SPL narrative text for :mod:`medref.ingest.spl` (section names: :mod:`medref.ingest.spl_names`).

:func:`render` turns a section's ``<text>`` (paragraphs, lists, tables, footnotes, inline
markup) into blocks: runs of prose and tables. Prose keeps its layout as lines
(:func:`clean_lines`): a paragraph, a line break, a caption, a run-in heading
(:func:`run_in_heading`) and every list item start a line, so no heading or item runs into the
next sentence; the text of each line is the label's own. Table footnotes are collected apart so
they can follow the table. Inside table cells and titles everything stays on one line (list
items joined by ``"; "``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from lxml import etree

from medref.ingest.base import MAX_PASSAGE_CHARS, chunk, clean

HL7_NS = "urn:hl7-org:v3"
_V = "{" + HL7_NS + "}"
# elements whose text must not run into its neighbours
_SPACED = {"paragraph", "caption", "item", "tr", "td", "th", "thead", "tbody", "tfoot", "suffix", "prefix"}
# elements that start a line of their own in running text
_BLOCKS = {"paragraph", "caption"}
# styleCode values labels use for sub-headings, and what a run-in heading never ends with
_HEADING_STYLES = {"bold", "italics", "underline", "emphasis"}
_HEADING_STOP = frozenset("a an and as at by for from in into not of on or than that the to with".split())
_CLAUSE_END = ".,;:!?-–(/"
_MAX_HEADING_WORDS = 10
# a list item marker as the sentence splitter reads one at a line start ("•", "-", "1.", "2)", "(a)")
_MARKER = r"[-*•·▪]|\(?\d{1,3}[.)]|\([a-z]\)"
_OWN_MARKER = re.compile(rf"(?:{_MARKER})\s")
_BARE_MARKER = re.compile(_MARKER)
# a bullet character inside a line ("• sneezing  • runny nose"): the next item starts there
_INLINE_BULLET = re.compile(r"[ \t\u00a0]+(?=[•▪][ \t\u00a0])")


# ------------------------------------------------------------------ narrative text
@dataclass
class Table:
    caption: str
    rows: list[list[str]]
    notes: list[str] = field(default_factory=list)


Block = str | Table


def local_name(elem: etree._Element) -> str:
    tag = elem.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def join_items(items: list[str]) -> str:
    """Items as one line: '; ' between them unless an item already ends a clause (table cells, notes)."""
    out = ""
    for item in items:
        if not item:
            continue
        if out:
            out += " " if out[-1] in ".;:!?" else "; "
        out += item
    return out


def _list_text(lst: etree._Element, notes: list[str] | None) -> str:
    """A list inside a table cell or a title: one line, items joined by :func:`join_items`."""
    caption = ""
    items: list[str] = []
    for child in lst:
        tag = local_name(child)
        if tag == "caption":
            caption = clean(inline(child, notes))
        elif tag == "item":
            items.append(clean(inline(child, notes)))
    body = join_items(items)
    if caption and body:
        return f"{caption} {body}" if caption[-1] in ".:" else f"{caption}: {body}"
    return caption or body


def _table_rows(table: etree._Element, notes: list[str] | None) -> list[list[str]]:
    """Rows in reading order (head, bodies, foot), each a list of cell texts."""
    head: list[etree._Element] = []
    body: list[etree._Element] = []
    foot: list[etree._Element] = []
    for child in table:
        tag = local_name(child)
        if tag == "tr":
            body.append(child)
        elif tag in ("thead", "tbody", "tfoot"):
            rows = [c for c in child if local_name(c) == "tr"]
            {"thead": head, "tbody": body, "tfoot": foot}[tag].extend(rows)
    return [
        [clean(inline(cell, notes)) for cell in tr if local_name(cell) in ("td", "th")]
        for tr in head + body + foot
    ]


def _list_lines(lst: etree._Element) -> str:
    """A list in running text: its caption on a line of its own, then one line per item.

    An item that does not open with a marker of its own gets one ("•", or "1.", "2." ... in an
    ordered list), so the sentence splitter keeps every item apart from its neighbours.
    """
    ordered = (lst.get("listType") or "").lower() == "ordered"
    parts: list[str] = []
    number = 0
    for child in lst:
        tag = local_name(child)
        if tag == "caption":
            parts.append(f"\n{inline(child, lines=True)}\n")
        elif tag == "item":
            number += 1
            body = inline(child, lines=True)
            marker = "" if _OWN_MARKER.match(clean(body)) else (f"{number}. " if ordered else "• ")
            parts.append(f"\n{marker}{body}\n")
    return "".join(parts)


def _table_lines(rows: list[list[str]]) -> str:
    """A table inside running text: a line per row, or a line per cell when the cells are
    bullets (a layout table that sets a list in columns)."""
    cells = [c for r in rows for c in r if c]
    if any(_OWN_MARKER.match(c) for c in cells):
        return "".join(f"\n{c}\n" for c in cells)
    return "".join("\n" + " | ".join(c for c in r if c) + "\n" for r in rows)


def pieces(text: str, limit: int = MAX_PASSAGE_CHARS) -> list[str]:
    """Laid-out prose cut into passages of at most about ``limit`` characters at line breaks;
    a single line longer than that is cut on its sentences (:func:`medref.ingest.base.chunk`)."""
    if len(text) <= limit:
        return [text]
    tokens = re.split(r"(\n+)", text)
    out: list[str] = []
    current = ""
    for sep, line in zip(["", *tokens[1::2]], tokens[0::2], strict=True):
        for part in chunk(line, limit):
            if current and len(current) + len(sep) + len(part) > limit:
                out.append(current)
                current = part
            else:
                current = f"{current}{sep}{part}" if current else part
            sep = " "  # the parts of one long line were separated by single spaces
    if current:
        out.append(current)
    return out


def _styled(elem: etree._Element) -> bool:
    """A ``<content>`` set in bold, italics or underline (how labels mark their sub-headings)."""
    codes = re.split(r"[\s|]+", (elem.get("styleCode") or "").lower())
    return local_name(elem) == "content" and any(c in _HEADING_STYLES for c in codes)


def run_in_heading(par: etree._Element) -> bool:
    """Whether a paragraph opens with a styled run-in heading followed by more text.

    "<b>Monitoring</b> Closely monitor ..." has one; "<b>Do not</b> inject ..." (the text goes on
    in lower case) and "<b>Reported infections include:</b> ..." (a lead-in that ends in
    punctuation) do not.
    """
    if (par.text or "").strip() or not len(par) or not _styled(par[0]):
        return False
    head = clean(inline(par[0]))
    whole = clean(inline(par))
    rest = whole[len(head) :].strip() if whole.startswith(head) else ""
    if not head or not rest or len(head.split()) > _MAX_HEADING_WORDS:
        return False
    if head[-1] in _CLAUSE_END or not any(c.isalpha() for c in head):
        return False
    if head.split()[-1].lower() in _HEADING_STOP:
        return False
    return rest[0].isupper() or rest[0].isdigit()


def _child_text(child: etree._Element, notes: list[str] | None, lines: bool = False) -> str:
    """The text one child element contributes to its parent's flattened text.

    With ``lines``, paragraphs, line breaks, captions and list items start lines of their own
    (see :func:`clean_lines`); otherwise everything runs on one line.
    """
    tag = local_name(child)
    if tag == "br":
        return "\n" if lines else " "
    if tag in ("footnoteRef", "col", "colgroup", ""):
        return " "
    if tag == "footnote":
        note = clean(inline(child))
        if notes is None:
            return f" {note} "
        if note:
            notes.append(note)
        return ""
    if tag == "list":
        return _list_lines(child) if lines else f" {_list_text(child, notes)} "
    if tag == "table":
        rows = _table_rows(child, notes)
        if lines:
            return _table_lines(rows)
        return " " + "; ".join(" | ".join(c for c in r if c) for r in rows) + " "
    if tag == "renderMultiMedia":  # an image: keep only its caption
        caption = child.find(_V + "caption")
        shown = inline(caption, notes, lines=lines) if caption is not None else ""
        return f"\n{shown}\n" if lines else f" {shown} "
    if lines and tag in _BLOCKS:
        if tag == "paragraph" and run_in_heading(child):
            head = _child_text(child[0], notes, lines)
            return f"\n{head}\n{_rest(child, notes)}\n"
        return f"\n{inline(child, notes, lines=True)}\n"
    if tag in _SPACED:
        return f" {inline(child, notes, lines=lines)} "
    return inline(child, notes, lines=lines)  # content, sup, sub, linkHtml and other inline markup


def _rest(par: etree._Element, notes: list[str] | None) -> str:
    """A paragraph's text after its first child (the run-in heading)."""
    parts = [_source(par[0].tail, True)]
    for child in list(par)[1:]:
        parts.append(_child_text(child, notes, True))
        parts.append(_source(child.tail, True))
    return "".join(parts)


_SOURCE_SPACE = re.compile(r"\s+")
# white space the file's indentation leaves inside brackets: "[see Clinical Pharmacology (12.3) ]"
_SPACE_BRACKET = re.compile(r"\s+([\])])")
_BRACKET_SPACE = re.compile(r"([\[(])\s+")


def _source(text: str | None, lines: bool) -> str:
    """Character data of the XML: with ``lines``, its white space (the file's own indentation and
    line breaks, which a renderer ignores) becomes single spaces, so only the markup starts lines."""
    if not text:
        return ""
    return _SOURCE_SPACE.sub(" ", text) if lines else text


def inline(elem: etree._Element, notes: list[str] | None = None, *, lines: bool = False) -> str:
    """Flattened text of an element; table footnotes go to ``notes`` when given.

    ``lines=True`` keeps the layout of running text as line breaks (tidy it with :func:`clean_lines`).
    """
    parts = [_source(elem.text, lines)]
    for child in elem:
        parts.append(_child_text(child, notes, lines))
        parts.append(_source(child.tail, lines))
    return "".join(parts)


def clean_lines(text: str) -> str:
    """Tidy text laid out by ``inline(..., lines=True)``: a bullet character inside a line starts a
    new line, white space collapsed within each line, empty lines dropped, a lone list marker
    joined to the line after it; list items follow the
    line before them after one new line, every other line after a blank line. Both are hard breaks
    for :func:`medref.compose.sentences.split_sentences`, so a heading, a list item or a line
    without a full stop never runs into the next sentence."""
    out: list[str] = []
    marker = ""
    for raw in _INLINE_BULLET.sub("\n", text).split("\n"):
        line = _BRACKET_SPACE.sub(r"\1", _SPACE_BRACKET.sub(r"\1", clean(raw)))
        if not line:
            continue
        if _BARE_MARKER.fullmatch(line):
            marker = line
            continue
        if marker:
            line, marker = f"{marker} {line}", ""
        if out:
            out.append("\n" if _OWN_MARKER.match(line) else "\n\n")
        out.append(line)
    return "".join(out)


def text_at(elem: etree._Element, path: str) -> str:
    """Cleaned flattened text of ``elem.find(path)`` ('' when absent); path in v3 local names."""
    found = elem.find("/".join(_V + step for step in path.split("/")))
    return clean(inline(found)) if found is not None else ""


def render(text_el: etree._Element) -> list[Block]:
    """A section's ``<text>`` as blocks: runs of prose (str) and tables."""
    blocks: list[Block] = []
    buf: list[str] = [_source(text_el.text, True)]

    def flush() -> None:
        prose = clean_lines("".join(buf))
        buf.clear()
        if prose:
            blocks.append(prose)

    for child in text_el:
        if local_name(child) == "table":
            flush()
            notes: list[str] = []
            caption_el = child.find(_V + "caption")
            caption = clean(inline(caption_el)) if caption_el is not None else ""
            blocks.append(Table(caption, _table_rows(child, notes), notes))
        else:
            buf.append(_child_text(child, None, lines=True))
        buf.append(_source(child.tail, True))
    flush()
    return blocks
