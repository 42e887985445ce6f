"""Interaction checker against the hand-made gold pairs in ``bench/data/interaction_pairs.json``.

Each gold pair was read from the labels' own interaction, contraindication, warning and dosing
text: an expected severity class (contraindicated / avoid / adjust dose / monitor, with
``also_accept`` where the sentence can fairly be read as a second class) or ``none`` where no
sentence of the searched labels names the other drug, a synonym or its class.

The checker (``medref.monograph.interactions.check_interactions``) is asked one pair at a time.
A pair counts as *found* when its severity is a class other than "no change"; precision and
recall are over found / not found, severity agreement over the pairs both the gold and the
checker call an interaction. When the checker module is missing the bench says so and skips.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import ROOT
from medref.retrieve.lexicon import Lexicon
from medref.store.repository import Store

PAIRS_PATH = ROOT / "bench" / "data" / "interaction_pairs.json"
NONE = "none"
Checker = Callable[[list[str]], tuple[str, str]]  # (severity or "none", what the most severe finding matched)


def load_pairs(path: Path = PAIRS_PATH) -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads(path.read_text())["pairs"]
    return pairs


def make_checker(store: Store, lexicon: Lexicon) -> Checker | None:
    """Two drug names -> the checker's severity (or 'none') and its reason; None if the module is absent."""
    try:
        mod = importlib.import_module("medref.monograph.interactions")
    except ImportError:
        return None
    check = getattr(mod, "check_interactions", None)
    if not callable(check):
        return None

    def severity(drugs: list[str]) -> tuple[str, str]:
        report = check(drugs, store=store, lexicon=lexicon)
        for pair in report.pairs:
            if pair.severity is None or str(pair.severity) == "no change":
                continue
            top = next((f for f in pair.findings if f.severity == pair.severity), None)
            why = f"'{top.matched}' ({top.via}) in {top.section}" if top is not None else ""
            return str(pair.severity), why
        return NONE, ""

    return severity


def score_pairs(pairs: list[dict[str, Any]], checker: Checker) -> dict[str, Any]:
    """Precision / recall of found vs not found, severity agreement, and every disagreement."""
    tp = fp = fn = tn = exact = accepted = 0
    wrong: list[dict[str, Any]] = []
    for pair in pairs:
        gold = pair["severity"]
        try:
            got, why = checker(list(pair["drugs"]))
        except Exception as exc:  # an unknown name or a checker failure is a miss, with its reason
            got, why = f"error: {exc.__class__.__name__}", str(exc)[:120]
        error = got.startswith("error")
        found = got != NONE and not error
        if gold == NONE:
            fp += found
            tn += not found
        elif found:
            tp += 1
            exact += got == gold
            ok = got == gold or got in pair.get("also_accept", [])
            accepted += ok
        else:
            fn += 1
        good = (gold == NONE and not found) or (
            gold != NONE and found and (got == gold or got in pair.get("also_accept", []))
        )
        if error or not good:
            wrong.append(
                {"drugs": pair["drugs"], "gold": gold, "got": got, "why": why, "via": pair.get("via")}
            )
    return {
        "pairs": len(pairs),
        "with_interaction": tp + fn,
        "without": fp + tn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "precision": round(tp / max(1, tp + fp), 4),
        "recall": round(tp / max(1, tp + fn), 4),
        "severity_exact": round(exact / max(1, tp), 4),
        "severity_accepted": round(accepted / max(1, tp), 4),
        "disagreements": wrong,
    }
