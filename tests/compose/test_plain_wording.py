"""The patient wording never breaks a sentence (issue 12, point 3).

Every sentence of the demo corpus (always) and of the PubMedQA dev abstracts and BioASQ snippets
in ../shared/data (when present) goes through the patient rewording; :func:`defects` must find
nothing the rewording introduced: no doubled words, no phrase said twice ("approved for any
approved use"), no stacked or wrong articles, no broken or empty brackets, no sentence starting
with a small letter, no stray punctuation.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.compose.abbreviations import source_definitions
from medref.compose.patient import plain_parts
from medref.compose.plain_check import defects
from medref.compose.plain_terms import load_plain_terms
from medref.compose.sentences import split_sentences
from medref.ingest.registry import detect_format, get_parser
from medref.models import Document

DEMO = Path(__file__).resolve().parents[2] / "src" / "medref" / "demo" / "corpus"


Record = tuple[str, list[str]]  # a document's title and its passages' texts


def _documents(paths: list[Path]) -> Iterator[Record]:
    """The demo corpus through medref's own parsers."""
    for path in paths:
        for parsed in get_parser(detect_format(path)).parse(path):
            if isinstance(parsed, Document):
                yield parsed.title, [p.text for p in parsed.passages]


def _abstracts(shared: Path) -> Iterator[Record]:
    """PubMedQA dev abstracts (their parts and conclusion) and BioASQ gold snippets (a question's
    snippets as one document), read straight from the files: parsing is not what is tested here."""
    items = json.loads((shared / "pubmedqa" / "pqal_dev.json").read_text("utf-8"))
    for item in items.values():
        yield item.get("QUESTION", ""), [*item["CONTEXTS"], item.get("LONG_ANSWER", "")]
    for path in sorted((shared / "bioasq").glob("*/*.json")):
        for q in json.loads(path.read_text("utf-8"))["questions"]:
            yield q.get("body", ""), [snippet["text"] for snippet in q.get("snippets", [])]


def _reworded(record: Record) -> Iterator[tuple[str, str]]:
    """(source sentence, patient wording) for every sentence of a document, as one page words them."""
    title, texts = record
    lexicon = load_plain_terms()
    definitions = source_definitions([title, *texts])
    introduced: set[str] = set()
    for text in texts:
        for span in split_sentences(text):
            yield span.text, " ".join(plain_parts(span.text, lexicon, introduced, definitions))


def _broken(records: Iterator[Record]) -> tuple[int, list[tuple[str, str, list[str]]]]:
    count, broken = 0, []
    for record in records:
        for source, plain in _reworded(record):
            count += 1
            found = defects(source, plain)
            if found:
                broken.append((source, plain, found))
    return count, broken


def test_demo_corpus_sentences_stay_well_formed() -> None:
    paths = sorted(
        p for p in DEMO.iterdir() if p.suffix in {".xml", ".json", ".md"} and p.name != "README.md"
    )
    count, broken = _broken(_documents(paths))
    assert count > 300
    assert not broken, broken[:5]


@pytest.mark.shared_data
def test_real_abstract_sentences_stay_well_formed(shared_data: Path) -> None:
    count, broken = _broken(_abstracts(shared_data))
    assert count > 20_000
    assert not broken, broken[:5]


# ------------------------------------------------------------------ the reviewer's sentences


@pytest.mark.parametrize(
    ("source", "plain"),
    [
        (
            "No CD40L blocker is approved for any indication; long-term safety data are lacking.",
            "blocker is approved for any use.",
        ),
        ("It was given outside the labelled indication.", "outside the labelled use"),
        ("Renal biopsy was the main indication for admission.", "the main reason for admission"),
        (
            "Dapirolizumab pegol is investigational and was not an approved treatment at the time of writing.",
            "Dapirolizumab pegol is experimental and was not an approved treatment",
        ),
        ("The addition of belimumab to a treatment regimen was safe.", "to a treatment plan was safe"),
        ("Fibrosis/cirrhosis was seen on biopsy.", "Scarring/cirrhosis"),
    ],
)
def test_substitutions_keep_grammar(source: str, plain: str) -> None:
    out = " ".join(plain_parts(source, load_plain_terms(), set()))
    assert plain in out, out
    assert defects(source, out) == [], out


def test_indication_as_a_reason_is_not_an_approved_use() -> None:
    out = " ".join(plain_parts("The indication for biopsy was fever.", load_plain_terms(), set()))
    assert out == "The reason for tissue sample was fever.", out


# ------------------------------------------------------------------ the check itself can fail


@pytest.mark.parametrize(
    ("plain", "kind"),
    [
        ("No blocker is approved for any approved use.", "repeated phrase"),
        ("It was the the best.", "doubled word"),
        ("It was a an option.", "stacked articles"),
        ("It was an drip into a vein.", "article mismatch"),
        ("It was a option ().", "brackets"),
        ("It was (a drip.", "brackets"),
        ("It worked. then it failed.", "lowercase start"),
        ("It worked,, then failed ,.", "stray punctuation"),
    ],
)
def test_defects_are_found(plain: str, kind: str) -> None:
    source = "No blocker is approved for any indication."
    assert any(d.startswith(kind) for d in defects(source, plain)), defects(source, plain)


def test_defects_already_in_the_source_are_not_ours() -> None:
    text = "It was the the best (see. then it failed."
    assert defects(text, text) == []
    assert defects("Kordasiewicz et al. (2012) show it.", "Kordasiewicz et al. show it.") == []
