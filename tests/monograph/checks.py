"""Checks shared by the monograph tests, written apart from the code they check."""

from __future__ import annotations

from typing import Any

from medref.models import Document, Monograph, MonographField, Passage
from medref.store.repository import Store


def fields(m: Monograph) -> list[MonographField]:
    return [f for s in m.sections for f in s.fields]


def texts(f: MonographField | None) -> list[str]:
    assert f is not None
    return [v.text for v in f.values]


def passage(
    store: Store, passage_id: str, cache: dict[str, Document] | None = None
) -> tuple[Document, Passage]:
    uid, _, ordinal = passage_id.rpartition("#")
    cache = cache if cache is not None else {}
    doc = cache.get(uid) or store.get_document(uid)
    cache[uid] = doc
    found = next(p for p in doc.passages if p.ordinal == int(ordinal))
    return doc, found


def check_citations(m: Monograph, store: Store, *, exact: bool = True) -> int:
    """Every value is sourced; every span is real; numbers run 1..n in page order. Returns #values."""
    refs = {r.number: r for r in m.references}
    assert sorted(refs) == list(range(1, len(refs) + 1))
    first_use: list[int] = []
    cache: dict[str, Document] = {}
    count = 0
    for f in fields(m):
        for v in f.values:
            count += 1
            assert v.text.strip(), f.key
            assert v.spans or v.source, f"{f.key}: value without a source: {v.text!r}"
            for n in v.citations:
                assert n in refs, f"{f.key}: [{n}] is not in the references"
                if n not in first_use:
                    first_use.append(n)
            for c in v.spans:
                assert c.number in v.citations
                assert refs[c.number].document.uid == c.doc_uid
                assert c.passage_id in refs[c.number].passage_ids
                doc, p = passage(store, c.passage_id, cache)
                assert doc.uid == c.doc_uid
                if exact:
                    assert p.text[c.start : c.end] == v.text, f"{f.key}: span does not match the passage"
        for n in f.table_citations:
            assert n in refs
    assert first_use == sorted(first_use), "references are not numbered in page order"
    assert set(first_use) == set(refs), "a reference is listed that no value cites"
    return count


def section_codes(doc: Document) -> dict[int, list[str]]:
    """For every passage ordinal: the LOINC codes of its section and of the sections around it."""
    out: dict[int, list[str]] = {}
    stack: list[tuple[int, str | None]] = []
    sections: list[dict[str, Any]] = doc.meta.get("sections") or []
    for s in sections:
        depth = int(s.get("depth") or 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        stack.append((depth, s.get("loinc")))
        for o in s.get("passages") or []:
            out[int(o)] = [c for _, c in stack if c]
    return out


def top_section(doc: Document) -> dict[int, tuple[str | None, int]]:
    """For every passage ordinal: (LOINC code, depth) of its own section."""
    out: dict[int, tuple[str | None, int]] = {}
    for s in doc.meta.get("sections") or []:
        for o in s.get("passages") or []:
            out[int(o)] = (s.get("loinc"), int(s.get("depth") or 0))
    return out
