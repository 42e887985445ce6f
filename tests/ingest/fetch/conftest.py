"""Fixtures for the fetcher tests: a client factory with fast retries."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from medref.ingest.fetch.base import HttpClient, RetryPolicy

ClientFactory = Callable[..., HttpClient]


@pytest.fixture
def make_client() -> ClientFactory:
    def make(rate: float = 1000.0, retries: int = 3, backoff_s: float = 0.01, **kw: object) -> HttpClient:
        return HttpClient(
            rate=rate, policy=RetryPolicy(retries=retries, backoff_s=backoff_s), timeout_s=10, **kw
        )  # type: ignore[arg-type]

    return make
