"""Bounded gzip reading: bombs refused early, truncation reported, padding and members accepted."""

from __future__ import annotations

import gzip
import tracemalloc
from pathlib import Path

import pytest

from medref.errors import ParseError
from medref.ingest import safexml
from medref.ingest.base import read_json
from medref.ingest.compressed import (
    DEFAULT_LIMITS,
    MIB,
    BoundedGzipReader,
    Limits,
    current_limits,
    open_maybe_gzip,
    use_limits,
)


def _bomb(path: Path, nominal_mb: int, prefix: bytes = b'{"x": "', fill: bytes = b"\0") -> Path:
    """``nominal_mb`` MiB of one byte as concatenated gzip members: about 1 KiB on disk per MiB."""
    member = gzip.compress(fill * MIB, compresslevel=9)
    path.write_bytes(gzip.compress(prefix) + member * nominal_mb)
    return path


def test_plain_files_are_returned_as_they_are(tmp_path: Path) -> None:
    plain = tmp_path / "a.json"
    plain.write_bytes(b'{"a": 1}')
    with open_maybe_gzip(plain) as fh:
        assert fh.read() == b'{"a": 1}'


def test_several_members_are_read_in_turn(tmp_path: Path) -> None:
    path = tmp_path / "two.json.gz"
    path.write_bytes(gzip.compress(b'{"a": ') + gzip.compress(b'"joined"}'))
    assert read_json(path) == {"a": "joined"}


def test_trailing_junk_after_the_last_member_is_ignored(tmp_path: Path) -> None:
    path = tmp_path / "padded.json.gz"
    path.write_bytes(gzip.compress(b'{"kept": true}') + b"\0\0\0junk appended by a downloader\n")
    assert read_json(path) == {"kept": True}
    with path.open("rb") as raw:
        reader = BoundedGzipReader(raw, path)
        assert reader.readall() == b'{"kept": true}'
        assert reader.trailing_bytes == len(b"\0\0\0junk appended by a downloader\n")


def test_truncated_and_corrupt_streams_are_parse_errors(tmp_path: Path) -> None:
    whole = gzip.compress(b"<R>" + b"<T>some text</T>" * 5000 + b"</R>")
    cut = tmp_path / "cut.xml.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(ParseError, match="truncated"), open_maybe_gzip(cut) as fh:
        fh.read()
    bad = tmp_path / "bad.xml.gz"
    bad.write_bytes(whole[:20] + b"\xff" * 200 + whole[220:])
    with pytest.raises(ParseError, match="corrupt"):
        safexml.parse_tree(bad)


def test_a_bomb_is_refused_by_ratio_before_it_is_decompressed(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "bomb.json.gz", 512)  # 512 MiB of zeros in about 0.5 MiB
    tracemalloc.start()
    try:
        with pytest.raises(ParseError, match="decompression bomb") as err:
            read_json(bomb)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "bomb.json.gz" in str(err.value) and "max_compression_ratio" in str(err.value)
    assert peak < 64 * MIB  # refused at the 16 MiB ratio floor, not after 512 MiB


def test_the_size_limit_holds_whatever_the_ratio(tmp_path: Path) -> None:
    bomb = _bomb(tmp_path / "big.xml.gz", 12, prefix=b"<R>", fill=b" ")
    with use_limits(Limits.from_mb(8, 1_000_000)):
        with pytest.raises(ParseError, match="more than 8 MB") as err:
            safexml.parse_tree(bomb)
        with pytest.raises(ParseError, match="max_decompressed_mb"):
            list(safexml.iterparse(bomb, "T"))  # streaming reads are capped too
    assert "big.xml.gz" in str(err.value)
    with use_limits(Limits.from_mb(64, 1_000_000)), open_maybe_gzip(bomb) as fh:  # within: read in full
        assert len(fh.read()) == 12 * MIB + 3


def test_limits_are_scoped_to_the_context() -> None:
    assert current_limits() == DEFAULT_LIMITS
    small = Limits.from_mb(1, 5, ratio_floor_mb=0.5)
    with use_limits(small):
        assert current_limits() == small
        with use_limits(None):
            assert current_limits() == DEFAULT_LIMITS
        assert current_limits() == small
    assert current_limits() == DEFAULT_LIMITS
