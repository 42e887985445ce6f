"""The compiled copy of a Drugs@FDA export: the same answers as the zip, and never a stale copy."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from medref import compiled
from medref.monograph import approval as ap
from medref.monograph import drugsatfda_cache as dc
from medref.monograph.drugsatfda import DrugsAtFDA
from tests.ingest.adversarial.corpus import drugsatfda_zip

PRODUCT = ("888001", "NDA", "CALMIRA", "PRURILIMAB HYDROCHLORIDE")


def _state(fda: DrugsAtFDA) -> tuple[object, ...]:
    apps = {k: fda.apps[k] for k in sorted(fda.apps)}
    found = fda.find(ingredient_sets=[frozenset({"prurilimab"})], brands={"Calmira"}, sponsor=None)
    return fda.source, fda.data_date, fda.by_ingredients, apps, found


@pytest.fixture(autouse=True)
def _fresh() -> None:
    dc.clear_drugsatfda_cache()


def test_a_fresh_process_reads_the_compiled_copy(tmp_path: Path) -> None:
    path = drugsatfda_zip(tmp_path / "drugsatfda.zip", product=PRODUCT)
    first = ap.load_drugsatfda(path)
    assert first is not None and dc.cache_path(path).is_file()
    assert ap.load_drugsatfda(path) is first  # kept in memory
    dc.clear_drugsatfda_cache()  # as if a new process
    second = ap.load_drugsatfda(path)
    assert second is not None and second is not first
    assert isinstance(second.apps, dc.LazyApplications)
    assert _state(second) == _state(first) == _state(DrugsAtFDA(path))
    (app,) = second.find(ingredient_sets=[frozenset({"prurilimab"})], brands=set(), sponsor=None)
    assert app.number == "NDA888001" and app.statuses == ["Prescription"]
    assert app.products[0].ingredient_keys == frozenset({"prurilimab"})


def test_a_replaced_export_is_parsed_again(tmp_path: Path) -> None:
    path = drugsatfda_zip(tmp_path / "drugsatfda.zip", product=PRODUCT)
    assert ap.load_drugsatfda(path) is not None
    other = ("990777", "BLA", "DEMOCEPT", "BELATACEPT")
    drugsatfda_zip(tmp_path / "drugsatfda.zip", product=other, approved="2011-06-15")
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))
    dc.clear_drugsatfda_cache()
    fda = ap.load_drugsatfda(path)
    assert fda is not None and list(fda.apps) == ["990777"]
    assert [
        a.number for a in fda.find(ingredient_sets=[frozenset({"belatacept"})], brands=set(), sponsor=None)
    ] == ["BLA990777"]


@pytest.mark.parametrize("content", [b"", b"\x01", b"\x03\x00\x00\x00abc", b"\xff" * 40])
def test_a_damaged_compiled_copy_is_ignored(tmp_path: Path, content: bytes) -> None:
    path = drugsatfda_zip(tmp_path / "drugsatfda.zip", product=PRODUCT)
    expected = _state(DrugsAtFDA(path))
    dc.cache_path(path).write_bytes(content)
    fda = ap.load_drugsatfda(path)
    assert fda is not None and _state(fda) == expected
    dc.clear_drugsatfda_cache()
    again = ap.load_drugsatfda(path)  # the damaged copy was replaced by a good one
    assert again is not None and isinstance(again.apps, dc.LazyApplications) and _state(again) == expected


def test_unreadable_exports_still_give_none(tmp_path: Path) -> None:
    assert ap.load_drugsatfda(None) is None and ap.load_drugsatfda(tmp_path / "missing.zip") is None
    partial = drugsatfda_zip(tmp_path / "partial.zip", tables=("Products.txt",))
    assert ap.load_drugsatfda(partial) is None
    assert not dc.cache_path(partial).exists()


def test_a_folder_that_cannot_be_written_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = drugsatfda_zip(tmp_path / "drugsatfda.zip", product=PRODUCT)

    def refuse(*_a: object, **_k: object) -> None:
        raise OSError("read-only file system")

    monkeypatch.setattr(compiled.tempfile, "mkstemp", refuse)
    fda = ap.load_drugsatfda(path)
    assert fda is not None and isinstance(fda.apps, dict)
    assert not list(tmp_path.glob("*.compiled*"))


def test_registering_an_export_writes_its_compiled_copy(tmp_path: Path) -> None:
    export = drugsatfda_zip(tmp_path / "export.zip", product=PRODUCT)
    data = tmp_path / "data"
    registered, rest, refused = ap.register_drugsatfda([str(export), "label.xml"], data)
    assert registered == [export] and rest == ["label.xml"] and not refused
    assert dc.cache_path(data / "drugsatfda.zip").is_file()
    dc.clear_drugsatfda_cache()
    fda = ap.load_drugsatfda(data / "drugsatfda.zip")
    assert fda is not None and isinstance(fda.apps, dc.LazyApplications)
    assert _state(fda) == _state(DrugsAtFDA(data / "drugsatfda.zip"))


@pytest.mark.parametrize("payload", [(10**9, {}, {}), (None, [], {}), ("x", {}, {}, 4)])
def test_a_compiled_copy_with_a_matching_key_but_odd_contents_is_not_used(
    tmp_path: Path, payload: tuple[object, ...]
) -> None:
    path = drugsatfda_zip(tmp_path / "drugsatfda.zip", product=PRODUCT)
    expected = _state(DrugsAtFDA(path))
    compiled.write(path, dc.TAG, dc._code(), payload)
    fda = ap.load_drugsatfda(path)
    assert fda is not None and isinstance(fda.apps, dict) and _state(fda) == expected
