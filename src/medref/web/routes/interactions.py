"""The interaction checker pages: ``/interactions?drug=A&drug=B`` and its JSON twin ``/interactions.json``.

Both are built from one :class:`~medref.monograph.interactions.InteractionReport`
(:func:`~medref.monograph.interactions.check_interactions`); without drug names the HTML page
shows only the form. An unknown name is a 404 carrying the closest known names; the JSON twin
takes two to :data:`~medref.monograph.interactions.MAX_DRUGS` names (else 422).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import StringConstraints

from medref.monograph.interactions import MAX_DRUGS, InteractionReport, check_interactions
from medref.web.deps import app_lexicon
from medref.web.render import page, wants_json

router = APIRouter()
Name = Annotated[str, StringConstraints(min_length=1, max_length=200, pattern=r"\S")]
DrugsQ = Annotated[  # the JSON twin: two to MAX_DRUGS names
    list[Name],
    Query(
        alias="drug",
        min_length=2,
        max_length=MAX_DRUGS,
        description="a drug name (generic or brand); give two or more by repeating the parameter",
    ),
]
FormQ = Annotated[  # the page: the form alone until two names are given
    list[str],
    Query(
        alias="drug", max_length=MAX_DRUGS, description="a drug name; give two or more (repeat the parameter)"
    ),
]


def _names(drugs: list[str]) -> list[str]:
    return [d.strip()[:200] for d in drugs if d and d.strip()]


def _report(request: Request, names: list[str]) -> InteractionReport:
    return check_interactions(names, store=request.app.state.store, lexicon=app_lexicon(request.app))


@router.get(
    "/interactions.json",
    response_model=InteractionReport,
    name="interactions_json",
    summary="Drug interactions named in the stored labels",
)
def interactions_json(request: Request, drugs: DrugsQ) -> Response:
    return page(request, "interactions.html", data=_report(request, _names(drugs)), names=_names(drugs))


@router.get(
    "/interactions",
    response_class=HTMLResponse,
    name="interactions_page",
    summary="Interaction checker page",
    responses={
        200: {"content": {"text/html": {}}, "description": "HTML (JSON with Accept: application/json)"}
    },
)
def interactions_page(request: Request, drugs: FormQ = []) -> Response:  # noqa: B006 (FastAPI default)
    names = _names(drugs)
    if len(names) < 2 and not wants_json(request):
        return page(request, "interactions.html", data=None, names=names)
    return page(request, "interactions.html", data=_report(request, names), names=names)
