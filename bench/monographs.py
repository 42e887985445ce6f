"""Drug monographs: field coverage on real FDA labels, and build time at scale.

    python -m bench.monographs [--size 100000] [--repeats 5] [--embed 500]

* Coverage: the four real labels of ../shared/data/fda_spl (Humira, Lipitor, an OTC cough product,
  a label with no title) plus the demo corpus in a fresh SQLite store; DrugBank + MeSH lexicon
  built from ../shared/data; Drugs@FDA from drugsatfda.zip. For each label the bench reads the
  label's own section list (``meta["sections"]``: LOINC code, depth, passages) and decides which
  label-driven monograph fields it supports (it has the LOINC section named for the field in
  ``medref.monograph.fields.LABEL_CODES``; a boxed warning counts only at top level). A supported
  field is *filled and cited correctly* when it has values, every value has evidence spans whose
  text is exactly the cited passage text, every cited passage belongs to the label, and each sits
  in one of the field's sections (population fields may also cite a dosing or warnings sub-section
  headed for that population) with at least one in the field's own sections. Separately, every
  value on the page is counted that has neither spans nor a structured source ("uncited"; goal 0).
* Build time: a store of about ``--size`` passages built as in ``bench.retrieval_speed``
  (PubMedQA-derived MEDLINE records, lexical index, usearch dense index of perturbed MiniLM
  vectors), the four labels and the demo corpus ingested and indexed on top, then
  ``build_monograph`` with the Retriever, per drug: one warm-up, then ``--repeats`` timed builds.
  The first build of a process also reads drugsatfda.zip (timed apart).
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.report import SHARED, md_table, save_json, write_section
from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.pipeline import ingest_paths
from medref.models import Document, Monograph
from medref.monograph import build_monograph
from medref.monograph.approval import clear_drugsatfda_cache, load_drugsatfda
from medref.monograph.fields import INDICATION_FIELDS, LABEL_CODES
from medref.retrieve.lexicon import Lexicon, build_default
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.repository import Store

LABELS = {
    "Humira (humira.xml)": ("humira.xml", "Humira"),
    "Lipitor (lipitor-orig.xml)": ("lipitor-orig.xml", "Lipitor"),
    "OTC cough (cough.xml)": ("cough.xml", "Triaminic"),
    "No title (no-title.xml)": ("no-title.xml", "haloperidol"),
}
SPEED_DRUGS = ["Humira", "Lipitor", "Triaminic", "haloperidol", "belatacept", "letolizumab"]
HEADED = {"34068-7", "43684-0", "42232-9", "34071-1", "43685-7", "34070-3"}
POPULATION_FIELDS = {"dose_pregnancy", "dose_lactation", "dose_pediatric", "dose_geriatric"}


# ------------------------------------------------------------------ the bench's own label reading
def _codes_around(doc: Document) -> tuple[dict[int, set[str]], dict[int, tuple[str | None, int]]]:
    around: dict[int, set[str]] = {}
    own: dict[int, tuple[str | None, int]] = {}
    stack: list[tuple[int, str | None]] = []
    for s in doc.meta.get("sections") or []:
        depth = int(s.get("depth") or 0)
        while stack and stack[-1][0] >= depth:
            stack.pop()
        stack.append((depth, s.get("loinc")))
        for o in s.get("passages") or []:
            around[int(o)] = {c for _, c in stack if c}
            own[int(o)] = (s.get("loinc"), depth)
    return around, own


def coverage(m: Monograph, store: Store) -> dict[str, Any]:
    """Supported / correct / missing label fields and uncited values of one label's monograph."""
    assert m.label is not None
    doc = store.get_document(m.label.uid)
    text_of = {p.id: p for p in doc.passages}
    around, own = _codes_around(doc)
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
def run_coverage(tmp: Path, lexicon: Lexicon, zip_path: Path) -> dict[str, Any]:
    store = Store.open(f"sqlite:///{tmp / 'coverage.sqlite'}")
    files = [SHARED / "fda_spl" / f for f, _ in LABELS.values()]
    assert ingest_paths(store, [*files, *demo_files()]).ok
    out: dict[str, Any] = {}
    for name, (_f, query) in LABELS.items():
        m = build_monograph(query, store=store, retriever=None, lexicon=lexicon, drugsatfda=zip_path)
        out[name] = coverage(m, store)
        print(name, json.dumps(out[name]), flush=True)
    store.close()
    return out


def run_speed(
    tmp: Path, lexicon: Lexicon, lex_path: Path, zip_path: Path, *, size: int, embed_n: int, repeats: int
) -> dict[str, Any]:
    from bench.retrieval_speed import build_scaled

    settings, store, info = build_scaled(size, tmp, embed_n=embed_n)
    files = [SHARED / "fda_spl" / f for f, _ in LABELS.values()]
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
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--embed", type=int, default=500)
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    zip_path = SHARED / "fda_spl" / "drugsatfda.zip"
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        lex_path = tmp / "lexicon.jsonl.gz"
        build_default(SHARED, lex_path)
        lexicon = Lexicon.load(lex_path)
        results["coverage"] = run_coverage(tmp, lexicon, zip_path)
        speed_dir = tmp / "speed"
        speed_dir.mkdir()
        results["speed"] = run_speed(
            speed_dir, lexicon, lex_path, zip_path, size=args.size, embed_n=args.embed, repeats=args.repeats
        )
    save_json("monographs", results)

    cov_rows = []
    tot_sup = tot_ok = tot_uncited = 0
    for name, c in results["coverage"].items():
        tot_sup += c["supported"]
        tot_ok += c["correct"]
        tot_uncited += len(c["uncited_values"])
        missing = ", ".join(f"{k} ({why})" for k, why in c["problems"].items()) or "none"
        cov_rows.append(
            [
                name,
                c["supported"],
                c["correct"],
                f"{c['correct'] / max(1, c['supported']):.0%}",
                len(c["uncited_values"]),
                f"{c['fields_filled']}/{c['fields_total']}",
                missing,
            ]
        )
    cov_rows.append(["all four", tot_sup, tot_ok, f"{tot_ok / max(1, tot_sup):.0%}", tot_uncited, "", ""])
    sp = results["speed"]
    speed_rows = [[d, v["median_s"], v["max_s"]] for d, v in sp["per_drug"].items()]
    body = (
        "## Monographs\n\n"
        "Field coverage on the real labels of `../shared/data/fda_spl`: the label-driven fields a label "
        "supports (it has the field's LOINC section, read by the bench from the label's own section list), "
        "how many are filled with values whose spans match the cited passage text and lie in those sections, "
        "and how many values on the page have no citation at all (goal: every supported field filled, 0 uncited). "
        "DrugBank + MeSH lexicon, Drugs@FDA from `drugsatfda.zip`.\n\n"
        + md_table(
            [
                "label",
                "supported fields",
                "filled + cited correctly",
                "share",
                "uncited values",
                "all fields filled",
                "not correct",
            ],
            cov_rows,
        )
        + f"\n\nBuild time per monograph (with the Retriever) at {sp['passages']:,} passages "
        f"(goal < 1 s); reading drugsatfda.zip once per process took {sp['drugsatfda_first_load_s']} s "
        "(not included below).\n\n" + md_table(["drug", "median s", "max s"], speed_rows)
    )
    write_section("monographs", body, command="python -m bench.monographs")
    print(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
