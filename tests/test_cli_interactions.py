"""``medref interactions`` on the demo corpus (built-in lexicon)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from medref.cli import app
from medref.deps import demo_files, open_store
from medref.ingest.pipeline import ingest_paths

runner = CliRunner()


@pytest.fixture
def demo_store() -> None:
    store = open_store()
    assert ingest_paths(store, demo_files()).ok
    store.close()


def test_text_and_json(demo_store: None) -> None:
    text = runner.invoke(app, ["interactions", "belatacept", "cyclosporine"])
    assert text.exit_code == 0, text.output
    assert "BELATACEPT + CYCLOSPORINE" in text.output and "REFERENCES" in text.output
    result = runner.invoke(app, ["interactions", "belatacept", "cyclosporine", "prednisone", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [tuple(p["drugs"]) for p in data["pairs"]] == [
        ("Belatacept", "Cyclosporine"),
        ("Belatacept", "Prednisone"),
        ("Cyclosporine", "Prednisone"),
    ]
    assert data["pairs"][0]["findings"]
    assert data["pairs"][2]["note"].endswith("nothing was searched.")


def test_unknown_name(demo_store: None) -> None:
    result = runner.invoke(app, ["interactions", "belatacep", "cyclosporine"])
    assert result.exit_code != 0
    assert "belatacept" in str(result.exception).lower()
