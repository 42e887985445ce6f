"""Drug monographs on the real FDA labels: key facts, section mapping, interactions, timing.

    python -m bench.monographs [--repeats 5] [--cold-runs 3] [--size 0]

One data folder is built with the CLI as a user would (``medref ingest`` of the four labels of
../shared/data/fda_spl, the demo corpus and drugsatfda.zip; ``medref lexicon build``), then:

* Key-fact recall (:mod:`bench.monograph_facts`): the hand-written checklists of
  ``bench/data/monograph_facts.json`` (facts read from the label XML) against each label's
  monograph; a fact counts when all its regexes match the text of the field it belongs in.
  Facts found only in another field are listed apart.
* Mapping: every passage a field cites, checked with
  ``medref.monograph.mapping.section_allowed`` (or, when that is missing, the bench's own
  reading of ``fields.LABEL_CODES``; the report says which).
* Field coverage: the label-driven fields a label supports (it has the LOINC section named for
  the field in ``fields.LABEL_CODES``; a boxed warning only at top level), and how many are
  filled with values whose evidence spans are the cited passage text and sit in those sections
  (population fields may also cite a dosing or warnings sub-section headed for that population);
  values with neither spans nor a structured source are counted as uncited (goal 0).
* Interaction checker (:mod:`bench.monograph_interactions`): precision, recall and severity
  agreement on ``bench/data/interaction_pairs.json``; skipped when the checker is missing.
* Timing (:mod:`bench.monograph_timing`): ``medref monograph DRUG`` as a fresh process pinned to
  two cores (median of ``--cold-runs``), and in-process builds after one warm-up.
* ``--size N`` (default 0: skipped, it takes minutes): build time at about N passages, built as
  in ``bench.retrieval_speed`` (PubMedQA-derived MEDLINE records, lexical index, usearch dense
  index of perturbed MiniLM vectors) with the labels and demo corpus on top.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.monograph_facts import (
    HEADED,
    POPULATION_FIELDS,
    broken_values,
    codes_around,
    load_facts,
    mapping_function,
    mapping_violations,
    score_facts,
)
from bench.monograph_interactions import load_pairs, make_checker, score_pairs
from bench.monograph_report import render
from bench.monograph_timing import build_cli_store, cold_cli, open_like_cli, warm_builds
from bench.report import SHARED, save_json, write_section
from medref.deps import demo_files, open_store
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.models import Monograph
from medref.monograph import build_monograph
from medref.monograph.approval import clear_drugsatfda_cache, load_drugsatfda
from medref.monograph.fields import INDICATION_FIELDS, LABEL_CODES
from medref.retrieve.lexicon import Lexicon, build_default
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.repository import Store

SPEED_DRUGS = ["Humira", "Lipitor", "Triaminic", "haloperidol", "belatacept", "letolizumab"]


# ------------------------------------------------------------------ field coverage
def coverage(m: Monograph, store: Store) -> dict[str, Any]:
    """Supported / correct / missing label fields and uncited values of one label's monograph."""
    assert m.label is not None
    doc = store.get_document(m.label.uid)
    text_of = {p.id: p for p in doc.passages}
    around, own = codes_around(doc)
    otc = "OTC" in str(doc.meta.get("document_type"))
    supported: list[str] = []
    correct: list[str] = []
    problems: dict[str, str] = {}
    for key, spec in LABEL_CODES.items():
        wanted = set(spec.for_label(otc=otc))
        if spec.top_only:
            ok = any(c in wanted and depth == 0 for c, depth in own.values())
        else:
            ok = any(wanted & cs for cs in around.values())
        if not ok:
            continue
        supported.append(key)
        keys = INDICATION_FIELDS if key == "indications" else (key,)
        fields = [f for f in (m.field(k) for k in keys) if f is not None and f.found]
        if not fields:
            problems[key] = "empty"
            continue
        allowed = wanted | (HEADED if key in POPULATION_FIELDS else set())
        in_own = 0
        fault = ""
        for f in fields:
            for v in f.values:
                if not v.spans:
                    fault = "value without a span"
                for c in v.spans:
                    p = text_of.get(c.passage_id)
                    if p is None or c.doc_uid != doc.uid:
                        fault = "cites outside the label"
                    elif p.text[c.start : c.end] != v.text:
                        fault = "span text differs"
                    elif not allowed & around.get(p.ordinal, set()):
                        fault = f"cites section {sorted(around.get(p.ordinal, set()))}"
                    else:
                        in_own += bool(wanted & around.get(p.ordinal, set()))
        if not fault and not in_own:
            fault = "none of its own sections cited"
        if fault:
            problems[key] = fault
        else:
            correct.append(key)
    uncited = [
        f"{f.key}: {v.text[:60]}"
        for s in m.sections
        for f in s.fields
        for v in f.values
        if not v.spans and not v.source
    ]
    filled = sum(1 for s in m.sections for f in s.fields if f.found)
    total = sum(len(s.fields) for s in m.sections)
    return {
        "supported": len(supported),
        "correct": len(correct),
        "problems": problems,
        "uncited_values": uncited,
        "fields_filled": filled,
        "fields_total": total,
        "values": sum(len(f.values) for s in m.sections for f in s.fields),
    }


# ------------------------------------------------------------------ runs
def run_labels(
    store: Store, retriever: Retriever | None, lexicon: Lexicon, zip_path: Path | None
) -> dict[str, Any]:
    """Per label: key-fact recall, mapping violations and field coverage of its monograph."""
    fn = mapping_function()
    out: dict[str, Any] = {}
    for lab in load_facts():
        m = build_monograph(lab.query, store=store, retriever=retriever, lexicon=lexicon, drugsatfda=zip_path)
        assert m.label is not None, f"{lab.query}: no label chosen"
        doc = store.get_document(m.label.uid)
        out[lab.file] = {
            "query": lab.query,
            "facts": score_facts(m, lab.facts),
            "mapping": mapping_violations(m, doc, fn),
            "broken_values": broken_values(m),
            "coverage": coverage(m, store),
        }
        f = out[lab.file]["facts"]
        print(
            lab.file,
            f"{f['present']}/{f['facts']} facts",
            f"{len(out[lab.file]['mapping']['violations'])} violations",
            flush=True,
        )
    return out


def run_interactions(store: Store, lexicon: Lexicon) -> dict[str, Any]:
    checker = make_checker(store, lexicon)
    if checker is None:
        return {"skipped": "medref.monograph.interactions.check_interactions is not available"}
    t = time.perf_counter()
    scored = score_pairs(load_pairs(), checker)
    scored["seconds"] = round(time.perf_counter() - t, 2)
    return scored


def run_speed(
    tmp: Path, lexicon: Lexicon, lex_path: Path, zip_path: Path, *, size: int, embed_n: int, repeats: int
) -> dict[str, Any]:
    from bench.retrieval_speed import build_scaled

    settings, store, info = build_scaled(size, tmp, embed_n=embed_n)
    files = [SHARED / "fda_spl" / lab.file for lab in load_facts()]
    assert ingest_paths(store, [*files, *demo_files()]).ok
    settings = load_settings(
        data_dir=tmp,
        index={"dense": "usearch", "embedder": "minilm-onnx"},
        retrieval={"lexicon_path": lex_path},
    )
    indexes = open_indexes(settings)
    sync(store, indexes)
    indexes.close()
    retriever = Retriever.open(settings, store=store)
    passages = store.stats()["passages"]
    clear_drugsatfda_cache()
    t0 = time.perf_counter()
    load_drugsatfda(zip_path)
    fda_s = time.perf_counter() - t0
    per: dict[str, dict[str, float]] = {}
    for drug in SPEED_DRUGS:
        build_monograph(drug, store=store, retriever=retriever, lexicon=lexicon, drugsatfda=zip_path)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            build_monograph(drug, store=store, retriever=retriever, lexicon=lexicon, drugsatfda=zip_path)
            times.append(time.perf_counter() - t)
        per[drug] = {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}
        print(drug, per[drug], flush=True)
    retriever.close()
    store.close()
    return {"passages": passages, "scaled": info, "drugsatfda_first_load_s": round(fda_s, 2), "per_drug": per}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=5, help="timed warm builds per drug")
    ap.add_argument("--cold-runs", type=int, default=3, help="fresh CLI runs per drug")
    ap.add_argument("--size", type=int, default=0, help="passages for the build-time-at-scale run (0: skip)")
    ap.add_argument("--embed", type=int, default=500)
    ap.add_argument(
        "--data",
        type=Path,
        help="data folder to build (or reuse when it holds a store); default: a temporary one",
    )
    args = ap.parse_args()
    zip_path = SHARED / "fda_spl" / "drugsatfda.zip"
    labels = [SHARED / "fda_spl" / lab.file for lab in load_facts()]
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td:
        data = args.data or Path(td) / "data"
        if (data / "medref.sqlite").exists():
            results["store_build_s"] = {"reused": str(data)}
        else:
            results["store_build_s"] = build_cli_store(data, labels, SHARED)
        settings = load_settings(data_dir=data)
        store = open_store(settings)
        retriever, lexicon = open_like_cli(settings, store)
        results["labels"] = run_labels(store, retriever, lexicon, settings.drugsatfda_path)
        results["interactions"] = run_interactions(store, lexicon)
        results["warm"] = warm_builds(settings, store, retriever, lexicon, SPEED_DRUGS, repeats=args.repeats)
        if retriever is not None:
            retriever.close()
        store.close()
        results["cold"] = cold_cli(data, SPEED_DRUGS, runs=args.cold_runs)
        if args.size:
            speed_dir = Path(td) / "speed"
            speed_dir.mkdir()
            lex_path = speed_dir / "lexicon.jsonl.gz"
            build_default(SHARED, lex_path)
            results["speed"] = run_speed(
                speed_dir,
                Lexicon.load(lex_path),
                lex_path,
                zip_path,
                size=args.size,
                embed_n=args.embed,
                repeats=args.repeats,
            )
    save_json("monographs", results)
    write_section("monographs", render(results), command="python -m bench.monographs")
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
