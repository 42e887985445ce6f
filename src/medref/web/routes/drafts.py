"""Turning an answer into editorial work: only an editor's explicit POST stores a draft.

``POST /drafts`` (form fields ``q``, ``audience``, optional ``thread``; CSRF token) composes the
question afresh and saves it as a new draft in the review queue, then redirects to the stored
question page (JSON: 201 with the Answer and its Location). Public GETs of /ask never write.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from medref.compose.ask import Asker
from medref.errors import QueryError
from medref.models import Answer, Audience
from medref.review.users import User
from medref.review.workflow import EDIT_ROLES
from medref.web.deps import get_asker
from medref.web.render import page, wants_json
from medref.web.security import require_role, verify_csrf
from medref.web.views import path_for

router = APIRouter(dependencies=[Depends(verify_csrf)], tags=["review"])
MAX_QUESTION = 4000


@router.post(
    "/drafts",
    name="create_draft",
    status_code=303,
    summary="Save a question's answer as a new draft for review (editors)",
    responses={201: {"model": Answer, "description": "with Accept: application/json"}},
)
def create_draft(
    request: Request,
    user: Annotated[User, Depends(require_role(*EDIT_ROLES))],
    q: Annotated[str, Form(max_length=MAX_QUESTION)],
    audience: Annotated[Audience, Form()] = Audience.CLINICIAN,
    thread: Annotated[str | None, Form(max_length=64)] = None,
) -> Response:
    if not q.strip():
        raise QueryError("Type a question to save as a draft.")
    asker: Asker = get_asker(request)
    answer = asker.ask(q, audience=audience, thread_id=thread or None, store=True)
    if answer.id is None:  # a question that cannot be answered as asked: nothing to review
        raise QueryError(answer.notes[0] if answer.notes else "This question cannot be answered as asked.")
    location = path_for(request, "question_page", answer_id=answer.id)
    if wants_json(request):
        response = page(request, "question.html", data=answer, status_code=201)
        response.headers["Location"] = location
        return response
    return RedirectResponse(location, status_code=303)
