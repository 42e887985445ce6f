"""The title of a label's boxed warning, in the label's own words.

Most prescription labels title the box ("WARNING: SERIOUS INFECTIONS AND MALIGNANCY"); the SPL
parser keeps that title as the section's title. A box without a title of its own is stored under
its LOINC name ("Boxed Warning"); older labels then open its text with a heading line ("WARNING",
then "Increased Mortality in Elderly Patients with Dementia-Related Psychosis"), which is taken
when there is one. Otherwise the field keeps the plain title :data:`DEFAULT_TITLE`.
"""

from __future__ import annotations

from medref.monograph.fields import BOXED
from medref.monograph.label import LabelView

DEFAULT_TITLE = "Boxed warning"
# names the parser gives a box that has no title of its own (LOINC name, code display name)
_GENERIC = frozenset({"boxed warning", "boxed warning section"})


_MAX_HEADING_WORDS = 16


def _heading(line: str) -> bool:
    """A line that reads as a heading: short and not ending a sentence or a clause."""
    return bool(line) and len(line.split()) <= _MAX_HEADING_WORDS and line[-1] not in ".!?:;,"


def is_caps_heading(line: str) -> bool:
    """A heading line in capitals ("SERIOUS INFECTIONS", "MALIGNANCY"): a label's run-in heading,
    not a statement."""
    text = line.strip()
    letters = [c for c in text if c.isalpha()]
    return bool(letters) and _heading(text) and all(c.isupper() for c in letters)


def _opening_heading(text: str) -> str | None:
    """'WARNING: ...' or the heading line after a bare 'WARNING' at the start of the box's text."""
    lines = [ln.strip() for ln in text.split("\n") if ln.strip()]
    if not lines or not lines[0].upper().startswith("WARNING") or not _heading(lines[0]):
        return None
    if lines[0].rstrip(":").upper() != "WARNING":
        return lines[0]
    return lines[1] if len(lines) > 1 and _heading(lines[1]) else None


def boxed_title(view: LabelView) -> str:
    """The title of the label's top-level boxed warning, or :data:`DEFAULT_TITLE`."""
    for node in view.nodes_for((BOXED,), top_only=True):
        title = " ".join(node.title.split())
        if title and title.casefold() not in _GENERIC:
            return title
        first = view.node_passages([node])
        opening = _opening_heading(first[0].text) if first and first[0].kind == "text" else None
        if opening:
            return opening
    return DEFAULT_TITLE
