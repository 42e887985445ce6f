"""HTML and JSON twins of every page, built from the same data object.

A route returns ``page(request, "question.html", data=answer, ...)``; the response is the
rendered template, or the same data as JSON when the path ends in ``.json`` or the request
prefers ``application/json``. Templates autoescape everything: document and model text is
never marked safe.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, Response
from fastapi.templating import Jinja2Templates
from pydantic import BaseModel

TEMPLATES = Jinja2Templates(directory=str(Path(__file__).resolve().parent / "templates"))
TEMPLATES.env.autoescape = True


def wants_json(request: Request) -> bool:
    if request.url.path.endswith(".json"):
        return True
    accept = request.headers.get("accept", "")
    return "application/json" in accept and "text/html" not in accept


def to_jsonable(data: Any) -> Any:
    if isinstance(data, BaseModel):
        return data.model_dump(mode="json")
    if isinstance(data, list | tuple):
        return [to_jsonable(d) for d in data]
    if isinstance(data, dict):
        return {k: to_jsonable(v) for k, v in data.items()}
    return data


def page(request: Request, template: str, *, data: Any, status_code: int = 200, **context: Any) -> Response:
    """Render ``template`` with ``data`` (and extra context), or return ``data`` as JSON."""
    if wants_json(request):
        return JSONResponse(to_jsonable(data), status_code=status_code)
    return TEMPLATES.TemplateResponse(request, template, {"data": data, **context}, status_code=status_code)
