"""``medref publish --out DIR``: the approved pages as a static site (see :mod:`medref.web.static_site`).

Registered on the main app in :mod:`medref.cli`. A re-run rewrites only the files whose content
changed and removes those of pages no longer published; it prints how many files were written,
left unchanged and removed.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer


def publish(
    out: Annotated[
        Path, typer.Option("--out", help="output folder (created; only files medref wrote are removed)")
    ],
    base_url: Annotated[
        str,
        typer.Option(
            "--base-url",
            help="the site's public address, for absolute sitemap entries (e.g. https://ref.example.org)",
        ),
    ] = "",
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="list every file written or removed")
    ] = False,
) -> None:
    """Write every approved page (HTML and JSON), topic pages, sitemap and search index as a static site."""
    from medref.deps import get_settings
    from medref.web.app import create_app
    from medref.web.static_site import export_site

    if base_url and not base_url.startswith(("http://", "https://")):
        raise typer.BadParameter("--base-url must start with http:// or https://")
    app = create_app(get_settings())
    try:
        result = export_site(app, out, base_url=base_url)
    except ValueError as exc:  # an unreadable manifest or an unsafe output path
        sys.stderr.write(f"medref publish: {exc}\n")
        raise typer.Exit(2) from exc
    finally:
        for thing in reversed(app.state.owned):
            thing.close()
    if verbose:
        for rel in result.report.written:
            sys.stdout.write(f"written   {rel}\n")
        for rel in result.report.removed:
            sys.stdout.write(f"removed   {rel}\n")
    for problem in result.problems:
        sys.stderr.write(f"left out: {problem}\n")
    sys.stdout.write(f"{out}: {result.summary()}\n")
