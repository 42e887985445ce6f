"""The labelled triage set (bench/data/triage_set.jsonl): its shape, and the detector's figures on the dev half."""

from __future__ import annotations

from collections import Counter

import pytest
from bench.triage import REQUIRED_LINE, SPLITS, Item, evaluate, load

from medref.compose.safety import POISON_LINE, triage


@pytest.fixture(scope="module")
def items() -> list[Item]:
    return load()


def test_each_split_holds_at_least_150_of_each_label(items: list[Item]) -> None:
    counts = Counter((i.split, i.label) for i in items)
    for split in SPLITS:
        assert counts[(split, "emergency")] >= 150 and counts[(split, "not")] >= 150, counts


def test_every_emergency_category_is_in_both_halves(items: list[Item]) -> None:
    by_split = {s: {i.category for i in items if i.split == s and i.emergency} for s in SPLITS}
    assert by_split["dev"] == by_split["held_out"]
    assert {
        "overdose",
        "chest_pain",
        "stroke",
        "anaphylaxis",
        "suicide",
        "bleeding",
        "breathing",
    } <= by_split["dev"]


def test_held_out_is_the_first_round_only(items: list[Item]) -> None:
    assert {i.round for i in items if i.split == "held_out"} == {1}
    first = Counter(i.split for i in items if i.round == 1)
    assert abs(first["dev"] - first["held_out"]) <= 1  # round 1 was split in halves


def test_texts_are_unique(items: list[Item]) -> None:
    texts = [i.text.lower() for i in items]
    assert len(set(texts)) == len(texts)


def test_dev_half_meets_the_goals(items: list[Item]) -> None:
    result = evaluate([i for i in items if i.split == "dev"])
    assert result["recall"] >= 0.98, result["misses"]
    assert result["false_alarm_rate"] <= 0.03, result["false_alarms"]
    assert result["required_line_ok"] >= 0.98 * result["required_line_of"], result["line_missing"]


def test_evaluate_reports_misses_false_alarms_and_missing_lines() -> None:
    sample = [
        Item("e-overdose-1", "dev", 1, "emergency", "overdose", "I swallowed 60 Lipitor tablets an hour ago"),
        Item(
            "e-stroke-1", "dev", 1, "emergency", "stroke", "what is the dose of atorvastatin"
        ),  # wrong label: a miss
        Item("n-x-1", "dev", 1, "not", "x", "I can't breathe"),  # wrong label: a false alarm
        Item("n-x-2", "dev", 1, "not", "x", "How is anaphylaxis treated?"),
    ]
    result = evaluate(sample)
    assert result["recall"] == 0.5 and [m["id"] for m in result["misses"]] == ["e-stroke-1"]
    assert result["false_alarm_rate"] == 0.5 and [m["id"] for m in result["false_alarms"]] == ["n-x-1"]
    assert result["required_line_ok"] == 1 and result["required_line_of"] == 1


def test_the_question_from_the_issue_gets_the_poison_line() -> None:
    result = triage("I swallowed 60 Lipitor tablets an hour ago, what should I do?")
    assert result.category == "overdose"
    assert result.message is not None and POISON_LINE in result.message
    assert set(REQUIRED_LINE) == {"overdose", "suicide"}
