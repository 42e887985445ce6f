"""Compare versions and edit the published text of answers and monographs.

* :func:`published_lines` is what a reader sees, one line per sentence or value (with its
  reference numbers), by section; :func:`diff_items` is a unified diff of those lines
  (``mode="sentences"``) or of the whole JSON (``mode="json"``, timestamps and version left out).
* :func:`editable_texts` lists the texts an editor may change, in page order, and
  :func:`with_texts` returns a copy carrying changed texts (an emptied text drops that sentence
  or value; its citations go with it, the reference list stays). An answer sentence whose words
  change is marked ``edited`` and loses its citations until it is re-linked to a supporting
  passage or marked editorial (:mod:`medref.review.relink`).
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Sequence
from typing import Literal, TypeAlias

from medref.errors import InputError
from medref.models import NOT_FOUND, Answer, AnswerSection, CitedSentence, Monograph

Item: TypeAlias = Answer | Monograph
DiffMode = Literal["sentences", "json"]
_VOLATILE = {"created_at", "updated_at", "version"}


def _cites(numbers: Sequence[int]) -> str:
    return "".join(f" [{n}]" for n in numbers)


def _sentence(s: CitedSentence) -> str:
    if s.editorial:
        return f"{s.text} (editorial, no source)"
    if s.edited and not s.spans:
        return f"{s.text} (edited, needs a source)"
    return f"{s.text}{_cites(s.citations)}"


def _section_lines(section: AnswerSection) -> list[str]:
    lines = [f"## {section.title}"]
    if section.notice:
        lines.append(f"notice: {section.notice}")
    lines += [f"summary: {_sentence(s)}" for s in section.summary]
    lines += [f"key point: {_sentence(s)}" for s in section.key_points]
    return lines


def published_lines(item: Item) -> list[str]:
    """The published text of ``item``, one line per sentence / value / reference."""
    lines: list[str] = []
    if isinstance(item, Answer):
        lines.append(f"question: {item.resolved_question or item.question}")
        if item.emergency:
            lines.append(f"emergency: {item.emergency}")
        if item.verdict is not None:
            lines.append(f"verdict: {item.verdict.label.value} ({item.verdict.basis})")
        for part in item.sections():
            lines += _section_lines(part)
    else:
        lines.append(f"drug: {item.drug} ({item.approval_status})")
        for section in item.sections:
            lines.append(f"## {section.title}")
            for field in section.fields:
                if not field.found:
                    lines.append(f"{field.title}: {NOT_FOUND}")
                for value in field.values:
                    lines.append(f"{field.title}: {value.text}{_cites(value.citations)}")
                for row in field.table or []:
                    lines.append(f"{field.title} | " + " | ".join(row))
                if field.note:
                    lines.append(f"{field.title} (note): {field.note}")
    lines.append("## References")
    for ref in item.references:
        doc = ref.document
        year = f", {doc.year}" if doc.year else ""
        lines.append(f"[{ref.number}] {ref.label}: {doc.title}{year} ({doc.uid})")
    lines.append(f"disclaimer: {item.disclaimer}")
    return lines


def _json_lines(item: Item) -> list[str]:
    data = item.model_dump(mode="json", exclude=_VOLATILE)
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False).splitlines()


def diff_items(old: Item, new: Item, *, mode: DiffMode = "sentences", context: int = 2) -> str:
    """A unified diff from ``old`` to ``new`` (empty when they read the same)."""
    if mode not in ("sentences", "json"):
        raise InputError(f"unknown diff mode {mode!r}: use 'sentences' or 'json'")
    pick = published_lines if mode == "sentences" else _json_lines
    return "\n".join(
        difflib.unified_diff(
            pick(old),
            pick(new),
            fromfile=f"version {old.version}",
            tofile=f"version {new.version}",
            n=context,
            lineterm="",
        )
    )


def editable_texts(item: Item) -> list[tuple[str, str]]:
    """(where, text) of each editable sentence or value, in page order."""
    if isinstance(item, Answer):
        out: list[tuple[str, str]] = []
        for section in item.sections():
            out += [(f"{section.title} · summary", s.text) for s in section.summary]
            out += [(f"{section.title} · key point", s.text) for s in section.key_points]
        return out
    return [
        (f"{section.title} · {field.title}", value.text)
        for section in item.sections
        for field in section.fields
        for value in field.values
    ]


def _clean(text: str) -> str:
    return " ".join(text.split())


def _rewritten(sentence: CitedSentence, text: str) -> CitedSentence:
    """``sentence`` saying ``text``. New words are ``edited`` and lose the composed spans, which
    supported the old words: :mod:`medref.review.relink` links them again or marks them editorial."""
    if text == _clean(sentence.text):
        return sentence
    return sentence.model_copy(update={"text": text, "edited": True, "citations": [], "spans": []})


def with_texts(item: Item, texts: Sequence[str]) -> Item:
    """A copy of ``item`` with its editable texts replaced by ``texts`` (same count, same order)."""
    slots = editable_texts(item)
    if len(texts) != len(slots):
        raise InputError(f"expected {len(slots)} texts for this version, got {len(texts)}")
    queue = iter([_clean(t) for t in texts])
    if isinstance(item, Answer):

        def redo(sentences: list[CitedSentence]) -> list[CitedSentence]:
            kept = [(s, next(queue)) for s in sentences]
            return [_rewritten(s, t) for s, t in kept if t]

        sections = {
            name: section.model_copy(
                update={"summary": redo(section.summary), "key_points": redo(section.key_points)}
            )
            for name, section in (
                ("bottom_line", item.bottom_line),
                ("guidelines", item.guidelines),
                ("research", item.research),
            )
            if section is not None
        }
        return item.model_copy(update=sections)
    new_sections = []
    for section in item.sections:
        fields = []
        for field in section.fields:
            kept = [(v, next(queue)) for v in field.values]
            values = [v.model_copy(update={"text": t}) for v, t in kept if t]
            fields.append(field.model_copy(update={"values": values}))
        new_sections.append(section.model_copy(update={"fields": fields}))
    return item.model_copy(update={"sections": new_sections})
