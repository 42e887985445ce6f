"""``medref serve``: run the web app with uvicorn on the configured host and port."""

from __future__ import annotations

from medref.errors import MissingExtraError
from medref.settings import Settings


def serve(
    host: str | None = None,
    port: int | None = None,
    *,
    settings: Settings | None = None,
    preload: bool = True,
) -> None:
    """Serve the web app until interrupted (``host``/``port`` default to ``settings.web``).

    ``preload``: load models and indexes while starting, so the first question is as fast as the
    rest (``GET /ready`` turns 200 when done). A missing search index does not stop the server:
    the pages say how to build it.
    """
    try:
        import fastapi  # noqa: F401
        import jinja2  # noqa: F401
        import uvicorn
    except ImportError as exc:
        raise MissingExtraError("the web app", "web", exc.name or "fastapi") from exc
    from medref.deps import get_settings
    from medref.web.app import create_app

    settings = settings or get_settings()
    app = create_app(settings, preload=preload)
    uvicorn.run(
        app,
        host=host or settings.web.host,
        port=port or settings.web.port,
        log_level=settings.log_level.lower(),
        proxy_headers=True,
        server_header=False,
    )
