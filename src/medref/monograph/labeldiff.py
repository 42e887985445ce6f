"""What changed between two stored versions of one drug label, section by section.

    >>> d = label_diff(store, "belatacept")                        # doctest: +SKIP
    >>> d = label_diff(store, setid, from_version=1, to_version=2)  # doctest: +SKIP

:func:`label_diff` returns a :class:`~medref.monograph.labeldiff_model.LabelDiff`. It finds the
label set (:mod:`medref.monograph.labelfind`: a drug name or a set id), picks the two versions (by
default the previous stored version and the current one), pairs their sections
(:mod:`medref.monograph.labelsections`: LOINC code and title path) and compares each pair.

Inside a paired section the sentences (table rows for tables) of its own passages are compared in
order (:class:`difflib.SequenceMatcher` over their words; differences of layout only are left out,
see :func:`section_hunks`). Every difference is a
:class:`Hunk`: the sentences removed from the older side and those added on the newer side, each
an exact slice of its stored passage, cited to its own version (reference 1 is the ``from``
version, reference 2 the ``to`` version). Words that differ between the two sides of a hunk are
marked (``marks``: offsets into the span's text) so a reader sees the change at a glance. An added
or removed section is shown as its whole passages. Unchanged sections are counted, not listed.
Nothing is reworded: every shown text is the label's own.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from medref.compose.sentences import split_rows, split_sentences
from medref.errors import InputError, NotFoundError
from medref.models import Citation, Document, DocumentRef, Passage, Reference
from medref.monograph.labeldiff_model import DiffSpan, Hunk, LabelDiff, LabelVersion, SectionDiff
from medref.monograph.labelfind import find_label_set
from medref.monograph.labelsections import Unit, pair_units, units
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store

FROM_REF, TO_REF = 1, 2
ONE_VERSION = "only one version of this label is stored"


# ------------------------------------------------------------------ sentences
# list bullets (and the cell bar of a list flattened from a table), and the punctuation that ends a
# sentence, clause or list item (not a decimal point)
_BULLETS = "•·▪◦‣●■□|"
_LAYOUT = re.compile(rf"[{_BULLETS}]|[;:,.](?=\s|$)")
_LAYOUT_TOKEN = re.compile(rf"[{_BULLETS};:,.]+")


@dataclass(frozen=True)
class _Piece:
    passage: Passage
    start: int
    end: int
    text: str

    @property
    def norm(self) -> str:
        """The words without layout: white space, bullets, the punctuation that ends a sentence or item."""
        return " ".join(_LAYOUT.sub(" ", self.text).split())


def _pieces(unit: Unit) -> list[_Piece]:
    """The sentences (table rows) of the section's passages; a lone bullet or comma is layout, left out."""
    out: list[_Piece] = []
    for p in unit.passages:
        spans = split_rows(p.text) if p.kind == "table" else split_sentences(p.text)
        out.extend(piece for s in spans if (piece := _Piece(p, s.start, s.end, s.text)).norm)
    return out


def _span(piece: _Piece, doc: Document, number: int, *, whole: bool = False) -> DiffSpan:
    pid = piece.passage.id or f"{doc.uid}#{piece.passage.ordinal}"
    cite = Citation(number=number, doc_uid=doc.uid, passage_id=pid, start=piece.start, end=piece.end)
    kind = "passage" if whole else "row" if piece.passage.kind == "table" else "sentence"
    row = piece.passage.text.count("\n", 0, piece.start) if kind == "row" else None
    version = int(doc.spl_version or 0)
    return DiffSpan(
        text=piece.text, version=version, kind=kind, section=piece.passage.section, citation=cite, row=row
    )


def _whole(p: Passage, doc: Document, number: int) -> DiffSpan:
    return _span(_Piece(p, 0, len(p.text), p.text), doc, number, whole=True)


_WORD = re.compile(r"\w+|[^\w\s]+")  # words and runs of punctuation


def _mark_words(removed: list[DiffSpan], added: list[DiffSpan]) -> None:
    """Mark the words that differ between the two sides of a hunk (both sides must be non-empty)."""
    sides = []
    for spans in (removed, added):
        sides.append(
            [(i, m.start(), m.end(), m.group()) for i, s in enumerate(spans) for m in _WORD.finditer(s.text)]
        )
    a, b = sides
    sm = difflib.SequenceMatcher(None, [w[3] for w in a], [w[3] for w in b], autojunk=False)
    for tag, a0, a1, b0, b1 in sm.get_opcodes():
        if tag == "equal" or all(_LAYOUT_TOKEN.fullmatch(w[3]) for w in (*a[a0:a1], *b[b0:b1])):
            continue  # the same, or differing only in bullets and punctuation between words
        for words, lo, hi, spans in ((a, a0, a1, removed), (b, b0, b1, added)):
            for i, start, end, _ in words[lo:hi]:
                marks = spans[i].marks
                if marks and not spans[i].text[marks[-1][1] : start].strip():
                    marks[-1] = (marks[-1][0], end)  # one run for neighbouring words
                else:
                    marks.append((start, end))


def _joined(pieces: list[_Piece]) -> str:
    return " ".join(p.norm for p in pieces)


def section_hunks(old: Unit, new: Unit, old_doc: Document, new_doc: Document) -> list[Hunk]:
    """The sentence-level differences between two paired sections (empty when they read the same).

    Text that differs only in layout reads the same and is left out: white space, where it is cut
    into sentences, passages or list items, list bullets and the punctuation that ends a sentence,
    clause or item (a decimal point, a sign or a symbol is never layout). Parsers of different dates
    store the same label text with such differences.
    """
    a, b = _pieces(old), _pieces(new)
    if _joined(a) == _joined(b):
        return []
    sm = difflib.SequenceMatcher(None, [p.norm for p in a], [p.norm for p in b], autojunk=False)
    hunks: list[Hunk] = []
    for tag, a0, a1, b0, b1 in sm.get_opcodes():
        if tag == "equal" or _joined(a[a0:a1]) == _joined(b[b0:b1]):
            continue
        hunk = Hunk(
            removed=[_span(p, old_doc, FROM_REF) for p in a[a0:a1]],
            added=[_span(p, new_doc, TO_REF) for p in b[b0:b1]],
        )
        if hunk.removed and hunk.added:
            _mark_words(hunk.removed, hunk.added)
        hunks.append(hunk)
    return hunks


def diff_documents(old_doc: Document, new_doc: Document) -> tuple[list[SectionDiff], int]:
    """Changed, added and removed sections of two label versions, and the number left unchanged."""
    pairs = pair_units(units(old_doc), units(new_doc))
    renamed = {o.key: n.key for o, n in pairs if o is not None and n is not None}
    out: list[SectionDiff] = []
    unchanged = 0
    for old, new in pairs:
        if old is not None and new is not None:
            hunks = section_hunks(old, new, old_doc, new_doc)
            same_parent = renamed.get(old.parent_key, old.parent_key) == new.parent_key
            # listed as moved when its own title or its place changed, not when a heading above it was retitled
            moved = old.key != new.key and not (same_parent and old.title_key == new.title_key)
            if not hunks and not moved:
                unchanged += 1
                continue
            status = "changed" if hunks else "retitled" if same_parent else "moved"
            out.append(
                SectionDiff(
                    status=status,
                    title=new.title,
                    path=new.path,
                    path_from=old.path if moved else None,
                    loinc=new.loinc,
                    number_from=old.number,
                    number_to=new.number,
                    hunks=hunks,
                )
            )
        elif new is not None:
            if not new.passages:
                continue  # a heading with no text of its own: its sub-sections say what was added
            spans = [_whole(p, new_doc, TO_REF) for p in new.passages]
            out.append(_one_sided("added", new, Hunk(added=spans)))
        elif old is not None:
            if not old.passages:
                continue
            spans = [_whole(p, old_doc, FROM_REF) for p in old.passages]
            out.append(_one_sided("removed", old, Hunk(removed=spans)))
    return out, unchanged


def _one_sided(status: Literal["added", "removed"], unit: Unit, hunk: Hunk) -> SectionDiff:
    number = {"number_to": unit.number} if status == "added" else {"number_from": unit.number}
    return SectionDiff(
        status=status, title=unit.title, path=unit.path, loinc=unit.loinc, hunks=[hunk], **number
    )


# ------------------------------------------------------------------ versions
def pick_versions(
    versions: list[tuple[int, bool, str]],
    from_version: int | None,
    to_version: int | None,
    *,
    setid: str = "",
) -> tuple[int, int]:
    """The (from, to) version numbers; by default the previous stored version and the current one."""
    stored = sorted({v for v, _, _ in versions})
    listed = ", ".join(str(v) for v in stored)
    label = f"label set {setid}" if setid else "this label"
    if len(stored) < 2:
        raise LabelVersionError(f"{ONE_VERSION} ({label}, version {listed}), so there is nothing to compare")
    for asked in (from_version, to_version):
        if asked is not None and asked not in stored:
            raise LabelVersionError(f"version {asked} of {label} is not stored; stored versions: {listed}")
    current = next((v for v, cur, _ in versions if cur), stored[-1])
    to = to_version if to_version is not None else current
    if from_version is None:
        before = [v for v in stored if v < to]
        if not before:
            raise LabelVersionError(
                f"version {to} is the oldest stored version; choose a version to compare it with (stored: {listed})"
            )
        return before[-1], to
    if from_version == to:
        raise InputError(f"both sides are version {to}; choose two different versions (stored: {listed})")
    return from_version, to


class LabelVersionError(NotFoundError):
    """A version that cannot be compared: not stored, or the only one."""


def _summary(sections: list[SectionDiff], unchanged: int, a: int, b: int) -> str:
    if not sections:
        return f"No differences: the text of version {a} and version {b} of this label is the same."
    counts = Counter(s.status for s in sections)
    parts = [
        f"{counts[k]} section{'s' if counts[k] != 1 else ''} {k}"
        for k in ("changed", "added", "removed", "moved", "retitled")
        if counts[k]
    ]
    return f"Version {a} to version {b}: {', '.join(parts)}; {unchanged} section{'s' if unchanged != 1 else ''} unchanged."


def _version(doc: Document) -> LabelVersion:
    return LabelVersion(
        version=int(doc.spl_version or 0), uid=doc.uid, date=doc.date, is_current=doc.is_current
    )


def label_diff(
    store: Store,
    drug_or_setid: str,
    *,
    from_version: int | None = None,
    to_version: int | None = None,
    lexicon: Lexicon | None = None,
) -> LabelDiff:
    """The diff of two versions of the label set named by ``drug_or_setid`` (see the module docstring)."""
    setid, notes = find_label_set(store, drug_or_setid, lexicon=lexicon)
    stored = store.label_versions(setid)
    a, b = pick_versions(stored, from_version, to_version, setid=setid)
    uids = {v: uid for v, _, uid in stored}
    old_doc, new_doc = store.get_document(uids[a]), store.get_document(uids[b])
    sections, unchanged = diff_documents(old_doc, new_doc)
    versions = [
        LabelVersion(version=v, uid=uid, date=_date_of(store, uid, old_doc, new_doc), is_current=cur)
        for v, cur, uid in stored
    ]
    if old_doc.title.strip() != new_doc.title.strip():
        notes.append(f"The title changed: version {a} reads {old_doc.title.strip()!r}.")
    return LabelDiff(
        setid=setid,
        drug=_drug_name(new_doc),
        generic_name=next((str(g) for g in new_doc.meta.get("generic_names") or [] if g), None),
        title=new_doc.title,
        dailymed_url=new_doc.url,
        query=drug_or_setid,
        from_version=_version(old_doc),
        to_version=_version(new_doc),
        versions=versions,
        sections=sections,
        unchanged_sections=unchanged,
        identical=not sections,
        summary=_summary(sections, unchanged, a, b),
        references=[_reference(FROM_REF, old_doc, sections), _reference(TO_REF, new_doc, sections)],
        tables=_tables(sections, old_doc, new_doc),
        notes=notes,
    )


def _tables(sections: list[SectionDiff], *docs: Document) -> dict[str, list[list[str]]]:
    """The stored tables of the changed rows (only where the table has one row per text line)."""
    passages = {p.id: p for d in docs for p in d.passages if p.kind == "table" and p.table}
    out: dict[str, list[list[str]]] = {}
    for s in sections:
        for h in s.hunks:
            for span in (*h.removed, *h.added):
                p = passages.get(span.citation.passage_id)
                if (
                    span.row is not None
                    and p is not None
                    and p.table
                    and len(p.table) == p.text.count("\n") + 1
                ):
                    out[span.citation.passage_id] = p.table
    return out


def _drug_name(doc: Document) -> str:
    brands = [str(b) for b in doc.meta.get("brand_names") or [] if b]
    generics = [str(g) for g in doc.meta.get("generic_names") or [] if g]
    extra = [g for g in generics if g.casefold() not in {b.casefold() for b in brands}]
    if brands:
        return ", ".join(brands) + (f" ({', '.join(extra)})" if extra else "")
    return ", ".join(generics) or doc.title.strip()


def _date_of(store: Store, uid: str, *docs: Document) -> dt.date | None:
    for d in docs:
        if d.uid == uid:
            return d.date
    return store.get_document(uid, with_passages=False).date


def _reference(number: int, doc: Document, sections: Iterable[SectionDiff]) -> Reference:
    ids: dict[str, None] = {}
    for s in sections:
        for h in s.hunks:
            for span in (*h.removed, *h.added):
                if span.citation.number == number:
                    ids.setdefault(span.citation.passage_id)
    return Reference(number=number, label=doc.kind.label, document=DocumentRef.of(doc), passage_ids=list(ids))
