"""``medref user add|profile|show``: accounts and the names public pages give reviewers."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from medref.cli import app
from medref.errors import InputError, NotFoundError
from medref.review.users import get_profile
from medref.settings import load_settings
from medref.store.db import make_engine
from tests.review.factories import fast_hasher

runner = CliRunner()
PASSWORD = "a long enough password"


@pytest.fixture(autouse=True)
def _data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MEDREF_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)


def _profile(name: str) -> tuple[str | None, str | None]:
    engine = make_engine(load_settings().url)
    try:
        profile = get_profile(engine, name)
    finally:
        engine.dispose()
    assert profile is not None
    return profile.display_name, profile.credentials


def test_add_with_a_profile_then_change_it() -> None:
    add = ["user", "add", "arivera", "--role", "reviewer", "--password", PASSWORD]
    done = runner.invoke(app, [*add, "--display-name", "Dr. A. Rivera", "--credentials", "PharmD"])
    assert done.exit_code == 0, done.output
    assert "added reviewer 'arivera', shown as 'Dr. A. Rivera, PharmD'" in done.output
    assert _profile("arivera") == ("Dr. A. Rivera", "PharmD")

    changed = runner.invoke(app, ["user", "profile", "arivera", "--credentials", "PharmD, BCPS"])
    assert changed.exit_code == 0, changed.output
    assert "shown as 'Dr. A. Rivera, PharmD, BCPS'" in changed.output
    assert _profile("arivera") == ("Dr. A. Rivera", "PharmD, BCPS")

    cleared = runner.invoke(app, ["user", "profile", "arivera", "--display-name", ""])
    assert cleared.exit_code == 0 and "a member of the Medical Advisory Board" in cleared.output
    shown = runner.invoke(app, ["user", "show", "arivera"])
    assert shown.exit_code == 0 and "arivera (reviewer)" in shown.output


def test_add_without_a_profile_prints_as_before() -> None:
    done = runner.invoke(app, ["user", "add", "erin", "--role", "editor", "--password", PASSWORD])
    assert done.exit_code == 0 and done.output.strip() == "added editor 'erin'"
    assert _profile("erin") == (None, None)


def test_profile_errors_name_the_problem() -> None:
    unknown = runner.invoke(app, ["user", "profile", "nobody", "--display-name", "Dr. N. Body"])
    assert isinstance(unknown.exception, NotFoundError) and "nobody" in str(unknown.exception)
    runner.invoke(app, ["user", "add", "mab", "--role", "reviewer", "--password", PASSWORD])
    empty = runner.invoke(app, ["user", "profile", "mab"])
    assert isinstance(empty.exception, InputError) and "--display-name" in str(empty.exception)
    missing = runner.invoke(app, ["user", "show", "nobody"])
    assert isinstance(missing.exception, NotFoundError)
