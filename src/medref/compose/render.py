"""Plain-text rendering of an Answer (the CLI's view; the web app renders the same object)."""

from __future__ import annotations

import textwrap

from medref.models import Answer, AnswerSection, CitedSentence, EvidenceStatus

WIDTH = 88


def cite(sentence: CitedSentence) -> str:
    marks = "".join(f"[{n}]" for n in sentence.citations)
    frame = f"({sentence.frame}) " if sentence.frame else ""  # our words, outside the quotation
    return f"{frame}{sentence.text} {marks}".strip()


def _wrap(text: str, indent: str = "") -> str:
    return textwrap.fill(text, width=WIDTH, initial_indent=indent, subsequent_indent=" " * len(indent) + "  ")


def _section(section: AnswerSection, *, bullets_label: str) -> list[str]:
    if not (section.notice or section.summary or section.key_points):
        return []
    lines = [section.title, "-" * len(section.title)]
    if section.notice:
        lines.append(_wrap(section.notice))
    if section.summary:
        lines.append(_wrap(" ".join(cite(s) for s in section.summary)))
    if section.key_points:
        if section.summary:
            lines.append(bullets_label)
        lines.extend(_wrap(cite(s), "  - ") for s in section.key_points)
    lines.append("")
    return lines


def answer_to_text(answer: Answer) -> str:
    lines: list[str] = []
    if answer.emergency:
        lines += [_wrap(f"EMERGENCY: {answer.emergency}"), ""]
    lines.append(_wrap(f"Question: {answer.question}"))
    if answer.resolved_question:
        lines.append(_wrap(f"(read as: {answer.resolved_question})"))
    lines.append(
        f"Audience: {answer.audience.value}    Evidence: {answer.evidence_status.value.replace('_', ' ')}"
    )
    lines.append("")
    if answer.bottom_line is not None:
        lines += [answer.bottom_line.title.upper(), "=" * len(answer.bottom_line.title)]
        if answer.verdict is not None:
            lines.append(
                _wrap(
                    f"Verdict: {answer.verdict.label.value} ({answer.verdict.basis}; medref's reading of the cited sentences)"
                )
            )
            for side, items in (
                ("reads yes", answer.verdict.inputs),
                ("reads no", answer.verdict.disagreeing),
            ):
                if answer.verdict.disagreeing:
                    lines += [
                        _wrap(f"{v.text} {''.join(f'[{n}]' for n in v.citations)}", f"  {side}: ")
                        for v in items
                    ]
        if answer.bottom_line.notice:
            lines.append(_wrap(answer.bottom_line.notice))
        if answer.bottom_line.summary:
            lines.append(_wrap(" ".join(cite(s) for s in answer.bottom_line.summary)))
        lines.append("")
    lines += _section(answer.guidelines, bullets_label="Key points:")
    lines += _section(answer.research, bullets_label="Findings:")
    if answer.references:
        lines += ["References", "----------"]
        for ref in answer.references:
            d = ref.document
            bits = [f"[{ref.number}] {ref.label}: {d.title.rstrip('. ')}"]
            if d.journal:
                bits.append(d.journal)
            if d.year:
                bits.append(str(d.year))
            line = ". ".join(bits)
            if d.url:
                line += f". {d.url}"
            lines.append(_wrap(line))
        lines.append("")
    if answer.related_reading:
        lines += ["Related reading (closest sources; not cited as answers)", "-" * 55]
        for d in answer.related_reading:
            lines.append(
                _wrap(
                    f"{d.title.rstrip('. ')}"
                    + (f". {d.year}" if d.year else "")
                    + (f". {d.url}" if d.url else ""),
                    "  - ",
                )
            )
        lines.append("")
    if answer.related_questions:
        lines += ["Related questions", "-----------------"]
        lines += [f"  - {q}" for q in answer.related_questions]
        lines.append("")
    if answer.reading_grade is not None:
        lines.append(f"Reading grade (Flesch-Kincaid): {answer.reading_grade:.1f}")
    if answer.evidence_status is not EvidenceStatus.DIRECT and not answer.references:
        lines.append("No source in the corpus answers this question directly.")
    lines.append(_wrap(f"Disclaimer: {answer.disclaimer}"))
    for note in answer.notes:
        lines.append(_wrap(f"note: {note}"))
    if answer.id:
        lines.append(f"answer {answer.id} v{answer.version} (thread {answer.thread_id})")
    return "\n".join(lines)
