"""Drugs@FDA registration and reading: partial or broken exports never replace a good one."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from medref.errors import ParseError
from medref.ingest.compressed import Limits
from medref.monograph import drugsatfda as fda_mod
from medref.monograph.approval import load_drugsatfda, register_drugsatfda
from tests.ingest.adversarial.corpus import drugsatfda_zip

PRURILIMAB = [frozenset({"prurilimab"})]


def test_a_partial_zip_does_not_replace_the_registered_export(tmp_path: Path) -> None:
    data = tmp_path / "data"
    complete = drugsatfda_zip(tmp_path / "complete.zip")
    done, rest, refused = register_drugsatfda([str(complete), "other.xml"], data)
    assert done == [complete] and rest == ["other.xml"] and not refused
    registered = data / "drugsatfda.zip"
    before = registered.read_bytes()

    partial = drugsatfda_zip(tmp_path / "partial.zip", tables=("Products.txt", "Applications.txt"))
    done, rest, refused = register_drugsatfda([str(partial)], data)
    assert done == [] and rest == []
    (err,) = refused
    assert err.path == str(partial) and "Submissions.txt" in err.reason and "kept" in err.reason
    assert registered.read_bytes() == before
    assert not list(data.glob("*.part"))  # the temporary copy is cleaned up

    fda = load_drugsatfda(registered)  # later monographs still read the good export
    assert fda is not None
    (app,) = fda.find(ingredient_sets=PRURILIMAB, brands=set(), sponsor=None)
    assert app.number == "NDA888001" and app.statuses == ["Prescription"]


def test_missing_columns_and_tables_are_parse_errors_not_key_errors(tmp_path: Path) -> None:
    path = tmp_path / "cols.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("Products.txt", "ApplNo\tProductNo\r\n1\t1\r\n")
        zf.writestr("Applications.txt", "ApplNo\tApplType\tSponsorName\r\n1\tNDA\tX\r\n")
        zf.writestr("Submissions.txt", "ApplNo\r\n1\r\n")
    with pytest.raises(ParseError, match=r"Submissions\.txt has no column SubmissionType"):
        fda_mod.DrugsAtFDA(path)
    assert load_drugsatfda(path) is None  # a monograph goes on without it
    only_products = drugsatfda_zip(tmp_path / "p.zip", tables=("Products.txt",))
    with pytest.raises(ParseError, match="no Applications.txt, Submissions.txt"):
        fda_mod.DrugsAtFDA(only_products)
    assert load_drugsatfda(only_products) is None


def test_status_tables_are_optional_when_reading(tmp_path: Path) -> None:
    path = drugsatfda_zip(
        tmp_path / "no-status.zip", tables=("Products.txt", "Applications.txt", "Submissions.txt")
    )
    fda = fda_mod.DrugsAtFDA(path)
    (app,) = fda.find(ingredient_sets=PRURILIMAB, brands=set(), sponsor=None)
    assert app.original_date is not None and app.statuses == []
    with pytest.raises(ParseError, match="MarketingStatus.txt"):
        fda_mod.check_drugsatfda(path)  # but registration wants the whole export


def test_tables_in_a_subfolder_are_found(tmp_path: Path) -> None:
    flat = drugsatfda_zip(tmp_path / "flat.zip")
    nested = tmp_path / "nested.zip"
    with zipfile.ZipFile(flat) as src, zipfile.ZipFile(nested, "w") as dst:
        for info in src.infolist():
            dst.writestr(f"export-2019/{info.filename}", src.read(info))
    assert fda_mod.check_drugsatfda(nested).apps.keys() == {"888001"}


def test_a_member_over_the_limits_is_refused_unread(tmp_path: Path) -> None:
    path = drugsatfda_zip(tmp_path / "bomb.zip", tables=("Applications.txt", "Submissions.txt"))
    with zipfile.ZipFile(path, "a", compression=zipfile.ZIP_DEFLATED) as zf:
        header = "ApplNo\tProductNo\tForm\tStrength\tDrugName\tActiveIngredient\n"
        zf.writestr("Products.txt", header + " " * (3 * 1024 * 1024))
    with pytest.raises(ParseError, match="Products.txt expands to"):
        fda_mod.DrugsAtFDA(path, limits=Limits.from_mb(2, 1000))
    with pytest.raises(ParseError, match="Products.txt expands to"):
        fda_mod.DrugsAtFDA(path, limits=Limits.from_mb(100, 10, ratio_floor_mb=1))
    fda_mod.DrugsAtFDA(path, limits=Limits.from_mb(100, 100_000))  # within the limits: read


def test_a_damaged_zip_is_refused_by_name(tmp_path: Path) -> None:
    good = tmp_path / "good.zip"
    with (
        zipfile.ZipFile(drugsatfda_zip(tmp_path / "plain.zip")) as src,
        zipfile.ZipFile(good, "w", compression=zipfile.ZIP_DEFLATED) as dst,
    ):
        for info in src.infolist():
            dst.writestr(info.filename, src.read(info) * 50)
    with zipfile.ZipFile(good) as zf:
        info = zf.getinfo("Submissions.txt")
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    raw = bytearray(good.read_bytes())
    raw[start + 5 : start + 25] = b"\xff" * 20  # damage the compressed data, keep the directory
    broken = tmp_path / "broken.zip"
    broken.write_bytes(bytes(raw))
    data = tmp_path / "data"
    _, rest, refused = register_drugsatfda([str(broken)], data)
    assert rest == [] and len(refused) == 1
    assert refused[0].path == str(broken) and "could not be read" in refused[0].reason
    assert not (data / "drugsatfda.zip").exists()
    assert load_drugsatfda(broken) is None
