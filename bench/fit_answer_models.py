"""Fit the answer models shipped in src/medref/compose/: relevance_model.json and verdict_model.json.

    python -m bench.fit_answer_models

Development data only, and only its **fit** parts: PubMedQA dev questions with an even PMID
(``bench.answer_data.split_of``) and BioASQ Task 7B; the odd-PMID half and BioASQ Task 8B + 9B
are held out for bench.answer_quality.

* **Relevance** (claim-level, :mod:`medref.compose.relevance`): for every fit question, the
  extractive composer's candidate sentences over the PubMedQA + demo corpus (its own abstract is
  one of 500 competing abstracts). Label 1: a results, conclusions or unlabelled sentence of the
  question's own abstract; label 0: any sentence of another document; background and methods
  sentences of the own abstract are left out of the fit (on topic, but not an answer). Beside
  them, the Task 7B BioASQ questions over the corpus with distractors (every BioASQ snippet +
  PubMedQA + demo): label 1 when the candidate overlaps a gold snippet of the question, else 0
  -- short questions with several relevant documents, which PubMedQA alone does not teach. An
  L2-regularised logistic regression (Newton steps, numpy) gives the weights. The publishing
  threshold is then chosen end to end on the fit questions: the lowest threshold whose answers
  publish at least ``--precision`` own-abstract sentences (precision first: fewer sentences
  rather than off-question ones).
* **Verdicts** (:mod:`medref.compose.verdict`): the conclusion (LONG_ANSWER) of each fit item
  against its final_decision (yes / no / maybe -> uncertain), a multinomial logistic regression
  over wording-cue features.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
from pathlib import Path
from typing import Any

import numpy as np

from bench.answer_data import RETRIEVE_K, cached_retrievals, open_corpus, own_uid, pubmedqa_items
from medref.compose.extractive import ExtractiveComposer
from medref.compose.relevance import FEATURES, MODEL_FILES, RelevanceModel, section_flags
from medref.compose.verdict import (
    CLASSES,
    PolarityModel,
    default_polarity,
    polarity_features,
)
from medref.compose.verdict import (
    FEATURES as POLARITY_FEATURES,
)

OUT = Path(__file__).resolve().parents[1] / "src" / "medref" / "compose"
LABEL_CLASS = {"yes": "yes", "no": "no", "maybe": "uncertain"}


def fit_logistic(x: np.ndarray, y: np.ndarray, *, l2: float = 1.0, iters: int = 50) -> np.ndarray:
    """Binary logistic regression by Newton's method; the bias (column 0) is not penalised."""
    w = np.zeros(x.shape[1])
    reg = np.full(x.shape[1], l2)
    reg[0] = 0.0
    for _ in range(iters):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -40, 40)))
        grad = x.T @ (p - y) + reg * w
        hess = (x * (p * (1 - p))[:, None]).T @ x + np.diag(reg + 1e-9)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-7:
            break
    return w


def fit_softmax(
    x: np.ndarray, y: np.ndarray, k: int, *, l2: float = 1.0, iters: int = 3000, lr: float = 0.5
) -> np.ndarray:
    """Multinomial logistic regression by gradient descent; the bias (column 0) is not penalised."""
    w = np.zeros((k, x.shape[1]))
    onehot = np.eye(k)[y]
    reg = np.full(x.shape[1], l2)
    reg[0] = 0.0
    n = len(y)
    for _ in range(iters):
        z = x @ w.T
        z -= z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        grad = (p - onehot).T @ x / n + w * reg / n
        w -= lr * grad
    return w


def relevance_rows(composer: ExtractiveComposer, items, retrievals) -> tuple[list[list[float]], list[int]]:
    xs: list[list[float]] = []
    ys: list[int] = []
    for item, res in zip(items, retrievals, strict=True):
        for c in composer.analyse(item.question, res).pool:
            own = c.hit.document.uid == own_uid(item)
            _conc, _result, bg, meth = section_flags(c.hit.passage.section)
            if own and (bg or meth):
                continue
            xs.append(list(c.features))
            ys.append(1 if own else 0)
    return xs, ys


def bioasq_rows(
    composer: ExtractiveComposer, limit: int | None = None
) -> tuple[list[list[float]], list[int], list]:
    """Candidate rows of the BioASQ Task 7B questions over the corpus with distractors (label 1: the
    sentence overlaps a gold snippet of that question); also the (question, retrieval, gold) triples."""
    from bench.answer_quality import bioasq_retriever, overlaps_gold
    from bench.dev_corpus import bioasq_questions

    questions = [q for q in bioasq_questions() if "Task7B" in q.source][:limit]
    xs: list[list[float]] = []
    ys: list[int] = []
    cases = []
    with bioasq_retriever() as retriever:
        for q in questions:
            res = retriever.search(q.body, k=RETRIEVE_K)
            gold = [sn.text for sn in q.snippets]
            cases.append((q.body, res, gold))
            for c in composer.analyse(q.body, res).pool:
                xs.append(list(c.features))
                ys.append(1 if overlaps_gold(c.text, gold) else 0)
    return xs, ys, cases


def bioasq_precision(composer: ExtractiveComposer, cases) -> tuple[float, int]:
    """(share of published sentences overlapping a gold snippet, sentences published) on BioASQ cases."""
    from bench.answer_quality import overlaps_gold

    on = total = 0
    for question, res, gold in cases:
        for s in composer.compose(question, res).sentences():
            total += 1
            on += overlaps_gold(s.text, gold)
    return (on / total if total else 0.0), total


def answer_precision(composer: ExtractiveComposer, items, retrievals) -> tuple[float, int, float]:
    """(share of published sentences from the own abstract, sentences published, share citing own first)."""
    own = total = first = 0
    for item, res in zip(items, retrievals, strict=True):
        ans = composer.compose(item.question, res)
        for s in ans.sentences():
            total += 1
            own += any(sp.doc_uid == own_uid(item) for sp in s.spans)
        first += bool(ans.references) and ans.references[0].document.uid == own_uid(item)
    return (own / total if total else 0.0), total, first / max(1, len(items))


def fit_verdict(items: list[Any], *, l2: float) -> None:
    """The polarity model: each fit item's conclusion against its final_decision."""
    px = np.array([polarity_features(it.long_answer, it.question) for it in items])
    py = np.array([CLASSES.index(LABEL_CLASS[it.final_decision]) for it in items])
    pw = fit_softmax(px, py, len(CLASSES), l2=l2)
    pred = (px @ pw.T).argmax(axis=1)
    print(f"verdict fit accuracy (conclusions, fit half): {(pred == py).mean():.3f} over {len(py)}")
    polarity = PolarityModel(
        weights=tuple(tuple(float(v) for v in row) for row in pw),
        meta={
            "fitted_by": "python -m bench.fit_answer_models",
            "fitted_on": "PubMedQA dev LONG_ANSWER vs final_decision, even-PMID items only; odd PMIDs held out",
            "rows": len(py),
            "features": len(POLARITY_FEATURES),
            "l2": l2,
            "date": dt.date.today().isoformat(),
        },
    )
    (OUT / "verdict_model.json").write_text(json.dumps(polarity.to_json(), indent=1) + "\n")
    default_polarity.cache_clear()


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--precision", type=float, default=0.98, help="answer precision the threshold must reach")
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--bioasq-limit", type=int, default=None, help="Task 7B questions to fit on (0: none)")
    ap.add_argument("--only", choices=("relevance", "verdict"), default=None, help="fit one model only")
    args = ap.parse_args()
    items = pubmedqa_items("fit")
    with open_corpus() as corpus:
        retrievals = cached_retrievals(corpus, [i.question for i in items], name="pqa-fit")
    if args.only != "relevance":
        fit_verdict(items, l2=args.l2)
    if args.only == "verdict":
        return
    composer = ExtractiveComposer()
    xs, ys = relevance_rows(composer, items, retrievals)
    bx, by, cases = bioasq_rows(composer, args.bioasq_limit) if args.bioasq_limit != 0 else ([], [], [])
    x, y = np.array(xs + bx), np.array(ys + by, dtype=float)
    print(
        f"relevance rows: PubMedQA {len(ys)} ({sum(ys)} positive), BioASQ 7B {len(by)} ({sum(by)} positive)"
    )
    meta = {
        "fitted_by": "python -m bench.fit_answer_models",
        "fitted_on": "PubMedQA dev (pqal_dev.json) even-PMID questions (odd PMIDs held out) and BioASQ "
        "Task 7B golden questions (Task 8B and 9B held out)",
        "corpus": "PubMedQA: its 500 dev abstracts + demo corpus; BioASQ: all 7B-9B snippets + PubMedQA + demo; "
        "hybrid retrieval k=40",
        "rows": len(y),
        "bioasq_rows": len(by),
        "positives": int(y.sum()),
        "l2": args.l2,
        "threshold_rule": f"lowest threshold with PubMedQA answer precision >= {args.precision} on the fit questions",
        "date": dt.date.today().isoformat(),
    }
    for kind in ("hybrid", "lexical"):
        xk = x.copy()
        if kind == "lexical":  # no dense search installed: the dense feature is never there
            xk[:, FEATURES.index("dense_rel")] = 0.0
        w = fit_logistic(xk, y, l2=args.l2)
        print(f"{kind} weights:")
        for name, v in zip(FEATURES, w, strict=True):
            print(f"  {name:16s} {v:+.3f}")
        chosen = None
        for thr in [round(t, 2) for t in np.arange(0.05, 0.96, 0.05)]:
            model = RelevanceModel(weights=tuple(float(v) for v in w), threshold=float(thr))
            trial = ExtractiveComposer(model=model)
            prec, n, first = answer_precision(trial, items, retrievals)
            bprec, bn = bioasq_precision(trial, cases)
            print(
                f"  threshold {thr:.2f}: PubMedQA precision {prec:.3f} over {n} sentences, own cited first "
                f"{first:.3f}; BioASQ 7B sentence precision {bprec:.3f} over {bn}"
            )
            if prec >= args.precision:
                chosen = thr
                break
        chosen = chosen if chosen is not None else 0.9
        note = (
            {"dense_feature": "zeroed: fitted for installs without dense search"} if kind == "lexical" else {}
        )
        relevance = RelevanceModel(
            weights=tuple(float(v) for v in w), threshold=float(chosen), meta={**meta, **note}
        )
        (OUT / MODEL_FILES[kind]).write_text(json.dumps(relevance.to_json(), indent=1) + "\n")
        print(f"{kind} relevance threshold {chosen}")


if __name__ == "__main__":
    main()
