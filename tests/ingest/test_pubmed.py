"""PubMed / MEDLINE XML parser: fields, passages, deletions, errors, unsafe XML, flat memory."""

from __future__ import annotations

import datetime as dt
import gzip
import re
import shutil
import tracemalloc
from pathlib import Path

import pytest
from lxml import etree

from medref.errors import ParseError, UnsafeXMLError
from medref.ingest import pubmed
from medref.ingest.registry import detect_format, read_head
from medref.models import Deletion, Document, DocumentRef, EvidenceLevel, SourceKind


@pytest.fixture
def pm(fixtures: Path) -> Path:
    return fixtures / "pubmed"


def _docs(path: Path) -> dict[str, Document]:
    out: dict[str, Document] = {}
    for item in pubmed.parse(path):
        assert isinstance(item, Document)
        out[item.pmid or ""] = item
    return out


def _article_set(*articles: str) -> str:
    return "<?xml version='1.0'?>\n<PubmedArticleSet>" + "".join(articles) + "</PubmedArticleSet>\n"


def _article(pmid: str, inner: str) -> str:
    """A minimal PubmedArticle whose Article element holds ``inner``."""
    return (
        f"<PubmedArticle><MedlineCitation><PMID Version='1'>{pmid}</PMID>"
        f"<Article>{inner}</Article></MedlineCitation></PubmedArticle>"
    )


def _write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _assert_offsets(doc: Document) -> None:
    assert doc.passages, doc.uid
    assert [p.ordinal for p in doc.passages] == list(range(len(doc.passages)))
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text
        assert p.text == p.text.strip() and "  " not in p.text


# ------------------------------------------------------------------ fields and passages
def test_structured_rct_article(pm: Path) -> None:
    doc = _docs(pm / "articles.xml")["31000001"]
    assert doc.uid == "pmid:31000001"
    assert doc.kind is SourceKind.RCT
    assert doc.evidence_level is EvidenceLevel.RANDOMISED
    # inline <i> text is kept, no markup left
    assert doc.title == (
        "Two-week bismuth quadruple therapy versus triple therapy for Helicobacter pylori: a randomised trial."
    )
    assert doc.journal == "Journal of Imaginary Gastroenterology"
    assert doc.year == 2019
    assert doc.date == dt.date(2019, 3, 14)  # PubDate, not the electronic ArticleDate
    assert doc.authors == [
        "Okafor AN",
        "Lindqvist P",
        "Northern Eradication Study Group",
    ]  # ValidYN="N" dropped
    assert doc.doi == "10.5555/jig.2019.0301"
    assert doc.publication_types == ["Journal Article", "Randomized Controlled Trial", "Multicenter Study"]
    assert doc.mesh_terms == ["Helicobacter Infections", "Bismuth", "Humans"]
    assert doc.meta["mesh_major"] == [
        "Helicobacter Infections",
        "Bismuth",
    ]  # major via qualifier or descriptor
    assert doc.language == "eng"
    assert doc.source_path == str(pm / "articles.xml")

    assert [p.section for p in doc.passages] == ["Title", "BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert [p.kind for p in doc.passages] == ["title", "text", "text", "text", "text"]
    assert doc.passages[0].text == doc.title
    methods = doc.passages[2]
    assert methods.text.startswith(
        "We randomly assigned 420 adults with confirmed H. pylori infection to 14 days"
    )
    assert methods.text.endswith("urea breath test at week 6.")
    assert "<i>" not in doc.text and "invented for the medref test suite" not in doc.text  # no copyright line
    _assert_offsets(doc)


def test_unstructured_review_article(pm: Path) -> None:
    doc = _docs(pm / "articles.xml")["31000002"]
    assert doc.kind is SourceKind.NARRATIVE_REVIEW
    assert doc.journal == "Rev Invent Cardiol"  # no Journal/Title: ISOAbbreviation
    assert (doc.year, doc.date) == (2020, dt.date(2020, 7, 1))  # numeric month, no day
    assert doc.authors == ["Moreau JL"]  # initials made from the hyphenated ForeName
    assert doc.doi is None
    assert doc.language == "eng"  # the first Language
    assert [(p.section, p.kind) for p in doc.passages] == [("Title", "title"), ("Abstract", "text")]
    assert (
        "implanted. Vitamin K antagonists have long been the usual choice" in doc.passages[1].text
    )  # <b> kept
    assert doc.meta == {}  # no major MeSH topics to record
    _assert_offsets(doc)


def test_medline_date_elocation_doi_and_title_only(pm: Path) -> None:
    doc = _docs(pm / "articles.xml")["9900003"]
    assert doc.year == 1998  # "1998 Dec-1999 Jan": the first year
    assert doc.date == dt.date(1998, 12, 1)
    assert doc.doi == "10.5555/amn.1998.12"  # ELocationID, never the reference list's DOI
    assert doc.kind is SourceKind.OTHER
    assert doc.title == "Serum potassium during long-term ACE inhibitor use in older adults."
    assert len(doc.passages) == 1 and doc.passages[0].section == "Title"
    assert doc.text == doc.title
    _assert_offsets(doc)


def test_file_order_and_count(pm: Path) -> None:
    items = list(pubmed.parse(pm / "articles.xml"))
    assert [i.uid for i in items] == ["pmid:31000001", "pmid:31000002", "pmid:9900003"]


def test_gzip_gives_the_same_documents(pm: Path, tmp_path: Path) -> None:
    gz = tmp_path / "articles.xml.gz"
    with (pm / "articles.xml").open("rb") as src, gzip.open(gz, "wb") as dst:
        shutil.copyfileobj(src, dst)
    plain = [d.model_dump(exclude={"source_path"}) for d in pubmed.parse(pm / "articles.xml")]
    zipped = list(pubmed.parse(gz))
    assert [d.model_dump(exclude={"source_path"}) for d in zipped] == plain
    assert {d.source_path for d in zipped} == {str(gz)}
    assert pubmed.sniff(read_head(gz), gz)
    assert detect_format(gz) == "pubmed"


def test_sniff(pm: Path) -> None:
    assert pubmed.sniff((pm / "articles.xml").read_bytes()[:4096], pm / "articles.xml")
    assert pubmed.sniff((pm / "medline_citation_set.xml").read_bytes(), pm / "x.xml")
    assert detect_format(pm / "update.xml") == "pubmed"
    assert not pubmed.sniff(b'{"studies": [{"protocolSection": {}}]}', Path("x.json"))
    assert not pubmed.sniff(b'<?xml version="1.0"?><document xmlns="urn:hl7-org:v3">', Path("x.xml"))


def test_update_file_yields_deletions(pm: Path) -> None:
    items = list(pubmed.parse(pm / "update.xml"))
    assert [type(i).__name__ for i in items] == ["Document", "Deletion", "Deletion"]
    doc = items[0]
    assert isinstance(doc, Document)
    assert doc.title.endswith("an updated overview.") and doc.journal == "Reviews in Invented Cardiology"
    deletions = [i for i in items if isinstance(i, Deletion)]
    assert [d.uid for d in deletions] == ["pmid:31000001", "pmid:9900003"]
    assert {d.source_path for d in deletions} == {str(pm / "update.xml")}


def test_medline_citation_set(pm: Path) -> None:
    items = list(pubmed.parse(pm / "medline_citation_set.xml"))
    assert [i.uid for i in items] == ["pmid:8800004", "pmid:8800001"]
    doc, deletion = items
    assert isinstance(doc, Document) and isinstance(deletion, Deletion)
    assert doc.kind is SourceKind.OBSERVATIONAL
    assert (doc.year, doc.date) == (1996, None)  # a Season is no month
    assert [p.section for p in doc.passages] == ["Title", "Abstract"]
    _assert_offsets(doc)


def test_edge_articles(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        "edge.xml",
        _article_set(
            # abstract but no title: a placeholder title, no title passage
            _article(
                "1001", "<ArticleTitle/><Abstract><AbstractText>Only an abstract.</AbstractText></Abstract>"
            ),
            # only a vernacular title; an UNLABELLED part counts as plain abstract
            _article(
                "1002",
                "<ArticleTitle></ArticleTitle><VernacularTitle>Titre en langue originale.</VernacularTitle>"
                "<Abstract><AbstractText Label='UNLABELLED'>Plain text.</AbstractText>"
                "<AbstractText Label='Purpose'>Labels keep their case.</AbstractText></Abstract>"
                "<ELocationID EIdType='doi' ValidYN='Y'>https://doi.org/10.7777/ABC.1</ELocationID>",
            ),
            # a book record is not a journal article: skipped without error
            "<PubmedBookArticle><BookDocument><PMID>1003</PMID></BookDocument></PubmedBookArticle>",
            _article(
                "1004", "<ArticleTitle>Sup and sub: 10<sup>9</sup> cells, HbA<sub>1c</sub>.</ArticleTitle>"
            ),
        ),
    )
    docs = _docs(path)
    assert list(docs) == ["1001", "1002", "1004"]
    assert docs["1001"].title == pubmed.NO_TITLE
    assert [p.section for p in docs["1001"].passages] == ["Abstract"]
    assert docs["1002"].title == "Titre en langue originale."
    assert [p.section for p in docs["1002"].passages] == ["Title", "Abstract", "Purpose"]
    assert docs["1002"].doi == "10.7777/ABC.1"
    assert docs["1004"].title == "Sup and sub: 109 cells, HbA1c."
    for doc in docs.values():
        _assert_offsets(doc)


def test_long_abstract_is_chunked_with_its_label(tmp_path: Path) -> None:
    sentence = "Serum creatinine rose modestly in the treated group during the first month. "
    path = _write(
        tmp_path,
        "long.xml",
        _article_set(
            _article(
                "2001",
                f"<ArticleTitle>Long.</ArticleTitle><Abstract>"
                f"<AbstractText Label='RESULTS'>{sentence * 40}</AbstractText></Abstract>",
            )
        ),
    )
    doc = _docs(path)["2001"]
    assert len(doc.passages) > 2
    assert {p.section for p in doc.passages[1:]} == {"RESULTS"}
    _assert_offsets(doc)


def _pub_date_of(xml: str) -> tuple[int | None, dt.date | None]:
    return pubmed._pub_date(etree.fromstring(xml))


@pytest.mark.parametrize(
    ("xml", "expected"),
    [
        ("<PubDate><MedlineDate>1998 Dec-1999 Jan</MedlineDate></PubDate>", (1998, dt.date(1998, 12, 1))),
        ("<PubDate><MedlineDate>2001 Spring</MedlineDate></PubDate>", (2001, None)),
        ("<PubDate><MedlineDate>1975-1976</MedlineDate></PubDate>", (1975, None)),
        ("<PubDate><MedlineDate>Winter 1999-2000</MedlineDate></PubDate>", (1999, None)),
        ("<PubDate><MedlineDate>undated</MedlineDate></PubDate>", (None, None)),
        (
            "<PubDate><Year>2010</Year><Month>September</Month><Day>7</Day></PubDate>",
            (2010, dt.date(2010, 9, 7)),
        ),
        ("<PubDate><Year>2010</Year><Month>9</Month></PubDate>", (2010, dt.date(2010, 9, 1))),
        ("<PubDate><Year>2011</Year><Month>Feb</Month><Day>30</Day></PubDate>", (2011, dt.date(2011, 2, 1))),
        ("<PubDate><Year>2012</Year><Season>Summer</Season></PubDate>", (2012, None)),
        ("<PubDate><Year>2013</Year><Month>13</Month></PubDate>", (2013, None)),
        ("<PubDate></PubDate>", (None, None)),
    ],
)
def test_pub_dates(xml: str, expected: tuple[int | None, dt.date | None]) -> None:
    assert _pub_date_of(xml) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("10.1000/xyz.123", "10.1000/xyz.123"),
        (" doi: 10.1000/XYZ ", "10.1000/XYZ"),
        ("http://dx.doi.org/10.1000/a(b)c", "10.1000/a(b)c"),
        ("S0140-6736(20)30000-1", None),  # a publisher item id, not a DOI
        (None, None),
    ],
)
def test_doi_normalisation(raw: str | None, expected: str | None) -> None:
    assert pubmed._doi(raw) == expected


# ------------------------------------------------------------------ errors
def test_malformed_xml_names_file_and_line(pm: Path) -> None:
    with pytest.raises(ParseError) as info:
        list(pubmed.parse(pm / "malformed.xml"))
    assert info.value.path == str(pm / "malformed.xml")
    assert "malformed XML" in info.value.reason
    assert re.search(r"line \d+", str(info.value))


def test_article_without_pmid_names_its_position(pm: Path) -> None:
    items = pubmed.parse(pm / "missing_pmid.xml")
    first = next(items)
    assert first.uid == "pmid:31000020"
    with pytest.raises(ParseError) as info:
        next(items)
    assert info.value.record == "article #2"
    assert "no PMID" in info.value.reason
    assert "missing_pmid.xml: record article #2" in str(info.value)


def test_article_without_title_or_abstract(pm: Path) -> None:
    with pytest.raises(ParseError) as info:
        list(pubmed.parse(pm / "no_text.xml"))
    assert info.value.record is not None and "31000030" in info.value.record
    assert "neither a title nor an abstract" in info.value.reason


def test_empty_file(pm: Path, tmp_path: Path) -> None:
    with pytest.raises(ParseError, match="empty"):
        list(pubmed.parse(pm / "empty.xml"))
    with pytest.raises(ParseError, match="empty"):
        list(pubmed.parse(_write(tmp_path, "blank.xml", "  \n\n ")))


def test_truncated_gzip_is_a_parse_error(pm: Path, tmp_path: Path) -> None:
    body = _article_set(
        *(_article(str(5000 + i), f"<ArticleTitle>Record {i}.</ArticleTitle>") for i in range(3000))
    )
    data = gzip.compress(body.encode())
    gz = tmp_path / "cut.xml.gz"
    gz.write_bytes(data[: len(data) // 2])
    with pytest.raises(ParseError, match="truncated or corrupt"):
        list(pubmed.parse(gz))


# ------------------------------------------------------------------ unsafe XML
def _passwd_lines() -> list[str]:
    passwd = Path("/etc/passwd")
    if not passwd.is_file():
        return []
    return [line for line in passwd.read_text(errors="replace").splitlines() if line.strip()][:3]


@pytest.mark.timeout(10)
@pytest.mark.parametrize("name", ["billion_laughs.xml", "xxe.xml"])
def test_entity_tricks_are_refused(pm: Path, name: str) -> None:
    produced: list[object] = []
    with pytest.raises(UnsafeXMLError) as info:
        produced.extend(pubmed.parse(pm / name))
    assert produced == []
    assert "refused" in str(info.value) and info.value.path == str(pm / name)
    for line in _passwd_lines():
        assert line not in str(info.value)
    assert "hahaha" not in str(info.value)


# ------------------------------------------------------------------ memory
def _big_file(pm: Path, tmp_path: Path, target_bytes: int) -> tuple[Path, int]:
    source = (pm / "articles.xml").read_text(encoding="utf-8")
    match = re.search(r"<PubmedArticle>.*?</PubmedArticle>", source, re.S)
    assert match is not None
    record = match.group(0)
    path = tmp_path / "big.xml"
    count = 0
    with path.open("w", encoding="utf-8") as fh:
        fh.write('<?xml version="1.0"?>\n<PubmedArticleSet>\n')
        written = 0
        while written < target_bytes:
            chunk = record.replace("31000001", str(50_000_000 + count))
            fh.write(chunk)
            written += len(chunk)
            count += 1
        fh.write("</PubmedArticleSet>\n")
    return path, count


def test_memory_stays_flat_on_a_20mb_file(pm: Path, tmp_path: Path) -> None:
    path, count = _big_file(pm, tmp_path, 20_000_000)
    assert path.stat().st_size > 19_000_000
    psutil = pytest.importorskip("psutil")
    process = psutil.Process()
    rss_before = process.memory_info().rss
    rss_peak = rss_before
    seen = 0
    last_uid = ""
    tracemalloc.start()
    try:
        for item in pubmed.parse(path):
            seen += 1
            last_uid = item.uid
            if seen % 500 == 0:
                rss_peak = max(rss_peak, process.memory_info().rss)
        _current, traced_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert seen == count and last_uid == f"pmid:{50_000_000 + count - 1}"
    # Python-side allocations (what tracemalloc sees) stay small ...
    assert traced_peak < 30 * 1024 * 1024
    # ... and so does the libxml2 tree (not visible to tracemalloc): an uncleared tree of this
    # file would add well over 100 MB of resident memory.
    assert rss_peak - rss_before < 60 * 1024 * 1024


# ------------------------------------------------------------------ publication notices
def test_retracted_article_carries_flags_and_the_notice_link(pm: Path) -> None:
    doc = _docs(pm / "notices.xml")["31000101"]
    # RetractionIn and the publication type agree; ErratumIn adds its own flag; CommentIn is no notice
    assert doc.meta["flags"] == ["erratum", "retracted"]
    assert doc.meta["notices"] == [
        {
            "flag": "erratum",
            "ref_type": "ErratumIn",
            "pmid": None,
            "source": "J Imag Cardiol. 2020 Aug;8(5):120",
        },
        {
            "flag": "retracted",
            "ref_type": "RetractionIn",
            "pmid": "31000102",
            "source": "J Imag Cardiol. 2021 Jan;9(1):3",
        },
    ]  # the repeated RetractionIn link is kept once
    ref = DocumentRef.of(doc)
    assert ref.retracted and ref.flags == ["erratum", "retracted"]
    assert doc.kind is SourceKind.RCT  # the flag does not change what kind of study it is


def test_notice_records_are_flagged_as_notices(pm: Path) -> None:
    docs = _docs(pm / "notices.xml")
    notice = docs["31000102"]
    assert notice.meta["flags"] == ["retraction_notice"]
    assert notice.meta["notices"][0] == {
        "flag": "retraction_notice",
        "ref_type": "RetractionOf",
        "pmid": "31000101",
        "source": "Okafor AN. J Imag Cardiol. 2020 May;8(3):44-51",
    }
    assert DocumentRef.of(notice).retracted  # a retraction notice is never evidence either
    assert docs["31000104"].meta["flags"] == ["expression_of_concern"]  # type and ...For link
    assert docs["31000107"].meta["flags"] == ["erratum"]  # "Published Erratum" and ErratumFor
    assert docs["31000107"].meta["notices"][0]["pmid"] is None


def test_concern_and_link_only_retraction(pm: Path) -> None:
    docs = _docs(pm / "notices.xml")
    concern = docs["31000103"]
    # a PMID that is not digits is dropped, the link kept; a link without RefType is ignored
    assert concern.meta["flags"] == ["erratum", "expression_of_concern"]
    assert [n["pmid"] for n in concern.meta["notices"]] == ["31000104", None]
    assert not DocumentRef.of(concern).retracted
    # MEDLINE often links the retraction before it adds the publication type
    assert docs["31000105"].meta["flags"] == ["retracted"]
    assert DocumentRef.of(docs["31000105"]).retracted


def test_articles_without_notices_have_no_flags(pm: Path) -> None:
    for doc in _docs(pm / "articles.xml").values():
        assert "flags" not in doc.meta and "notices" not in doc.meta
        assert DocumentRef.of(doc).flags == [] and not DocumentRef.of(doc).retracted


def test_sample_size_is_read_from_the_abstract(pm: Path) -> None:
    docs = _docs(pm / "notices.xml")
    assert docs["31000101"].meta["sample_size"] == 312  # "A total of 312 adults", not the 9 centres
    assert docs["31000103"].meta["sample_size"] == 86  # "Patients (N=86)"
    assert DocumentRef.of(docs["31000103"]).sample_size == 86
    assert "sample_size" not in docs["31000105"].meta  # 40 rats are not participants
    assert "sample_size" not in docs["31000102"].meta  # no abstract
