"""Do the answers answer the question? Precision, bottom line, verdicts and ROUGE on held-out dev data.

    python -m bench.answer_quality [--skip-bioasq] [--bioasq-limit N]

Everything here is development data, and every reported figure comes from its held-out part:

* **PubMedQA** (``bench.answer_data``): corpus = the 500 PubMedQA dev abstracts + the demo corpus;
  questions = the **odd-PMID half** (246), never used to fit the relevance or verdict models
  (``bench.fit_answer_models`` fits on the even half). Measured:
  - answer precision: share of published sentences (bottom line, guidelines, research) that
    come from the question's own abstract; own abstract cited first ([1]); the bottom line holds
    a sentence of the own abstract's conclusion;
  - verdict accuracy against ``final_decision`` (yes / no / maybe = Uncertain) with the confusion
    matrix; a question without a verdict (not read as yes/no, or no direct evidence) counts as
    wrong.
* **BioASQ** Task 8B + 9B (held out: the retrieval defaults were tuned on Task 7B; the answer
  models never saw BioASQ): corpus = every BioASQ 7B-9B snippet (documents = union of snippets)
  + the 500 PubMedQA dev abstracts + the demo corpus (``bench.dev_corpus``), i.e. with
  distractors. Measured: ROUGE-2 and ROUGE-SU4 F (``rouge-metric``, the BioASQ Phase B measures)
  of the answer text against ``ideal_answer``, beside two baselines in the same run -- the top
  retrieved passage alone and the gold snippets themselves (the ceiling) --; sentence precision
  (share of published sentences that overlap a gold snippet of that question); yes/no verdict
  accuracy and macro-F1 against ``exact_answer``.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.answer_data import RETRIEVE_K, WORKDIR, cached_retrievals, open_corpus, own_uid, pubmedqa_items
from bench.report import OUT, ROOT, SHARED, md_table, save_json, write_section
from medref.compose.extractive import ExtractiveComposer
from medref.models import Answer, EvidenceStatus, VerdictLabel

LABELS = {"yes": VerdictLabel.YES, "no": VerdictLabel.NO, "maybe": VerdictLabel.UNCERTAIN}
_WORD = re.compile(r"[a-z0-9]+")


def answer_text(answer: Answer) -> str:
    return " ".join(s.text for s in answer.sentences())


# ------------------------------------------------------------------ PubMedQA
def pubmedqa_figures() -> dict[str, Any]:
    items = pubmedqa_items("heldout")
    composer = ExtractiveComposer()
    with open_corpus() as corpus:
        retrievals = cached_retrievals(corpus, [i.question for i in items], name="pqa-heldout")
        conclusions = {
            it.pmid: {
                p.text for p in corpus.store.get_document(own_uid(it)).passages if p.section == "CONCLUSIONS"
            }
            for it in items
        }
    own = total = first = lead_conc = with_lead = direct = 0
    per_answer: list[int] = []
    confusion: Counter[tuple[str, str]] = Counter()
    samples: list[dict[str, Any]] = []
    for item, res in zip(items, retrievals, strict=True):
        ans = composer.compose(item.question, res)
        sents = ans.sentences()
        per_answer.append(len(sents))
        direct += ans.evidence_status is EvidenceStatus.DIRECT
        for s in sents:
            total += 1
            own += any(sp.doc_uid == own_uid(item) for sp in s.spans)
        first += bool(ans.references) and ans.references[0].document.uid == own_uid(item)
        lead = ans.bottom_line.summary if ans.bottom_line else []
        with_lead += bool(lead)
        conc = conclusions[item.pmid]
        lead_conc += any(s.text in c for s in lead for c in conc)
        got = ans.verdict.label.value if ans.verdict else "(none)"
        confusion[(item.final_decision, got)] += 1
        if len(samples) < 8:
            samples.append(
                {
                    "question": item.question,
                    "lead": [s.text for s in lead],
                    "verdict": got,
                    "gold": item.final_decision,
                }
            )
    n = len(items)
    correct = sum(v for (g, p), v in confusion.items() if LABELS[g].value == p)
    return {
        "questions": n,
        "split": "PubMedQA dev, odd PMIDs (held out)",
        "sentences": total,
        "own_sentences": own,
        "precision": own / total if total else 0.0,
        "own_cited_first": first / n,
        "lead_has_own_conclusion": lead_conc / n,
        "answers_with_lead": with_lead,
        "direct": direct,
        "sentences_per_answer_median": statistics.median(per_answer),
        "verdict_accuracy": correct / n,
        "verdict_given": sum(v for (g, p), v in confusion.items() if p != "(none)"),
        "confusion": {f"{g}->{p}": v for (g, p), v in sorted(confusion.items())},
        "majority_class": max(Counter(i.final_decision for i in items).values()) / n,
        "samples": samples,
    }


# ------------------------------------------------------------------ BioASQ
def _norm(text: str) -> str:
    return " ".join(_WORD.findall(text.lower()))


def overlaps_gold(sentence: str, gold: list[str]) -> bool:
    """A published sentence overlaps a gold snippet: one contains the other, or half its words are in one."""
    s = _norm(sentence)
    words = s.split()
    for g in gold:
        gn = _norm(g)
        if s in gn or (gn and gn in s):
            return True
        gw = set(gn.split())
        if words and sum(w in gw for w in words) / len(words) >= 0.5 and len(set(words) & gw) >= 5:
            return True
    return False


@contextmanager
def bioasq_retriever() -> Iterator[Any]:
    """A Retriever over every BioASQ 7B-9B snippet + the PubMedQA dev abstracts + the demo corpus."""
    from bench.dev_corpus import open_dev_corpus
    from medref.retrieve.lexicon import Lexicon, build_default
    from medref.retrieve.retriever import Retriever

    dev = open_dev_corpus(ROOT / ".medref" / "bench" / "answers-all")
    lex_path = WORKDIR / "lexicon.jsonl.gz"
    if not lex_path.exists():
        build_default(SHARED, lex_path)
    retriever = Retriever(
        store=dev.store, indexes=dev.indexes, lexicon=Lexicon.load(lex_path), settings=dev.settings.retrieval
    )
    retriever.stats = dev.stats  # type: ignore[attr-defined]
    try:
        yield retriever
    finally:
        retriever.close()
        dev.close()


def bioasq_figures(limit: int | None) -> dict[str, Any]:
    from rouge_metric import PyRouge

    from bench.dev_corpus import bioasq_questions

    questions = [q for q in bioasq_questions() if "Task7B" not in q.source]
    if limit:
        questions = questions[:limit]
    composer = ExtractiveComposer()
    rouge = PyRouge(rouge_n=(2,), rouge_su=True, skip_gap=4)
    hyp: dict[str, list[str]] = {"medref": [], "top passage": [], "gold snippets": []}
    refs: list[list[str]] = []
    pub = pub_gold = empty = 0
    yn_conf: Counter[tuple[str, str]] = Counter()
    with bioasq_retriever() as retriever:
        stats = retriever.stats
        results = [retriever.search(q.body, k=RETRIEVE_K) for q in questions]
    for q, res in zip(questions, results, strict=True):
        ans = composer.compose(q.body, res)
        gold = [s.text for s in q.snippets]
        text = answer_text(ans)
        empty += not text
        hyp["medref"].append(text or "")
        hyp["top passage"].append(res.hits[0].passage.text if res.hits else "")
        hyp["gold snippets"].append(" ".join(gold))
        refs.append([a for a in q.ideal_answer if a.strip()] or [""])
        for s in ans.sentences():
            pub += 1
            pub_gold += overlaps_gold(s.text, gold)
        if q.type == "yesno" and isinstance(q.exact_answer, str):
            got = ans.verdict.label.value if ans.verdict else "(none)"
            yn_conf[(q.exact_answer.strip().lower(), got)] += 1
    scores = {}
    for name, h in hyp.items():
        r = rouge.evaluate(h, refs)
        scores[name] = {"rouge2_f": r["rouge-2"]["f"], "rougesu4_f": r["rouge-su4"]["f"]}
    yn_n = sum(yn_conf.values())
    acc = sum(v for (g, p), v in yn_conf.items() if LABELS.get(g, VerdictLabel.UNCERTAIN).value == p) / max(
        1, yn_n
    )
    f1s = []
    for cls in ("yes", "no"):
        label = LABELS[cls].value
        tp = yn_conf[(cls, label)]
        fp = sum(v for (g, p), v in yn_conf.items() if p == label and g != cls)
        fn = sum(v for (g, p), v in yn_conf.items() if g == cls and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    return {
        "questions": len(questions),
        "split": "BioASQ Task8B + Task9B golden (held out)",
        "corpus": stats,
        "rouge": scores,
        "sentences": pub,
        "sentences_on_gold": pub_gold,
        "sentence_precision": pub_gold / pub if pub else 0.0,
        "answers_without_sentences": empty,
        "yesno_questions": yn_n,
        "yesno_accuracy": acc,
        "yesno_macro_f1": sum(f1s) / 2,
        "yesno_confusion": {f"{g}->{p}": v for (g, p), v in sorted(yn_conf.items())},
        "yes_share": sum(v for (g, _), v in yn_conf.items() if g == "yes") / max(1, yn_n),
    }


# ------------------------------------------------------------------ report
def write(results: dict[str, Any]) -> None:
    p = results["pubmedqa"]
    rows = [
        [
            "answer precision (published sentences from the own abstract)",
            f"{p['own_sentences']}/{p['sentences']} = {p['precision']:.1%}",
            ">= 90%",
        ],
        ["own abstract cited first ([1])", f"{p['own_cited_first']:.1%}", ">= 95%"],
        [
            "bottom line holds a sentence of the own abstract's conclusion",
            f"{p['lead_has_own_conclusion']:.1%}",
            "(reported)",
        ],
        [
            "verdict accuracy vs final_decision",
            f"{p['verdict_accuracy']:.1%} (verdict given for {p['verdict_given']}/{p['questions']}; majority class {p['majority_class']:.1%})",
            ">= 75%",
        ],
        [
            "sentences per answer (median); answers with direct evidence",
            f"{p['sentences_per_answer_median']}; {p['direct']}/{p['questions']}",
            "",
        ],
    ]
    conf = "; ".join(f"{k}: {v}" for k, v in p["confusion"].items())
    body = (
        "## Answer quality\n\n"
        "Do published sentences answer the question? `bench/answer_quality.py`, development data only; "
        "the relevance model is fitted by `bench/fit_answer_models.py` on the even-PMID half of PubMedQA "
        "dev together with BioASQ Task 7B, the verdict model on the even-PMID PubMedQA conclusions; every "
        "figure below is on held-out questions (odd PMIDs; BioASQ 8B + 9B).\n\n"
        f"### PubMedQA ({p['split']}, {p['questions']} questions; corpus: 500 abstracts + demo)\n\n"
        + md_table(["figure", "measured", "goal"], rows)
        + f"\n\nVerdict confusion (gold -> verdict): {conf}.\n"
        + "Before this change (issue 9's measurement on the same corpus) about 40% of published sentences came from the own abstract.\n"
    )
    b = results.get("bioasq")
    if b:
        r = b["rouge"]
        brow = [[name, f"{v['rouge2_f']:.3f}", f"{v['rougesu4_f']:.3f}"] for name, v in r.items()]
        body += (
            f"\n### BioASQ ({b['split']}, {b['questions']} questions; corpus with distractors: "
            f"{b['corpus'].get('documents', '?')} documents)\n\n"
            + md_table(["answer text", "ROUGE-2 F", "ROUGE-SU4 F"], brow)
            + f"\n\nSentence precision (published sentences overlapping a gold snippet of the question): "
            f"{b['sentences_on_gold']}/{b['sentences']} = {b['sentence_precision']:.1%}; answers with no sentence "
            f"(no direct evidence): {b['answers_without_sentences']}.\n\n"
            f"Yes/no questions: {b['yesno_questions']}, verdict accuracy {b['yesno_accuracy']:.1%}, macro-F1 "
            f"{b['yesno_macro_f1']:.3f} (gold 'yes' share {b['yes_share']:.1%}); confusion: "
            + "; ".join(f"{k}: {v}" for k, v in b["yesno_confusion"].items())
            + ".\n"
        )
    write_section("answer-quality", body, command="python -m bench.answer_quality")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--skip-bioasq", action="store_true")
    ap.add_argument("--bioasq-limit", type=int, default=None)
    ap.add_argument("--write-only", action="store_true", help="rewrite the docs section from bench/out")
    args = ap.parse_args()
    if args.write_only:
        write(json.loads((OUT / "answer_quality.json").read_text()))
        return
    results: dict[str, Any] = {"pubmedqa": pubmedqa_figures()}
    print({k: v for k, v in results["pubmedqa"].items() if k != "samples"}, flush=True)
    if not args.skip_bioasq:
        results["bioasq"] = bioasq_figures(args.bioasq_limit)
        print({k: v for k, v in results["bioasq"].items() if k != "corpus"}, flush=True)
    save_json("answer_quality", results)
    write(results)


if __name__ == "__main__":
    main()
