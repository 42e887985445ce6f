"""Fetchers built from settings: keys and rate limits from the environment, default folders."""

from __future__ import annotations

import sys

import pytest

from medref.errors import MissingExtraError
from medref.ingest.fetch import sources
from medref.ingest.fetch.base import require_httpx
from medref.settings import load_settings


def test_ncbi_rate_follows_the_api_key(monkeypatch: pytest.MonkeyPatch) -> None:
    settings = load_settings()
    fetcher = sources.pubmed(settings)
    assert fetcher.client.limiter.interval == pytest.approx(1 / 3)
    assert fetcher.api_key is None and fetcher.folder == settings.data_dir / "pubmed"
    monkeypatch.setenv("MEDREF_FETCH__NCBI_API_KEY", "k-123")
    keyed = sources.pubmed(load_settings())
    assert keyed.api_key == "k-123" and keyed.client.limiter.interval == pytest.approx(1 / 10)
    files = sources.pubmed(load_settings(), files=True)
    assert files.client.limiter.interval == pytest.approx(1 / 3)
    for f in (fetcher, keyed, files):
        f.client.close()


def test_base_urls_and_folders_come_from_settings(monkeypatch: pytest.MonkeyPatch, tmp_path) -> None:
    monkeypatch.setenv("MEDREF_FETCH__CTGOV_URL", "http://mirror.invalid/api/v2")
    settings = load_settings()
    ct = sources.ctgov(settings)
    dm = sources.dailymed(settings, out=tmp_path / "labels")
    vocab = sources.vocab(settings)
    assert ct.base_url == "http://mirror.invalid/api/v2" and ct.folder == settings.data_dir / "ctgov"
    assert dm.folder == tmp_path / "labels" and dm.base_url == "https://dailymed.nlm.nih.gov/dailymed"
    assert vocab.folder == settings.data_dir / "vocab"
    for f in (ct, dm, vocab):
        f.client.close()


def test_missing_httpx_gives_the_install_hint(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "httpx", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'medref\[fetch\]'"):
        require_httpx()
