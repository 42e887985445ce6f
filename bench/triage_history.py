"""First-sight figures of the triage detector on each round of the labelled set, before tuning on it.

    python -m bench.triage_history

Round 1 of ``bench/data/triage_set.jsonl`` is the set first written and split; its dev half then
grew in rounds 2 and up. Each round was committed before the detector was tuned on it. This
replays, for each round, the detector as committed together with that round's data (``git
show``), so its recall and false alarms on the round are those of a detector that had never seen
those wordings (for round 1: the detector before this work). Needs the git history.
"""

from __future__ import annotations

import json
import subprocess
import sys
import types
from collections.abc import Callable
from typing import Any

from bench.report import ROOT
from bench.triage import Item, load
from medref.compose.safety import Triage

DATA_PATH = "bench/data/triage_set.jsonl"
MODULES = ("safety_words", "safety_signs", "safety_patterns", "safety")  # import order


def _git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout


def round_commits(items: list[Item]) -> dict[int, str]:
    """Round number -> the first commit whose data file holds every id of that round."""
    ids_by_round: dict[int, set[str]] = {}
    for item in items:
        ids_by_round.setdefault(item.round, set()).add(item.id)
    first: dict[int, str] = {}
    for commit in _git("log", "--reverse", "--format=%h", "--", DATA_PATH).split():
        text = _git("show", f"{commit}:{DATA_PATH}")
        ids = {json.loads(line)["id"] for line in text.splitlines() if line.strip()}
        for number, wanted in ids_by_round.items():
            if number not in first and wanted <= ids:
                first[number] = commit
    return first


def detector_at(commit: str) -> Callable[[str], Triage]:
    """``triage`` as committed at ``commit``, loaded without touching the installed modules."""
    saved = {name: sys.modules.get(f"medref.compose.{name}") for name in MODULES}
    try:
        namespace: dict[str, Any] = {}
        for name in MODULES:
            try:
                source = _git("show", f"{commit}:src/medref/compose/{name}.py")
            except subprocess.CalledProcessError:
                continue  # the module did not exist yet
            module = types.ModuleType(f"medref.compose.{name}")
            sys.modules[module.__name__] = module
            exec(compile(source, f"{commit}:{name}.py", "exec"), module.__dict__)
            namespace = module.__dict__
        triage: Callable[[str], Triage] = namespace["triage"]
        return triage
    finally:
        for name, previous in saved.items():
            if previous is not None:
                sys.modules[f"medref.compose.{name}"] = previous
            else:
                sys.modules.pop(f"medref.compose.{name}", None)


def first_sight(items: list[Item] | None = None) -> list[dict[str, Any]]:
    items = load() if items is None else items
    rows = []
    commits = round_commits(items)
    for number in sorted({i.round for i in items}):
        triage = detector_at(commits[number])
        new = [i for i in items if i.round == number]
        emergencies = [i for i in new if i.emergency]
        others = [i for i in new if not i.emergency]
        rows.append(
            {
                "round": number,
                "commit": commits[number],
                "detected": sum(triage(i.text).urgent for i in emergencies),
                "emergency": len(emergencies),
                "false_alarms": sum(triage(i.text).urgent for i in others),
                "not": len(others),
            }
        )
    return rows


def main() -> None:
    rows = first_sight()
    for r in rows:
        print(
            f"round {r['round']} ({r['commit']}): recall {r['detected']}/{r['emergency']}, "
            f"false alarms {r['false_alarms']}/{r['not']}"
        )
    later = [r for r in rows if r["round"] > 1]
    detected, total = sum(r["detected"] for r in later), sum(r["emergency"] for r in later)
    alarms, nots = sum(r["false_alarms"] for r in later), sum(r["not"] for r in later)
    print(
        f"rounds 2+: recall {detected}/{max(1, total)} = {detected / max(1, total):.1%}, "
        f"false alarms {alarms}/{max(1, nots)} = {alarms / max(1, nots):.1%}"
    )


if __name__ == "__main__":
    main()
