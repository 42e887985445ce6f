"""Reading possibly gzipped input with a cap on how much it may decompress to.

A small compressed file can expand without bound (a "gzip bomb"), so every gzipped input is
read through :class:`BoundedGzipReader`, which stops with a :class:`~medref.errors.ParseError`
naming the file as soon as the output passes either limit of the active :class:`Limits`:

* ``max_bytes``: the decompressed size of one file;
* ``max_ratio``: decompressed bytes per compressed byte read so far, checked once the output
  is past ``ratio_floor`` (a tiny file may legitimately have a high ratio).

The limits in force are set per ingest run with :func:`use_limits` (the pipeline does this
from ``Settings.ingest``); code that reads files needs no extra argument. The reader also
accepts what ``gzip`` refuses but is harmless: several concatenated members are read in
turn, and bytes after the last member that are not another member (padding, junk appended by
a download tool) are ignored rather than refusing the whole file.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from pathlib import Path
from typing import IO, cast

from medref.errors import ParseError

GZIP_MAGIC = b"\x1f\x8b"
MIB = 1024 * 1024
_CHUNK = 64 * 1024
_MAX_STEP = 1 * MIB  # decompressed bytes produced per step, so a check happens at least this often


@dataclass(frozen=True)
class Limits:
    """How far one compressed input may expand."""

    max_bytes: int = 2048 * MIB
    max_ratio: float = 100.0
    ratio_floor: int = 16 * MIB

    @classmethod
    def from_mb(cls, max_mb: float, max_ratio: float, ratio_floor_mb: float = 16) -> Limits:
        return cls(int(max_mb * MIB), float(max_ratio), int(ratio_floor_mb * MIB))


DEFAULT_LIMITS = Limits()
_active: ContextVar[Limits] = ContextVar("medref_decompression_limits", default=DEFAULT_LIMITS)


def current_limits() -> Limits:
    return _active.get()


@contextmanager
def use_limits(limits: Limits | None) -> Iterator[Limits]:
    """Make ``limits`` (or the defaults) the ones every reader in this context uses."""
    token = _active.set(limits or DEFAULT_LIMITS)
    try:
        yield _active.get()
    finally:
        _active.reset(token)


def _mb(n: int) -> str:
    return f"{n / MIB:,.0f} MB" if n >= MIB else f"{n:,} bytes"


class BoundedGzipReader(io.RawIOBase):
    """A raw binary stream of the decompressed content of a gzip file, within limits."""

    def __init__(self, fh: IO[bytes], path: Path, limits: Limits | None = None) -> None:
        super().__init__()
        self._fh = fh
        self._path = path
        self._limits = limits or current_limits()
        self._decomp: zlib._Decompress | None = zlib.decompressobj(31)
        self._pending = b""  # compressed bytes read but not yet fed to a decompressor
        self._out = memoryview(b"")
        self.compressed_read = 0
        self.decompressed = 0
        self.members = 1
        self.trailing_bytes = 0  # ignored bytes after the last gzip member
        self._done = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        while not self._out:
            if self._done:
                return 0
            self._step()
        n = min(len(buffer), len(self._out))
        buffer[:n] = self._out[:n]
        self._out = self._out[n:]
        return n

    def readall(self) -> bytes:
        parts: list[bytes] = [bytes(self._out)]
        self._out = memoryview(b"")
        while not self._done:
            self._step()
            parts.append(bytes(self._out))
            self._out = memoryview(b"")
        return b"".join(parts)

    def close(self) -> None:
        try:
            self._fh.close()
        finally:
            super().close()

    # ------------------------------------------------------------ internals
    def _read(self) -> bytes:
        data = self._fh.read(_CHUNK)
        self.compressed_read += len(data)
        return data

    def _step(self) -> None:
        """Produce the next slice of output into ``self._out`` (possibly empty), or finish."""
        decomp = self._decomp
        if decomp is None:
            self._next_member()
            return
        if decomp.unconsumed_tail:
            data = decomp.unconsumed_tail
        elif self._pending:
            data, self._pending = self._pending, b""
        else:
            data = self._read()
            if not data:
                raise ParseError(
                    self._path,
                    "compressed file is truncated or corrupt: the gzip stream ends before its end marker",
                )
        try:
            out = decomp.decompress(data, _MAX_STEP)
        except zlib.error as exc:
            raise ParseError(self._path, f"compressed file is truncated or corrupt: {exc}") from exc
        self._count(len(out))
        self._out = memoryview(out)
        if decomp.eof:
            self._pending = decomp.unused_data
            self._decomp = None

    def _next_member(self) -> None:
        """After a member's end: start the next member, or stop (ignoring trailing junk)."""
        while len(self._pending) < 2:
            data = self._read()
            if not data:
                break
            self._pending += data
        if self._pending[:2] == GZIP_MAGIC:
            self.members += 1
            self._decomp = zlib.decompressobj(31)
            return
        self.trailing_bytes = len(self._pending) + self._drain()
        self._pending = b""
        self._done = True

    def _drain(self) -> int:
        n = 0
        while data := self._fh.read(_CHUNK):
            n += len(data)
        return n

    def _count(self, produced: int) -> None:
        self.decompressed += produced
        lim = self._limits
        if self.decompressed > lim.max_bytes:
            raise ParseError(
                self._path,
                f"refused: decompresses to more than {_mb(lim.max_bytes)} (limit ingest.max_decompressed_mb)",
            )
        if self.decompressed > lim.ratio_floor and self.decompressed > lim.max_ratio * max(
            self.compressed_read, 1
        ):
            raise ParseError(
                self._path,
                f"refused: expands more than {lim.max_ratio:g} times ({_mb(self.decompressed)} from "
                f"{_mb(self.compressed_read)} compressed; limit ingest.max_compression_ratio), "
                "which looks like a decompression bomb",
            )


def open_maybe_gzip(path: Path) -> IO[bytes]:
    """Open a file for binary reading, un-gzipping gzip content within the active limits."""
    fh = open(path, "rb")  # noqa: SIM115 - returned to caller
    try:
        magic = fh.read(2)
        fh.seek(0)
    except BaseException:
        fh.close()
        raise
    if magic == GZIP_MAGIC:
        return cast(IO[bytes], io.BufferedReader(BoundedGzipReader(fh, Path(path)), _CHUNK))
    return fh
