"""Keep a patient page readable by publishing fewer, easier sentences (never new ones).

After plain-word adaptation, a sentence whose own Flesch-Kincaid grade is above
``max_grade`` is left out, except that a section which had sentences keeps at least its
easiest one, so the page still says what the sources say. With a bottom line on the page, only
the bottom line keeps that guarantee: the sections below it may end up empty. References are then renumbered
in order of first citation and uncited ones are dropped, exactly as a composer would.
"""

from __future__ import annotations

from collections.abc import Callable

from medref.models import Answer, AnswerSection, Citation, CitedSentence, Reference

MAX_SENTENCE_GRADE = 10.0
MAX_SENTENCES_PER_SECTION = 5


def _pick(
    sentences: list[CitedSentence],
    grade: Callable[[str], float | None],
    *,
    max_grade: float,
    limit: int,
    keep_one: bool = True,
) -> list[CitedSentence]:
    if not sentences:
        return []
    graded = [(grade(s.text), i, s) for i, s in enumerate(sentences)]
    if any(g is None for g, _, _ in graded):
        return sentences  # no grading available: publish as composed
    scored = [(float(g), i, s) for g, i, s in graded if g is not None]
    easy = [t for t in scored if t[0] <= max_grade]
    if not easy and keep_one:
        easy = [min(scored, key=lambda t: (t[0], t[1]))]
    easy = sorted(easy, key=lambda t: (t[0], t[1]))[:limit]
    return [s for _, _, s in sorted(easy, key=lambda t: t[1])]  # keep page order


def _section(
    section: AnswerSection,
    grade: Callable[[str], float | None],
    *,
    max_grade: float,
    limit: int,
    keep_one: bool = True,
) -> AnswerSection:
    both = section.summary + section.key_points
    kept = set(map(id, _pick(both, grade, max_grade=max_grade, limit=limit, keep_one=keep_one)))
    return section.model_copy(
        update={
            "summary": [s for s in section.summary if id(s) in kept],
            "key_points": [s for s in section.key_points if id(s) in kept],
        }
    )


def renumber(answer: Answer) -> Answer:
    """References renumbered 1..n in page order (first citation), uncited ones dropped."""
    mapping: dict[int, int] = {}
    for s in answer.sentences():
        for n in s.citations:
            mapping.setdefault(n, len(mapping) + 1)

    def fix(s: CitedSentence) -> CitedSentence:
        return s.model_copy(
            update={
                "citations": [mapping[n] for n in s.citations],
                "spans": [Citation(**{**c.model_dump(), "number": mapping[c.number]}) for c in s.spans],
            }
        )

    def fix_section(sec: AnswerSection) -> AnswerSection:
        return sec.model_copy(
            update={"summary": [fix(s) for s in sec.summary], "key_points": [fix(s) for s in sec.key_points]}
        )

    refs: list[Reference] = sorted(
        (
            r.model_copy(update={"number": mapping[r.number]})
            for r in answer.references
            if r.number in mapping
        ),
        key=lambda r: r.number,
    )
    verdict = answer.verdict
    if verdict is not None:
        verdict = verdict.model_copy(
            update={
                key: [
                    v.model_copy(update={"citations": [mapping[n] for n in v.citations if n in mapping]})
                    for v in getattr(verdict, key)
                ]
                for key in ("inputs", "disagreeing")
            }
        )
    return answer.model_copy(
        update={
            "verdict": verdict,
            "bottom_line": fix_section(answer.bottom_line) if answer.bottom_line else None,
            "guidelines": fix_section(answer.guidelines),
            "research": fix_section(answer.research),
            "references": refs,
        }
    )


def keep_readable(
    answer: Answer,
    grade: Callable[[str], float | None],
    *,
    max_grade: float = MAX_SENTENCE_GRADE,
    limit: int = MAX_SENTENCES_PER_SECTION,
) -> Answer:
    # with a bottom line on the page, the sections below it need not keep a hard sentence each
    lead = not (answer.bottom_line is not None and answer.bottom_line.summary)
    trimmed = answer.model_copy(
        update={
            "bottom_line": (
                _section(answer.bottom_line, grade, max_grade=max_grade, limit=limit)
                if answer.bottom_line
                else None
            ),
            "guidelines": _section(answer.guidelines, grade, max_grade=max_grade, limit=limit, keep_one=lead),
            "research": _section(answer.research, grade, max_grade=max_grade, limit=limit, keep_one=lead),
        }
    )
    dropped = len(answer.sentences()) - len(trimmed.sentences())
    out = renumber(trimmed)
    if dropped:
        out = out.model_copy(
            update={
                "notes": [*out.notes, f"{dropped} harder-to-read sentences left out of the patient version"]
            }
        )
    return out
