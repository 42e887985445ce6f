"""A drug label version as a list of comparable sections, and the pairing of two versions' sections.

:func:`units` gives each section of the stored section list (``meta["sections"]``) with its own
passages (not its sub-sections'), in document order; a section's Highlights passages form a
section of their own (``"Highlights: <path>"``). A label stored without a section list is grouped
by its passages' section names.

:func:`pair_units` pairs the sections of two versions by LOINC code and title path (numbers and
case ignored), then by title path alone, then by a LOINC code other than "unclassified" that names
one section only on each side, then by a title (without its path) that names one section only on
each side (a section moved under another heading), then by the same text found in one section only
on each side (a retitled section); sections left over were added or removed.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass

from medref.models import Document, Passage
from medref.monograph.label import HIGHLIGHT, LabelView, is_highlight

UNCLASSIFIED = "42229-5"  # the LOINC code of untitled / plainly titled sub-sections


@dataclass(frozen=True)
class Unit:
    """The text of one label section (its own passages, not its sub-sections')."""

    loinc: str | None
    path: str
    title: str
    number: str | None
    passages: tuple[Passage, ...]

    @property
    def key(self) -> str:
        return _norm_path(self.path)

    @property
    def parent_key(self) -> str:
        return self.key.rpartition(" > ")[0]

    @property
    def title_key(self) -> str:
        return self.key.rpartition(" > ")[2]


_NUMBER = re.compile(r"^\s*\d+(?:\.\d+)*\.?\s+")


def _norm_path(path: str) -> str:
    parts = [_NUMBER.sub("", p).casefold() for p in path.split(">")]
    return " > ".join(" ".join(p.split()) for p in parts)


def units(doc: Document) -> list[Unit]:
    """The label's sections in document order, Highlights passages as sections of their own."""
    view = LabelView(doc)
    raw = doc.meta.get("sections") or []
    out: list[Unit] = []
    if not view.has_sections:  # stored without a section list: group passages by section name
        groups: dict[tuple[str | None, str], list[Passage]] = defaultdict(list)
        for p in doc.passages:
            groups[(p.loinc, p.section)].append(p)
        return [
            Unit(loinc, name, name.split(" > ")[-1], None, tuple(ps)) for (loinc, name), ps in groups.items()
        ]
    for node in view.nodes:
        number = raw[node.index].get("number") if node.index < len(raw) else None
        own = view.node_passages([node], own=True, highlights=None)
        full = tuple(p for p in own if not is_highlight(p))
        high = tuple(p for p in own if is_highlight(p))
        num = str(number) if number else None
        out.append(Unit(node.loinc, node.path, node.title, num, full))
        if high:
            out.append(Unit(node.loinc, HIGHLIGHT + node.path, HIGHLIGHT + node.title, None, high))
    return out


def pair_units(old: list[Unit], new: list[Unit]) -> list[tuple[Unit | None, Unit | None]]:
    """Pairs (old, new) in the new label's order; a None side is an added or a removed section.

    A removed section is placed before the first paired section that followed it in the old label.
    """
    matched: dict[int, int] = {}  # new index -> old index
    rules = (
        lambda u: (u.loinc, u.key),
        lambda u: u.key,
        lambda u: u.loinc if u.loinc and u.loinc != UNCLASSIFIED else None,
        lambda u: _norm_path(u.title) or None,
        lambda u: " ".join(" ".join(p.text.split()) for p in u.passages) or None,
    )
    for i, rule in enumerate(rules):
        taken = set(matched.values())
        free_old = [j for j in range(len(old)) if j not in taken]
        free_new = [j for j in range(len(new)) if j not in matched]
        by_key: dict[object, list[int]] = defaultdict(list)
        for j in free_old:
            by_key[rule(old[j])].append(j)
        new_keys: dict[object, list[int]] = defaultdict(list)
        for j in free_new:
            new_keys[rule(new[j])].append(j)
        for key, new_ids in new_keys.items():
            old_ids = by_key.get(key, [])
            if key is None or not old_ids:
                continue
            if i >= 2 and (len(old_ids) > 1 or len(new_ids) > 1):
                continue  # a bare LOINC code, title or text pairs only when it names one section a side
            for n, o in zip(new_ids, old_ids, strict=False):
                matched[n] = o
    paired_old = set(matched.values())
    pairs: list[tuple[Unit | None, Unit | None]] = []
    used_old: set[int] = set()
    last_old = -1
    for n, unit in enumerate(new):
        mate = matched.get(n)
        if mate is not None:
            for j in range(last_old + 1, mate):  # removed sections that stood before this one
                if j not in paired_old and j not in used_old:
                    pairs.append((old[j], None))
                    used_old.add(j)
            pairs.append((old[mate], unit))
            used_old.add(mate)
            last_old = max(last_old, mate)
        else:
            pairs.append((None, unit))
    pairs += [(old[j], None) for j in range(len(old)) if j not in used_old and j not in paired_old]
    return pairs
