"""Monograph and review models: part of :mod:`medref.models`, which re-exports every name here.

Import them from ``medref.models`` (this module is loaded by it, after the models it builds on).
"""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import Field

from medref.models import Audience, Citation, DocumentRef, Reference, _Model

# --------------------------------------------------------------------------- monographs

NOT_FOUND = "Not found in the sources"


class SourcedValue(_Model):
    """One monograph statement or value, with the exact evidence behind it.

    ``text`` is quoted from the cited passages (or is a value read from a structured source
    such as Drugs@FDA or the DrugBank vocabulary, cited by ``source``); an empty field is
    represented by the field's ``values`` being empty, rendered as ``NOT_FOUND``.
    """

    text: str
    citations: list[int] = Field(default_factory=list)
    spans: list[Citation] = Field(default_factory=list)
    source: str | None = Field(
        default=None, description="structured source, e.g. 'DrugBank vocabulary DB06681'"
    )


class MonographField(_Model):
    key: str = Field(description="stable field id, e.g. 'boxed_warning'")
    title: str
    values: list[SourcedValue] = Field(default_factory=list)
    table: list[list[str]] | None = Field(default=None, description="rows (first row = header), e.g. dosing")
    table_citations: list[int] = Field(default_factory=list)
    note: str | None = None

    @property
    def found(self) -> bool:
        return bool(self.values or self.table)


class MonographSection(_Model):
    key: str
    title: str
    fields: list[MonographField] = Field(default_factory=list)


class Monograph(_Model):
    """A drug monograph page: the data object behind its HTML and JSON forms."""

    id: str | None = None
    version: int = 1
    drug: str = Field(description="preferred name")
    query: str = Field(description="the name the user asked for")
    audience: Audience = Audience.CLINICIAN
    approval_status: str = Field(description="approved / investigational / unknown")
    label: DocumentRef | None = Field(default=None, description="the label version used (newest)")
    label_note: str | None = Field(
        default=None, description="e.g. which version was used and which superseded"
    )
    sections: list[MonographSection] = Field(default_factory=list)
    references: list[Reference] = Field(default_factory=list)
    disclaimer: str
    data_as_of: dt.date | None = Field(default=None, description="newest source date")
    notes: list[str] = Field(default_factory=list)
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None

    def field(self, key: str) -> MonographField | None:
        for section in self.sections:
            for f in section.fields:
                if f.key == key:
                    return f
        return None


# --------------------------------------------------------------------------- review


class ReviewStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    UNDER_REVIEW = "under_review"
    APPROVED = "approved"
    CHANGES_REQUESTED = "changes_requested"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return self.value.replace("_", " ").capitalize()


class AuditEvent(_Model):
    at: dt.datetime
    actor: str | None = None
    action: str
    version: int | None = None
    from_status: str | None = None
    to_status: str | None = None
    note: str | None = None


class Review(_Model):
    """The editorial state of an answer or a monograph, shown on its public page."""

    item_id: str
    item_kind: str = Field(description="'answer' or 'monograph'")
    status: ReviewStatus = ReviewStatus.DRAFT
    version: int = 1
    stale: bool = False
    reviewer: str | None = Field(
        default=None, description="login name of who approved it (staff pages only; never public)"
    )
    reviewer_name: str | None = Field(
        default=None,
        description="how public pages name the reviewer: 'Dr. A. Rivera, PharmD', or the role title",
    )
    approved_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    history: list[AuditEvent] = Field(default_factory=list)

    @property
    def approved(self) -> bool:
        return self.status is ReviewStatus.APPROVED
