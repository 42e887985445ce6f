"""Retrieval quality on real development questions: BM25 alone, dense alone, hybrid, the default.

    python -m bench.retrieval_quality                       # full run (~15-20 min on 2 cores once cached)
    python -m bench.retrieval_quality --limit-questions 40  # quick run on small corpora
    python -m bench.retrieval_quality --full-grid           # also the 135-setting fusion/rerank grid

BioASQ task b (Task 7B-9B golden): the gold corpus is every gold snippet, grouped into one
document per PMID (:mod:`bench.dev_corpus`), in a SQLite store with a tantivy and a dense index
(all-MiniLM-L6-v2 on onnxruntime). Each question retrieves 100 passages; they are mapped to
their document and deduplicated (first occurrence wins), and the first 10 documents are scored
against the question's gold PMIDs: recall@10, nDCG@10 (binary gains) and MRR@10.

Splits: everything is tuned on Task7B only (``tune``) and reported on held-out Task8B+9B
(``test``). Per question, "BM25 better" counts the questions where BM25 alone
(``Retriever.search(dense=False, expand=False)``) has the higher nDCG@10, and "buried" those
where BM25's first document is gold but the configuration ranks it below the first 10.

Configurations: the baselines (``BASELINES``), the lexical-anchor grid on the tune split (its
best few also on test), optionally the older fusion/rerank grid (``--full-grid``), PubMedQA dev
(500 questions; top-1 / top-5 = the question's own abstract first / in the first five), and the
distractor sweep (:mod:`bench.retrieval_distractors`; ``--no-distractors`` skips it), and the
cost of the anchor rarity probes at 100k and 1M passages (:mod:`bench.anchor_cost`).

Stores, indexes and the lexicon are kept in ``--workdir`` (default ``.medref/bench``, git-ignored)
and reused while their recipe is unchanged; every passage vector is cached on disk there
(:class:`bench.dev_corpus.EmbeddingCache`). Results: bench/out/retrieval_quality.json and the
docs/benchmarks.md section "retrieval-quality".
"""

from __future__ import annotations

import argparse
import hashlib
import itertools
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import medref.retrieve.retriever as retriever_module
from bench import anchor_cost
from bench import retrieval_distractors as distractors
from bench.dev_corpus import DEFAULT_WORKDIR, bioasq_questions
from bench.report import SHARED, md_table, save_json, write_section
from bench.retrieval_eval import (
    CUT,
    K_PASSAGES,
    SHIPPED,
    SHIPPED_EXPANSION,
    TUNE,
    BioQ,
    BioRun,
    Config,
    Corpus,
    eval_bioasq,
    eval_pubmedqa,
    log,
    open_corpus,
    versus_bm25,
)
from medref.ingest.benchmarks import load_pubmedqa
from medref.retrieve.lexicon import Lexicon, build_default
from medref.retrieve.query import analyze
from medref.retrieve.retriever import clean_query

TASKS = ("Task7BGoldenEnriched", "Task8BGoldenEnriched", "Task9BGoldenEnriched")
TOP = 5  # best tune settings also run on the test split

BASELINES = [
    Config("bm25 raw (lexical index, no rerank)", mode="bm25-raw"),
    Config("bm25 (Retriever dense=False, expand=False)", dense=False, expand=False),
    Config("bm25 + expansion (dense=False)", dense=False),
    Config("dense raw (dense index)", mode="dense-raw"),
    Config("dense + rerank (Retriever, lexical_weight=0)", expand=False, lexical_weight=0.0, anchor_top=0),
    Config("hybrid (expand=False)", expand=False),
    Config("default without anchors (anchor_top=0)", anchor_top=0),
    Config("default (Retriever.search(q))"),
    Config("default, no rerank (RerankWeights all 0)", rerank=False),
]
BM25, NO_ANCHOR, DEFAULT = BASELINES[1].name, BASELINES[6].name, BASELINES[7].name
assert NO_ANCHOR == distractors.NO_ANCHOR and DEFAULT == distractors.DEFAULT and BM25 == distractors.BM25


def anchor_setting(top: int, share: float, offset: int) -> Config:
    return Config(
        f"anchor_top={top} rare_share={share} offset={offset}",
        anchor_top=top,
        anchor_rare_share=share,
        anchor_rank_offset=offset,
    )


def anchor_grid() -> list[Config]:
    """Lexical-anchor settings tried on the tune split (the rest of the setting as shipped)."""
    off = [anchor_setting(0, SHIPPED.anchor_rare_share, SHIPPED.anchor_rank_offset)]
    return off + [anchor_setting(*p) for p in itertools.product((10, 30), (0.001, 0.0015, 0.003), (0, 5, 10))]


def fusion_setting(exp: float | None, rrf_k: int, dw: float, direct: float) -> Config:
    """Expansion weight (None: off), rrf_k, dense weight (lexical 1.0), directness bonus."""
    return Config(
        f"expand={exp or 'off'} rrf_k={rrf_k} dense_w={dw} direct={direct}",
        expand=exp is not None,
        expansion_weight=exp or SHIPPED_EXPANSION,
        rrf_k=rrf_k,
        dense_weight=dw,
        direct=direct,
    )


def fusion_grid() -> list[Config]:
    """The older grid (``--full-grid``): expansion x rrf_k x dense weight x directness bonus."""
    return [
        fusion_setting(*p)
        for p in itertools.product((None, 0.3, 0.6), (10, 30, 60), (0.5, 1.0, 1.5, 2.0, 3.0), (0.0, 0.1, 0.2))
    ]


def tune_then_test(bio: Corpus, configs: list[Config], qs: list[BioQ], bm25: BioRun) -> dict[str, Any]:
    """Every setting on the tune split; the TOP best by tune nDCG@10 (then MRR) also on test."""
    tune_qs = [q for q in qs if q.split == "tune"]
    results: dict[str, Any] = {}
    for i, cfg in enumerate(configs, 1):
        results[cfg.name] = eval_bioasq(bio, cfg, tune_qs).summary
        if i % 10 == 0:
            log(f"grid {i}/{len(configs)}: {cfg.name} tune {results[cfg.name]['tune']['ndcg']}")
    ranked = sorted(
        configs, key=lambda c: (-results[c.name]["tune"]["ndcg"], -results[c.name]["tune"]["mrr"])
    )
    for cfg in ranked[:TOP]:
        run = eval_bioasq(bio, cfg, qs)
        results[cfg.name] = run.summary | {"versus_bm25": versus_bm25(bm25, run, qs)}
    return {"results": results, "best": ranked[0].name, "order": [c.name for c in ranked]}


def loss_analysis(
    qs: list[BioQ], lexicon: Lexicon, base: BioRun, other: BioRun, n: int = 8
) -> dict[str, Any]:
    """Where ``other`` loses to ``base`` (BM25) on the test split: by question type and the
    questions it loses most on."""
    rows: list[dict[str, Any]] = []
    for q, b, d in zip(qs, base.per, other.per, strict=True):
        if q.split != "test":
            continue
        a = analyze(q.body, lexicon)
        rows.append(
            {
                "id": q.id,
                "type": q.type,
                "question": q.body,
                "bm25": round(b["ndcg"], 3),
                "default": round(d["ndcg"], 3),
                "delta": round(d["ndcg"] - b["ndcg"], 3),
                "key_entities": [k.preferred for k in a.key_entities],
                "expansions": sum(len(v) for v in a.expansions.values()),
            }
        )

    def group(key: Callable[[dict[str, Any]], str]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for g in sorted({key(r) for r in rows}):
            sel = [r for r in rows if key(r) == g]
            out[g] = {
                "n": len(sel),
                "bm25": round(statistics.fmean(r["bm25"] for r in sel), 4),
                "default": round(statistics.fmean(r["default"] for r in sel), 4),
            }
        return out

    return {
        "by_type": group(lambda r: r["type"]),
        "by_expansion": group(lambda r: "expanded" if r["expansions"] else "not expanded"),
        "worst": sorted(rows, key=lambda r: r["delta"])[:n],
    }


# ------------------------------------------------------------------ main
def pick_lexicon(arg: Path | None, root: Path) -> tuple[Lexicon, str]:
    if arg is not None:
        lex = Lexicon.load(arg)
        if lex.is_builtin:
            raise SystemExit(f"--lexicon {arg} does not exist")
        return lex, f"{arg} (given with --lexicon)"
    if (SHARED / "drugbank").is_dir() and (SHARED / "mesh").is_dir():
        path = root / "lexicon.jsonl.gz"
        if not path.exists():
            t0 = time.perf_counter()
            build_default(SHARED, path)
            log(f"lexicon built in {time.perf_counter() - t0:.1f} s")
        return Lexicon.load(path), f"DrugBank + MeSH + built-in, built from {SHARED} by build_default"
    return Lexicon.load(None), "built-in curated lexicon only (no DrugBank/MeSH data found)"


def code_fingerprint() -> str:
    """A short hash of the retrieval code measured (the source changes often)."""
    h = hashlib.sha256()
    for name in (
        "retrieve/retriever.py",
        "retrieve/query.py",
        "retrieve/rerank.py",
        "index/fusion.py",
        "index/lexical_tantivy.py",
        "index/textnorm.py",
    ):
        h.update((Path(retriever_module.__file__).parents[1] / name).read_bytes())
    return h.hexdigest()[:12]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument(
        "--limit-questions", type=int, default=None, help="N questions per BioASQ task and PubMedQA"
    )
    ap.add_argument("--lexicon", type=Path, default=None, help="a built lexicon.jsonl.gz")
    ap.add_argument(
        "--dense", default="auto", help="dense backend: auto (the default: usearch), usearch, numpy"
    )
    ap.add_argument("--workdir", type=Path, default=DEFAULT_WORKDIR, help="stores, indexes, embedding cache")
    ap.add_argument("--no-grid", action="store_true", help="skip the anchor tuning grid")
    ap.add_argument("--full-grid", action="store_true", help="also the 135-setting fusion/rerank grid")
    ap.add_argument("--no-distractors", action="store_true", help="skip the distractor sweep")
    ap.add_argument(
        "--probe-sizes", default="100000,1000000", help="corpus sizes for the anchor probe cost ('' skips it)"
    )
    ap.add_argument("--no-doc", action="store_true", help="do not write docs/benchmarks.md")
    args = ap.parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    result = run(args, args.workdir)
    result["seconds"] = round(time.perf_counter() - t0)
    save_json("retrieval_quality", result)
    md = markdown(result)
    print(md)
    if not args.no_doc:
        write_section("retrieval-quality", md, command="python -m bench.retrieval_quality")


def run(args: argparse.Namespace, root: Path) -> dict[str, Any]:
    limit = args.limit_questions
    code = code_fingerprint()
    lexicon, lexicon_note = pick_lexicon(args.lexicon, root)
    log(f"lexicon: {lexicon_note} ({len(lexicon)} concepts)")
    raw = bioasq_questions(limit)
    qs = [
        BioQ(q.id, q.body, q.type, Path(q.source).parent.name, {f"pmid:{d}" for d in q.documents})
        for q in raw
    ]
    bio = open_corpus(root, include=("bioasq",), limit=limit, dense=args.dense, lexicon=lexicon)
    log(f"bioasq corpus {bio.name}: {bio.stats}")
    in_corpus = set(bio.uid_of.values())
    for q in qs:
        q.gold &= in_corpus  # gold PMIDs with no snippet have no document here
    skipped = sum(1 for q in qs if not q.gold)
    qs = [q for q in qs if q.gold]
    t0 = time.perf_counter()
    bio.retriever.indexes.embedder.embed([clean_query(q.body, max_chars=2000)[0] for q in qs])
    q_embed_s = time.perf_counter() - t0
    log(f"{len(qs)} questions ({skipped} without gold documents skipped); embedded in {q_embed_s:.1f} s")

    runs: dict[str, BioRun] = {}
    for cfg in BASELINES:
        runs[cfg.name] = eval_bioasq(bio, cfg, qs)
        log(f"{cfg.name}: {runs[cfg.name].summary['all']} ({runs[cfg.name].summary['seconds']} s)")
    bioasq = {n: r.summary for n, r in runs.items()}
    versus = {n: versus_bm25(runs[BM25], runs[n], qs) for n in runs if n != BM25}
    losses = loss_analysis(qs, lexicon, runs[BM25], runs[DEFAULT])

    anchors = None if args.no_grid else tune_then_test(bio, anchor_grid(), qs, runs[BM25])
    fusion = tune_then_test(bio, fusion_grid(), qs, runs[BM25]) if args.full_grid else None
    if anchors:
        log(f"best anchor setting on tune: {anchors['best']}")

    items = load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")[:limit]
    pairs = [(f"pmid:{it.pmid}", it.question) for it in items]
    pqa = open_corpus(root, include=("pubmedqa",), limit=limit, dense=args.dense, lexicon=lexicon)
    log(f"pubmedqa corpus {pqa.name}: {pqa.stats}")
    pubmedqa = {
        cfg.name: eval_pubmedqa(pqa, cfg, pairs) for cfg in BASELINES if cfg.name != BASELINES[2].name
    }

    sweep = None
    if not args.no_distractors:
        gold = {"bioasq": bio, "pubmedqa": pqa}
        sweep = distractors.sweep(
            root,
            lexicon=lexicon,
            questions=qs,
            pubmedqa=pairs,
            limit=limit,
            dense=args.dense,
            reuse=lambda target, share: gold[target] if share == 0 else None,
        )
    bio.close()
    pqa.close()
    sizes = [int(x) for x in args.probe_sizes.split(",") if x.strip()]
    probes = anchor_cost.measure(root, sizes) if sizes else None
    return {
        "lexicon": lexicon_note,
        "lexicon_concepts": len(lexicon),
        "limit_questions": limit,
        "code_fingerprint": code,
        "code_changed_during_run": code != code_fingerprint(),
        "shipped_settings": SHIPPED.model_dump(mode="json"),
        "expansion_weight": SHIPPED_EXPANSION,
        "k_passages": K_PASSAGES,
        "cutoff": CUT,
        "tune_split": sorted(TUNE),
        "test_split": sorted(set(TASKS) - TUNE),
        "bioasq_corpus": bio.stats,
        "pubmedqa_corpus": pqa.stats,
        "bioasq_questions": len(qs),
        "bioasq_skipped_no_gold": skipped,
        "question_embed_s": round(q_embed_s, 1),
        "bioasq": bioasq,
        "versus_bm25": versus,
        "bioasq_losses": losses,
        "anchor_grid": anchors,
        "fusion_grid": fusion,
        "pubmedqa": pubmedqa,
        "distractors": sweep,
        "anchor_cost": probes,
    }


# ------------------------------------------------------------------ report
def fmt(x: float) -> str:
    return f"{100 * x:.1f}"


def pts(a: float, b: float) -> str:
    return f"{100 * (a - b):+.1f}"


def grid_table(grid: dict[str, Any]) -> str:
    res = grid["results"]
    rows = []
    for n in grid["order"][:TOP]:
        v = res[n]
        vs = v.get("versus_bm25", {}).get("test", {})
        rows.append(
            [
                n,
                fmt(v["tune"]["ndcg"]),
                fmt(v["test"]["ndcg"]),
                fmt(v["test"]["recall"]),
                vs.get("bm25_wins", ""),
                vs.get("buried", ""),
            ]
        )
    return md_table(
        ["setting", "nDCG@10 tune", "nDCG@10 test", "recall@10 test", "BM25 better (test)", "buried (test)"],
        rows,
    )


def markdown(res: dict[str, Any]) -> str:
    bio, pqa, vs = res["bioasq"], res["pubmedqa"], res["versus_bm25"]
    bs, ps = res["bioasq_corpus"], res["pubmedqa_corpus"]
    ship = res["shipped_settings"]
    lines = ["## Retrieval quality (BioASQ, PubMedQA)", ""]
    if res["limit_questions"]:
        lines += [
            f"**Quick run** (`--limit-questions {res['limit_questions']}`): small corpora, "
            "not comparable with a full run.",
            "",
        ]
    lines += [
        f"Lexicon: {res['lexicon']} ({res['lexicon_concepts']:,} concepts). Indexes: lexical "
        f"`{bs['lexical_backend']}`, dense `{bs['dense_backend']}` with all-MiniLM-L6-v2 (`minilm-onnx`). "
        f"Retrieval code fingerprint `{res['code_fingerprint']}`. Shipped settings: rrf_k {ship['rrf_k']}, "
        f"dense weight {ship['dense_weight']} (lexical {ship['lexical_weight']}), expansion weight "
        f"{res['expansion_weight']}, lexical anchors top {ship['anchor_top']} / rare share "
        f"{ship['anchor_rare_share']} / offset {ship['anchor_rank_offset']}.",
        f"Gold-only BioASQ corpus: {bs['documents']:,} documents / {bs['passages']:,} passages (every gold "
        f"snippet of Task7B-9B, one document per PMID); PubMedQA corpus: {ps['documents']} abstracts / "
        f"{ps['passages']:,} passages. Passage vectors come from an on-disk cache; a cold embed runs at about "
        "35-55 passages/s on this machine (11,489 BioASQ passages: ~5 min).",
        f"Each query retrieves {res['k_passages']} passages, mapped to documents, deduplicated, cut at "
        f"{res['cutoff']} documents. {res['bioasq_skipped_no_gold']} BioASQ questions have no gold "
        "document in the corpus and are skipped. Tuning used the tune split only "
        f"({', '.join(res['tune_split'])}); the test split ({', '.join(res['test_split'])}) is held out.",
        "",
        f"BioASQ, all {res['bioasq_questions']} questions, gold-only corpus:",
        "",
    ]
    rows = [
        [
            n,
            v["all"]["n"],
            fmt(v["all"]["recall"]),
            fmt(v["all"]["ndcg"]),
            fmt(v["all"]["mrr"]),
            fmt(v["tune"]["ndcg"]),
            fmt(v["test"]["ndcg"]),
        ]
        for n, v in bio.items()
    ]
    lines += [
        md_table(
            ["config", "questions", "recall@10", "nDCG@10", "MRR@10", "nDCG@10 tune", "nDCG@10 test"], rows
        ),
        "",
    ]
    d_test = bio[DEFAULT]["test"]["ndcg"] - bio[BM25]["test"]["ndcg"]
    lines += [
        f"**Default vs BM25 alone: {pts(bio[DEFAULT]['all']['ndcg'], bio[BM25]['all']['ndcg'])} nDCG@10 "
        f"on all questions ({100 * d_test:+.1f} on the held-out test split).**",
        "",
    ]
    lines += [
        "Per question against BM25 alone (exact rare names: a tool, a gene, a new drug). "
        '"BM25 better": BM25 alone has the higher nDCG@10; "buried": BM25\'s first document is gold '
        "but the configuration ranks it below the first 10:",
        "",
    ]
    rows = []
    for n in (BASELINES[5].name, NO_ANCHOR, DEFAULT):
        for split in ("tune", "test"):
            v = vs[n][split]
            rows.append([n, split, fmt(bio[n][split]["ndcg"]), v["bm25_wins"], v["other_wins"], v["buried"]])
    lines += [md_table(["config", "split", "nDCG@10", "BM25 better", "config better", "buried"], rows), ""]
    a, b = vs[NO_ANCHOR]["test"], vs[DEFAULT]["test"]
    lines += [
        f"**Lexical anchors on the held-out split: nDCG@10 {fmt(bio[NO_ANCHOR]['test']['ndcg'])} -> "
        f"{fmt(bio[DEFAULT]['test']['ndcg'])} ({pts(bio[DEFAULT]['test']['ndcg'], bio[NO_ANCHOR]['test']['ndcg'])}); "
        f"questions where BM25 alone is better {a['bm25_wins']} -> {b['bm25_wins']}; BM25's gold first "
        f"document buried below 10: {a['buried']} -> {b['buried']}.**",
        "",
    ]
    if res["anchor_grid"]:
        g = res["anchor_grid"]
        lines += [
            f"Anchor grid ({len(g['results'])} settings: anchor_top 10/30, rare share 0.1/0.15/0.3 %, "
            "offset 0/5/10, and anchors off), chosen on the tune split only; the best on tune, also "
            "on test:",
            "",
            grid_table(g),
            "",
        ]
    if res.get("anchor_cost"):
        lines += anchor_cost.markdown(res["anchor_cost"])
    if res["fusion_grid"]:
        g = res["fusion_grid"]
        lines += [
            f"Fusion/rerank grid ({len(g['results'])} settings: expansion off/0.3/0.6, rrf_k 10/30/60, "
            "dense weight 0.5-3.0, directness bonus 0/0.1/0.2), on the tune split; the best on tune:",
            "",
            grid_table(g),
            "",
        ]
    loss = res["bioasq_losses"]
    worst = [r for r in loss["worst"] if r["delta"] < 0][:6]
    if worst:
        lines += [
            "Largest remaining losses of the default to BM25 (test split):",
            "",
            md_table(
                ["question", "type", "bm25", "default"],
                [[r["question"], r["type"], fmt(r["bm25"]), fmt(r["default"])] for r in worst],
            ),
            "",
        ]
    lines += [
        f"PubMedQA dev ({next(iter(pqa.values()))['n']} questions, own abstract among {ps['documents']}):",
        "",
        md_table(["config", "top-1", "top-5"], [[n, fmt(v["top1"]), fmt(v["top5"])] for n, v in pqa.items()]),
        "",
    ]
    if res["distractors"]:
        lines += distractors.markdown(res["distractors"])
    lines.append(f"Whole run: {res.get('seconds', '?')} s.")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
