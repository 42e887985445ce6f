"""A drug label as a tree of LOINC-coded sections over its stored passages.

Many real labels put the text of a top-level section ("6 ADVERSE REACTIONS", code 34084-4) into
untitled or plainly titled sub-sections coded 42229-5 ("unclassified"), so a passage's own
``loinc`` does not say which part of the label it belongs to. :class:`LabelView` reads the
section list the SPL parser stores in ``meta["sections"]`` (LOINC code, title, path, depth, the
ordinals of the section's own passages, in document order) and gives, for a set of codes, the
passages of every matching section *and its sub-sections*. Labels stored without a section list
fall back to the passages' own codes.

Highlights passages (section names starting "Highlights: ") summarise the full sections; they
are left out unless asked for, or used when a section has nothing else.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from medref.models import Document, DocumentRef, Passage

HIGHLIGHT = "Highlights: "
PATIENT_FACING = frozenset({"42231-1", "42230-3", "68498-5", "59845-8"})
PACKAGE = frozenset({"51945-4", "48780-1", "48779-3"})


@dataclass(frozen=True)
class Node:
    """One label section: its code, title, nesting and passages (own and with sub-sections)."""

    index: int
    loinc: str | None
    title: str
    path: str
    depth: int
    own: tuple[int, ...]
    subtree: tuple[int, ...]
    ancestors: tuple[int, ...]


def is_highlight(p: Passage) -> bool:
    return p.section.startswith(HIGHLIGHT)


class LabelView:
    """Section lookups over one stored label version."""

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self.ref = DocumentRef.of(doc)
        self.by_ordinal = {p.ordinal: p for p in doc.passages}
        self.nodes = self._nodes(doc.meta.get("sections") or [])
        self.meta = doc.meta

    def _nodes(self, raw: list[dict[str, Any]]) -> list[Node]:
        entries: list[tuple[int, str | None, str, str, int, tuple[int, ...]]] = []
        for i, s in enumerate(raw):
            own = tuple(int(o) for o in (s.get("passages") or []) if isinstance(o, int))
            depth = s.get("depth")
            loinc = s.get("loinc")
            entries.append(
                (
                    i,
                    loinc if isinstance(loinc, str) else None,
                    str(s.get("title") or ""),
                    str(s.get("path") or ""),
                    depth if isinstance(depth, int) else 0,
                    own,
                )
            )
        nodes: list[Node] = []
        stack: list[tuple[int, int]] = []  # (index, depth) of open ancestors
        for i, loinc, title, path, depth, own in entries:
            while stack and stack[-1][1] >= depth:
                stack.pop()
            sub: list[int] = list(own)
            for j in range(i + 1, len(entries)):
                if entries[j][4] <= depth:
                    break
                sub.extend(entries[j][5])
            nodes.append(
                Node(i, loinc, title, path, depth, own, tuple(sorted(set(sub))), tuple(a for a, _ in stack))
            )
            stack.append((i, depth))
        return nodes

    # ------------------------------------------------------------------ lookups
    @property
    def has_sections(self) -> bool:
        return bool(self.nodes)

    @property
    def is_otc(self) -> bool:
        kind = str(self.meta.get("document_type") or "")
        return "OTC" in kind.upper() or any(n.loinc in ("55106-9", "55105-1") for n in self.nodes)

    def nodes_for(self, codes: Iterable[str], *, top_only: bool = False) -> list[Node]:
        """Sections coded with one of ``codes`` (top level only when asked), outermost first."""
        wanted = set(codes)
        found = [n for n in self.nodes if n.loinc in wanted and (n.depth == 0 or not top_only)]
        chosen = {n.index for n in found}
        return [n for n in found if not chosen.intersection(n.ancestors)]

    def node_passages(
        self, nodes: Iterable[Node], *, own: bool = False, highlights: bool | None = False
    ) -> list[Passage]:
        """Passages of ``nodes`` (with their sub-sections unless ``own``) in document order.

        ``highlights``: False leaves Highlights passages out, True keeps only them, None keeps all.
        """
        ordinals: set[int] = set()
        for n in nodes:
            ordinals.update(n.own if own else n.subtree)
        out = [self.by_ordinal[o] for o in sorted(ordinals) if o in self.by_ordinal]
        if highlights is None:
            return out
        return [p for p in out if is_highlight(p) == highlights]

    def passages(
        self, codes: Iterable[str], *, top_only: bool = False, highlights: bool | None = False
    ) -> list[Passage]:
        """Passages of the sections coded ``codes`` and their sub-sections, in document order."""
        codes = tuple(codes)
        if not self.has_sections:  # stored without a section list: the passages' own codes
            out = [p for p in self.doc.passages if p.loinc in codes]
            return out if highlights is None else [p for p in out if is_highlight(p) == highlights]
        return self.node_passages(self.nodes_for(codes, top_only=top_only), highlights=highlights)

    def full_or_highlights(self, codes: Iterable[str], *, top_only: bool = False) -> list[Passage]:
        """The full-text passages of the sections, or their Highlights when there is nothing else."""
        codes = tuple(codes)
        return self.passages(codes, top_only=top_only) or self.passages(
            codes, top_only=top_only, highlights=True
        )

    def has(self, codes: Iterable[str], *, top_only: bool = False) -> bool:
        return bool(self.passages(codes, top_only=top_only, highlights=None))

    def sub_nodes(self, codes: Iterable[str], *, top_only: bool = False) -> list[Node]:
        """The matching sections and every section nested in them, in document order."""
        tops = self.nodes_for(codes, top_only=top_only)
        ids = {n.index for n in tops}
        return [n for n in self.nodes if n.index in ids or ids.intersection(n.ancestors)]
