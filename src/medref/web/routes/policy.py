"""The editorial policy page: ``GET /editorial-policy`` (``/editorial-policy.json``).

It says how medref pages are made: every sentence quoted from the installed sources and cited,
what the evidence levels mean, how review works (Submitted / Under Review / Approved by the
Medical Advisory Board, four eyes), what happens when a source changes, corrections, and that
it is not medical advice. The page is rendered from one :class:`EditorialPolicy` object.

An installation replaces the built-in text with its own by naming a Markdown file in
``settings.web.editorial_policy`` (``MEDREF_WEB__EDITORIAL_POLICY``). Only a small part of
Markdown is read, and everything is shown as plain, escaped text: ``# Title`` (first line),
``## Heading`` starts a section, ``- item`` is a bullet point, blank lines separate paragraphs.
A file that cannot be read is logged (naming it) and the built-in text is shown instead.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Literal

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from medref.settings import Settings
from medref.web.render import page
from medref.web.views import LEVEL_MEANINGS, PENDING_BANNER

log = logging.getLogger(__name__)
router = APIRouter(tags=["pages"])
POLICY_PATH = "/editorial-policy"  # also linked from base.html and partials/review.html
MAX_POLICY_BYTES = 200_000


class PolicySection(BaseModel):
    heading: str
    paragraphs: list[str] = Field(default_factory=list)
    points: list[str] = Field(default_factory=list, description="bullet points, after the paragraphs")


class EditorialPolicy(BaseModel):
    """The editorial policy page's data."""

    title: str
    summary: str = ""
    sections: list[PolicySection] = Field(default_factory=list)
    source: Literal["built-in", "installation"] = Field(
        default="built-in", description="medref's own text, or this installation's file"
    )


def builtin_policy() -> EditorialPolicy:
    """medref's own description of how its pages are made."""
    levels = [f"Level {meaning}." for _, meaning in sorted(LEVEL_MEANINGS.items())]
    return EditorialPolicy(
        title="Editorial policy",
        summary=(
            "How the pages of this medref installation are written, checked and corrected. "
            "medref is a reference tool: nothing on it is medical advice."
        ),
        sections=[
            PolicySection(
                heading="Only what the sources say",
                paragraphs=[
                    "Answers and drug monographs are assembled from the documents loaded into this "
                    "installation: journal records, drug labels, trial registrations and guidelines. "
                    "Each sentence of a page is taken from one of those documents and carries a "
                    "numbered citation; opening it shows the passage it came from, with the quoted "
                    "words marked.",
                    "When the sources do not cover a question or a monograph field, the page says so "
                    "instead of filling the gap. Retracted articles are left out, and notices such as "
                    "errata or expressions of concern are shown next to the article they concern.",
                ],
            ),
            PolicySection(
                heading="Evidence levels",
                paragraphs=[
                    "Every source is given a level from its study design. The level tells how much "
                    "weight a design usually carries; it does not say whether a result applies to a "
                    "particular person."
                ],
                points=levels,
            ),
            PolicySection(
                heading="How review works",
                paragraphs=[
                    "An editor prepares a page and submits it. A reviewer of the Medical Advisory "
                    "Board then reviews it and approves it, asks for changes, or rejects it. The page "
                    "shows which of the three steps it has reached: Submitted, Under Review, or "
                    "Approved by the Medical Advisory Board.",
                    "Four eyes: whoever saved a version may not approve that same version; a "
                    "different reviewer has to. An approved page names its reviewer by name and "
                    "credentials, with the date of approval.",
                    "A page counts as approved only while the version on screen is the one that was "
                    "approved and its stored text still matches what the reviewer saw. Until then it "
                    f'carries the notice "{PENDING_BANNER}".',
                ],
            ),
            PolicySection(
                heading="When a source changes",
                paragraphs=[
                    "medref keeps a fingerprint of every passage a page cites. When one of those "
                    "passages changes or is withdrawn, the page is marked as due for another review, "
                    "and it cannot be approved again until it has been rewritten from the current "
                    "sources or saved anew."
                ],
            ),
            PolicySection(
                heading="Corrections",
                paragraphs=[
                    "A correction is saved as a new version; earlier versions are kept and every "
                    "step is recorded in an audit log. A corrected page goes through review again "
                    "before it is shown as approved. To report a mistake, contact the people who run "
                    "this installation."
                ],
            ),
            PolicySection(
                heading="Not medical advice",
                paragraphs=[
                    "These pages help people find and read the evidence. They do not replace a "
                    "doctor, pharmacist or nurse who knows the patient. In an emergency, call your "
                    "local emergency number."
                ],
            ),
        ],
    )


def parse_policy(text: str, *, path: Path | str = "<text>") -> EditorialPolicy:
    """An :class:`EditorialPolicy` from the small Markdown subset of the module doc.

    Raises :class:`ValueError` naming ``path`` when the text has no content.
    """
    title: str | None = None
    sections: list[PolicySection] = []
    intro: list[str] = []
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            (sections[-1].paragraphs if sections else intro).append(" ".join(paragraph))
            paragraph.clear()

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            flush()
        elif line.startswith("# ") and title is None and not sections and not intro and not paragraph:
            title = line[2:].strip()
        elif line.startswith("#"):
            flush()
            sections.append(PolicySection(heading=line.lstrip("#").strip() or "Section"))
        elif line[:2] in ("- ", "* "):
            flush()
            if not sections:
                sections.append(PolicySection(heading="Policy"))
            sections[-1].points.append(line[2:].strip())
        else:
            paragraph.append(line)
    flush()
    if not sections and not intro:
        raise ValueError(f"{path}: the editorial policy file has no text")
    return EditorialPolicy(
        title=title or "Editorial policy", summary=" ".join(intro), sections=sections, source="installation"
    )


def load_policy(settings: Settings | None) -> EditorialPolicy:
    """The installation's policy file when configured and readable, else the built-in text."""
    path = settings.web.editorial_policy if settings is not None else None
    if path is None:
        return builtin_policy()
    try:
        raw = Path(path).read_bytes()
        if len(raw) > MAX_POLICY_BYTES:
            raise ValueError(f"{path}: the editorial policy file is over {MAX_POLICY_BYTES} bytes")
        return parse_policy(raw.decode("utf-8"), path=path)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        log.error("editorial policy %s cannot be used (%s); showing the built-in text", path, exc)
        return builtin_policy()


def _policy(request: Request) -> Response:
    settings = getattr(request.app.state, "settings", None)
    return page(request, "policy.html", data=load_policy(settings))


@router.get(
    POLICY_PATH + ".json", response_model=EditorialPolicy, name="editorial_policy_json", summary="Policy data"
)
def policy_json(request: Request) -> Response:
    return _policy(request)


@router.get(POLICY_PATH, response_class=HTMLResponse, name="editorial_policy", summary="Editorial policy")
def policy_page(request: Request) -> Response:
    return _policy(request)
