"""The pharmacist view of an answer: drug-label facts first, and the drugs whose labels it links.

:func:`for_pharmacist` runs right after audience adaptation and changes only pharmacist pages:

*   **Order**: in the bottom line and in "From the Research", sentences quoted from a drug label
    about what a pharmacist checks -- dosing, interactions, contraindications, renal or hepatic
    adjustment, specific populations, storage and handling -- come before the others. Only the
    order changes: every sentence was already chosen by the composer as answering the question,
    and none is added or dropped. Research theme headings stay together (a theme holding such a
    sentence moves up as a whole; "Other findings" stays last) and so do a study's sentences;
    references are renumbered in the new page order.
*   **Drugs**: :attr:`~medref.models.Answer.drugs` lists the drugs the question names (by generic
    or brand name, or through the lexicon's synonyms for the answer's key entities) that have a
    label in the corpus, so the page can link each one's monograph dosing section, the
    interaction checker and its label sections.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from medref.compose.readable import renumber
from medref.compose.themes import OTHER
from medref.errors import NotFoundError, QueryError
from medref.models import Answer, AnswerSection, Audience, CitedSentence, Reference, SourceKind
from medref.monograph.names import LabelRow, fold, ingredients, label_rows, resolve
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store

# label section titles (SPL headings) that hold what a pharmacist checks
PHARMACY_SECTIONS = re.compile(
    r"dosage|administration|dosing|interaction|contraindication|specific populations|renal|hepatic|"
    r"pregnan|lactation|nursing|pediatric|paediatric|geriatric|storage|how supplied|handling|overdosage|"
    r"preparation|reconstitution",
    re.I,
)
# the same topics in a sentence's own words
PHARMACY_WORDS = re.compile(
    r"\b(?:dos(?:e|es|ed|ing|age)|mg(?:/kg)?|infus\w*|inject\w*|administ\w*|interact\w*|co-?administ\w*|"
    r"contraindicat\w*|renal|kidney|creatinine clearance|hepatic|liver|impairment|dialysis|"
    r"pregnan\w*|lactat\w*|breast-?fe\w*|stor(?:e|ed|age)|refrigerat\w*|vials?|reconstitut\w*|dilut\w*|"
    r"CYP\w*|inhibitors?|inducers?|live vaccines?)\b",
    re.I,
)


def _kinds(answer: Answer) -> dict[int, Reference]:
    return {r.number: r for r in answer.references}


def pharmacy_fact(sentence: CitedSentence, refs: dict[int, Reference]) -> bool:
    """Is ``sentence`` quoted from a drug label, on dosing, interactions, contraindications, dose
    adjustment, specific populations or storage (by its label section or its own words)?"""
    for span in sentence.spans or []:
        ref = refs.get(span.number)
        if ref is None or ref.document.kind is not SourceKind.DRUG_LABEL:
            continue
        quote = ref.quote(span.passage_id)
        if quote is not None and PHARMACY_SECTIONS.search(quote.section):
            return True
        if PHARMACY_WORDS.search(sentence.text):
            return True
    return False


def _blocks(
    sentences: Sequence[CitedSentence], key: Callable[[CitedSentence], object]
) -> list[list[CitedSentence]]:
    """Consecutive runs of sentences with the same ``key``."""
    out: list[list[CitedSentence]] = []
    for s in sentences:
        if out and key(out[-1][-1]) == key(s):
            out[-1].append(s)
        else:
            out.append([s])
    return out


def label_facts_first(sentences: Sequence[CitedSentence], refs: dict[int, Reference]) -> list[CitedSentence]:
    """``sentences`` with label facts first, keeping theme runs and a study's sentences together."""
    ordered: list[tuple[bool, list[CitedSentence]]] = []
    for run in _blocks(sentences, lambda s: s.theme):
        studies = [
            sorted(study, key=lambda s: not pharmacy_fact(s, refs))  # stable: facts first within a study
            for study in _blocks(run, lambda s: s.citations[0] if s.citations else None)
        ]
        marked = [(pharmacy_fact(study[0], refs), study) for study in studies]
        first = [s for hit, study in marked if hit for s in study]
        rest = [s for hit, study in marked if not hit for s in study]
        ordered.append((bool(first) and run[0].theme != OTHER, first + rest))  # "Other findings" stays last
    return [s for hit, run in ordered if hit for s in run] + [
        s for hit, run in ordered if not hit for s in run
    ]


def _section(section: AnswerSection, refs: dict[int, Reference]) -> AnswerSection:
    return section.model_copy(
        update={
            "summary": label_facts_first(section.summary, refs),
            "key_points": label_facts_first(section.key_points, refs),
        }
    )


def _mentions(text: str, name: str) -> int | None:
    """Where ``text`` names ``name`` as whole words (case and spacing ignored), or None."""
    words = [re.escape(w) for w in name.split()]
    if not words:
        return None
    m = re.search(r"(?<![\w-])" + r"[\s-]+".join(words) + r"(?![\w-])", text, re.I)
    return m.start() if m is not None else None


def _names(row: LabelRow) -> list[str]:
    parts = [p for g in row.generics for p in ingredients(g)]
    return [n for n in (*row.generics, *row.brands, *parts) if n.strip()]


def labelled_drugs(answer: Answer, *, store: Store, lexicon: Lexicon | None = None) -> list[str]:
    """The drugs the question names that have a label in the corpus (their generic names, in the
    order the question names them)."""
    question = " ".join(q for q in (answer.question, answer.resolved_question) if q)
    found: dict[str, int] = {}
    rows = label_rows(store)
    for row in rows:
        name = row.generics[0] if row.generics else (row.brands[0] if row.brands else None)
        if name is None:
            continue
        places = [p for n in _names(row) if (p := _mentions(question, n)) is not None]
        if places:
            found[name] = min([*places, found.get(name, len(question))])
    if lexicon is not None:  # a synonym the question uses: the composer's key entities name it
        for entity in answer.key_entities:
            try:
                match = resolve(entity, store=store, lexicon=lexicon)
            except (NotFoundError, QueryError):
                continue
            for row in match.labels:
                name = row.generics[0] if row.generics else match.preferred
                place = _mentions(question, entity)
                found.setdefault(name, place if place is not None else len(question))
    by_fold: dict[str, str] = {}
    for name in sorted(found, key=lambda n: (found[n], n.lower())):
        by_fold.setdefault(fold(name), name)
    return list(by_fold.values())


def for_pharmacist(answer: Answer, *, store: Store, lexicon: Lexicon | None = None) -> Answer:
    """The pharmacist page (see the module docstring); other audiences' pages are returned as they are."""
    if answer.audience is not Audience.PHARMACIST:
        return answer
    refs = _kinds(answer)
    reordered = answer.model_copy(
        update={
            "bottom_line": _section(answer.bottom_line, refs) if answer.bottom_line is not None else None,
            "research": _section(answer.research, refs),
            "drugs": labelled_drugs(answer, store=store, lexicon=lexicon),
        }
    )
    return renumber(reordered) if reordered.sentences() != answer.sentences() else reordered
