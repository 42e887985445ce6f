"""The web monograph page uses the registered Drugs@FDA data, as the CLI does."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medref.deps import demo_files
from medref.ingest.pipeline import ingest_paths
from medref.monograph.approval import register_drugsatfda
from medref.settings import load_settings
from medref.store.repository import Store
from medref.web.app import create_app
from tests.ingest.adversarial.corpus import drugsatfda_zip

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("medref.monograph.builder") is None,
    reason="medref.monograph.builder not installed",
)


def test_the_web_monograph_reports_the_drugsatfda_approval(tmp_path: Path) -> None:
    export = drugsatfda_zip(tmp_path / "d.zip", product=("990777", "BLA", "DEMOCEPT", "BELATACEPT"))
    data = tmp_path / "data"
    settings = load_settings(data_dir=data)
    assert ingest_paths(Store.open(settings.url), demo_files()).ok
    registered, _, refused = register_drugsatfda([str(export)], data)
    assert registered and not refused
    client = TestClient(create_app(settings))
    r = client.get("/monographs/belatacept.json")
    assert r.status_code == 200, r.text
    body = r.text
    assert r.json()["approval_status"] == "approved"
    assert "BLA990777" in body and "Drugs@FDA data were not supplied" not in body
    assert "BLA990777" in client.get("/monographs/belatacept").text
