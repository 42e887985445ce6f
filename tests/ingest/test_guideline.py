"""Guideline documents: Markdown with front matter, HTML and PDF (generated here)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from medref.errors import ParseError
from medref.ingest import guideline
from medref.ingest.registry import get_parser
from medref.models import Document, SourceKind


def _doc(path: Path, **options: object) -> Document:
    (doc,) = list(guideline.parse(path, **options))
    assert isinstance(doc, Document)
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
    assert doc.passages[0].kind == "title" and doc.passages[0].text == doc.title
    return doc


def _esc(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(pages: list[list[str]], info: dict[str, str] | None = None) -> bytes:
    """A minimal valid PDF: one Helvetica text object per page, one line per entry."""
    objs: dict[int, str] = {
        1: "<< /Type /Catalog /Pages 2 0 R >>",
        3: "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>",
    }
    page_ids = [4 + 2 * i for i in range(len(pages))]
    objs[2] = f"<< /Type /Pages /Kids [{' '.join(f'{i} 0 R' for i in page_ids)}] /Count {len(pages)} >>"
    for pid, lines in zip(page_ids, pages, strict=True):
        ops = "BT /F1 11 Tf 14 TL 72 740 Td " + " ".join(f"({_esc(x)}) Tj T*" for x in lines) + " ET"
        objs[pid] = (
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
            f"/Resources << /Font << /F1 3 0 R >> >> /Contents {pid + 1} 0 R >>"
        )
        objs[pid + 1] = f"<< /Length {len(ops.encode('latin-1'))} >>\nstream\n{ops}\nendstream"
    info_ref = ""
    if info:
        info_id = max(objs) + 1
        objs[info_id] = "<< " + " ".join(f"/{k} ({_esc(v)})" for k, v in info.items()) + " >>"
        info_ref = f" /Info {info_id} 0 R"
    out = bytearray(b"%PDF-1.4\n")
    offsets: dict[int, int] = {}
    for i in sorted(objs):
        offsets[i] = len(out)
        out += f"{i} 0 obj\n{objs[i]}\nendobj\n".encode("latin-1")
    xref, size = len(out), max(objs) + 1
    out += f"xref\n0 {size}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offsets[i]:010d} 00000 n \n" for i in range(1, size)).encode()
    out += f"trailer\n<< /Size {size} /Root 1 0 R{info_ref} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


# ---------------------------------------------------------------- Markdown
def test_markdown_front_matter_and_sections(fixtures: Path) -> None:
    path = fixtures / "guideline" / "itch-guideline.md"
    doc = _doc(path)
    front, _ = guideline.front_matter(path.read_text())
    assert doc.kind is SourceKind.GUIDELINE
    assert doc.title == front["title"] == "Managing Chronic Itch in Adults: An Example Guideline"
    assert doc.journal == front["issuer"] and doc.meta["issuer"] == front["issuer"]
    assert doc.year == int(front["year"]) and doc.date == dt.date.fromisoformat(front["date"])
    assert doc.doi == front["doi"] and doc.uid == f"guideline:{guideline.slug(front['doi'])}"
    assert doc.uid == "guideline:10-9999-example-itch-2024"
    assert doc.language == "en" and doc.authors == ["A. Writer", "B. Reviewer"]
    assert doc.meta["url"] == front["url"] and doc.meta["format"] == "md"
    assert doc.url == f"https://doi.org/{front['doi']}"
    sections = [p.section for p in doc.passages]
    # the single H1 is the title, so it is not a parent of every section
    assert sections == [
        "Title", "Overview", "Scope", "Recommendations", "Recommendations", "Recommendations",
        "Recommendations", "Recommendations > Referral", "Dosing table", "Setext heading checks",
    ]  # fmt: skip
    recs = [p.text for p in doc.passages if p.section == "Recommendations"]
    assert recs[0] == "Each statement below is numbered."
    assert recs[1] == "1. Offer emollients to all adults with chronic itch."
    assert (
        recs[2]
        == "2. Consider a short trial of an oral antihistamine when itch disturbs sleep. Review after two weeks"
    )
    assert recs[3] == "3. Do not use topical anaesthetics for longer than four weeks."
    scope = doc.passages[2].text
    assert scope.endswith(
        "See the full methods for details. Outpatient care. Primary and specialist settings."
    )
    for marker in ("**", "](", "`", "# ", "|---", "_not_"):
        assert marker not in doc.text
    table = doc.passages[8]
    assert table.kind == "table" and table.table is not None
    assert table.table[0] == ["Treatment", "Usual adult dose"] and table.table[2][1] == "10 mg once daily"


def test_markdown_options_override_and_uid_fallbacks(tmp_path: Path) -> None:
    path = tmp_path / "plain.md"
    path.write_text("# Heading One\n\nSome text.\n\n# Heading Two\n\nMore text.\n")
    doc = _doc(path)
    assert doc.title == "plain" and doc.journal is None and doc.year is None  # no metadata at all
    assert [p.section for p in doc.passages] == ["Title", "Heading One", "Heading Two"]  # two H1s
    assert doc.uid == "guideline:plain"
    doc = _doc(path, issuer="ACME Society", year=2024, title="Fever Advice")
    assert (doc.journal, doc.year, doc.title) == ("ACME Society", 2024, "Fever Advice")
    assert doc.uid == "guideline:acme-society-2024-fever-advice"
    path.write_text("---\nid: ACME/Fever 2024\nissuer: Front Issuer\nyear: 2019\n---\nBody text here.\n")
    doc = _doc(path, issuer="Option Issuer")
    assert doc.uid == "guideline:acme-fever-2024" and doc.journal == "Option Issuer" and doc.year == 2019
    assert [p.section for p in doc.passages] == ["Title", "Overview"]


def test_markdown_blocks_quotes_fences_and_numbered_statements(tmp_path: Path) -> None:
    path = tmp_path / "edge.md"
    path.write_text(
        "Intro line before any heading\n> quoted advice line\n\n"
        "## Key Recommendations\n\n"
        "1.1.1 Measure blood pressure in both arms.\n1.1.2 Repeat the reading\nif it is high.\n\n***\n\n"
        "```text\nkept = *as is*\n```\n\n| A | B |\n|---|---|\n| 1 | 2 |\n"
    )
    doc = _doc(path)
    assert [(p.section, p.text) for p in doc.passages[1:]] == [
        ("Overview", "Intro line before any heading quoted advice line"),
        ("Key Recommendations", "1.1.1 Measure blood pressure in both arms."),
        ("Key Recommendations", "1.1.2 Repeat the reading if it is high."),
        ("Key Recommendations", "kept = *as is*"),
        ("Key Recommendations", "A | B\n1 | 2"),
    ]
    assert doc.title == "edge"


def test_plain_reduces_inline_markdown() -> None:
    text = (
        '**Bold** and *it* and _em_ plus `code`, [a link](http://x.org "t") ![img](p.png) ~~old~~ \\*star\\*'
    )
    assert guideline.plain(text) == "Bold and it and em plus code, a link img old *star*"
    assert guideline.plain("snake_case_name stays 2*3*4") == "snake_case_name stays 2*3*4"


# ---------------------------------------------------------------- HTML
def test_html_meta_sections_and_dropped_parts(fixtures: Path) -> None:
    doc = _doc(fixtures / "guideline" / "itch-guideline.html")
    assert doc.title == "Sleep Hygiene for Adults: Example Recommendations"  # citation_title wins
    assert doc.journal == "Example Council on Sleep"
    assert doc.year == 2023 and doc.date == dt.date(2023, 9, 12)
    assert doc.language == "en" and doc.authors == ["C. Author"]
    assert (
        doc.uid == "guideline:example-council-on-sleep-2023-sleep-hygiene-for-adults-example-recommendations"
    )
    for hidden in ("tracking", "never shown", "font-family", "All guidelines", "Copyright"):
        assert hidden not in doc.text
    assert [(p.section, p.text) for p in doc.passages[1:5]] == [
        ("Overview", "This invented page exists only to test the HTML reader."),
        ("Background", "Poor sleep is common. Simple habits may help."),
        ("Recommendations", "1. Keep a regular wake-up time every day."),
        ("Recommendations", "2. Avoid caffeine after midday."),
    ]
    assert doc.passages[5].section == "Recommendations > Medicines"
    assert doc.passages[6].kind == "table" and doc.passages[6].table == [
        ["Item", "Amount"],
        ["Example melatonin", "2 mg at night"],
    ]


def test_html_title_tag_fallback(tmp_path: Path) -> None:
    path = tmp_path / "page.htm"
    path.write_text("<html><head><title>Fallback Title</title></head><body><p>Only text.</p></body></html>")
    doc = _doc(path, year="2021")
    assert doc.title == "Fallback Title" and doc.year == 2021 and doc.meta["format"] == "htm"


# ---------------------------------------------------------------- PDF
def test_pdf_with_headings_and_metadata(tmp_path: Path) -> None:
    path = tmp_path / "kidney.pdf"
    path.write_bytes(make_pdf(
        [
            ["Example Kidney Guideline", "1. Introduction", "This invented text (for tests) explains the",
             "scope of the docu-", "ment.", "2. Treatment choices", "Most people need no medicine."],
            ["RECOMMENDATIONS", "1. Offer fluids to adults with kidney stones.",
             "2. Consider an example tablet at 5 mg", "daily for six months.", "REFERENCES", "None."],
        ],
        {"Title": "Example Kidney Guideline", "Author": "Example Renal Group"},
    ))  # fmt: skip
    doc = _doc(path)
    assert doc.title == "Example Kidney Guideline" and doc.journal == "Example Renal Group"
    assert doc.meta["pages"] == 2 and doc.meta["format"] == "pdf"
    assert [(p.section, p.text) for p in doc.passages[1:]] == [
        ("1. Introduction", "This invented text (for tests) explains the scope of the document."),
        ("2. Treatment choices", "Most people need no medicine."),
        ("RECOMMENDATIONS", "1. Offer fluids to adults with kidney stones."),
        ("RECOMMENDATIONS", "2. Consider an example tablet at 5 mg daily for six months."),
        ("REFERENCES", "None."),
    ]
    doc = _doc(path, issuer="Override Issuer", title="Other Title")
    assert doc.journal == "Override Issuer" and doc.title == "Other Title"


def test_pdf_without_headings_is_chunked_by_page(tmp_path: Path) -> None:
    path = tmp_path / "pages.pdf"
    path.write_bytes(make_pdf([["first page text", "continues here."], ["second page text."]]))
    doc = _doc(path)
    assert doc.title == "first page text"  # no /Title: the first line
    assert [(p.section, p.text) for p in doc.passages[1:]] == [
        ("Page 1", "continues here."),
        ("Page 2", "second page text."),
    ]


# ---------------------------------------------------------------- errors, sniffing, registry
@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("empty.md", b"  \n", "empty"),
        ("broken.pdf", b"%PDF-1.4\nthis is not really a pdf", "unreadable PDF"),
        ("notes.pdf", b"plain words, no PDF here", "unreadable PDF"),
        ("front-only.md", b"---\ntitle: Only Front Matter\n---\n\n# Only Front Matter\n", "no text"),
        ("latin.md", "caf\xe9 notes".encode("latin-1"), "UTF-8"),
        ("empty.html", b"<html><body><script>x()</script></body></html>", "no text"),
    ],
)
def test_errors_name_the_file(tmp_path: Path, name: str, content: bytes, reason: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(ParseError) as info:
        list(guideline.parse(path))
    assert str(path) in str(info.value) and reason in info.value.reason


def test_blank_pdf_has_no_text(tmp_path: Path) -> None:
    path = tmp_path / "blank.pdf"
    path.write_bytes(make_pdf([[]]))
    with pytest.raises(ParseError, match="no text"):
        list(guideline.parse(path))


def test_sniff_and_registry() -> None:
    assert guideline.sniff(b"---\ntitle: x\n---", Path("a.md"))
    assert guideline.sniff(b"<html>", Path("a.HTML"))
    assert guideline.sniff(b"%PDF-1.7", Path("download"))
    assert not guideline.sniff(b'{"studies": []}', Path("a.json"))
    assert get_parser("guideline").parse is guideline.parse
