"""Emergency triage: recall and false alarms of ``medref.compose.safety.triage`` on a labelled set.

    python -m bench.triage [--reveal-held-out] [--no-write]

Data: ``bench/data/triage_set.jsonl``, one question a line with ``id``, ``split`` (dev or
held_out), ``label`` (emergency or not), ``category`` and ``text``. The set was written in full and
split (half of every label x category group each way, seeded) before the detector was tuned; the
patterns were tuned on the dev half only.

* Recall: share of emergency questions that get an emergency notice (any category).
* False alarms: share of non-emergency questions that get one.
* Overdose / poisoning questions must carry the poison-help line; suicidal ones the crisis line.
* External false alarms: the research questions of PubMedQA (dev) and BioASQ in ../shared/data
  (when present), none of which describes an emergency; every one flagged is listed.
* The shipped detector is the rules OR the learned model (``medref.compose.triage_model``). Each
  split is also scored for the rules alone and the model alone. The model's leave-one-round-out
  cross-validation figures on dev come from its weights file (``bench/fit_triage_model.py``
  computes them); its external false alarms are counted on the half of the research questions it
  was not fitted on.

Held-out misses are only printed with ``--reveal-held-out`` (so tuning never sees them); the
docs section lists the dev misses in full but only counts the held-out ones by category, so that
reading the docs does not reveal held-out wordings either.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import time
import zlib
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import SHARED, md_table, save_json, write_section
from bench.triage_report import model_section, short
from medref.compose.safety import CRISIS_LINE, GENERAL, POISON_LINE, Triage, rule_triage, triage
from medref.compose.triage_model import load_model
from medref.ingest.benchmarks import load_bioasq, load_pubmedqa

DATA = Path(__file__).resolve().parent / "data" / "triage_set.jsonl"
SPLITS = ("dev", "held_out")
GOALS = {"recall": 0.98, "false_alarms": 0.03}
# The message an emergency of this kind must carry besides the call to emergency services.
REQUIRED_LINE = {"overdose": POISON_LINE, "suicide": CRISIS_LINE}


@dataclass(frozen=True)
class Item:
    id: str
    split: str
    round: int  # 1: written and split first; 2+: dev items written later, each before tuning on it
    label: str
    category: str
    text: str

    @property
    def emergency(self) -> bool:
        return self.label == "emergency"


def load(path: Path = DATA) -> list[Item]:
    items = [Item(**json.loads(line)) for line in path.read_text().splitlines() if line.strip()]
    bad = [i.id for i in items if i.split not in SPLITS or i.label not in ("emergency", "not")]
    if bad:
        raise ValueError(f"bad split or label: {bad[:5]}")
    if len({i.id for i in items}) != len(items):
        raise ValueError("duplicate ids")
    return items


def model_triage(question: str) -> Triage:
    """The learned model alone (no rules): the general category where it fires."""
    model = load_model()
    return Triage(GENERAL, "model") if model is not None and model.fires(question) else Triage()


DETECTORS = {"rules": rule_triage, "model": model_triage, "combined": triage}


def evaluate(items: list[Item], detect: Callable[[str], Triage] = triage) -> dict[str, Any]:
    """Figures for one split: recall, false alarms, required lines, per-category counts, misses."""
    misses: list[dict[str, str]] = []
    false_alarms: list[dict[str, str]] = []
    line_missing: list[dict[str, str]] = []
    line_ok = 0
    per_cat: Counter[tuple[str, str, bool]] = Counter()
    for item in items:
        result = detect(item.text)
        per_cat[(item.label, item.category, result.urgent)] += 1
        row = {"id": item.id, "text": item.text, "got": result.category or "-"}
        if item.emergency and not result.urgent:
            misses.append(row)
        elif not item.emergency and result.urgent:
            false_alarms.append(row)
        need = REQUIRED_LINE.get(item.category)
        if item.emergency and need:
            if need in (result.message or ""):
                line_ok += 1
            elif result.urgent:
                line_missing.append(row)
    positives = sum(i.emergency for i in items)
    negatives = len(items) - positives
    need_line = sum(1 for i in items if i.emergency and i.category in REQUIRED_LINE)
    return {
        "emergency": positives,
        "not": negatives,
        "detected": positives - len(misses),
        "recall": (positives - len(misses)) / max(1, positives),
        "false_alarm_count": len(false_alarms),
        "false_alarm_rate": len(false_alarms) / max(1, negatives),
        "required_line_ok": line_ok,
        "required_line_of": need_line,
        "misses": misses,
        "false_alarms": false_alarms,
        "line_missing": line_missing,
        "per_category": [
            {"label": label, "category": cat, "flagged": flagged, "count": n}
            for (label, cat, flagged), n in sorted(per_cat.items())
        ],
    }


def external_questions(shared: Path = SHARED) -> dict[str, list[str]]:
    """Real research questions (no emergencies among them) by source, where the shared data has them."""
    sources: dict[str, list[str]] = {}
    pubmedqa = shared / "pubmedqa" / "pqal_dev.json"
    if pubmedqa.exists():
        sources["PubMedQA dev"] = [i.question for i in load_pubmedqa(pubmedqa)]
    bioasq = shared / "bioasq"
    if bioasq.is_dir():
        sources["BioASQ 7b-9b"] = list(dict.fromkeys(q.body for q in load_bioasq(bioasq)))
    return sources


def external_half(question: str) -> str:
    """ "train" (the learned model may fit on it) or "report" (never fitted on), by a stable hash."""
    return "report" if zlib.crc32(question.encode()) % 2 else "train"


def report_half(sources: dict[str, list[str]]) -> dict[str, list[str]]:
    return {name: [q for q in qs if external_half(q) == "report"] for name, qs in sources.items()}


def external_false_alarms(
    sources: dict[str, list[str]], detect: Callable[[str], Triage] = triage
) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for name, questions in sources.items():
        flagged = [{"text": q, "got": r.category or "-"} for q in questions if (r := detect(q)).urgent]
        out[name] = {"questions": len(questions), "flagged": flagged}
    return out


def _print(split: str, res: dict[str, Any], *, reveal: bool) -> None:
    print(
        f"{split}: recall {res['detected']}/{res['emergency']} = {res['recall']:.1%}, false alarms "
        f"{res['false_alarm_count']}/{res['not']} = {res['false_alarm_rate']:.1%}, required line "
        f"{res['required_line_ok']}/{res['required_line_of']}"
    )
    if not reveal:
        return
    for key in ("misses", "false_alarms", "line_missing"):
        for row in res[key]:
            print(f"  {key[:-1] if key != 'misses' else 'miss'}: {row['id']} [{row['got']}] {row['text']}")


def _list(rows: list[dict[str, str]]) -> str:
    return "; ".join(f'`{r["id"]}` "{r["text"]}"' for r in rows) or "none"


def _history_table(history: list[dict[str, Any]]) -> str:
    if not history:
        return ""
    rows = [
        [
            f"{h['round']}"
            + (" (the set first written; the detector before this work)" if h["round"] == 1 else ""),
            h["commit"],
            f"{h['detected']}/{h['emergency']} = {h['detected'] / max(1, h['emergency']):.0%}",
            f"{h['false_alarms']}/{h['not']} = {h['false_alarms'] / max(1, h['not']):.0%}",
        ]
        for h in history
    ]
    later = [h for h in history if h["round"] > 1]
    detected, total = sum(h["detected"] for h in later), sum(h["emergency"] for h in later)
    return (
        "\n\nFirst sight: each round of the set, scored by the detector as committed before it was "
        "tuned on that round (`python -m bench.triage_history` replays them from git). Over rounds 2+ the "
        f"detector caught {detected}/{total} = {detected / max(1, total):.0%} of emergencies it had never seen. "
        "Those rounds were written on purpose in wordings the patterns did not yet cover (long and "
        "non-native messages, slang, capitals), so they are harder than the held-out half, which was written "
        "together with the first dev half: expect real-world recall between the two.\n\n"
        + md_table(["round", "commit", "recall at first sight", "false alarms at first sight"], rows)
    )


def _body(
    results: dict[str, dict[str, Any]],
    external: dict[str, dict[str, Any]],
    history: list[dict[str, Any]],
    ms_per_question: float,
) -> str:
    last_round = max((h["round"] for h in history), default=1)
    rows = []
    for split in SPLITS:
        r = results[split]
        rows.append(
            [
                split.replace("_", "-"),
                f"{r['detected']}/{r['emergency']} = {r['recall']:.1%}",
                f"{r['false_alarm_count']}/{r['not']} = {r['false_alarm_rate']:.1%}",
                f"{r['required_line_ok']}/{r['required_line_of']}",
            ]
        )
    text = (
        "## Emergency triage\n\n"
        "`medref.compose.safety.triage` (a transparent rule set, OR a small learned model beside it: "
        "see below; the first table scores the two together, as shipped) on `bench/data/triage_set.jsonl`: "
        "questions written in our own words with varied spelling, case, slang, third-person and "
        "non-native phrasing, and long messages. Emergencies: overdose and poisoning (adults, "
        "children), chest pain, stroke signs, anaphylaxis, suicidal thoughts, severe bleeding, "
        "trouble breathing, unresponsiveness, seizures. Non-emergencies share their words: dose "
        "and overdose information, side effects, how conditions are treated, exam vignettes, past "
        "history, hypotheticals, negated and mild symptoms, everyday medicine questions, "
        "figures of speech. Round 1 of the set (332 emergencies, 333 not) was written in full and split "
        "before any tuning, half of each label x category group each way. The patterns were tuned on "
        "**dev** only; **held-out** (the other round-1 half) was only scored, its failures never read "
        f"while tuning. Dev also holds rounds 2-{last_round}: new wordings written after a tuning pass and committed "
        "before the next, so dev figures are tuning figures and held-out is the honest one.\n\n"
        + md_table(
            ["split", "recall (goal >= 98%)", "false alarms (goal <= 3%)", "poison / crisis line present"],
            rows,
        )
        + f"\n\nMean triage time {ms_per_question:.2f} ms per question."
        + _history_table(history)
    )
    if external:
        text += (
            "\n\nFalse alarms of the rules alone on all the real research questions (none is an emergency; "
            "the model and the combined detector are counted below on the half the model never saw): "
            + "; ".join(f"{name} {len(r['flagged'])}/{r['questions']}" for name, r in external.items())
        )
        flagged = [f for r in external.values() for f in r["flagged"]]
        text += " (" + "; ".join(f'"{f["text"]}" [{f["got"]}]' for f in flagged) + ")." if flagged else "."
    r = results["dev"]
    text += f"\n\nMissed (dev): {_list(r['misses'])}.\n\nFalse alarms (dev): {_list(r['false_alarms'])}."
    if r["line_missing"]:
        text += f"\n\nWithout the poison / crisis line (dev): {_list(r['line_missing'])}."
    r = results["held_out"]
    text += (
        f"\n\nHeld-out failures by category (their wordings are kept out of this page so that it can be read "
        f"while tuning; `--reveal-held-out` prints them): missed {_by_category(r['misses'])}; false alarms "
        f"{_by_category(r['false_alarms'])}; without the poison / crisis line {_by_category(r['line_missing'])}. "
        "Until round 8 this page printed those wordings too, and the round-8 tuning read that list (11 misses "
        "and 1 false alarm at 93.4% / 0.6%) before it began; no pattern was written from it, but the held-out "
        "figure from round 8 on may be a little optimistic for that reason."
    )
    return text


def _by_category(rows: list[dict[str, str]]) -> str:
    """'overdose 3, stroke 1' from rows whose ids read ``e-<category>-<n>``; 'none' when empty."""
    counts = Counter(row["id"].split("-")[1] for row in rows)
    return ", ".join(f"{cat} {n}" for cat, n in sorted(counts.items())) or "none"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--reveal-held-out", action="store_true", help="print held-out misses too")
    parser.add_argument("--no-write", action="store_true", help="do not write docs/benchmarks.md")
    args = parser.parse_args()
    items = load()
    start = time.perf_counter()
    results = {split: evaluate([i for i in items if i.split == split]) for split in SPLITS}
    ms = (time.perf_counter() - start) * 1000 / max(1, len(items))
    for split in SPLITS:
        _print(split, results[split], reveal=split == "dev" or args.reveal_held_out)
    alone: dict[str, dict[str, dict[str, int]]] = {}
    spent: dict[str, float] = {"combined": ms}
    for name in ("rules", "model"):
        start = time.perf_counter()
        alone[name] = {
            split: short(evaluate([i for i in items if i.split == split], DETECTORS[name]))
            for split in SPLITS
        }
        spent[name] = (time.perf_counter() - start) * 1000 / max(1, len(items))
    print("ms per question: " + ", ".join(f"{k} {v:.2f}" for k, v in spent.items()))
    alone["combined"] = {split: short(results[split]) for split in SPLITS}
    sources = external_questions()
    held_back = report_half(sources)
    external_by = {name: external_false_alarms(held_back, detect) for name, detect in DETECTORS.items()}
    for name, per_split in alone.items():
        print(f"{name}: " + "; ".join(f"{s} {r}" for s, r in per_split.items()))
    for name, ext in external_by.items():
        print(
            f"{name} on the report half: "
            + "; ".join(f"{k} {len(r['flagged'])}/{r['questions']}" for k, r in ext.items())
        )
    external = external_false_alarms(sources, rule_triage)
    for name, r in external.items():
        print(f"{name}: false alarms {len(r['flagged'])}/{r['questions']}")
        for f in r["flagged"]:
            print(f"  false_alarm: [{f['got']}] {f['text']}")
    history = _history()
    save_json(
        "triage",
        {
            "results": results,
            "external": external,
            "history": history,
            "goals": GOALS,
            "ms_per_question": ms,
            "by_detector": alone,
            "ms_per_question_by_detector": spent,
            "external_report_half": {
                k: {n: len(r["flagged"]) for n, r in v.items()} for k, v in external_by.items()
            },
        },
    )
    if not args.no_write:
        body = _body(results, external, history, ms) + model_section(alone, external_by, spent)
        write_section("triage", body, command="python -m bench.triage")


def _history() -> list[dict[str, Any]]:
    """First-sight figures per round, from git; empty where the history is not available."""
    from bench.triage_history import first_sight  # it imports this module

    try:
        return first_sight()
    except (OSError, subprocess.CalledProcessError, KeyError):
        return []


if __name__ == "__main__":
    main()
