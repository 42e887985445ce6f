"""The label-version diff page: ``/labels/{setid}/diff?from=&to=`` and its JSON twin.

``setid`` may also be a drug name (resolved as ``medref label diff`` does: stored label names
first, then the lexicon's synonyms and brand names). Without ``from`` / ``to`` the previous stored
version is compared with the current one. An unknown drug or set id, a label with one stored
version, or a version that is not stored is a 404 whose message says which; asking for the same
version on both sides is a 422.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response

from medref.monograph.labeldiff import label_diff
from medref.monograph.labeldiff_model import LabelDiff
from medref.monograph.labelfind import NoLabelError
from medref.web.deps import app_lexicon
from medref.web.render import page

router = APIRouter()

FromQ = Annotated[
    int | None,
    Query(alias="from", ge=0, le=2**31 - 1, description="the older version (default: the one before to)"),
]
ToQ = Annotated[
    int | None, Query(alias="to", ge=0, le=2**31 - 1, description="the newer version (default: current)")
]
_HTML_OR_JSON: dict[int | str, dict[str, Any]] = {
    200: {"content": {"text/html": {}}, "description": "HTML page (JSON with Accept: application/json)"}
}


def _diff(request: Request, setid: str, from_version: int | None, to_version: int | None) -> Response:
    store = request.app.state.store
    try:
        data = label_diff(store, setid, from_version=from_version, to_version=to_version)
    except NoLabelError:  # not a stored label name or set id: the lexicon may know it by another name
        lexicon = app_lexicon(request.app)
        data = label_diff(store, setid, from_version=from_version, to_version=to_version, lexicon=lexicon)
    return page(request, "label_diff.html", data=data)


@router.get(
    "/labels/{setid}/diff.json",
    response_model=LabelDiff,
    name="label_diff_json",
    summary="What changed between two versions of a drug label",
)
def label_diff_json(
    request: Request, setid: str, from_version: FromQ = None, to_version: ToQ = None
) -> Response:
    return _diff(request, setid, from_version, to_version)


@router.get(
    "/labels/{setid}/diff",
    response_class=HTMLResponse,
    name="label_diff_page",
    responses=_HTML_OR_JSON,
    summary="Label-version diff page",
)
def label_diff_page(
    request: Request, setid: str, from_version: FromQ = None, to_version: ToQ = None
) -> Response:
    return _diff(request, setid, from_version, to_version)
