"""safexml: entity bombs and external entities refused, gzip, streaming frees memory, errors."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest
from lxml import etree

from medref.errors import ParseError, UnsafeXMLError
from medref.ingest import safexml

PAD = "<!--" + "padding " * 10_000 + "-->\n"  # pushes a DOCTYPE past the 64 KiB prolog scan


@pytest.fixture
def pm(fixtures: Path) -> Path:
    return fixtures / "pubmed"


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _records(n: int) -> str:
    body = "".join(f"<Rec><Id>{i}</Id><T>text <i>in</i> record {i}</T></Rec>\n" for i in range(n))
    return f"<Set>\n{body}</Set>\n"


def _passwd_lines() -> list[str]:
    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        return []
    return [line for line in passwd.read_text(errors="replace").splitlines() if line.strip()][:3]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml"])
def test_fixtures_refused_by_both_entry_points(pm: Path, name: str) -> None:
    with pytest.raises(UnsafeXMLError, match="declares entities"):
        safexml.parse_tree(pm / name)
    with pytest.raises(UnsafeXMLError, match="declares entities"):
        list(safexml.iterparse(pm / name, "PubmedArticle"))


@pytest.mark.timeout(10)
def test_entity_declarations_past_the_prolog_scan_are_still_refused(tmp_path: Path) -> None:
    bomb = _write(
        tmp_path,
        "padded_bomb.xml",
        '<?xml version="1.0"?>\n'
        + PAD
        + '<!DOCTYPE Set [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>'
        + "<Set><Rec>&b;</Rec></Set>",
    )
    xxe = _write(
        tmp_path,
        "padded_xxe.xml",
        '<?xml version="1.0"?>\n'
        + PAD
        + '<!DOCTYPE Set [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><Set><Rec>&xxe;</Rec></Set>',
    )
    for path in (bomb, xxe):
        seen: list[str] = []
        with pytest.raises(UnsafeXMLError) as info:
            seen.extend(safexml.text_of(e) for e in safexml.iterparse(path, "Rec"))
        assert seen == []  # refused before any element reached the caller
        for line in _passwd_lines():
            assert line not in str(info.value)
        with pytest.raises(UnsafeXMLError):
            safexml.parse_tree(path)


def test_external_dtd_refused_but_nlm_dtd_accepted(pm: Path, tmp_path: Path) -> None:
    local = _write(
        tmp_path, "local_dtd.xml", '<!DOCTYPE Set SYSTEM "file:///etc/passwd"><Set><Rec>x</Rec></Set>'
    )
    with pytest.raises(UnsafeXMLError, match="external DTD"):
        list(safexml.iterparse(local, "Rec"))
    with pytest.raises(UnsafeXMLError, match="external DTD"):
        safexml.parse_tree(local)
    # articles.xml names NLM's PubMed DTD: harmless, never fetched
    assert len(list(safexml.iterparse(pm / "articles.xml", "PubmedArticle"))) == 3
    assert safexml.parse_tree(pm / "articles.xml").tag == "PubmedArticleSet"


def test_gzip_is_read_transparently(tmp_path: Path) -> None:
    text = _records(50)
    plain = _write(tmp_path, "r.xml", text)
    gz = tmp_path / "r.xml.gz"
    gz.write_bytes(gzip.compress(text.encode()))
    disguised = tmp_path / "r_gz_without_suffix.xml"  # detected by magic bytes, not the name
    disguised.write_bytes(gz.read_bytes())
    expected = [safexml.text_of(e.find("T")) for e in safexml.iterparse(plain, "Rec")]
    assert expected[7] == "text in record 7"
    for path in (gz, disguised):
        assert [safexml.text_of(e.find("T")) for e in safexml.iterparse(path, "Rec")] == expected
        assert len(safexml.parse_tree(path)) == 50


def test_truncated_gzip_is_a_parse_error(tmp_path: Path) -> None:
    data = gzip.compress(_records(20_000).encode())
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="truncated or corrupt"):
        list(safexml.iterparse(cut, "Rec"))
    with pytest.raises(ParseError, match="truncated or corrupt"):
        safexml.parse_tree(cut)


def test_iterparse_frees_what_it_has_yielded(tmp_path: Path) -> None:
    path = _write(tmp_path, "many.xml", _records(20_000))
    most_siblings = 0
    previous: etree._Element | None = None
    count = 0
    for elem in safexml.iterparse(path, ("Rec",)):
        assert elem.findtext("Id") == str(count)  # complete when handed out
        if previous is not None:
            assert len(previous) == 0  # the earlier record was cleared
        parent = elem.getparent()
        assert parent is not None
        most_siblings = max(most_siblings, len(parent))
        previous = elem
        count += 1
    assert count == 20_000
    assert most_siblings < 2_000  # only what the parser read ahead (one input chunk), not 20,000


def test_malformed_and_empty(tmp_path: Path) -> None:
    bad = _write(tmp_path, "bad.xml", "<Set>\n<Rec>\n<T>open\n</Rec>\n</Set>\n")
    with pytest.raises(ParseError, match=r"malformed XML: .*line \d+"):
        list(safexml.iterparse(bad, "Rec"))
    with pytest.raises(ParseError, match="malformed XML"):
        safexml.parse_tree(bad)
    empty = _write(tmp_path, "empty.xml", " \n")
    with pytest.raises(ParseError, match="empty"):
        list(safexml.iterparse(empty, "Rec"))
    with pytest.raises(ParseError, match="empty"):
        safexml.parse_tree(empty)


def test_text_of_keeps_inline_markup_text() -> None:
    elem = etree.fromstring("<T>Dose of 10<sup>9</sup> cells in <i>E. coli</i> <b>cultures</b>.</T>")
    assert safexml.text_of(elem) == "Dose of 109 cells in E. coli cultures."
    assert safexml.text_of(None) == ""
