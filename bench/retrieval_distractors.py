"""Retrieval with distractors: how the figures change as the corpus grows past the gold documents.

The BioASQ corpus of the main benchmark is only the gold snippets of the questions: every
document is relevant to some question, which flatters every figure. Here each benchmark is
also run on its gold corpus plus a growing share of *other* development documents
(:mod:`bench.dev_corpus`, nested samples by document uid):

* BioASQ (held-out Task8B+9B questions): BioASQ 7B-9B snippets + share s of the 500 PubMedQA
  dev abstracts; the demo corpus joins at any s > 0 (it is a few documents).
* PubMedQA (all 500 dev questions): the 500 abstracts + share s of the BioASQ documents; the
  demo corpus joins at any s > 0.

At s = 100 % both are the same corpus: BioASQ + PubMedQA + demo. Run by ``bench.retrieval_quality``
(``--no-distractors`` skips it); embeddings come from the on-disk cache, so only the first run
embeds anything.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.dev_corpus import SOURCES
from bench.report import md_table
from bench.retrieval_eval import (
    BioQ,
    Config,
    Corpus,
    eval_bioasq,
    eval_pubmedqa,
    log,
    open_corpus,
    versus_bm25,
)
from medref.retrieve.lexicon import Lexicon

SHARES = (0.0, 0.25, 0.5, 1.0)
OTHERS = {"bioasq": ("pubmedqa", "demo"), "pubmedqa": ("bioasq", "demo")}

#: What is compared at every size (names as in the main benchmark's tables).
SWEEP = [
    Config("bm25 (Retriever dense=False, expand=False)", dense=False, expand=False),
    Config("dense raw (dense index)", mode="dense-raw"),
    Config("default without anchors (anchor_top=0)", anchor_top=0),
    Config("default (Retriever.search(q))"),
    Config("default, no rerank (RerankWeights all 0)", rerank=False),
]
BM25, NO_ANCHOR, DEFAULT = SWEEP[0].name, SWEEP[2].name, SWEEP[3].name


def recipe(target: str, share: float) -> tuple[tuple[str, ...], dict[str, float]]:
    """Sources (in SOURCES order, so equal recipes share a folder) and their sampled shares."""
    if share <= 0:
        return (target,), {}
    include = tuple(s for s in SOURCES if s == target or s in OTHERS[target])
    return include, {s: share for s in OTHERS[target] if share < 1.0}


def sweep(
    root: Path,
    *,
    lexicon: Lexicon,
    questions: list[BioQ],
    pubmedqa: list[tuple[str, str]],
    limit: int | None,
    dense: str,
    reuse: Callable[[str, float], Corpus | None] = lambda _t, _s: None,
) -> dict[str, Any]:
    """Every SWEEP configuration on every (benchmark, share); ``reuse`` may hand back a corpus
    the caller already has open (then it is neither opened nor closed here)."""
    test_qs = [q for q in questions if q.split == "test"]
    out: dict[str, Any] = {"shares": list(SHARES), "bioasq": [], "pubmedqa": []}
    for target in ("bioasq", "pubmedqa"):
        for share in SHARES:
            given = reuse(target, share)
            include, sample = recipe(target, share)
            c = given or open_corpus(
                root, include=include, sample=sample, limit=limit, dense=dense, lexicon=lexicon
            )
            stats = c.stats
            row: dict[str, Any] = {
                "share": share,
                "corpus": c.name,
                "documents": stats["documents"],
                "passages": stats["passages"],
                "sources": {
                    k: {"documents": v["documents"], "passages": v["passages"]}
                    for k, v in stats["sources"].items()
                },
            }
            if target == "bioasq":
                runs = {cfg.name: eval_bioasq(c, cfg, test_qs) for cfg in SWEEP}
                row["configs"] = {n: r.summary["test"] for n, r in runs.items()}
                row["versus_bm25"] = {
                    n: versus_bm25(runs[BM25], runs[n], test_qs)["test"] for n in (NO_ANCHOR, DEFAULT)
                }
            else:
                row["configs"] = {cfg.name: eval_pubmedqa(c, cfg, pubmedqa) for cfg in SWEEP}
            log(
                f"distractors {target} +{share:.0%}: {row['documents']} documents; "
                f"default {row['configs'][DEFAULT]}"
            )
            out[target].append(row)
            if given is None:
                c.close()
    return out


HEADS = ["bm25", "dense raw", "no anchors", "default", "default, no rerank"]


def pct(x: float) -> str:
    return f"{100 * x:.1f}"


def markdown(res: dict[str, Any]) -> list[str]:
    lines = [
        "### With distractors",
        "",
        "The gold-only corpora flatter every figure (every BioASQ document is relevant to some question). "
        "Each benchmark again, on its gold corpus plus a growing share of the other development documents "
        "(nested samples by document uid; the demo corpus joins at any share above 0). At 100 % both run on "
        "the same corpus: all BioASQ 7B-9B snippets + the 500 PubMedQA dev abstracts + the demo corpus.",
        "",
        "BioASQ, held-out Task8B+9B questions (distractors: PubMedQA abstracts + demo), nDCG@10 / recall@10, "
        "and per question against BM25 alone (BM25 better / buried: BM25's first document is gold but "
        "ranked below 10):",
        "",
    ]
    rows = []
    for r in res["bioasq"]:
        c, v = r["configs"], r["versus_bm25"]
        size = f"{r['documents']:,} / {r['passages']:,}"
        cells = [f"{pct(c[x.name]['ndcg'])} / {pct(c[x.name]['recall'])}" for x in SWEEP]
        wins = [f"{v[n]['bm25_wins']} / {v[n]['buried']}" for n in (NO_ANCHOR, DEFAULT)]
        rows.append([f"+{r['share']:.0%}", size, *cells, *wins])
    heads = ["distractors", "documents / passages", *HEADS]
    lines += [md_table([*heads, "BM25 better / buried, no anchors", "same, default"], rows), ""]
    n = res["pubmedqa"][0]["configs"][DEFAULT]["n"] if res["pubmedqa"] else 0
    lines += [
        f"PubMedQA dev, all {n} questions (distractors: BioASQ documents + demo), top-1 / top-5 "
        "(the question's own abstract first / in the first five documents):",
        "",
    ]
    rows = []
    for r in res["pubmedqa"]:
        c = r["configs"]
        cells = [f"{pct(c[x.name]['top1'])} / {pct(c[x.name]['top5'])}" for x in SWEEP]
        rows.append([f"+{r['share']:.0%}", f"{r['documents']:,} / {r['passages']:,}", *cells])
    lines += [md_table(heads, rows), ""]
    return lines
