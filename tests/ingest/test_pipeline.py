"""The ingest pipeline: detection, per-file atomicity, a bad file never stops the batch."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from medref.ingest.pipeline import ingest_paths
from medref.store.repository import Store


@pytest.fixture
def store(sqlite_url: str) -> Store:
    return Store.open(sqlite_url)


def test_mixed_folder_detects_every_format(store: Store, fixtures: Path, tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(fixtures / "spl" / "velmora.xml", corpus / "label.xml")
    shutil.copy(fixtures / "ctgov" / "study.json", corpus / "trial.json")
    shutil.copy(fixtures / "guideline" / "itch-guideline.md", corpus / "g.md")
    pubmed = sorted((fixtures / "pubmed").glob("*.xml"))
    good_pubmed = [p for p in pubmed if "article" in p.name.lower() or "set" in p.name.lower()]
    assert good_pubmed, f"expected a PubMed fixture among {pubmed}"
    shutil.copy(good_pubmed[0], corpus / "abstracts.xml")
    report = ingest_paths(store, [corpus])
    assert report.ok, [f.error for f in report.files]
    assert sorted(f.format or "" for f in report.files) == ["ctgov", "guideline", "pubmed", "spl"]
    kinds = store.stats()["by_kind"]
    assert kinds["drug_label"] == 1 and kinds["trial_registration"] == 1 and kinds["guideline"] == 1


def test_bad_files_are_reported_and_the_batch_goes_on(store: Store, fixtures: Path, tmp_path: Path) -> None:
    first = ingest_paths(store, [fixtures / "spl" / "velmora.xml"])
    assert first.ok
    before = store.stats()
    empty = tmp_path / "empty.xml"
    empty.write_bytes(b"")
    broken = tmp_path / "broken.xml"
    broken.write_text('<?xml version="1.0"?><PubmedArticleSet><PubmedArticle><MedlineCitation>')
    unknown = tmp_path / "notes.txt"
    unknown.write_text("just some words")
    unreadable = tmp_path / "locked.xml"
    unreadable.write_text("<PubmedArticleSet/>")
    unreadable.chmod(0)
    report = ingest_paths(
        store,
        [empty, broken, unknown, unreadable, tmp_path / "missing.xml", fixtures / "ctgov" / "study.json"],
    )
    errors = {Path(f.path).name: f.error for f in report.files if f.error}
    assert "empty" in (errors["empty.xml"] or "")
    assert "broken.xml" in (errors["broken.xml"] or "")
    assert "detect" in (errors["notes.txt"] or "")
    assert "no such file" in (errors["missing.xml"] or "")
    if os.geteuid() != 0:  # root can read anything
        assert "readable" in (errors["locked.xml"] or "")
    assert not report.ok
    after = store.stats()
    # the earlier label is still there, the good trial was added despite the failures
    assert after["by_kind"]["drug_label"] == before["by_kind"]["drug_label"] == 1
    assert after["by_kind"]["trial_registration"] == 1
    assert after["files_failed"] >= 3  # empty, broken, unknown (missing paths are not files)


def test_globs_and_forced_format(store: Store, fixtures: Path) -> None:
    report = ingest_paths(store, [str(fixtures / "ctgov" / "*.json")], fmt="ctgov")
    assert report.ok and len(report.files) == 2
    nothing = ingest_paths(store, [str(fixtures / "ctgov" / "*.nothing")])
    assert nothing.files[0].error and "no such file" in nothing.files[0].error


def test_multi_file_dataset_is_united_across_files(store: Store, fixtures: Path) -> None:
    folder = fixtures / "benchmarks" / "bioasq"
    report = ingest_paths(store, [folder])
    assert report.ok
    assert len(report.files) == 1 and report.files[0].format == "bioasq"
    from medref.ingest.benchmarks import bioasq_documents, load_bioasq

    union = {d.uid: d for d in bioasq_documents(load_bioasq(sorted(folder.glob("*.json"))))}
    assert store.stats()["documents"] == len(union)
    for uid, doc in union.items():
        assert len(store.get_document(uid).passages) == len(doc.passages)


def test_reingest_is_idempotent(store: Store, fixtures: Path) -> None:
    ingest_paths(store, [fixtures / "ctgov"])
    again = ingest_paths(store, [fixtures / "ctgov"])
    assert again.total("inserted") == 0 and again.total("unchanged") == again.total("documents") > 0
