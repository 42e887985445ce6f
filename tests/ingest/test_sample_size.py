"""Participants stated in an abstract: what counts, what never counts, totals over arms."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from medref.ingest.sample_size import candidates, sample_size, sample_size_of_sections, words_to_digits

ROOT = Path(__file__).resolve().parents[2]
LABELS = ROOT / "bench" / "data" / "sample_size.jsonl"
PUBMEDQA = ROOT.parent / "shared" / "data" / "pubmedqa" / "pqal_dev.json"


@pytest.mark.parametrize(
    ("text", "digits"),
    [
        ("One hundred and eight patients were analysed.", "108 patients were analysed."),
        ("Fifty-two women", "52 women"),
        ("Three hundred couples", "300 couples"),
        ("N=1,204 adults", "N=1204 adults"),
        ("two three", "two three"),  # two numbers side by side are not one number
        ("p = 0.045 and 12.5 days", "p = 0.045 and 12.5 days"),
    ],
)
def test_words_to_digits(text: str, digits: str) -> None:
    assert words_to_digits(text) == digits


@pytest.mark.parametrize(
    ("abstract", "expected"),
    [
        ("Adults with migraine took part (n = 312).", 312),
        ("Patients (N=1,204) were followed for five years.", 1204),
        ("In this trial 312 patients were randomized to drug or placebo.", 312),
        ("A total of 1,204 participants from 14 centres were included.", 1204),
        ("From 2015 to 2018 we enrolled 86 women with endometriosis.", 86),
        ("Of 450 children screened at school, 61 had asthma.", 450),
        ("Two hundred and fourteen patients were enrolled (72, 71 and 71 per arm).", 214),
        ("We reviewed the charts of 612 consecutive gout patients.", 612),
    ],
)
def test_stated_participants(abstract: str, expected: int) -> None:
    assert sample_size(abstract) == expected


@pytest.mark.parametrize(
    "abstract",
    [
        "",
        "The trial ran in 25 centres between 2012 and 2013.",  # centres and years
        "Patients aged 65 years or more received 400 mg twice daily for 12 weeks.",  # ages, doses
        "Response rates were 35% and 48% (p = 0.02).",  # percentages
        "Adverse events occurred in 45 patients.",  # events
        "Ten patients died within the first month.",  # events
        "Forty-two of 50 rats survived to day 28.",  # animals
        "Group A (n = 10) and group B (n = 8) pigs underwent lung ischaemia.",  # animals, bare n
        "We measured 259 fractures and 79 renal units.",  # things, not people
        "One patient developed a rash.",  # a single case is not a sample
        "In 2012 patients were offered a new screening test.",  # a year, not a count
    ],
)
def test_never_counts(abstract: str) -> None:
    assert sample_size(abstract) is None, candidates(abstract)


def test_totals_win_over_arms_and_subgroups() -> None:
    assert sample_size("312 patients were randomised; 156 patients in each group received the drug.") == 312
    assert sample_size("Sixty patients were divided into two groups of 30 patients each.") == 60
    assert sample_size("A total of 36 women and 2 men were included.") == 38
    assert (
        sample_size("We studied 113 patients (mean age 61 years). Of these, 40 patients had diabetes.") == 113
    )
    assert sample_size("Outcome in 82 patients was analysed, including 55 patients treated with a TKI.") == 82


def test_groups_without_a_stated_total_give_nothing() -> None:
    # the whole (46) is not stated: adding the groups up would be a guess
    text = "14 patients had an abscess, 10 patients had recurrence, and 22 patients had neither."
    assert sample_size(text) is None
    assert sample_size("Ratings came from 12 sighted, 10 partially sighted, and 10 blind subjects.") is None


def test_candidates_report_strength() -> None:
    found = {
        c.value: c.strength
        for c in candidates("A total of 500 women took part; 76 women (n = 76) had one child.")
    }
    assert found[500] == 3 and found[500] > found[76]


@pytest.mark.skipif(not PUBMEDQA.exists(), reason="needs ../shared/data/pubmedqa")
def test_dev_labels_stay_read() -> None:
    """Regression guard on the tuning half of the hand labels (the bench reports the others)."""
    data = json.loads(PUBMEDQA.read_text())
    items = [json.loads(line) for line in LABELS.read_text().splitlines() if line.strip()]
    dev = [i for i in items if i["split"] == "dev"]
    assert len(dev) >= 30
    predicted = correct = labelled = found = 0
    for item in dev:
        record = data[item["pmid"]]
        got = sample_size(" ".join([*record["CONTEXTS"], record["LONG_ANSWER"]]))
        ok = got is not None and (got == item["n"] or got in item["accept"])
        predicted += got is not None
        correct += ok
        labelled += item["n"] is not None
        found += ok and item["n"] is not None
    assert correct / predicted >= 0.95
    assert found / labelled >= 0.9


def test_background_and_conclusion_sections_are_not_read() -> None:
    sections = [
        ("BACKGROUND", "A previous trial of 2,000 patients found no benefit."),
        ("METHODS", "We enrolled 140 adults with gout."),
        ("CONCLUSIONS", "In 140 patients, the drug lowered urate."),
    ]
    assert sample_size_of_sections(sections) == 140
    assert sample_size(" ".join(text for _label, text in sections)) == 2000  # why the sections matter
    assert sample_size_of_sections([("Background", "Of 450 children screened, 61 had asthma.")]) is None
    assert sample_size_of_sections([("", "Of 450 children screened, 61 had asthma.")]) == 450
