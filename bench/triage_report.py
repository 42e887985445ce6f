"""The learned triage model's part of the "Emergency triage" docs section (see ``bench/triage.py``)."""

from __future__ import annotations

import json
from typing import Any

from bench.report import md_table
from medref.compose.triage_model import load_model


def short(res: dict[str, Any]) -> dict[str, int]:
    keys = ("detected", "emergency", "false_alarm_count", "not", "required_line_ok", "required_line_of")
    return {k: res[k] for k in keys}


def _frac(hits: int, of: int) -> str:
    return f"{hits}/{of} = {hits / max(1, of):.1%}"


def model_section(
    alone: dict[str, dict[str, dict[str, int]]], external_by: dict[str, Any], spent: dict[str, float]
) -> str:
    """The learned model beside the rules: cross-validation on dev, then the held-out figures."""
    model = load_model()
    if model is None:
        return (
            "\n\nNo learned model ships (src/medref/compose/triage_model.npz is absent): the rules run alone."
        )
    cv, config, tried = model.info["cv"], model.info["config"], model.info["tried"]
    assert isinstance(cv, dict) and isinstance(config, dict) and isinstance(tried, list)
    labels = {
        "model": "model alone, leave-one-round-out (all dev rounds)",
        "rules_tuned": "rules alone (tuned on all of dev: not a cross-validated figure)",
        "combined_tuned": "rules OR model (rules tuned on dev, model out of fold)",
        "model_rounds_2plus": "model alone, leave-one-round-out, rounds 2+",
        "rules_first_sight": "rules at first sight, rounds 2+ (as committed before each round)",
        "combined_first_sight": "rules at first sight OR model out of fold, rounds 2+",
    }
    cv_rows = [
        [
            label,
            _frac(cv[k]["recall"]["hits"], cv[k]["recall"]["of"]),
            _frac(cv[k]["false_alarms"]["hits"], cv[k]["false_alarms"]["of"]),
        ]
        for k, label in labels.items()
    ]
    held = [
        [
            name,
            _frac(r["held_out"]["detected"], r["held_out"]["emergency"]),
            _frac(r["held_out"]["false_alarm_count"], r["held_out"]["not"]),
            f"{r['held_out']['required_line_ok']}/{r['held_out']['required_line_of']}",
        ]
        for name, r in alone.items()
    ]
    ext = "; ".join(
        f"{name} " + ", ".join(f"{src} {len(r['flagged'])}/{r['questions']}" for src, r in per.items())
        for name, per in external_by.items()
    )
    train_fa = cv["external_train_false_alarms"]
    flagged = [f for r in external_by.get("model", {}).values() for f in r["flagged"]]
    return (
        "\n\n### Learned model beside the rules\n\n"
        "`medref.compose.triage_model`: logistic regression over hashed "
        + " and ".join(
            g
            for g, on in (
                ("word unigrams and bigrams", config["words"]),
                ("character 3-5-grams", config["chars"]),
            )
            if on
        )
        + f" (chosen among word, character and both feature sets; config {json.dumps(config)}, {len(model.weights)} weights in "
        "`src/medref/compose/triage_model.npz`), fitted by `python -m bench.fit_triage_model` on the dev split "
        "and on one half of the research questions (negatives; the other half is kept for counting false "
        "alarms). The notice is raised when the rules fire OR the model's probability reaches "
        f"{model.threshold:.3f}; the model adds only a general notice (call emergency services, plus the "
        "poison-help and crisis lines) and never changes a rule's category or message. Every choice "
        "(features, L2 strength, threshold) was made by leave-one-round-out cross-validation on dev: the "
        "threshold is the lowest at which, out of fold, the model alone raises at most 1% false alarms on dev "
        f"and none on the research questions it trains on ({train_fa['hits']}/{train_fa['of']} out of fold), "
        f"raised if needed above the fitted model's score on each of the {model.info.get('quiet_questions', 0)} "
        "hand-written information questions that tests/compose/test_safety.py requires to stay quiet (never "
        "trained on). "
        "The design was frozen and committed before held-out was scored, once.\n\n"
        "Cross-validation on dev (the rules were tuned on every dev round, so their dev figures are "
        "in-sample; the first-sight rows replay the rules as committed before each round was written):\n\n"
        + md_table(["detector (dev)", "recall", "false alarms"], cv_rows)
        + "\n\nConfigurations tried (model alone, out of fold, at each one's own threshold): "
        + "; ".join(
            f"{'+'.join(g for g in ('words', 'chars') if t['config'][g])} L2 {t['config']['l2']:g}: recall "
            f"{t['model']['recall']['hits']}/{t['model']['recall']['of']}, threshold {t['threshold']:.3f}"
            for t in tried
        )
        + ". Earlier passes of the same search (dev only, before the quiet-question bound was added) tried L2 "
        "from 3e-7 to 3e-4; recall fell as L2 grew."
        + "\n\nHeld-out, each detector scored once (the model alone has no message of its own, hence no "
        "poison / crisis line; as shipped its general notice carries both):\n\n"
        + md_table(["detector (held-out)", "recall", "false alarms", "poison / crisis line"], held)
        + f"\n\nFalse alarms on the research questions never fitted on (report half): {ext}"
        + (
            " (flagged by the model: " + "; ".join(f'"{f["text"]}"' for f in flagged) + ")."
            if flagged
            else "."
        )
        + " Mean time per question (all splits): "
        + ", ".join(f"{name} {ms:.2f} ms" for name, ms in spent.items())
        + "."
    )
