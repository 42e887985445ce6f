"""Sample size read from abstracts: precision and recall of ``medref.ingest.sample_size``.

    python -m bench.sample_size [--no-write] [--commit REV]

Data: ``bench/data/sample_size.jsonl``, one real PubMedQA abstract a line, named by its PMID
(the text is read from ``../shared/data/pubmedqa/pqal_dev.json``: its labelled context paragraphs
then its conclusion, i.e. the whole abstract). The reader gets the sections as ingest gives them
(:func:`medref.ingest.sample_size.sample_size_of_sections`, which leaves out background and
conclusion sections); a replay of an older commit reads the whole abstract, as that commit did. Each line has the hand label ``n`` (the number of people
the study says it enrolled or analysed, or null when the abstract states none: animal studies,
counts of specimens, procedures or fractures only, or arm sizes without a stated total), an
``accept`` list of other readings a careful reader could defend (e.g. the number screened as
well as the number analysed), a ``note`` quoting what the label rests on, and a ``split``:

- ``dev``: the rules were tuned on these;
- ``held_out``: labelled with dev, scored once at the first commit (figures below), then read
  (the generic mistakes it showed were fixed), so now a second tuning set;
- ``held_out_2``: labelled after that fix and first scored at commit de34348 (the honest
  figure, replayed below); its mistakes were never used for tuning. One later change (a sentence
  whose counts form a list gives no count, added for a unit test) altered one of its results.

A prediction is *correct* when it equals ``n`` or one of ``accept``. Precision is correct
predictions over all predictions (a number on a null item is a false positive); recall is
correct predictions over the items with a labelled number. ``--commit REV`` scores the module
as it was at a git revision (to replay a first-sight figure).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import ROOT, SHARED, md_table, save_json, write_section
from medref.ingest.sample_size import sample_size_of_sections

DATA = ROOT / "bench" / "data" / "sample_size.jsonl"
SPLITS = ("dev", "held_out", "held_out_2")
MODULE = "src/medref/ingest/sample_size.py"
# the commit whose module first scored each held-out split
FIRST_SIGHT = {"held_out": "cf2c793", "held_out_2": "de34348"}


def load(path: Path = DATA) -> list[dict[str, Any]]:
    items = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    bad = [i["pmid"] for i in items if i["split"] not in SPLITS]
    if bad:
        raise ValueError(f"{path}: unknown split for PMIDs {bad[:5]}")
    return items


Sections = list[tuple[str, str]]  # (label, text) pairs of one abstract
Reader = Callable[[Sections], int | None]


def abstracts(pubmedqa: Path) -> dict[str, Sections]:
    """PMID -> the abstract's (label, text) sections: the contexts, then the conclusion."""
    data = json.loads(pubmedqa.read_text())
    out: dict[str, Sections] = {}
    for pmid, item in data.items():
        labels = [*(item.get("LABELS") or []), *[""] * len(item["CONTEXTS"])]
        out[pmid] = [*zip(labels, item["CONTEXTS"], strict=False), ("CONCLUSIONS", item["LONG_ANSWER"])]
    return out


def score(items: list[dict[str, Any]], texts: dict[str, Sections], reader: Reader) -> dict[str, Any]:
    predicted = correct = labelled = found = exact = 0
    wrong: list[dict[str, Any]] = []
    for item in items:
        got = reader(texts[item["pmid"]])
        ok = got is not None and (got == item["n"] or got in item["accept"])
        predicted += got is not None
        correct += ok
        if item["n"] is not None:
            labelled += 1
            found += ok
            exact += got == item["n"]
        if not ok and not (got is None and item["n"] is None):
            wrong.append({"pmid": item["pmid"], "gold": item["n"], "accept": item["accept"], "got": got})
    return {
        "items": len(items),
        "labelled": labelled,
        "predicted": predicted,
        "correct": correct,
        "precision": correct / predicted if predicted else 0.0,
        "recall": found / labelled if labelled else 0.0,
        "exact": exact,
        "wrong": wrong,
    }


def reader_at(commit: str) -> Reader:
    """``sample_size`` as the module was at ``commit`` (loaded from ``git show``), reading the
    whole abstract as that commit did."""
    source = subprocess.run(
        ["git", "show", f"{commit}:{MODULE}"], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout
    with tempfile.NamedTemporaryFile("w", suffix=".py", delete=False) as handle:
        handle.write(source)
    spec = importlib.util.spec_from_file_location(f"sample_size_{commit}", handle.name)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    Path(handle.name).unlink()
    whole: Callable[[str], int | None] = module.sample_size
    return lambda sections: whole(" ".join(text for _label, text in sections))


def cost_ms(texts: dict[str, Sections], rounds: int = 3) -> float:
    """CPU milliseconds per abstract of the reader ingest uses (best of ``rounds`` passes)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for sections in texts.values():
            sample_size_of_sections(sections)
        best = min(best, time.process_time() - start)
    return 1000 * best / len(texts)


def _pct(part: int, whole: int) -> str:
    return f"{part}/{whole} = {100 * part / whole:.1f}%" if whole else "-"


def _first(result: dict[str, Any]) -> str:
    recall = _pct(round(result["recall"] * result["labelled"]), result["labelled"])
    return f"precision {_pct(result['correct'], result['predicted'])}, recall {recall}"


def _rows(results: dict[str, dict[str, Any]]) -> list[list[Any]]:
    return [
        [
            split,
            f"{r['items']} ({r['labelled']} with a number)",
            _pct(r["correct"], r["predicted"]),
            _pct(round(r["recall"] * r["labelled"]), r["labelled"]),
            f"{r['exact']}/{r['labelled']}",
        ]
        for split, r in results.items()
    ]


def _wrong(split: str, result: dict[str, Any]) -> str:
    if not result["wrong"]:
        return f"Wrong ({split}): none."
    parts = [
        f"PMID {w['pmid']} gold {w['gold']}{' or ' + str(w['accept']) if w['accept'] else ''}, got {w['got']}"
        for w in result["wrong"]
    ]
    return f"Wrong ({split}): " + "; ".join(parts) + "."


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    ap.add_argument("--commit", help="score the module as it was at this git revision")
    args = ap.parse_args()
    pubmedqa = SHARED / "pubmedqa" / "pqal_dev.json"
    if not pubmedqa.exists():
        raise SystemExit(f"skipped: {pubmedqa} is absent (the labels name PubMedQA abstracts)")
    items = load()
    texts = abstracts(pubmedqa)
    reader: Reader = reader_at(args.commit) if args.commit else sample_size_of_sections
    results = {s: score([i for i in items if i["split"] == s], texts, reader) for s in SPLITS}
    results = {s: r for s, r in results.items() if r["items"]}
    first = {
        split: score([i for i in items if i["split"] == split], texts, reader_at(commit))
        for split, commit in FIRST_SIGHT.items()
    }
    ms = cost_ms(texts)
    save_json("sample_size", {"results": results, "first_sight": first, "ms_per_abstract": ms})
    print(f"cost: {ms:.3f} ms CPU per abstract ({len(texts)} PubMedQA abstracts)")
    for split, r in results.items():
        print(f"{split}: precision {_pct(r['correct'], r['predicted'])}, recall {r['recall']:.3f}")
        print("  " + _wrong(split, r))
    if args.no_write or args.commit:
        return
    headers = ["split", "abstracts", "precision", "recall", "exact (labelled number itself)"]
    body = "\n\n".join(
        [
            "## Sample size from abstracts\n\n"
            "`medref.ingest.sample_size.sample_size` (rules, no model) on real PubMedQA abstracts "
            "labelled by hand in `bench/data/sample_size.jsonl`: the number of people a study says it "
            "enrolled or analysed, or none (animal studies, counts of specimens, procedures or "
            "fractures, arm sizes without a stated total). Each label may list other defensible "
            "readings (screened as well as analysed), which count as correct. Precision: correct "
            "numbers over all numbers given (a number on an abstract labelled none is wrong); "
            "recall: correct numbers over abstracts labelled with a number. The reader is built to "
            "say nothing rather than guess, so precision is the figure that matters.",
            md_table(headers, _rows(results)),
            "Splits: the rules were tuned on **dev**. **held_out** was labelled with dev and first "
            f"scored by the module of commit {FIRST_SIGHT['held_out']} ({_first(first['held_out'])}); "
            "its mistakes were then read and the generic ones fixed, so its row above is a tuning "
            "figure. **held_out_2** was labelled after that fix and first scored by the module of "
            f"commit {FIRST_SIGHT['held_out_2']} ({_first(first['held_out_2'])}): the honest figure. "
            "Its mistakes were not used for tuning; one later change (a sentence whose counts form a "
            "list gives no count, written for a unit test) turned one of its wrong numbers into no "
            "number, hence the row above. The sets are small (32 abstracts each): a 95% interval "
            "around each share is about +/- 15 points.",
            f"Cost at ingest: {ms:.2f} ms of CPU per abstract (all {len(texts)} PubMedQA dev abstracts, "
            "best of three passes), against roughly 0.15 ms to parse a MEDLINE record.",
            "\n\n".join(_wrong(split, r) for split, r in results.items()),
        ]
    )
    write_section("sample_size", body, command="python -m bench.sample_size")


if __name__ == "__main__":
    main()
