"""Create index backends by name.

Each registry maps a name to ``"module:Class"``; the module is imported only when that
backend is asked for, so an optional dependency is needed only by whoever uses it.
Adding a backend is one line in the right registry.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from medref.errors import ConfigError, MissingExtraError
from medref.index.base import DenseIndex, LexicalIndex
from medref.settings import Settings

#: Chosen by measurement, see docs/lexical-index.md.
DEFAULT_LEXICAL = "tantivy"

LEXICAL: dict[str, str] = {
    "tantivy": "medref.index.lexical_tantivy:TantivyLexicalIndex",
    "fts5": "medref.index.lexical_fts5:Fts5LexicalIndex",
}

DENSE: dict[str, str] = {
    "usearch": "medref.index.dense_usearch:UsearchDenseIndex",
    "numpy": "medref.index.dense_numpy:NumpyDenseIndex",
}

#: Backends whose index lives in the store's PostgreSQL database (docs/postgres-backends.md):
#: they are given the store's URL (and the dense one the embedding model's name) from the settings.
LEXICAL_IN_DATABASE: dict[str, str] = {"postgres": "medref.index.lexical_postgres:PostgresLexicalIndex"}
DENSE_IN_DATABASE: dict[str, str] = {"pgvector": "medref.index.dense_pgvector:PgvectorDenseIndex"}

#: The pip extra that provides a third-party module a backend imports (for a helpful error).
#: Modules not listed here are core dependencies.
_EXTRAS: dict[str, str] = {"usearch": "dense", "onnxruntime": "dense", "psycopg": "postgres"}


def _load(kind: str, registry: dict[str, str], name: str) -> Any:
    key = (name or "").strip().lower()
    if key == "default" and kind == "lexical":
        key = DEFAULT_LEXICAL
    target = registry.get(key)
    if target is None:
        known = ", ".join(sorted(registry))
        raise ConfigError(f"unknown {kind} index backend {name!r}; choose one of: {known}")
    module_name, _, cls_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        missing = (exc.name or "").split(".")[0]
        if not missing or missing == "medref":
            raise
        if missing in _EXTRAS:
            raise MissingExtraError(f"the {key} {kind} index", _EXTRAS[missing], missing) from exc
        raise ConfigError(
            f"the {key} {kind} index needs the package {missing!r}, which is not installed "
            f"(pip install {missing}); or choose another backend: {', '.join(sorted(registry))}"
        ) from exc
    return getattr(module, cls_name)


def _in_database(name: str, registry: dict[str, str]) -> bool:
    return (name or "").strip().lower() in registry


def make_lexical(name: str, path: Path, *, settings: Settings | None = None, **opts: Any) -> LexicalIndex:
    """Open (or create, unless ``create=False``) the lexical index ``name`` in folder ``path``."""
    if _in_database(name, LEXICAL_IN_DATABASE):
        opts.setdefault("url", settings.url if settings is not None else None)
    cls = _load("lexical", {**LEXICAL, **LEXICAL_IN_DATABASE}, name)
    index: LexicalIndex = cls(Path(path), **opts)
    return index


def make_dense(
    name: str, path: Path, dim: int, *, settings: Settings | None = None, **opts: Any
) -> DenseIndex:
    """Open (or create) the dense index ``name`` of dimension ``dim`` in folder ``path``."""
    if _in_database(name, DENSE_IN_DATABASE):
        opts.setdefault("url", settings.url if settings is not None else None)
        if settings is not None:
            model = settings.index.embed_model_path
            opts.setdefault(
                "model", f"{settings.index.embedder}:{model.name}" if model else settings.index.embedder
            )
    cls = _load("dense", {**DENSE, **DENSE_IN_DATABASE}, name)
    index: DenseIndex = cls(Path(path), dim=dim, **opts)
    return index
