"""The shared machinery of the fetchers: rate limiting, retries, resumable state, downloads.

Nothing here runs unless a ``medref fetch ...`` command (or the Python API) asks for it: medref
never reaches the network on its own. Every fetcher takes a base URL and an optional httpx
transport, so tests point it at a local server or an ``httpx.MockTransport``.

* :class:`RateLimiter` spaces request *starts* at least ``1 / rate`` seconds apart.
* :class:`HttpClient` retries timeouts, connection errors, 429 and 5xx with exponential
  backoff (a ``Retry-After`` header wins when it is longer), and turns any other 4xx into a
  :class:`FetchError` carrying the server's own message.
* :class:`FetchState` is a small JSON file per fetch (under ``<folder>/.fetch-state/``, which
  ``medref ingest`` skips as hidden) recording what is done, written atomically after every
  item, so a killed fetch resumes without fetching or writing anything twice.
* Files are written to ``<name>.part`` and renamed into place, so a half-written file never
  carries a final name.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from medref.errors import MedrefError, MissingExtraError

if TYPE_CHECKING:
    import httpx

ProgressFn = Callable[[int, "int | None"], None]  # (advance, new total or None)
RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})
STATE_DIR = ".fetch-state"


class FetchError(MedrefError):
    """A fetch could not be completed (a refused request, exhausted retries, a bad download)."""


def require_httpx() -> Any:
    """The httpx module, or a clear install hint when the ``fetch`` extra is missing."""
    try:
        import httpx
    except ImportError as exc:
        raise MissingExtraError("medref fetch", "fetch", "httpx") from exc
    return httpx


class RateLimiter:
    """At most ``rate`` request starts per second (thread-safe; clock and sleep injectable)."""

    def __init__(
        self,
        rate: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock, self._sleep = clock, sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def wait(self) -> None:
        with self._lock:
            now = self._clock()
            while now < self._next:  # measured again after sleeping: never closer than interval
                self._sleep(self._next - now)
                now = self._clock()
            self._next = now + self.interval


def retry_after_seconds(value: str | None, *, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header as seconds: a number of seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())


def server_message(response: httpx.Response, limit: int = 300) -> str:
    """The server's explanation of a refusal: a JSON ``error``/``message`` field, else the body text."""
    text = response.text.strip()
    try:
        data = response.json()
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("error", "message", "detail", "ERROR"):
            if isinstance(data.get(key), str):
                return str(data[key])
    text = re.sub(r"<[^>]+>", " ", text)
    text = re.sub(r"\s+", " ", text).strip()
    return text[:limit] or response.reason_phrase


@dataclass
class RetryPolicy:
    retries: int = 5
    backoff_s: float = 1.0
    max_backoff_s: float = 60.0

    def delay(self, attempt: int, retry_after: float | None) -> float:
        """Exponential backoff for attempt 0, 1, 2, ...; a longer Retry-After wins."""
        wait = min(self.max_backoff_s, self.backoff_s * (2**attempt))
        if retry_after is not None:
            wait = max(wait, min(retry_after, self.max_backoff_s * 5))
        return wait


class HttpClient:
    """httpx.Client plus a rate limiter, retries and readable refusals."""

    def __init__(
        self,
        *,
        rate: float,
        transport: httpx.BaseTransport | None = None,
        timeout_s: float = 60.0,
        policy: RetryPolicy | None = None,
        user_agent: str = "medref-fetch",
        sleep: Callable[[float], None] = time.sleep,
        on_request: Callable[[str, str], None] | None = None,
    ) -> None:
        httpx = require_httpx()
        self._httpx = httpx
        self.limiter = RateLimiter(rate)  # real time; `sleep` is for the retry waits only
        self.policy = policy or RetryPolicy()
        self._sleep = sleep
        self.on_request = on_request
        self.requests = 0
        self.client = httpx.Client(
            transport=transport,
            timeout=timeout_s,
            follow_redirects=True,
            headers={"User-Agent": user_agent},
        )

    def close(self) -> None:
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def request(
        self, method: str, url: str, *, sink: Callable[[httpx.Response], None] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """One request with retries; raises FetchError on a refusal or when retries run out.

        With ``sink``, the body is streamed: ``sink`` reads a successful response (a failure
        while reading, such as a dropped connection, is retried like any other).
        """
        httpx = self._httpx
        last = ""
        for attempt in range(self.policy.retries + 1):
            self.limiter.wait()
            self.requests += 1
            if self.on_request:
                self.on_request(method, url)
            retry_after: float | None = None
            try:
                with self.client.stream(method, url, **kwargs) as response:
                    if response.status_code < 400 and sink is not None:
                        sink(response)
                    else:
                        response.read()
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                last = f"{type(exc).__name__}: {exc}"
            else:
                if response.status_code < 400:
                    return response
                message = server_message(response)
                if response.status_code not in RETRYABLE:
                    raise FetchError(
                        f"{method} {_shown(response.request.url)} refused: HTTP {response.status_code}: {message}"
                    )
                last = f"HTTP {response.status_code}: {message}"
                retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if attempt < self.policy.retries:
                self._sleep(self.policy.delay(attempt, retry_after))
        raise FetchError(f"{method} {_shown(url)} failed after {self.policy.retries + 1} attempts: {last}")

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def download(self, url: str, dest: Path, *, params: dict[str, Any] | None = None) -> str:
        """Stream ``url`` into ``dest`` (via ``dest.part``); returns the MD5 hex digest of the bytes."""
        dest.parent.mkdir(parents=True, exist_ok=True)
        part = dest.with_name(dest.name + ".part")
        digest: list[str] = []

        def sink(response: httpx.Response) -> None:
            h = hashlib.md5(usedforsecurity=False)
            with part.open("wb") as fh:
                for chunk in response.iter_bytes(1 << 20):
                    fh.write(chunk)
                    h.update(chunk)
            digest[:] = [h.hexdigest()]

        try:
            self.get(url, params=params, sink=sink)
        except BaseException:
            part.unlink(missing_ok=True)
            raise
        os.replace(part, dest)
        return digest[0]


def _shown(url: object) -> str:
    """A URL for messages, with any api_key value hidden."""
    return re.sub(r"(api_key=)[^&]+", r"\1***", str(url))


def write_atomic(dest: Path, data: bytes) -> None:
    """Write ``data`` to ``dest`` through a ``.part`` file, so ``dest`` is whole or absent."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    part.write_bytes(data)
    os.replace(part, dest)


def md5_file(path: Path) -> str:
    h = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def query_key(*parts: object) -> str:
    """A short stable id for a fetch (the same query always lands in the same folder and state)."""
    text = json.dumps(parts, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:10]


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].strip("-") or "query"


@dataclass
class FetchState:
    """What one fetch has finished, kept in a JSON file next to its output."""

    path: Path
    meta: dict[str, Any] = field(default_factory=dict)
    done: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, folder: Path, name: str) -> FetchState:
        path = folder / STATE_DIR / f"{name}.json"
        if not path.is_file():
            return cls(path)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise FetchError(
                f"{path}: the fetch state file is unreadable ({exc}); delete it to start over"
            ) from exc
        return cls(path, dict(data.get("meta") or {}), dict(data.get("done") or {}))

    def save(self) -> None:
        payload = {"meta": self.meta, "done": self.done, "saved_at": datetime.now(UTC).isoformat()}
        write_atomic(self.path, json.dumps(payload, indent=1, sort_keys=True).encode())

    def is_done(self, item: str) -> bool:
        return item in self.done

    def mark(self, item: str, info: Any = True) -> None:
        self.done[item] = info
        self.save()

    def reset(self, **meta: Any) -> None:
        self.done.clear()
        self.meta = dict(meta)
        self.save()


@dataclass
class FetchReport:
    """What a fetch did: files written now, files already there, records, requests made."""

    source: str
    folder: Path
    written: list[Path] = field(default_factory=list)
    skipped: int = 0
    records: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def files(self) -> list[Path]:
        """Every output file of this fetch (new and from earlier runs), for ``--ingest``."""
        return sorted(p for p in self.folder.rglob("*") if p.is_file() and STATE_DIR not in p.parts)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "folder": str(self.folder),
            "written": [str(p) for p in self.written],
            "skipped": self.skipped,
            "records": self.records,
            "requests": self.requests,
            "errors": self.errors,
            "notes": self.notes,
        }


class StopAfter(Exception):  # noqa: N818 - a control-flow signal for tests and benches
    """Raised by a test hook to simulate a fetch killed mid-way."""


@contextmanager
def tracked(client: HttpClient, report: FetchReport) -> Iterator[None]:
    """Count the requests made inside the block into ``report`` (also when it is interrupted)."""
    before = client.requests
    try:
        yield
    finally:
        report.requests += client.requests - before


def noop_progress(_advance: int, _total: int | None) -> None:
    return None


@dataclass
class Fetcher:
    """What every source's fetcher has: a client, its output folder, progress and a test hook."""

    client: HttpClient
    folder: Path
    progress: ProgressFn = noop_progress
    after_file: Callable[[Path], None] | None = None  # called after each file lands (tests stop here)

    def landed(self, report: FetchReport, path: Path, records: int) -> None:
        """Count a file that has just been written (its state already saved), then call the hook."""
        report.written.append(path)
        report.records += records
        if self.after_file:
            self.after_file(path)
