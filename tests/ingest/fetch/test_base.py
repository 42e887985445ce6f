"""The shared fetch machinery: limiter, Retry-After, retries on timeouts/5xx, state files."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from medref.ingest.fetch.base import (
    FetchError,
    FetchState,
    HttpClient,
    RateLimiter,
    RetryPolicy,
    retry_after_seconds,
)


def test_limiter_spaces_starts_on_a_fake_clock() -> None:
    now = [100.0]
    slept: list[float] = []

    def sleep(s: float) -> None:
        slept.append(round(s, 6))
        now[0] += s

    limiter = RateLimiter(4, clock=lambda: now[0], sleep=sleep)
    for _ in range(3):
        limiter.wait()
    assert slept == [0.25, 0.25]
    now[0] += 10  # idle: no wait
    limiter.wait()
    assert slept == [0.25, 0.25]


def test_retry_after_seconds_and_http_dates() -> None:
    assert retry_after_seconds("7") == 7.0
    when = datetime(2030, 1, 1, 12, 0, 30, tzinfo=UTC)
    assert (
        retry_after_seconds("Tue, 01 Jan 2030 12:00:30 GMT", now=datetime(2030, 1, 1, 12, 0, tzinfo=UTC))
        == 30
    )
    assert retry_after_seconds("Tue, 01 Jan 2030 12:00:30 GMT", now=when) == 0
    assert retry_after_seconds("soon") is None and retry_after_seconds(None) is None
    assert RetryPolicy(backoff_s=1, max_backoff_s=60).delay(3, None) == 8
    assert RetryPolicy(backoff_s=1).delay(0, 20.0) == 20.0


def test_timeouts_and_5xx_are_retried_with_growing_waits() -> None:
    calls = 0
    waits: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        if calls == 1:
            raise httpx.ReadTimeout("slow", request=request)
        if calls == 2:
            return httpx.Response(503, text="busy")
        return httpx.Response(200, text="fine")

    client = HttpClient(
        rate=1000,
        transport=httpx.MockTransport(handler),
        policy=RetryPolicy(retries=3, backoff_s=0.5),
        sleep=waits.append,
    )
    assert client.get("http://example.invalid/x").text == "fine"
    assert calls == 3 and waits[:2] == [0.5, 1.0]


def test_refusal_is_not_retried_and_names_the_server_message() -> None:
    calls = 0

    def handler(_request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(403, html="<html><body><h1>Forbidden</h1><p>Sign in first</p></body></html>")

    client = HttpClient(rate=1000, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    with pytest.raises(FetchError, match=r"refused: HTTP 403: Forbidden Sign in first"):
        client.get("http://example.invalid/file?api_key=secret")
    assert calls == 1


def test_state_survives_a_reload_and_a_broken_file_is_named(tmp_path: Path) -> None:
    state = FetchState.load(tmp_path, "job")
    state.mark("batch-00001.xml", 10)
    again = FetchState.load(tmp_path, "job")
    assert again.is_done("batch-00001.xml") and again.done["batch-00001.xml"] == 10
    state.path.write_text("{not json")
    with pytest.raises(FetchError, match="fetch state file is unreadable"):
        FetchState.load(tmp_path, "job")


def test_a_download_cut_off_mid_stream_is_retried_whole(tmp_path: Path) -> None:
    import hashlib

    body = b"0123456789" * 5000
    calls = 0

    class Broken(httpx.SyncByteStream):
        def __iter__(self):  # type: ignore[no-untyped-def]
            yield body[:1000]
            raise httpx.ReadError("connection reset")

    def handler(_request: httpx.Request) -> httpx.Response:
        nonlocal calls
        calls += 1
        return httpx.Response(200, stream=Broken()) if calls == 1 else httpx.Response(200, content=body)

    client = HttpClient(rate=1000, transport=httpx.MockTransport(handler), sleep=lambda _s: None)
    dest = tmp_path / "f.xml.gz"
    assert client.download("http://example.invalid/f.xml.gz", dest) == hashlib.md5(body).hexdigest()
    assert calls == 2 and dest.read_bytes() == body and not list(tmp_path.glob("*.part"))
