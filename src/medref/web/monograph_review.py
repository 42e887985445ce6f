"""What a reviewer of a monograph sees beyond the generic review page: why it is due for review again.

:func:`changes_panel` gathers, for one monograph item, what changed since its current version was
generated (:func:`medref.review.monographs.monograph_changes`) and, when a newer label version is
stored, the section-by-section diff from the label version the monograph cites to the newest one
(:func:`medref.monograph.labeldiff.label_diff`, both sides cited). The partial
``partials/monograph_review.html`` renders it on the review page (through the template global
``monograph_changes_panel``, registered by :mod:`medref.web.routes.monographs`) and on
``/monographs/items/{id}/changes``, whose JSON twin is :class:`ChangesPanel`.
"""

from __future__ import annotations

import logging

from fastapi import Request
from pydantic import BaseModel, Field

from medref.errors import MedrefError
from medref.models import Audience, Monograph, ReviewStatus
from medref.monograph.labeldiff_model import LabelDiff
from medref.review.items import get_item
from medref.review.monographs import label_changes, monograph_changes
from medref.review.workflow import can_edit, review_info
from medref.store.repository import Store
from medref.web.views import current_user

log = logging.getLogger(__name__)


class ChangesPanel(BaseModel):
    """A monograph item's review context: its state, why it is stale, and the label diff."""

    item_id: str
    drug: str
    audience: Audience
    version: int
    status: ReviewStatus
    stale: bool = Field(description="due for another review (flagged, or something changed since)")
    reasons: list[str] = Field(default_factory=list, description="why, in plain words")
    setid: str | None = None
    cited_label: int | None = Field(default=None, description="the label version this version cites")
    newest_label: int | None = Field(default=None, description="the newest stored version of that label")
    new_documents: list[str] = Field(default_factory=list, description="new documents naming the drug")
    changed_documents: list[str] = Field(default_factory=list, description="cited documents that changed")
    label_diff: LabelDiff | None = Field(
        default=None, description="cited label version -> newest, section by section (when newer)"
    )
    can_regenerate: bool = False


def changes_panel(request: Request, item_id: str) -> ChangesPanel:
    """The panel of monograph ``item_id`` (NotFoundError when it is not a monograph)."""
    store: Store = request.app.state.store
    found = monograph_changes(store.engine, item_id)
    review = review_info(store.engine, item_id)
    current = get_item(store.engine, item_id, found.version)
    assert isinstance(current, Monograph)
    user = current_user(request)
    stale = review.stale or found.stale
    return ChangesPanel(
        item_id=item_id,
        drug=current.drug,
        audience=current.audience,
        version=found.version,
        status=review.status,
        stale=stale,
        reasons=found.reasons() or (["flagged stale"] if stale else []),
        setid=found.setid,
        cited_label=found.cited_label,
        newest_label=found.newest_label,
        new_documents=list(found.new_documents),
        changed_documents=list(found.changed_documents),
        label_diff=label_changes(store, found),
        can_regenerate=stale and user is not None and can_edit(user),
    )


def panel_or_none(request: Request, item_id: str) -> ChangesPanel | None:
    """:func:`changes_panel` for the review page's template: None when there is none to show."""
    if getattr(request.app.state, "store", None) is None:
        return None
    try:
        return changes_panel(request, item_id)
    except MedrefError:
        return None
    except Exception:  # the review page must still show when this part fails
        log.exception("monograph changes panel failed for %s", item_id)
        return None
