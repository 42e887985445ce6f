"""``medref label diff``: text and JSON output on the demo label's two versions, and its errors."""

from __future__ import annotations

import json
import re

from typer.testing import CliRunner

from medref.cli import app
from medref.deps import demo_files, open_store
from medref.errors import NotFoundError
from medref.ingest.pipeline import ingest_paths
from medref.monograph.labeldiff import ONE_VERSION, label_diff

runner = CliRunner()
BELATACEPT = [p for p in demo_files() if p.name.startswith("spl_belatacept")]


def _ingest(*names: str) -> None:
    store = open_store()
    try:
        assert ingest_paths(store, [p for p in BELATACEPT if p.name in names]).ok
    finally:
        store.close()


def test_text_and_json() -> None:
    _ingest("spl_belatacept.xml", "spl_belatacept_v1.xml")
    store = open_store()
    try:
        expected = label_diff(store, "belatacept")
    finally:
        store.close()
    text = runner.invoke(app, ["label", "diff", "belatacept"])
    assert text.exit_code == 0, text.output
    out = text.stdout
    assert (
        expected.summary in out
        and f"Changed: {expected.sections[0].number} {expected.sections[0].path}" in out
    )
    for hunk in expected.sections[0].hunks:
        for span in hunk.removed:
            assert f"- [1] {span.text}" in out
        for span in hunk.added:
            assert f"+ [2] {span.text}" in out
    assert re.search(r"\[1\] .*Version 1, effective 2023-06-10 \(superseded\)", out)
    assert expected.dailymed_url is None and "dailymed" not in out.lower()  # invented set id: no link
    data = json.loads(
        runner.invoke(app, ["label", "diff", expected.setid, "--from", "1", "--to", "2", "--json"]).stdout
    )
    assert data == expected.model_dump(mode="json") | {"query": expected.setid}


def test_errors() -> None:
    _ingest("spl_belatacept.xml")
    one = runner.invoke(app, ["label", "diff", "belatacept"])
    assert (
        one.exit_code != 0 and isinstance(one.exception, NotFoundError) and ONE_VERSION in str(one.exception)
    )
    _ingest("spl_belatacept_v1.xml")
    bad = runner.invoke(app, ["label", "diff", "belatacept", "--from", "5"])
    assert isinstance(bad.exception, NotFoundError) and "stored versions: 1, 2" in str(bad.exception)
    unknown = runner.invoke(app, ["label", "diff", "belatacep"])
    assert isinstance(unknown.exception, NotFoundError) and "did you mean: belatacept" in str(
        unknown.exception
    )
