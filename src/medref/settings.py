"""One ``Settings`` object for the whole application.

Values come from (highest first): keyword arguments, ``MEDREF_*`` environment variables
(nested sections with ``__``, e.g. ``MEDREF_RETRIEVAL__K=20``), a TOML file named by
``MEDREF_CONFIG`` (or ``<data_dir>/medref.toml`` when present), then defaults.
Unknown keys are rejected everywhere.

The database URL is the one top-level exception to nesting so that the documented
``MEDREF_DATABASE_URL`` works as users expect.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Literal

from platformdirs import user_data_dir
from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from medref.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class IngestSettings(_Section):
    batch_size: int = Field(default=500, ge=1, description="documents per database round-trip")
    max_decompressed_mb: float = Field(
        default=2048, gt=0, description="a compressed input (.gz, a zip member) may expand to at most this"
    )
    max_compression_ratio: float = Field(
        default=100, ge=1, description="and to at most this many times its compressed size (past 16 MB)"
    )


class IndexSettings(_Section):
    lexical: str = Field(
        default="tantivy",
        description="lexical backend name: tantivy, fts5, or postgres (in the store's PostgreSQL database)",
    )
    dense: str = Field(
        default="auto",
        description="'auto' (on when the dense extra is installed), 'off', or a backend name "
        "(usearch, numpy, or pgvector: in the store's PostgreSQL database)",
    )
    embedder: str = Field(default="minilm-onnx")
    embed_model_path: Path | None = Field(
        default=None, description="an ONNX model instead of the packaged one"
    )
    embed_tokenizer_path: Path | None = Field(default=None, description="tokenizer.json or vocab.txt for it")
    threads: int = Field(default=2, ge=1)
    ray_address: str | None = Field(
        default=None,
        description="Ray cluster for `medref index rebuild --workers N --ray` (default: a local one)",
    )


class RetrievalSettings(_Section):
    k: int = Field(default=10, ge=1, le=200)
    candidates: int = Field(default=100, ge=1, le=2000, description="per-backend candidates before fusion")
    rrf_k: int = Field(default=60, ge=1)
    lexical_weight: float = Field(default=1.0, ge=0)
    dense_weight: float = Field(
        default=2.0, ge=0, description="tuned on BioASQ Task7B, held-out 8B+9B: docs/benchmarks.md"
    )
    expand: bool = True
    anchor_top: int = Field(
        default=30,
        ge=0,
        le=2000,
        description="lexical top hits kept up when they hold a rare query term (0: off)",
    )
    anchor_rare_share: float = Field(
        default=0.0015,
        ge=0,
        le=1,
        description="a query term is rare when at most this share of passages (and at most 200) hold it",
    )
    anchor_rank_offset: int = Field(
        default=5,
        ge=0,
        description="an anchored hit at lexical rank r scores as if every list ranked it r + offset",
    )
    lexicon_path: Path | None = None
    max_query_chars: int = Field(default=2000, ge=16)


class LLMSettings(_Section):
    base_url: str | None = Field(
        default=None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1"
    )
    model: str = "local"
    api_key: str | None = None
    timeout_s: float = Field(default=60.0, gt=0)
    retries: int = Field(default=2, ge=0)


class MonographSettings(_Section):
    drugsatfda: Path | None = Field(
        default=None,
        description="Drugs@FDA zip; default <data_dir>/drugsatfda.zip, placed there by `medref ingest drugsatfda.zip`",
    )


class WebSettings(_Section):
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str | None = Field(
        default=None, description="session signing key; generated into data_dir if unset"
    )
    login_attempts: int = Field(default=5, ge=1)
    login_client_attempts: int = Field(
        default=20,
        ge=1,
        description="failed sign-ins per client address in 15 minutes before it is locked out",
    )
    editorial_policy: Path | None = Field(
        default=None,
        description="a Markdown file whose text replaces the built-in editorial policy page (shown escaped)",
    )


class FetchSettings(_Section):
    """``medref fetch``: public sources (the only commands that use the network)."""

    ncbi_api_key: str | None = Field(
        default=None,
        description="NCBI E-utilities key (MEDREF_FETCH__NCBI_API_KEY): 10 requests/s instead of 3",
    )
    ncbi_email: str | None = Field(default=None, description="sent to E-utilities as 'email', as NCBI asks")
    eutils_url: str = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils"
    pubmed_files_url: str = Field(
        default="https://ftp.ncbi.nlm.nih.gov/pubmed", description="holds baseline/ and updatefiles/"
    )
    dailymed_url: str = "https://dailymed.nlm.nih.gov/dailymed"
    dailymed_zip_path: str = Field(
        default="downloadzipfile.cfm?setId={setid}&version={version}",
        description="one version's SPL zip, relative to dailymed_url",
    )
    ctgov_url: str = "https://clinicaltrials.gov/api/v2"
    mesh_url: str = Field(
        default="https://nlmpubs.nlm.nih.gov/projects/mesh/MESH_FILES/xmlmesh",
        description="holds desc<year>.gz",
    )
    drugbank_vocabulary_url: str = "https://go.drugbank.com/releases/latest/downloads/all-drugbank-vocabulary"
    ncbi_rate: float = Field(default=3.0, gt=0, description="requests/s to NCBI without a key")
    ncbi_rate_with_key: float = Field(default=10.0, gt=0, description="requests/s to NCBI with a key")
    dailymed_rate: float = Field(default=4.0, gt=0)
    ctgov_rate: float = Field(default=4.0, gt=0)
    files_rate: float = Field(default=3.0, gt=0, description="requests/s for bulk file downloads")
    retries: int = Field(default=5, ge=0)
    backoff_s: float = Field(default=1.0, ge=0, description="first retry delay; doubles each time")
    timeout_s: float = Field(default=120.0, gt=0)


def _default_data_dir() -> Path:
    return Path(user_data_dir("medref", appauthor=False))


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MEDREF_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    data_dir: Path = Field(default_factory=_default_data_dir)
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default SQLite in data_dir")
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "WARNING"
    ingest: IngestSettings = Field(default_factory=IngestSettings)
    index: IndexSettings = Field(default_factory=IndexSettings)
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings)
    llm: LLMSettings = Field(default_factory=LLMSettings)
    web: WebSettings = Field(default_factory=WebSettings)
    monograph: MonographSettings = Field(default_factory=MonographSettings)
    fetch: FetchSettings = Field(default_factory=FetchSettings)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        from pydantic_settings import TomlConfigSettingsSource

        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        config = os.environ.get("MEDREF_CONFIG")
        if config:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=Path(config)))
        return tuple(sources)

    @property
    def url(self) -> str:
        """The effective database URL."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'medref.sqlite').as_posix()}"

    @property
    def drugsatfda_path(self) -> Path | None:
        """The Drugs@FDA zip in use, if any."""
        path = self.monograph.drugsatfda or self.data_dir / "drugsatfda.zip"
        return path if path.is_file() else None

    @property
    def index_dir(self) -> Path:
        """Where on-disk indexes live, next to the store."""
        return self.data_dir / "index"


_KNOWN_ENV = {"MEDREF_CONFIG", "MEDREF_SHARED_DATA", "MEDREF_TEST_PG_URL"}


def _check_env() -> None:
    """Reject unknown MEDREF_* variables (a typo should not be silently ignored)."""
    top = set(Settings.model_fields)
    for key in os.environ:
        if not key.startswith("MEDREF_") or key in _KNOWN_ENV:
            continue
        name = key[len("MEDREF_") :].lower()
        head = name.split("__", 1)[0]
        if head not in top:
            raise ConfigError(f"unknown setting in environment: {key}")


def load_settings(**overrides: Any) -> Settings:
    """Build Settings, turning validation problems into a readable ConfigError."""
    _check_env()
    config = os.environ.get("MEDREF_CONFIG")
    if config and not Path(config).is_file():
        raise ConfigError(f"MEDREF_CONFIG points to {config}, which is not a file")
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or '<root>'}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"invalid settings: {problems}") from exc
