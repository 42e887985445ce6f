"""PubMedQA and BioASQ loaders and their ingest parsers (tiny fixtures and the real files)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from medref.errors import ParseError
from medref.ingest import benchmarks as bm
from medref.ingest.base import clean
from medref.ingest.registry import get_parser
from medref.models import Document, SourceKind


def _check_offsets(docs: list[Document]) -> None:
    for doc in docs:
        assert doc.passages, doc.uid
        for p in doc.passages:
            assert doc.text[p.start : p.end] == p.text


# ---------------------------------------------------------------- PubMedQA
def test_load_pubmedqa_items(fixtures: Path) -> None:
    path = fixtures / "benchmarks" / "pubmedqa_tiny.json"
    raw = json.loads(path.read_text())
    items = bm.load_pubmedqa(path)
    assert [i.pmid for i in items] == list(raw)
    first, second = items
    assert first.question == raw["90000101"]["QUESTION"]
    assert [label for label, _ in first.contexts] == raw["90000101"]["LABELS"]
    assert (
        first.contexts[1][1]
        == "An invented trial sent letters to 400 older adults. Half got a second letter."
    )
    assert first.meshes == raw["90000101"]["MESHES"] and first.year == 2015
    assert first.final_decision == "yes" and first.long_answer == raw["90000101"]["LONG_ANSWER"]
    assert second.contexts == [("ABSTRACT", raw["90000102"]["CONTEXTS"][0])]  # no labels given
    assert second.year is None and second.final_decision == "maybe" and second.long_answer == ""


def test_pubmedqa_documents(fixtures: Path) -> None:
    path = fixtures / "benchmarks" / "pubmedqa_tiny.json"
    items = bm.load_pubmedqa(path)
    docs = list(bm.pubmedqa_documents(items))
    _check_offsets(docs)
    first = docs[0]
    assert first.uid == "pmid:90000101" and first.pmid == "90000101" and first.kind is SourceKind.OTHER
    assert first.title == "PubMed 90000101" and first.year == 2015
    assert first.mesh_terms == items[0].meshes
    assert [p.section for p in first.passages] == ["BACKGROUND", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert first.passages[-1].text == items[0].long_answer
    assert items[0].question not in first.text  # the question is the benchmark's query, not evidence
    assert [p.section for p in docs[1].passages] == ["ABSTRACT"]
    parsed = list(get_parser("pubmedqa").parse(path))
    assert [d.uid for d in parsed] == [d.uid for d in docs]
    assert all(isinstance(d, Document) and d.source_path == str(path) for d in parsed)


# ---------------------------------------------------------------- BioASQ
def test_load_bioasq_questions(fixtures: Path) -> None:
    files = sorted((fixtures / "benchmarks" / "bioasq").glob("*.json"))
    questions = bm.load_bioasq(files)
    assert [q.id for q in questions] == ["q-example-0001", "q-example-0002", "q-example-0003"]
    q1, q2, q3 = questions
    assert q1.type == "factoid" and q1.documents == ["90000201", "90000202"]
    assert q1.exact_answer == [["EX-1 receptor", "EX1"]] and q1.ideal_answer[0].startswith("Examplimab")
    assert q2.exact_answer == "yes" and q2.ideal_answer == [
        "Yes, examplimab is given by infusion in the example trials."
    ]
    assert q3.exact_answer is None and q3.source == str(files[1])
    snip = q1.snippets[1]
    assert (snip.pmid, snip.section, snip.begin, snip.end) == ("90000201", "title", 0, 44)
    assert bm.load_bioasq(fixtures / "benchmarks" / "bioasq") == questions  # a folder is searched for *.json


def test_bioasq_documents_union_of_snippets(fixtures: Path) -> None:
    questions = bm.load_bioasq(sorted((fixtures / "benchmarks" / "bioasq").glob("*.json")))
    docs = {d.uid: d for d in bm.bioasq_documents(questions)}
    _check_offsets(list(docs.values()))
    assert set(docs) == {"pmid:90000201", "pmid:90000202"}  # 90000203 has no snippet: no text
    a = docs["pmid:90000201"]
    assert a.title == "Examplimab, an invented EX-1 receptor blocker" and a.pmid == "90000201"
    # title first, then by offset; the double-spaced repeat and the contained fragment are dropped
    assert [(p.section, p.text) for p in a.passages] == [
        ("Title", "Examplimab, an invented EX-1 receptor blocker"),
        ("Abstract", "In this made-up study, examplimab was well tolerated."),
        ("Abstract", "Examplimab binds the EX-1 receptor and stops its signal."),
        ("Abstract", "Patients received examplimab by monthly infusion."),
    ]
    assert a.passages[0].kind == "title"
    assert a.meta == {"dataset": "bioasq", "questions": ["q-example-0001", "q-example-0002"]}
    b = docs["pmid:90000202"]
    assert b.title == "PubMed 90000202"
    assert [p.text for p in b.passages] == [
        "The EX-1 receptor is found on invented immune cells.",
        "EX-1 levels rose during the invented infection model.",
    ]  # snippets from two files merged
    for q in questions:
        for s in q.snippets:
            assert clean(s.text) in docs[f"pmid:{s.pmid}"].text


def test_bioasq_parser_reads_one_file(fixtures: Path) -> None:
    path = fixtures / "benchmarks" / "bioasq" / "golden_tiny_2.json"
    (doc,) = list(get_parser("bioasq").parse(path))
    assert isinstance(doc, Document) and doc.uid == "pmid:90000202" and doc.source_path == str(path)


# ---------------------------------------------------------------- sniffing and errors
def test_sniff(fixtures: Path) -> None:
    pqa = (fixtures / "benchmarks" / "pubmedqa_tiny.json").read_bytes()
    asq = (fixtures / "benchmarks" / "bioasq" / "golden_tiny_1.json").read_bytes()
    assert bm.PUBMEDQA.sniff(pqa, Path("x.json")) and not bm.PUBMEDQA.sniff(asq, Path("x.json"))
    assert bm.BIOASQ.sniff(asq, Path("x.json")) and not bm.BIOASQ.sniff(pqa, Path("x.json"))
    assert bm.PUBMEDQA.FORMAT == "pubmedqa" and bm.BIOASQ.FORMAT == "bioasq"
    assert not bm.BIOASQ.sniff(b'{"protocolSection": {}}', Path("s.json"))


@pytest.mark.parametrize(
    ("loader", "content", "reason", "record"),
    [
        (bm.load_pubmedqa, "", "empty", None),
        (bm.load_pubmedqa, "[1, 2]", "keyed by PMID", None),
        (bm.load_pubmedqa, '{"abc": {"CONTEXTS": []}}', "numeric PMID", "abc"),
        (bm.load_pubmedqa, '{"123": {"CONTEXTS": "text"}}', "should be lists", "123"),
        (bm.load_pubmedqa, '{"123": {\n"CONTEXTS": [}', "line 2, column", None),
        (bm.load_bioasq, '{"data": []}', '{"questions"', None),
        (bm.load_bioasq, '{"questions": [{"id": "q9"}]}', "'body'", "q9"),
        (
            bm.load_bioasq,
            '{"questions": [{"body": "x", "snippets": [{"text": 3}]}]}',
            "snippet",
            "question #1",
        ),
        (bm.load_bioasq, '{"questions": [{"body": "x", "documents": ["no-pmid"]}]}', "PMID", "question #1"),
    ],
)
def test_errors(
    tmp_path: Path, loader: Callable[[Path], object], content: str, reason: str, record: str | None
) -> None:
    path = tmp_path / "bad.json"
    path.write_text(content)
    with pytest.raises(ParseError) as info:
        loader(path)
    assert str(path) in str(info.value) and reason in info.value.reason and info.value.record == record


# ---------------------------------------------------------------- real data
@pytest.mark.shared_data
def test_real_pubmedqa(shared_data: Path) -> None:
    path = shared_data / "pubmedqa" / "pqal_dev.json"
    raw = json.loads(path.read_text())
    items = bm.load_pubmedqa(path)
    assert len(items) == len(raw) == 500
    assert {i.final_decision for i in items} <= {"yes", "no", "maybe"}
    docs = list(bm.pubmedqa_documents(items))
    _check_offsets(docs)
    assert len({d.uid for d in docs}) == 500
    for doc in docs:
        src = raw[doc.pmid or ""]
        runs = [
            p.section
            for i, p in enumerate(doc.passages)
            if i == 0 or doc.passages[i - 1].section != p.section
        ]
        labels = [clean(x) for i, x in enumerate(src["LABELS"]) if i == 0 or src["LABELS"][i - 1] != x]
        assert runs == [*labels, "CONCLUSIONS"]
        assert clean(src["LONG_ANSWER"]) in doc.text
        assert doc.year == (int(src["YEAR"]) if src["YEAR"] else None) and doc.mesh_terms == src["MESHES"]
        assert all(clean(c) in clean(doc.text) for c in src["CONTEXTS"])
    assert bm.PUBMEDQA.sniff(path.read_bytes()[:65536], path)


@pytest.mark.shared_data
def test_real_bioasq(shared_data: Path) -> None:
    folders = sorted((shared_data / "bioasq").glob("Task*BGoldenEnriched"))
    assert folders
    total = 0
    for folder in folders:
        files = sorted(folder.glob("*.json"))
        expected = sum(len(json.loads(f.read_text())["questions"]) for f in files)
        assert len(bm.load_bioasq(files)) == expected > 0
        total += expected
        assert all(bm.BIOASQ.sniff(f.read_bytes()[:65536], f) for f in files)
        assert not any(bm.PUBMEDQA.sniff(f.read_bytes()[:65536], f) for f in files)
    questions = bm.load_bioasq(sorted((shared_data / "bioasq").glob("Task*BGoldenEnriched/*.json")))
    assert len(questions) == total >= 1400  # the README: 1,400+ questions
    assert len({q.id for q in questions}) == total
    assert {q.type for q in questions} == {"factoid", "yesno", "list", "summary"}
    docs = {d.uid: d for d in bm.bioasq_documents(questions)}
    _check_offsets(list(docs.values()))
    assert len(docs) == len({s.pmid for q in questions for s in q.snippets})
    for q in questions:
        for s in q.snippets:
            # long snippets are chunked into passages: compare with whitespace collapsed
            assert clean(s.text) in clean(docs[f"pmid:{s.pmid}"].text), (q.id, s.pmid)
    titled = [d for d in docs.values() if d.passages[0].kind == "title"]
    assert titled and all(d.title == d.passages[0].text for d in titled)
