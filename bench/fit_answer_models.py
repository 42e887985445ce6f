"""Fit the answer models shipped in src/medref/compose/: relevance_model.json and verdict_model.json.

    python -m bench.fit_answer_models

Development data only, and only its **fit** half (PubMedQA dev questions with an even PMID,
``bench.answer_data.split_of``); the odd-PMID half is held out for bench.answer_quality.

* **Relevance** (claim-level, :mod:`medref.compose.relevance`): for every fit question, the
  extractive composer's candidate sentences over the PubMedQA + demo corpus (its own abstract is
  one of 500 competing abstracts). Label 1: a results, conclusions or unlabelled sentence of the
  question's own abstract; label 0: any sentence of another document; background and methods
  sentences of the own abstract are left out of the fit (on topic, but not an answer). An
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

import numpy as np

from bench.answer_data import cached_retrievals, open_corpus, own_uid, pubmedqa_items
from medref.compose.extractive import ExtractiveComposer
from medref.compose.relevance import FEATURES, RelevanceModel, section_flags
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


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--precision", type=float, default=0.98, help="answer precision the threshold must reach")
    ap.add_argument("--l2", type=float, default=1.0)
    args = ap.parse_args()
    items = pubmedqa_items("fit")
    with open_corpus() as corpus:
        retrievals = cached_retrievals(corpus, [i.question for i in items], name="pqa-fit")
    px = np.array([polarity_features(it.long_answer, it.question) for it in items])
    py = np.array([CLASSES.index(LABEL_CLASS[it.final_decision]) for it in items])
    pw = fit_softmax(px, py, len(CLASSES), l2=args.l2)
    pred = (px @ pw.T).argmax(axis=1)
    print(f"verdict fit accuracy (conclusions, fit half): {(pred == py).mean():.3f} over {len(py)}")
    polarity = PolarityModel(
        weights=tuple(tuple(float(v) for v in row) for row in pw),
        meta={
            "fitted_by": "python -m bench.fit_answer_models",
            "fitted_on": "PubMedQA dev LONG_ANSWER vs final_decision, even-PMID items only; odd PMIDs held out",
            "rows": len(py),
            "features": len(POLARITY_FEATURES),
            "l2": args.l2,
            "date": dt.date.today().isoformat(),
        },
    )
    (OUT / "verdict_model.json").write_text(json.dumps(polarity.to_json(), indent=1) + "\n")
    default_polarity.cache_clear()
    composer = ExtractiveComposer()
    xs, ys = relevance_rows(composer, items, retrievals)
    x, y = np.array(xs), np.array(ys, dtype=float)
    w = fit_logistic(x, y, l2=args.l2)
    print(f"relevance rows: {len(y)} ({int(y.sum())} positive)")
    for name, v in zip(FEATURES, w, strict=True):
        print(f"  {name:16s} {v:+.3f}")

    chosen, table = None, []
    for thr in [round(t, 2) for t in np.arange(0.05, 0.96, 0.05)]:
        model = RelevanceModel(weights=tuple(float(v) for v in w), threshold=float(thr))
        prec, n, first = answer_precision(ExtractiveComposer(model=model), items, retrievals)
        table.append((thr, prec, n, first))
        print(f"  threshold {thr:.2f}: precision {prec:.3f} over {n} sentences, own cited first {first:.3f}")
        if chosen is None and prec >= args.precision:
            chosen = thr
    chosen = chosen if chosen is not None else 0.9
    relevance = RelevanceModel(
        weights=tuple(float(v) for v in w),
        threshold=float(chosen),
        meta={
            "fitted_by": "python -m bench.fit_answer_models",
            "fitted_on": "PubMedQA dev (pqal_dev.json), even-PMID questions only; odd PMIDs held out",
            "corpus": "PubMedQA dev 500 abstracts + demo corpus, hybrid retrieval k=40",
            "rows": len(y),
            "positives": int(y.sum()),
            "l2": args.l2,
            "threshold_rule": f"lowest threshold with answer precision >= {args.precision} on the fit questions",
            "date": dt.date.today().isoformat(),
        },
    )
    (OUT / "relevance_model.json").write_text(json.dumps(relevance.to_json(), indent=1) + "\n")
    print(f"relevance threshold {chosen}")


if __name__ == "__main__":
    main()
