"""The learned triage model beside the rules: it loads, is fast and deterministic, and never removes a rule alarm."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from bench.fit_triage_model import fit, load_dev, matrix, scores

from medref.compose import safety
from medref.compose.safety import CALL, CRISIS_LINE, GENERAL, POISON_LINE, rule_triage, triage
from medref.compose.triage_model import (
    MODEL_PATH,
    TriageModel,
    feature_names,
    features,
    load_model,
    read_model,
    save_model,
)


@pytest.fixture(scope="module")
def model() -> TriageModel:
    loaded = load_model()
    assert loaded is not None, f"{MODEL_PATH} should ship with the package"
    return loaded


def test_the_shipped_model_loads_with_a_threshold_chosen_by_cross_validation(model: TriageModel) -> None:
    assert 0.0 < model.threshold < 1.0
    assert len(model.weights) > 1000
    assert "cv" in model.info and "config" in model.info
    assert load_model() is model  # loaded once


def test_features_are_words_bigrams_and_character_ngrams() -> None:
    names = feature_names("Can't  BREATHE!")
    assert "w|can't" in names and "w|breathe" in names and "b|can't breathe" in names
    assert "c| ca" in names and "c|eathe" in names and "c|breathe" not in names  # 3-5 characters
    assert features("Can't breathe") == features("can\u2019t   breathe")  # curly quote, spacing
    assert features("") == []


def test_scores_are_deterministic_and_survive_a_save_and_load(model: TriageModel, tmp_path: Path) -> None:
    questions = ["my dad is slurring and his face droops", "what is the usual dose of ibuprofen"]
    first = [model.score(q) for q in questions]
    assert first == [model.score(q) for q in questions]
    small = TriageModel({b: 0.5 for b in features(questions[0])}, -1.0, 0.5, info={"note": "tiny"})
    path = tmp_path / "m.npz"
    save_model(path, small)
    again = read_model(path)
    assert again.threshold == 0.5 and again.info == {"note": "tiny"}
    assert again.score(questions[0]) == pytest.approx(small.score(questions[0]), abs=1e-6)
    assert again.score(questions[0]) > again.score(questions[1])


def test_a_damaged_weights_file_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.npz"
    path.write_bytes(b"not an npz")
    with pytest.raises(ValueError, match="broken.npz"):
        read_model(path)


def test_the_model_never_removes_or_changes_a_rule_alarm(monkeypatch: pytest.MonkeyPatch) -> None:
    flagged = [e.text for e in load_dev() if rule_triage(e.text).urgent][:300]
    assert len(flagged) == 300
    for fires in (True, False):
        monkeypatch.setattr(safety, "model_fires", lambda _q, fires=fires: fires)
        for text in flagged:
            assert triage(text) == rule_triage(text), text


def test_the_poison_and_crisis_lines_stay_where_the_rules_find_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(safety, "model_fires", lambda _q: True)
    overdose = triage("I swallowed 60 Lipitor tablets an hour ago, what should I do?")
    assert overdose.category == "overdose" and POISON_LINE in (overdose.message or "")
    crisis = triage("I want to kill myself tonight")
    assert crisis.category == "suicide" and CRISIS_LINE in (crisis.message or "")


def test_where_only_the_model_fires_the_notice_is_general(monkeypatch: pytest.MonkeyPatch) -> None:
    question = "what is the usual dose of ibuprofen"
    assert not rule_triage(question).urgent
    monkeypatch.setattr(safety, "model_fires", lambda _q: True)
    result = triage(question)
    assert result.category == GENERAL
    assert result.message is not None
    assert all(line in result.message for line in (CALL, POISON_LINE, CRISIS_LINE))
    monkeypatch.setattr(safety, "model_fires", lambda _q: False)
    assert triage(question) == rule_triage(question)
    assert not triage("   ").urgent


def test_ordinary_questions_stay_quiet_with_the_shipped_model() -> None:
    for question in (
        "what is the usual dose of ibuprofen",
        "How is anaphylaxis treated?",
        "side effects of metformin",
    ):
        assert not triage(question).urgent, question


def test_the_fitting_code_learns_a_toy_problem() -> None:
    texts = [
        "help he is not breathing",
        "she stopped breathing help",
        "what dose of aspirin",
        "aspirin dose for adults",
    ]
    row, col, val, vocab = matrix(texts, words=True, chars=True)
    y = np.array([1.0, 1.0, 0.0, 0.0])
    w, b = fit(row, col, val, y, np.ones(4), len(vocab), 1e-4)
    s = scores(row, col, val, w, b, len(texts))
    assert s[0] > 0.9 and s[1] > 0.9 and s[2] < 0.1 and s[3] < 0.1
