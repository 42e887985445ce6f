"""Shared wiring: settings -> store (and later indexes, retriever) for the CLI and web app."""

from __future__ import annotations

from pathlib import Path

from medref.settings import Settings, load_settings
from medref.store.repository import Store

DEMO_CORPUS = Path(__file__).resolve().parent / "demo" / "corpus"


def get_settings() -> Settings:
    return load_settings()


def open_store(settings: Settings | None = None) -> Store:
    settings = settings or get_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return Store.open(settings.url)


def demo_files() -> list[Path]:
    """The demo corpus files (its README describes the corpus and is not part of it)."""
    return sorted(p for p in DEMO_CORPUS.iterdir() if p.is_file() and not p.name.lower().startswith("readme"))
