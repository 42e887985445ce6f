"""Fetchers configured from ``Settings.fetch``: base URLs, keys, rate limits, output folders.

Output folders are ``<data_dir>/<source>/`` (``pubmed``, ``dailymed``, ``ctgov``, ``vocab``),
so ``medref ingest <data_dir>/<source>`` picks the files up.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from medref.ingest.fetch.base import HttpClient, RetryPolicy
from medref.ingest.fetch.ctgov import CtgovFetcher
from medref.ingest.fetch.dailymed import DailyMedFetcher
from medref.ingest.fetch.pubmed import PubMedFetcher
from medref.ingest.fetch.vocab import VocabFetcher

if TYPE_CHECKING:
    import httpx

    from medref.settings import FetchSettings, Settings

SOURCES = ("pubmed", "dailymed", "ctgov", "vocab")


def client_for(
    source: str, fs: FetchSettings, transport: httpx.BaseTransport | None = None, **kwargs: Any
) -> HttpClient:
    """An HttpClient at the rate the source allows (NCBI: 10/s with a key, else 3/s)."""
    rate = {
        "pubmed": fs.ncbi_rate_with_key if fs.ncbi_api_key else fs.ncbi_rate,
        "pubmed-files": fs.files_rate,
        "dailymed": fs.dailymed_rate,
        "ctgov": fs.ctgov_rate,
        "vocab": fs.files_rate,
    }[source]
    return HttpClient(
        rate=rate,
        transport=transport,
        timeout_s=fs.timeout_s,
        policy=RetryPolicy(retries=fs.retries, backoff_s=fs.backoff_s),
        **kwargs,
    )


def folder_for(settings: Settings, source: str, out: Path | None = None) -> Path:
    return out or settings.data_dir / source


def pubmed(
    settings: Settings, *, files: bool = False, out: Path | None = None, transport: Any = None, **kw: Any
) -> PubMedFetcher:
    fs = settings.fetch
    return PubMedFetcher(
        client_for("pubmed-files" if files else "pubmed", fs, transport),
        folder_for(settings, "pubmed", out),
        eutils_url=fs.eutils_url,
        files_url=fs.pubmed_files_url,
        api_key=fs.ncbi_api_key,
        email=fs.ncbi_email,
        **kw,
    )


def dailymed(
    settings: Settings, *, out: Path | None = None, transport: Any = None, **kw: Any
) -> DailyMedFetcher:
    fs = settings.fetch
    return DailyMedFetcher(
        client_for("dailymed", fs, transport),
        folder_for(settings, "dailymed", out),
        base_url=fs.dailymed_url,
        zip_path=fs.dailymed_zip_path,
        **kw,
    )


def ctgov(settings: Settings, *, out: Path | None = None, transport: Any = None, **kw: Any) -> CtgovFetcher:
    fs = settings.fetch
    return CtgovFetcher(
        client_for("ctgov", fs, transport), folder_for(settings, "ctgov", out), base_url=fs.ctgov_url, **kw
    )


def vocab(settings: Settings, *, out: Path | None = None, transport: Any = None, **kw: Any) -> VocabFetcher:
    fs = settings.fetch
    return VocabFetcher(
        client_for("vocab", fs, transport),
        folder_for(settings, "vocab", out),
        mesh_url=fs.mesh_url,
        drugbank_url=fs.drugbank_vocabulary_url,
        **kw,
    )
