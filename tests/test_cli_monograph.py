"""medref monograph: the page the Python API builds, printed, with the collector left as it was."""

from __future__ import annotations

import gc
import json
from typing import Any

import pytest
from typer.testing import CliRunner

from medref.cli import app
from tests.test_cli import demo  # noqa: F401  (the demo store fixture)

runner = CliRunner()


def _api_json(drug: str) -> dict[str, Any]:
    from medref.deps import get_settings, open_store
    from medref.monograph import build_monograph
    from medref.retrieve.retriever import Retriever

    settings = get_settings()
    store = open_store(settings)
    retriever = Retriever.open(settings, store=store)
    try:
        mono = build_monograph(
            drug,
            store=store,
            retriever=retriever,
            lexicon=retriever.lexicon,
            drugsatfda=settings.drugsatfda_path,
        )
    finally:
        retriever.close()
    return mono.model_dump(mode="json")


def _without_stamp(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k != "created_at"}


@pytest.mark.usefixtures("demo")
def test_the_command_prints_what_the_api_builds() -> None:
    assert gc.isenabled()
    result = runner.invoke(app, ["monograph", "belatacept", "--json"])
    assert result.exit_code == 0, result.output
    assert gc.isenabled()  # paused for the build only
    printed = json.loads(result.stdout)
    assert _without_stamp(printed) == _without_stamp(_api_json("belatacept"))
    again = runner.invoke(app, ["monograph", "belatacept", "--json"])
    assert _without_stamp(json.loads(again.stdout)) == _without_stamp(printed)
    text = runner.invoke(app, ["monograph", "belatacept"])
    assert text.exit_code == 0 and "belatacept" in text.stdout.lower() and "References" in text.stdout


@pytest.mark.usefixtures("demo")
def test_a_bad_audience_is_refused_and_the_collector_is_back_on() -> None:
    result = runner.invoke(app, ["monograph", "belatacept", "--audience", "nobody"])
    assert result.exit_code != 0
    assert gc.isenabled()
