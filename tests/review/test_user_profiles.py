"""Reviewer profiles: how public pages name an account (display name and credentials, never the login)."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from medref.errors import InputError, NotFoundError
from medref.review.users import (
    BOARD_MEMBER,
    PROFILE_MAX,
    add_user,
    get_profile,
    public_name,
    reviewer_name,
    set_profile,
)
from tests.review.factories import fast_hasher

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("medref.review.users._hasher", fast_hasher)


@pytest.mark.parametrize(
    ("display_name", "credentials", "shown"),
    [
        ("Dr. A. Rivera", "PharmD", "Dr. A. Rivera, PharmD"),
        ("Dr. A. Rivera", None, "Dr. A. Rivera"),
        ("Dr. A. Rivera, PharmD", "PharmD", "Dr. A. Rivera, PharmD"),  # not said twice
        (None, "PharmD", BOARD_MEMBER),  # credentials alone name nobody
        ("   ", "MD", BOARD_MEMBER),
        (None, None, BOARD_MEMBER),
    ],
)
def test_public_name(display_name: str | None, credentials: str | None, shown: str) -> None:
    assert public_name(display_name, credentials) == shown


def test_profile_given_at_creation_is_what_pages_print(engine: Engine) -> None:
    add_user(
        engine, "ARivera", PASSWORD, role="reviewer", display_name=" Dr.  A. Rivera ", credentials="PharmD"
    )
    profile = get_profile(engine, "arivera")
    assert profile is not None and profile.role == "reviewer"
    assert profile.display_name == "Dr. A. Rivera"  # spaces tidied
    assert reviewer_name(engine, "arivera") == "Dr. A. Rivera, PharmD"
    assert "arivera" not in reviewer_name(engine, "arivera").lower()


def test_without_a_profile_the_role_title_stands_in_never_the_login(engine: Engine) -> None:
    add_user(engine, "rex", PASSWORD, role="reviewer")
    assert reviewer_name(engine, "rex") == BOARD_MEMBER
    assert reviewer_name(engine, "someone-deleted") == BOARD_MEMBER  # an account gone since
    assert reviewer_name(engine, None) is None


def test_set_profile_changes_one_field_keeps_the_other_and_clears_with_empty(engine: Engine) -> None:
    add_user(engine, "mab", PASSWORD, role="reviewer", display_name="Dr. M. Abbott", credentials="MD")
    assert set_profile(engine, "MAB", credentials="MD, PhD").public_name == "Dr. M. Abbott, MD, PhD"
    assert (
        set_profile(engine, "mab", display_name="Prof. M. Abbott").public_name == "Prof. M. Abbott, MD, PhD"
    )
    cleared = set_profile(engine, "mab", display_name="")
    assert cleared.display_name is None and cleared.credentials == "MD, PhD"
    assert reviewer_name(engine, "mab") == BOARD_MEMBER
    assert set_profile(engine, "mab").credentials == "MD, PhD"  # nothing given: nothing changes


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("display_name", "x" * (PROFILE_MAX + 1), "too long"),
        ("display_name", "<script>alert(1)</script>", "angle brackets"),
        ("credentials", "MD\x00", "control characters"),
    ],
)
def test_bad_profile_text_is_refused_with_what_was_wrong(
    engine: Engine, field: str, value: str, message: str
) -> None:
    add_user(engine, "ok", PASSWORD, role="reviewer")
    with pytest.raises(InputError, match=message):
        set_profile(engine, "ok", **{field: value})
    with pytest.raises(InputError, match=message):
        add_user(engine, "other", PASSWORD, role="reviewer", **{field: value})
    assert get_profile(engine, "other") is None  # nothing half-created
    assert reviewer_name(engine, "ok") == BOARD_MEMBER


def test_profile_of_an_unknown_user(engine: Engine) -> None:
    assert get_profile(engine, "nobody") is None
    with pytest.raises(NotFoundError, match="nobody"):
        set_profile(engine, "nobody", display_name="Dr. N. Body")
