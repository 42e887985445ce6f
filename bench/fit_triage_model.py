"""Fit the learned triage model (``src/medref/compose/triage_model.npz``) on the dev split only.

    python -m bench.fit_triage_model [--no-save]

Honesty protocol: only ``split == "dev"`` lines of ``bench/data/triage_set.jsonl`` are read (the
held-out lines are skipped before their text is parsed into items). Every choice -- feature set,
L2 strength, threshold -- is made by leave-one-round-out cross-validation on dev: for each round,
fit on the other rounds and score the left-out one, which simulates wordings never seen. The
research questions of PubMedQA and BioASQ (no emergencies) are split in two halves by a hash of
their text: the "train" half joins the negatives (spread over the folds, so that it too is scored
out of fold), the "report" half is never fitted on and only counted as false alarms by
``bench/triage.py``.

The threshold is the lowest probability at which, out of fold, the model alone raises at most
``MAX_DEV_FA`` false alarms on dev and none on the train half of the research questions, raised
where needed above the fitted model's score on every information question that the safety tests
require to stay quiet (read from tests/compose/test_safety.py as literals, never trained on). The
configuration with the best out-of-fold recall at its threshold wins; the final model is then fitted
on all of dev plus the train half, and the cross-validation figures travel in its header.
"""

from __future__ import annotations

import argparse
import ast
import json
import zlib
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from bench.report import ROOT
from bench.triage import DATA, external_half, external_questions
from bench.triage_history import detector_at, round_commits
from medref.compose.safety import rule_triage
from medref.compose.triage_model import MODEL_PATH, TriageModel, features, save_model

MAX_DEV_FA = 0.01
EXTERNAL_WEIGHT = 0.5  # the research questions together weigh half as much as the dev negatives
CONFIGS: list[dict[str, Any]] = [
    *({"words": True, "chars": True, "l2": lam} for lam in (1e-6, 3e-6, 1e-5)),
    *({"words": True, "chars": False, "l2": lam} for lam in (1e-6, 3e-6, 1e-5)),
    {"words": False, "chars": True, "l2": 3e-6},
]
# Hand-written information questions that tests/compose/test_safety.py requires to stay quiet: the
# threshold is also raised above the final model's score on every one (they are never trained on).
QUIET_SOURCE = ROOT / "tests" / "compose" / "test_safety.py"
QUIET_LISTS = ("NEGATIVE", "STRUCTURE_NEGATIVES", "ROUND9_NEGATIVES")
ITERATIONS = 400


@dataclass(frozen=True)
class Example:
    text: str
    label: int  # 1 emergency, 0 not
    round: int  # 0 for the research questions
    fold: int  # the round it is scored in out of fold (research questions: spread over rounds)
    source: str  # "dev" or "external"
    id: str = ""


def load_dev() -> list[Example]:
    """The dev lines only; held-out lines are dropped before their text is read into an item."""
    out = []
    for number, line in enumerate(DATA.read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValueError(f"{DATA}:{number}: bad JSON ({exc})") from exc
        if row.get("split") != "dev":
            continue
        out.append(
            Example(
                row["text"], int(row["label"] == "emergency"), row["round"], row["round"], "dev", row["id"]
            )
        )
    return out


def external_halves() -> dict[str, list[str]]:
    """Research questions split by a stable hash of their text: "train" and "report"."""
    halves: dict[str, list[str]] = {"train": [], "report": []}
    for questions in external_questions().values():
        for q in questions:
            halves[external_half(q)].append(q)
    return halves


def matrix(
    texts: list[str], *, words: bool, chars: bool
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Sparse rows (COO: row, compact column, value) and the bucket number of each column."""
    rows, buckets = [], []
    for i, text in enumerate(texts):
        found = features(text, words=words, chars=chars)
        rows.append(np.full(len(found), i, dtype=np.int64))
        buckets.append(np.array(found, dtype=np.int64))
    row = np.concatenate(rows)
    vocab, col = np.unique(np.concatenate(buckets), return_inverse=True)
    counts = np.bincount(row, minlength=len(texts)).astype(np.float64)
    val = 1.0 / np.sqrt(np.maximum(counts[row], 1.0))
    return row, col, val, vocab


def fit(
    row: np.ndarray, col: np.ndarray, val: np.ndarray, y: np.ndarray, weight: np.ndarray, dim: int, l2: float
) -> tuple[np.ndarray, float]:
    """L2-regularised weighted logistic regression by full-batch Adam (deterministic)."""
    n = len(y)
    w, b = np.zeros(dim), 0.0
    m, v, mb, vb = np.zeros(dim), np.zeros(dim), 0.0, 0.0
    weight = weight / weight.sum()
    lr, beta1, beta2 = 0.05, 0.9, 0.999
    for t in range(1, ITERATIONS + 1):
        z = np.bincount(row, val * w[col], minlength=n) + b
        g = weight * (1.0 / (1.0 + np.exp(-z)) - y)
        gw = np.bincount(col, val * g[row], minlength=dim) + l2 * w
        gb = float(g.sum())
        m, v = beta1 * m + (1 - beta1) * gw, beta2 * v + (1 - beta2) * gw * gw
        mb, vb = beta1 * mb + (1 - beta1) * gb, beta2 * vb + (1 - beta2) * gb * gb
        w -= lr * (m / (1 - beta1**t)) / (np.sqrt(v / (1 - beta2**t)) + 1e-8)
        b -= lr * (mb / (1 - beta1**t)) / (np.sqrt(vb / (1 - beta2**t)) + 1e-8)
    return w, b


def weights_for(examples: list[Example]) -> np.ndarray:
    pos = sum(e.label for e in examples)
    neg = sum(1 for e in examples if not e.label and e.source == "dev")
    ext = sum(1 for e in examples if e.source == "external")
    return np.array(
        [
            1 / pos if e.label else (1 / neg if e.source == "dev" else EXTERNAL_WEIGHT / max(1, ext))
            for e in examples
        ]
    )


def scores(row: np.ndarray, col: np.ndarray, val: np.ndarray, w: np.ndarray, b: float, n: int) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-(np.bincount(row, val * w[col], minlength=n) + b)))


def out_of_fold(examples: list[Example], config: dict[str, Any]) -> np.ndarray:
    """Leave-one-round-out scores for every example."""
    row, col, val, vocab = matrix([e.text for e in examples], words=config["words"], chars=config["chars"])
    y = np.array([e.label for e in examples], dtype=np.float64)
    folds = np.array([e.fold for e in examples])
    oof = np.zeros(len(examples))
    for fold in sorted(set(folds.tolist())):
        train = folds != fold
        keep = train[row]
        index = np.cumsum(train) - 1  # old row -> new row among the training rows
        tr = [e for e, t in zip(examples, train, strict=True) if t]
        w, b = fit(
            index[row[keep]], col[keep], val[keep], y[train], weights_for(tr), len(vocab), config["l2"]
        )
        s = scores(row, col, val, w, b, len(examples))
        oof[~train] = s[~train]
    return oof


def choose_threshold(examples: list[Example], oof: np.ndarray) -> float:
    """Lowest threshold with <= MAX_DEV_FA dev false alarms and none on the research questions, out of fold."""
    dev_neg = np.array([e.source == "dev" and not e.label for e in examples])
    ext = np.array([e.source == "external" for e in examples])
    allowed = int(MAX_DEV_FA * dev_neg.sum())
    neg_sorted = np.sort(oof[dev_neg])[::-1]
    at_dev = neg_sorted[allowed] if allowed < len(neg_sorted) else 0.0
    at_ext = oof[ext].max() if ext.any() else 0.0
    return float(np.nextafter(max(at_dev, at_ext), 1.0))


def rate(hits: np.ndarray, mask: np.ndarray) -> dict[str, Any]:
    return {"hits": int((hits & mask).sum()), "of": int(mask.sum())}


def first_sight_rules(dev: list[Example]) -> dict[str, bool]:
    """Per dev item of rounds 2+: flagged by the rules as committed before they were tuned on its round."""
    from bench.triage import Item

    items = [Item(e.id, "dev", e.round, "emergency" if e.label else "not", "", e.text) for e in dev]
    commits = round_commits(items)
    flagged: dict[str, bool] = {}
    for number in sorted({e.round for e in dev if e.round > 1}):
        detect = detector_at(commits[number])
        flagged.update({e.id: detect(e.text).urgent for e in dev if e.round == number})
    return flagged


def cv_figures(
    examples: list[Example], oof: np.ndarray, threshold: float, sight: dict[str, bool]
) -> dict[str, Any]:
    dev = np.array([e.source == "dev" for e in examples])
    pos = np.array([bool(e.label) for e in examples])
    later = np.array([e.source == "dev" and e.round > 1 for e in examples])
    model = oof >= threshold
    rules = np.array([e.source == "dev" and rule_triage(e.text).urgent for e in examples])
    seen = np.array([sight.get(e.id, False) for e in examples])
    out: dict[str, Any] = {"threshold": threshold}
    for name, hits, scope in (
        ("model", model, dev),
        ("rules_tuned", rules, dev),
        ("combined_tuned", rules | model, dev),
        ("model_rounds_2plus", model, later),
        ("rules_first_sight", seen, later),
        ("combined_first_sight", seen | model, later),
    ):
        out[name] = {"recall": rate(hits, scope & pos), "false_alarms": rate(hits, scope & ~pos)}
    out["external_train_false_alarms"] = rate(model, ~dev)
    return out


def quiet_questions() -> list[str]:
    """The quiet lists of the safety tests, read as literals (the test module is not imported)."""
    if not QUIET_SOURCE.exists():
        return []
    tree = ast.parse(QUIET_SOURCE.read_text())
    out: list[str] = []
    for node in tree.body:
        target = node.targets[0] if isinstance(node, ast.Assign) else getattr(node, "target", None)
        value = getattr(node, "value", None)
        if isinstance(target, ast.Name) and target.id in QUIET_LISTS and value is not None:
            out += [q for q in ast.literal_eval(value) if isinstance(q, str)]
    return out


def final_fit(examples: list[Example], config: dict[str, Any]) -> TriageModel:
    row, col, val, vocab = matrix([e.text for e in examples], words=config["words"], chars=config["chars"])
    y = np.array([e.label for e in examples], dtype=np.float64)
    w, b = fit(row, col, val, y, weights_for(examples), len(vocab), config["l2"])
    # rounded to float32 as stored, so that the threshold is set on the very scores the shipped model gives
    weights = {int(k): float(np.float32(x)) for k, x in zip(vocab, w, strict=True) if abs(x) >= 1e-5}
    return TriageModel(weights, float(b), 0.5, words=config["words"], chars=config["chars"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--no-save", action="store_true", help="do not write the weights file")
    args = parser.parse_args()
    dev = load_dev()
    rounds = sorted({e.round for e in dev})
    ext = [
        Example(q, 0, 0, rounds[zlib.crc32(q.encode()) // 2 % len(rounds)], "external")
        for q in external_halves()["train"]
    ]
    examples = dev + ext
    print(f"dev: {len(dev)} questions in rounds {rounds}; research questions (train half): {len(ext)}")
    sight = first_sight_rules(dev)
    quiet = quiet_questions()
    best: tuple[int, TriageModel, dict[str, Any], dict[str, Any]] | None = None
    tried = []
    for config in CONFIGS:
        oof = out_of_fold(examples, config)
        model = final_fit(examples, config)
        cv_threshold = choose_threshold(examples, oof)
        quiet_max = max((model.score(q) for q in quiet), default=0.0)
        threshold = max(cv_threshold, quiet_max + 1e-6)
        figures = cv_figures(examples, oof, threshold, sight)
        recall = figures["model"]["recall"]["hits"]
        row = {"config": config, "cv_threshold": cv_threshold, "quiet_max": quiet_max, "threshold": threshold}
        tried.append({**row, "model": figures["model"]})
        print(f"{json.dumps(row)}: {json.dumps(figures)}", flush=True)
        if best is None or recall > best[0]:
            best = (recall, replace(model, threshold=threshold), figures, config)
    assert best is not None
    _, model, figures, config = best
    info = {
        "config": config,
        "cv": figures,
        "tried": tried,
        "dev_questions": len(dev),
        "external_train": len(ext),
        "quiet_questions": len(quiet),
    }
    model = replace(model, info=info)
    threshold = model.threshold
    print(f"chosen {config}, threshold {threshold:.3f}, {len(model.weights)} weights")
    if not args.no_save:
        save_model(MODEL_PATH, model)
        print(f"wrote {MODEL_PATH}")


if __name__ == "__main__":
    main()
