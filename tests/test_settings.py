"""Settings: env prefix, nested sections, unknown keys rejected, TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from medref.errors import ConfigError
from medref.settings import load_settings


def test_defaults_and_database_url(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDREF_DATA_DIR", str(tmp_path))
    s = load_settings()
    assert s.url == f"sqlite:///{tmp_path.as_posix()}/medref.sqlite"
    monkeypatch.setenv("MEDREF_DATABASE_URL", "postgresql://u@h/db")
    assert load_settings().url == "postgresql://u@h/db"


def test_nested_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDREF_RETRIEVAL__K", "25")
    monkeypatch.setenv("MEDREF_LLM__BASE_URL", "http://127.0.0.1:9/v1")
    s = load_settings()
    assert s.retrieval.k == 25 and s.llm.base_url == "http://127.0.0.1:9/v1"


@pytest.mark.parametrize("var", ["MEDREF_RETRIEVAL__NOPE", "MEDREF_DATABSE_URL"])
def test_unknown_keys_rejected(monkeypatch: pytest.MonkeyPatch, var: str) -> None:
    monkeypatch.setenv(var, "1")
    with pytest.raises(ConfigError, match="(?i)unknown|extra"):
        load_settings()


def test_bad_value_is_a_readable_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MEDREF_RETRIEVAL__K", "0")
    with pytest.raises(ConfigError, match="retrieval.k"):
        load_settings()


def test_toml_file(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    cfg = tmp_path / "medref.toml"
    cfg.write_text("[retrieval]\nk = 7\n[web]\nport = 9001\n")
    monkeypatch.setenv("MEDREF_CONFIG", str(cfg))
    s = load_settings()
    assert (s.retrieval.k, s.web.port) == (7, 9001)
    cfg.write_text("[retrieval]\nkay = 7\n")
    with pytest.raises(ConfigError, match="kay"):
        load_settings()
    monkeypatch.setenv("MEDREF_CONFIG", str(tmp_path / "missing.toml"))
    with pytest.raises(ConfigError, match="not a file"):
        load_settings()
