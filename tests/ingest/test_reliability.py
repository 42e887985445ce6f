"""Issue 10 regressions: each bad input of the exact shape reported, one at a time.

(The decompression limits are in test_compressed.py; Drugs@FDA in tests/monograph and
tests/web; everything mixed together in test_adversarial.py.)
"""

from __future__ import annotations

import gzip
import json
import os
from pathlib import Path

import pytest

from medref.errors import ParseError
from medref.ingest import base, ctgov, pubmed
from medref.ingest.base import DocumentBuilder, chunk, read_json, storable
from medref.ingest.pipeline import expand_paths, ingest_paths
from medref.ingest.registry import detect_format, read_head
from medref.models import Document
from medref.store.repository import Store


@pytest.fixture
def store(sqlite_url: str) -> Store:
    return Store.open(sqlite_url)


def _study(fixtures: Path, **description: object) -> dict[str, object]:
    study: dict[str, object] = json.loads((fixtures / "ctgov" / "study.json").read_text())
    study["protocolSection"]["descriptionModule"].update(description)  # type: ignore[index]
    return study


# ------------------------------------------------------------------ 1. one bad file, any error
def test_truncated_gzip_deep_json_and_markup_names_do_not_stop_the_batch(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "batch"
    folder.mkdir()
    whole = gzip.compress((fixtures / "pubmed" / "articles.xml").read_bytes())
    (folder / "cut.xml.gz").write_bytes(whole[: len(whole) // 2])  # EOFError in detection before
    (folder / "deep.json").write_text('{"protocolSection": ' + "[" * 200_000 + "]" * 200_000 + "}")
    odd = folder / "odd["
    odd.mkdir()
    (odd / "x].json").write_text("{")
    (folder / "study.json").write_bytes((fixtures / "ctgov" / "study.json").read_bytes())
    report = ingest_paths(store, [folder])
    errors = {Path(f.path).relative_to(folder).as_posix(): f.error for f in report.files if f.error}
    assert set(errors) == {"cut.xml.gz", "deep.json", "odd[/x].json"}
    assert "truncated" in (errors["cut.xml.gz"] or "")
    assert "nested too deeply" in (errors["deep.json"] or "")
    assert "odd[/x].json" in (errors["odd[/x].json"] or "")
    assert store.get_document("nct:NCT09990001").title


@pytest.mark.parametrize("bad", ["\ud800", "\udfff", "\u0000"])
def test_nul_and_lone_surrogates_are_stored_as_replacement_characters(
    store_url: str, fixtures: Path, tmp_path: Path, bad: str
) -> None:
    """SQLite and PostgreSQL: the study stores, with U+FFFD where the character was."""
    study = _study(fixtures, briefSummary=f"Before {bad} after.", detailedDescription=f"x{bad}")
    study["protocolSection"]["identificationModule"]["briefTitle"] = f"Title {bad}"  # type: ignore[index]
    path = tmp_path / "bad-char.json"
    path.write_text(json.dumps(study))  # json.dumps writes the \\u escapes
    assert f"\\u{ord(bad):04x}" in path.read_text()
    store = Store.open(store_url)
    report = ingest_paths(store, [path])
    assert report.ok, report.files[0].error
    doc = store.get_document("nct:NCT09990001")
    summary = next(p.text for p in doc.passages if p.section == "Brief Summary")
    assert bad not in doc.text and bad not in doc.meta["brief_title"]
    assert summary in ("Before \ufffd after.", "Before after.")
    assert doc.meta["brief_title"] == "Title \ufffd"
    for p in doc.passages:
        assert doc.text[p.start : p.end] == p.text


def test_storable_keeps_lengths_and_valid_pairs() -> None:
    assert storable("a\x00b\ud800c") == "a\ufffdb\ufffdc"
    assert storable("emoji \U0001f600 kept") == "emoji \U0001f600 kept"
    assert base.clean(" a\x00\x00b \udc00 ") == "a b \ufffd"


def test_a_pmid_with_markup_is_reported_verbatim(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "pmid.xml"
    path.write_text(
        "<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID>[/x]</PMID>"
        "<Article><Journal><Title>J</Title></Journal></Article></MedlineCitation></PubmedArticle>"
        "</PubmedArticleSet>"
    )
    (result,) = ingest_paths(store, [path]).files
    assert result.error and "PMID [/x]" in result.error


def test_unexpected_errors_are_caught_per_file_with_their_type(
    store: Store, fixtures: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def explode(path: Path, **options: object) -> object:
        raise KeyError("surprise")

    monkeypatch.setattr(pubmed, "parse", explode)
    report = ingest_paths(store, [fixtures / "pubmed" / "articles.xml", fixtures / "ctgov" / "study.json"])
    bad, good = report.files
    assert bad.error == f"{fixtures / 'pubmed' / 'articles.xml'}: KeyError: 'surprise'"
    assert good.error is None and good.documents == 1
    assert store.stats()["files_failed"] == 1


def test_a_failing_failure_log_still_reports_the_file(
    store: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def down(**kwargs: object) -> None:
        raise OSError("database is gone")

    monkeypatch.setattr(store, "log_failure", down)
    empty = tmp_path / "empty.json"
    empty.write_text("")
    (result,) = ingest_paths(store, [empty]).files
    assert result.error and "file is empty" in result.error and "could not be logged" in result.error


def test_keyboard_interrupt_still_stops_the_batch(
    store: Store, fixtures: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def interrupted(path: Path, **options: object) -> object:
        raise KeyboardInterrupt

    monkeypatch.setattr(ctgov, "parse", interrupted)
    with pytest.raises(KeyboardInterrupt):
        ingest_paths(store, [fixtures / "ctgov" / "study.json"])


# ------------------------------------------------------------------ 2. symlinks out of a folder
def test_folder_ingest_does_not_follow_links_out_of_the_folder(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    corpus, outside = tmp_path / "corpus", tmp_path / "outside"
    corpus.mkdir()
    outside.mkdir()
    secret = outside / "secret.md"
    secret.write_text("# Private\n\n## Part\n\nThe private passphrase is swordfish-42.\n")
    os.symlink(secret, corpus / "x.md")
    os.symlink(outside, corpus / "elsewhere")
    os.symlink(tmp_path / "nothing-here.md", corpus / "dangling.md")
    (corpus / "sub").mkdir()
    (corpus / "sub" / "g.md").write_bytes((fixtures / "guideline" / "itch-guideline.md").read_bytes())
    os.symlink(corpus / "sub" / "g.md", corpus / "same-guideline.md")  # inside: fine
    report = ingest_paths(store, [corpus])
    errors = {Path(f.path).name: f.error or "" for f in report.files if f.error}
    assert "outside the folder" in errors["x.md"] and "outside the folder" in errors["elsewhere"]
    assert "leads nowhere" in errors["dangling.md"]
    ok = sorted(Path(f.path).name for f in report.files if not f.error)
    assert ok == ["g.md", "same-guideline.md"]
    assert all("swordfish" not in d.text for d in store.iter_documents())


def test_a_link_named_on_the_command_line_is_read(tmp_path: Path, fixtures: Path) -> None:
    link = tmp_path / "chosen.json"
    os.symlink(fixtures / "ctgov" / "study.json", link)
    assert list(expand_paths([link])) == [link]


# ------------------------------------------------------------------ 9. long sentences, linear
def test_a_ten_megabyte_sentence_is_chunked_whole() -> None:
    words = "itch " * 2_000_000  # 10 MB and not one sentence end: the shape that took 16 s
    text = words.strip()
    pieces = chunk(text)
    assert " ".join(pieces) == text
    assert all(len(p) <= base.MAX_PASSAGE_CHARS for p in pieces)
    assert all(len(p) > base.MAX_PASSAGE_CHARS - 5 for p in pieces[:-1])  # full pieces, cut at spaces


def test_a_word_longer_than_a_passage_is_cut_hard() -> None:
    text = "Short start. " + "X" * 3000 + " tail."
    pieces = chunk(text, 1000)
    assert pieces == ["Short start.", "X" * 1000, "X" * 1000, "X" * 1000, "tail."]
    b = DocumentBuilder()
    b.add("S", text)
    assert [b.text[p.start : p.end] for p in b.passages] == [p.text for p in b.passages]


# ------------------------------------------------------------------ 11. minor
def test_utf16_pubmed_is_detected_and_parsed(fixtures: Path, tmp_path: Path) -> None:
    text = (fixtures / "pubmed" / "articles.xml").read_text(encoding="utf-8")
    expected = [d.uid for d in pubmed.parse(fixtures / "pubmed" / "articles.xml")]
    for codec in ("utf-16", "utf-16-le", "utf-16-be"):
        path = tmp_path / f"{codec}.xml"
        body = text.replace('encoding="UTF-8"', f'encoding="{codec.upper()}"')
        path.write_bytes(body.encode(codec))
        assert detect_format(path, read_head(path)) == "pubmed"
        assert [d.uid for d in pubmed.parse(path)] == expected


def test_forced_pubmed_on_another_root_is_an_error(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "report.xml"
    path.write_text('<?xml version="1.0"?><LabReport><Result>13.1</Result></LabReport>')
    with pytest.raises(ParseError, match="root element is <LabReport>"):
        list(pubmed.parse(path))
    report = ingest_paths(store, [path], fmt="pubmed")
    assert not report.ok and "not PubMed XML" in (report.files[0].error or "")
    empty_set = tmp_path / "empty-set.xml"
    empty_set.write_text("<PubmedArticleSet></PubmedArticleSet>")
    assert list(pubmed.parse(empty_set)) == []  # a real but empty set is not an error


def test_eligibility_criteria_given_as_a_list(fixtures: Path, tmp_path: Path) -> None:
    study = _study(fixtures)
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = [  # type: ignore[index]
        "Inclusion Criteria:",
        "Adults aged 18 to 75",
        "Itch for at least 6 weeks",
        "Exclusion Criteria:",
        "Pregnancy",
    ]
    path = tmp_path / "list.json"
    path.write_text(json.dumps(study))
    (doc,) = list(ctgov.parse(path))
    assert isinstance(doc, Document)
    blocks = [p.text for p in doc.passages if p.section == "Eligibility"]
    assert blocks == [
        "Inclusion criteria: Adults aged 18 to 75. Itch for at least 6 weeks.",
        "Exclusion criteria: Pregnancy.",
    ]
    assert "[" not in " ".join(blocks)
    study["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = {"a": 1}  # type: ignore[index]
    path.write_text(json.dumps(study))
    with pytest.raises(ParseError, match="eligibilityCriteria"):
        list(ctgov.parse(path))


def test_trailing_garbage_after_a_gzip_stream_is_not_fatal(
    store: Store, fixtures: Path, tmp_path: Path
) -> None:
    path = tmp_path / "articles.xml.gz"
    path.write_bytes(gzip.compress((fixtures / "pubmed" / "articles.xml").read_bytes()) + b"garbage\n")
    report = ingest_paths(store, [path])
    assert report.ok, report.files[0].error
    assert report.files[0].documents == 3


def test_utf16_json_reads_like_utf8(fixtures: Path, tmp_path: Path) -> None:
    raw = (fixtures / "ctgov" / "study.json").read_text(encoding="utf-8")
    path = tmp_path / "wide.json"
    for codec in ("utf-16", "utf-16-le"):
        path.write_bytes(raw.encode(codec))
        assert read_json(path) == json.loads(raw)


def test_a_file_name_that_is_not_utf8_still_stores(store_url: str, fixtures: Path, tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    raw_name = os.fsencode(folder) + b"/trial-\xff.json"
    with open(raw_name, "wb") as fh:
        fh.write((fixtures / "ctgov" / "study.json").read_bytes())
    store = Store.open(store_url)
    report = ingest_paths(store, [folder])
    assert report.ok, report.files[0].error
    doc = store.get_document("nct:NCT09990001")
    assert doc.source_path is not None and doc.source_path.endswith("trial-\ufffd.json")
