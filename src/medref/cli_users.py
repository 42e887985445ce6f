"""``medref user ...``: editorial accounts and the reviewer profiles public pages show.

    medref user add arivera --role reviewer --display-name "Dr. A. Rivera" --credentials PharmD
    medref user profile arivera --credentials "PharmD, BCPS"     # change one or both
    medref user profile arivera --display-name ""                 # clear: shown by role title
    medref user show arivera

Public pages never print a login name: a reviewer appears as "Dr. A. Rivera, PharmD", or as
"a member of the Medical Advisory Board" while no display name is set. Registered in
:mod:`medref.cli` as the ``user`` sub-app.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from medref.review.users import Profile

user_app = typer.Typer(no_args_is_help=True, help="Editorial accounts (editor, reviewer, admin).")
out = Console()

DisplayName = Annotated[
    str | None,
    typer.Option("--display-name", help='name shown on public pages, e.g. "Dr. A. Rivera" ("" clears it)'),
]
Credentials = Annotated[
    str | None, typer.Option("--credentials", help='e.g. "PharmD" or "MD, PhD" ("" clears them)')
]


@contextmanager
def _engine() -> Iterator[Engine]:
    """An engine on the configured store, schema up to date."""
    from medref.settings import load_settings
    from medref.store.db import make_engine
    from medref.store.migrate import ensure_schema

    settings = load_settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    engine = make_engine(settings.url)
    try:
        ensure_schema(engine)
        yield engine
    finally:
        engine.dispose()


def describe(profile: Profile) -> str:
    """One line: login, role, and how public pages name the account."""
    return f"{profile.username} ({profile.role}): shown as {profile.public_name!r}"


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="login name")],
    role: Annotated[str, typer.Option("--role", help="editor, reviewer or admin")],
    password: Annotated[
        str,
        typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, help="at least 10 characters"),
    ],
    display_name: DisplayName = None,
    credentials: Credentials = None,
) -> None:
    """Create an account for the editorial review workflow (password hashed with argon2id)."""
    from medref.review.users import add_user_command

    out.print(
        add_user_command(username, role, password, display_name=display_name, credentials=credentials),
        markup=False,
    )


@user_app.command("profile")
def user_profile(
    username: Annotated[str, typer.Argument(help="login name")],
    display_name: DisplayName = None,
    credentials: Credentials = None,
) -> None:
    """Set or change how public pages name a reviewer (display name and credentials)."""
    from medref.errors import InputError
    from medref.review.users import set_profile

    if display_name is None and credentials is None:
        raise InputError("give --display-name and/or --credentials (an empty value clears one)")
    with _engine() as engine:
        profile = set_profile(engine, username, display_name=display_name, credentials=credentials)
    out.print(describe(profile), markup=False)


@user_app.command("show")
def user_show(username: Annotated[str, typer.Argument(help="login name")]) -> None:
    """Print an account's role and how public pages name it."""
    from medref.errors import NotFoundError
    from medref.review.users import get_profile, normalize_username

    with _engine() as engine:
        profile = get_profile(engine, username)
    if profile is None:
        raise NotFoundError(f"no user named {normalize_username(username)!r}")
    out.print(describe(profile), markup=False)
