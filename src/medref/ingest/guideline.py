"""Clinical guideline documents: Markdown (with front matter), HTML and PDF.

Each file is one ``guideline:<slug>`` document. The issuer, year and title come from the
Markdown front matter (``---`` block of ``key: value`` lines), the HTML ``<meta>`` tags, or
the PDF metadata; the parse options ``issuer=``, ``year=`` and ``title=`` override them.
Passages follow the headings (section ``Parent > Child``); list items and numbered
paragraphs under a "Recommendations" heading are kept as one passage each.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from medref.errors import ParseError
from medref.ingest.base import DocumentBuilder, Parsed, clean, storable
from medref.models import Document, SourceKind

FORMAT = "guideline"
MARKDOWN = (".md", ".markdown")
HTML = (".html", ".htm", ".xhtml")
PDF = (".pdf",)

_REC_HEADING = re.compile(r"\brecommendations?\b", re.IGNORECASE)
_NUMBERED = re.compile(r"^(?:\d+(?:\.\d+)*[.)]?|R\d+[.:)]?|Recommendation\s+\d+(?:\.\d+)*[.:)]?)\s+\S")
_DATE = re.compile(r"(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?")


@dataclass
class Block:
    kind: str  # 'heading', 'para', 'item' or 'table'
    text: str = ""
    level: int = 0
    rows: list[list[str]] | None = None


def sniff(head: bytes, path: Path) -> bool:
    """Guidelines are recognised by extension (PDFs also by their %PDF- magic)."""
    return path.suffix.lower() in MARKDOWN + HTML + PDF or head.startswith(b"%PDF-")


def parse(path: Path, **options: Any) -> Iterator[Parsed]:
    """Yield the one Document of a guideline file; options issuer/year/title override."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ParseError(path, f"file could not be read: {exc.strerror or exc}") from exc
    if not data.strip():
        raise ParseError(path, "file is empty")
    suffix = path.suffix.lower()
    if suffix in PDF or data.startswith(b"%PDF-"):
        info, blocks, h1 = _pdf(path)
    elif suffix in HTML or re.match(rb"\s*(<!doctype html|<html)", data[:512], re.IGNORECASE):
        info, blocks, h1 = _html(data, path)
    else:
        try:
            text = storable(data.decode("utf-8-sig"))
        except UnicodeDecodeError as exc:
            raise ParseError(path, f"not UTF-8 text (byte {exc.start})") from exc
        info, blocks, h1 = _markdown(text)
    yield _document(path, info, blocks, h1, suffix.lstrip(".") or "md", options)


# ---------------------------------------------------------------- assembling
def slug(text: str, limit: int = 80) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")[:limit].strip("-")


def _date(value: Any) -> tuple[int | None, dt.date | None]:
    m = _DATE.search(str(value or ""))
    if not m:
        return None, None
    year = int(m.group(1))
    try:
        return year, dt.date(year, int(m.group(2)), int(m.group(3))) if m.group(3) else None
    except ValueError:
        return year, None


def _sentence(text: str) -> str:
    return text if not text or text[-1] in ".!?:;" else text + "."


def _add_blocks(b: DocumentBuilder, blocks: list[Block], skip: Block | None) -> None:
    """Passages per heading section; recommendation items/numbered paragraphs on their own."""
    stack: list[tuple[int, str]] = []
    buffer: list[str] = []

    def section() -> str:
        return " > ".join(t for _, t in stack) or "Overview"

    def flush() -> None:
        if buffer:
            b.add(section(), " ".join(buffer))
            buffer.clear()

    for blk in blocks:
        if blk.kind == "heading":
            flush()
            if blk is not skip and blk.text:
                while stack and stack[-1][0] >= blk.level:
                    stack.pop()
                stack.append((blk.level, blk.text))
        elif blk.kind == "table":
            flush()
            b.add_table(section(), blk.rows or [])
        elif any(_REC_HEADING.search(t) for _, t in stack) and (
            blk.kind == "item" or _NUMBERED.match(blk.text)
        ):
            flush()
            b.add(section(), blk.text)
        elif blk.text:
            buffer.append(_sentence(blk.text) if blk.kind == "item" else blk.text)
    flush()


def _document(
    path: Path, info: dict[str, Any], blocks: list[Block], h1: Block | None, fmt: str, options: dict[str, Any]
) -> Document:
    for key in ("issuer", "year", "title"):
        if options.get(key) not in (None, ""):
            info[key] = options[key]
    title = clean(str(info.get("title") or (h1.text if h1 else "") or path.stem))
    year, date = _date(info.get("date"))
    if info.get("year") not in (None, ""):
        year = _date(info["year"])[0] or year
        if date and date.year != year:
            date = None
    issuer = clean(str(info.get("issuer") or "")) or None
    if info.get("id"):
        key = slug(str(info["id"]))
    elif info.get("doi"):
        key = slug(str(info["doi"]))
    else:
        key = slug(" ".join(str(x) for x in (issuer, year, title) if x)) or slug(path.stem)
    b = DocumentBuilder()
    b.add("Title", title, kind="title", split=False)
    _add_blocks(b, blocks, h1)
    if len(b.passages) < 2:
        raise ParseError(path, "the document has no text besides its title")
    authors = info.get("authors") or []
    if isinstance(authors, str):
        authors = [a for a in (clean(x) for x in re.split(r"[;\n]", authors)) if a]
    doi = clean(str(info.get("doi") or "")).removeprefix("doi:").removeprefix("https://doi.org/") or None
    known = {"title", "issuer", "year", "date", "doi", "pmid", "language", "authors", "id"}
    meta = {k: v for k, v in info.items() if k not in known and v not in (None, "")}
    meta.update(issuer=issuer, format=fmt)
    return b.build(
        uid=f"guideline:{key}",
        kind=SourceKind.GUIDELINE,
        title=title,
        journal=issuer,
        year=year,
        date=date,
        doi=doi,
        pmid=clean(str(info.get("pmid") or "")) or None,
        language=clean(str(info.get("language") or "")) or None,
        authors=list(authors),
        meta=meta,
        source_path=str(path),
    )


def _title_h1(blocks: list[Block]) -> Block | None:
    """The first heading when it is the document's only level-1 heading (its title)."""
    headings = [blk for blk in blocks if blk.kind == "heading"]
    if headings and headings[0].level == 1 and sum(h.level == 1 for h in headings) == 1:
        return headings[0]
    return None


# ---------------------------------------------------------------- Markdown
_ATX = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_HR = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_ITEM = re.compile(r"^(\s*)([-*+•]|(\d+)[.)])\s+(.*)$")
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_FENCE = re.compile(r"^\s{0,3}(```|~~~)")
_MULTILEVEL = re.compile(r"^\s{0,3}\d+(?:\.\d+)+\.?\s+\S")  # "1.2.3 Offer ...": starts a new paragraph
_INLINE = (
    (re.compile(r"!\[([^\]]*)\]\([^)]*\)"), r"\1"),  # image -> alt text
    (re.compile(r"\[\^[^\]]+\]"), ""),  # footnote reference
    (re.compile(r"\[([^\]]+)\]\([^)]*\)"), r"\1"),  # [text](url)
    (re.compile(r"\[([^\]]+)\]\[[^\]]*\]"), r"\1"),  # [text][ref]
    (re.compile(r"<((?:https?|mailto):[^>\s]+)>"), r"\1"),  # autolink
    (re.compile(r"</?[A-Za-z][^>]*>"), ""),  # inline HTML tags
    (re.compile(r"`([^`]+)`"), r"\1"),
    (re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1"), r"\2"),
    (re.compile(r"(?<![\w*])\*(?=\S)(.+?)(?<=\S)\*(?![\w*])"), r"\1"),
    (re.compile(r"(?<!\w)_(?=\S)(.+?)(?<=\S)_(?!\w)"), r"\1"),
    (re.compile(r"~~(.+?)~~"), r"\1"),
)
_ESCAPED = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~<])")  # \* etc.: hidden from the rules above
_HIDDEN = re.compile("[\ue000-\ue07f]")


def plain(markdown: str) -> str:
    """Inline Markdown (emphasis, links, code, images, tags) reduced to plain text."""
    markdown = _ESCAPED.sub(lambda m: chr(0xE000 + ord(m.group(1))), markdown)
    for pattern, repl in _INLINE:
        markdown = pattern.sub(repl, markdown)
    return clean(_HIDDEN.sub(lambda m: chr(ord(m.group(0)) - 0xE000), markdown))


def front_matter(text: str) -> tuple[dict[str, Any], str]:
    """A leading ``---`` block of ``key: value`` lines, and the text after it."""
    lines = text.splitlines()
    if not lines or lines[0].strip() != "---":
        return {}, text
    for end in range(1, len(lines)):
        if lines[end].strip() in ("---", "..."):
            break
    else:
        return {}, text
    info: dict[str, Any] = {}
    for line in lines[1:end]:
        key, sep, value = line.partition(":")
        if sep and key.strip() and not line.startswith((" ", "\t", "#")):
            value = value.strip()
            if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
                value = value[1:-1]
            info[key.strip().lower()] = value
    return info, "\n".join(lines[end + 1 :])


def _markdown(text: str) -> tuple[dict[str, Any], list[Block], Block | None]:
    info, body = front_matter(text)
    blocks: list[Block] = []
    current: Block | None = None  # the open paragraph or list item
    table: list[list[str]] | None = None
    fence: list[str] | None = None
    for raw in body.splitlines():
        if fence is not None:
            if _FENCE.match(raw):
                blocks.append(Block("para", clean("\n".join(fence))))
                fence = None
            else:
                fence.append(raw)
            continue
        line = re.sub(r"^\s{0,3}>\s?", "", raw)  # blockquotes read as plain text
        stripped = line.strip()
        if table is not None and not stripped.startswith("|"):
            blocks.append(Block("table", rows=table))
            table = None
        if _FENCE.match(line):
            current, fence = None, []
        elif not stripped:
            current = None
        elif (m := _ATX.match(line)) is not None:
            current = None
            blocks.append(Block("heading", plain(m.group(2)), len(m.group(1))))
        elif (m := _SETEXT.match(line)) is not None and current is not None and current.kind == "para":
            current.kind, current.level = "heading", 1 if m.group(1)[0] == "=" else 2
            current = None
        elif _HR.match(line):
            current = None
        elif stripped.startswith("|"):
            current = None
            if not _TABLE_SEP.match(stripped):
                table = (table or []) + [[plain(c) for c in stripped.strip("|").split("|")]]
        elif (m := _ITEM.match(line)) is not None:
            number, content = m.group(3), plain(m.group(4))
            if current is not None and current.kind == "item" and len(m.group(1).expandtabs(4)) >= 2:
                current.text = f"{_sentence(current.text)} {content}"  # nested items stay with the parent
            else:
                current = Block("item", f"{number}. {content}" if number else content)
                blocks.append(current)
        elif current is not None and not _MULTILEVEL.match(line):
            current.text = f"{current.text} {plain(line)}"
        else:
            current = Block("para", plain(line))
            blocks.append(current)
    if table is not None:
        blocks.append(Block("table", rows=table))
    if fence:
        blocks.append(Block("para", clean("\n".join(fence))))
    return info, blocks, _title_h1(blocks)


# ---------------------------------------------------------------- HTML
_HEADINGS = {"h1": 1, "h2": 2, "h3": 3, "h4": 4}
_DROP = ("script", "style", "noscript", "template", "nav", "footer", "svg", "form", "button", "iframe")
_LEAF = {"p", "li", "dt", "dd", "pre", "blockquote", "caption", "figcaption", "h5", "h6", "address"}
# fmt: off
_INLINE_TAGS = {
    "a", "abbr", "b", "bdi", "bdo", "cite", "code", "data", "dfn", "em", "i", "kbd", "mark", "q", "s",
    "samp", "small", "span", "strong", "sub", "sup", "time", "u", "var", "del", "ins", "label", "font",
}
_HTML_META = {  # <meta name=...> -> info key
    "citation_title": "title", "dc.title": "title", "citation_publisher": "issuer",
    "dc.publisher": "issuer", "citation_date": "date", "citation_publication_date": "date",
    "dc.date": "date", "citation_doi": "doi", "citation_pmid": "pmid", "citation_language": "language",
    "dc.language": "language", "citation_public_url": "url",
}
# fmt: on


def _html(data: bytes, path: Path) -> tuple[dict[str, Any], list[Block], Block | None]:
    import lxml.html
    from lxml import etree

    parser = lxml.html.HTMLParser(remove_comments=True, remove_pis=True, no_network=True)
    try:
        root: Any = lxml.html.document_fromstring(data, parser=parser)
    except (etree.ParserError, ValueError) as exc:
        raise ParseError(path, f"unreadable HTML: {exc}") from exc
    info: dict[str, Any] = {}
    authors: list[str] = []
    for meta in root.iter("meta"):
        name = (meta.get("name") or meta.get("property") or "").strip().lower()
        content = clean(meta.get("content"))
        if name in ("citation_author", "dc.creator") and content:
            authors.append(content)
        elif name in _HTML_META and content:
            info.setdefault(_HTML_META[name], content)
    if authors:
        info["authors"] = authors
    title_el = root.find(".//title")
    if "title" not in info and title_el is not None and clean(title_el.text_content()):
        info["title"] = clean(title_el.text_content())
    if root.get("lang") and "language" not in info:
        info["language"] = root.get("lang")
    for el in list(root.iter(*_DROP, "head")):
        el.drop_tree()
    blocks: list[Block] = []
    run: list[str] = []

    def flush_run() -> None:
        text = clean("".join(run))
        run.clear()
        if text:
            blocks.append(Block("para", text))

    def visit(el: Any) -> None:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag in _HEADINGS:
            flush_run()
            blocks.append(Block("heading", clean(el.text_content()), _HEADINGS[tag]))
        elif tag == "table":
            flush_run()
            rows = [[c.text_content() for c in tr if c.tag in ("td", "th")] for tr in el.iter("tr")]
            blocks.append(Block("table", rows=rows))
        elif tag in _LEAF:
            flush_run()
            text = clean(el.text_content())
            parent = el.getparent()
            if tag == "li" and parent is not None and parent.tag == "ol" and text:
                start = int(parent.get("start", "1")) if parent.get("start", "1").isdigit() else 1
                text = f"{start + [c for c in parent if c.tag == 'li'].index(el)}. {text}"
            if text:
                blocks.append(Block("item" if tag == "li" else "para", text))
        elif tag in _INLINE_TAGS or tag == "br":
            run.append(" " if tag == "br" else el.text_content())
        else:
            flush_run()
            run.append(el.text or "")
            for child in el:
                visit(child)
                run.append(child.tail or "")
            flush_run()

    visit(root)
    return info, blocks, _title_h1(blocks)


# ---------------------------------------------------------------- PDF
_BULLET = re.compile(r"^[•●▪◦■\-*–]\s+")
_NUM_HEAD = re.compile(r"^(\d+(?:\.\d+){0,3})\.?\s+[A-Z]")
_KNOWN_HEAD = re.compile(  # headings recognised by name alone
    r"^(?:abstract|summary|introduction|background|scope|methods|(?:key )?recommendations|"
    r"discussion|conclusions?|references|acknowledge?ments|contents)$",
    re.IGNORECASE,
)


def _pdf_heading(line: str, nxt: str, in_recs: bool) -> int | None:
    """The heading level of a line that looks like a heading, else None."""
    s = line.strip().rstrip(":")
    if not s or len(s) > 90 or s[-1] in ".,;" or nxt[:1].islower() or len(s.split()) > 8:
        return None
    if _KNOWN_HEAD.match(s):
        return 1
    m = _NUM_HEAD.match(s)
    if m and not in_recs:
        return m.group(1).count(".") + 1
    letters = [c for c in s if c.isalpha()]
    if len(letters) >= 4 and s.upper() == s:
        return 1
    return None


def _pdf(path: Path) -> tuple[dict[str, Any], list[Block], Block | None]:
    from pypdf import PdfReader

    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted and not reader.decrypt(""):
            raise ParseError(path, "the PDF is encrypted")
        pages = [page.extract_text() or "" for page in reader.pages]
        meta = reader.metadata
        info: dict[str, Any] = {"pages": len(pages)}
        if meta is not None:
            info.update({k: clean(v) for k, v in (("title", meta.title), ("pdf_author", meta.author)) if v})
    except ParseError:
        raise
    except Exception as exc:  # pypdf raises many kinds of errors on damaged files
        raise ParseError(path, f"unreadable PDF: {exc.__class__.__name__}: {exc}") from exc
    info.setdefault("issuer", info.get("pdf_author"))
    if "title" not in info:
        first = next((clean(x) for p in pages for x in p.splitlines() if clean(x)), "")
        if 0 < len(first) <= 150:
            info["title"] = first
    per_page: list[list[Block]] = []
    found_heading = False
    rec_level: int | None = None  # level of the open "Recommendations" heading
    for text in pages:
        lines = [clean(x) for x in text.splitlines()]
        blocks: list[Block] = []
        for i, line in enumerate(lines):
            if not line or line == info.get("title"):
                continue
            level = _pdf_heading(line, lines[i + 1] if i + 1 < len(lines) else "", rec_level is not None)
            if level:
                found_heading = True
                if _REC_HEADING.search(line):
                    rec_level = level
                elif rec_level is not None and level <= rec_level:
                    rec_level = None
                blocks.append(Block("heading", line.rstrip(":"), level))
            elif _BULLET.match(line) or _NUMBERED.match(line):
                blocks.append(Block("item", _BULLET.sub("", line)))
            elif blocks and blocks[-1].kind in ("para", "item"):
                prev = blocks[-1]
                if prev.text.endswith("-") and line[:1].islower():
                    prev.text = prev.text[:-1] + line
                else:
                    prev.text = f"{prev.text} {line}"
            else:
                blocks.append(Block("para", line))
        per_page.append(blocks)
    if found_heading:
        return info, [b for page in per_page for b in page], None
    flat = [blk for n, page in enumerate(per_page, 1) for blk in [Block("heading", f"Page {n}", 1), *page]]
    return info, flat, None
