"""The data of a label-version diff (:mod:`medref.monograph.labeldiff`): the object behind its page,
JSON twin and CLI text."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from medref.models import Citation, Reference


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class LabelVersion(_Model):
    """One stored version of the label set."""

    version: int
    uid: str
    date: dt.date | None = Field(default=None, description="the version's effective date")
    is_current: bool


class DiffSpan(_Model):
    """A sentence, table row or passage of one side, verbatim, with its citation."""

    text: str
    version: int
    kind: Literal["sentence", "row", "passage"] = Field(
        description="a sentence, a table row, or a whole passage (added / removed sections)"
    )
    section: str = Field(description="the stored passage's section name")
    citation: Citation = Field(description="the exact span in the stored passage (number: 1 from, 2 to)")
    marks: list[tuple[int, int]] = Field(
        default_factory=list, description="offsets into text of the words that differ from the other side"
    )
    row: int | None = Field(default=None, description="a table row's index in LabelDiff.tables[passage_id]")

    def pieces(self) -> list[tuple[str, bool]]:
        """The text cut into (piece, differs) runs, for display."""
        out: list[tuple[str, bool]] = []
        pos = 0
        for start, end in self.marks:
            if start > pos:
                out.append((self.text[pos:start], False))
            out.append((self.text[start:end], True))
            pos = end
        if pos < len(self.text):
            out.append((self.text[pos:], False))
        return out


class Hunk(_Model):
    """One run of differences: what the ``from`` side had there and what the ``to`` side has."""

    removed: list[DiffSpan] = Field(default_factory=list)
    added: list[DiffSpan] = Field(default_factory=list)


class SectionDiff(_Model):
    status: Literal["added", "removed", "changed", "moved", "retitled"] = Field(
        description="moved / retitled: the same text under another heading or title (see path_from)"
    )
    title: str
    path: str
    path_from: str | None = Field(
        default=None, description="the section's path in the from version, when it differs"
    )
    loinc: str | None = None
    number_from: str | None = Field(default=None, description="section number in the from version")
    number_to: str | None = Field(default=None, description="section number in the to version")
    hunks: list[Hunk] = Field(default_factory=list)

    @property
    def number(self) -> str | None:
        return self.number_to or self.number_from


class LabelDiff(_Model):
    """The label-version diff page: the data object behind its HTML, JSON and CLI forms."""

    setid: str
    drug: str = Field(description="the label's brand and generic names (to version), else its title")
    generic_name: str | None = Field(default=None, description="the label's first generic name (to version)")
    title: str = Field(description="title of the to version")
    dailymed_url: str | None = None
    query: str = Field(description="what was asked for: a drug name or a set id")
    from_version: LabelVersion
    to_version: LabelVersion
    versions: list[LabelVersion] = Field(
        default_factory=list, description="every stored version, newest first"
    )
    sections: list[SectionDiff] = Field(
        default_factory=list, description="added, removed, changed; label order"
    )
    unchanged_sections: int = 0
    identical: bool = False
    summary: str = ""
    references: list[Reference] = Field(default_factory=list)
    tables: dict[str, list[list[str]]] = Field(
        default_factory=dict, description="the whole tables of the changed table rows, by passage id"
    )
    notes: list[str] = Field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for s in self.sections if s.status == status)

    def tables_for(self, spans: list[DiffSpan]) -> list[tuple[str, set[int]]]:
        """The stored tables the rows among ``spans`` come from (passage ids, in order), with those rows."""
        out: dict[str, set[int]] = {}
        for s in spans:
            if s.row is not None and s.citation.passage_id in self.tables:
                out.setdefault(s.citation.passage_id, set()).add(s.row)
        return list(out.items())
