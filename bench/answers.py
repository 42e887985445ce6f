"""Answer quality and speed: citation support, negative rejection, patient reading grade, latency.

    python -m bench.answers [--latency-size 100000] [--questions 500]

Corpus: the 500 PubMedQA dev abstracts plus the illustrative demo corpus, in a fresh SQLite
store, real MiniLM dense vectors, and the DrugBank + MeSH lexicon built from ../shared/data.

* Citation support is checked here, independently of the composers' own code: a published
  sentence is supported when its text, whitespace-normalised, occurs in one of its cited
  passages (extractive wording), or, for rewritten patient sentences, when at least 80% of its
  content words and every number occur in the cited passages.
* Negative rejection: 50 questions about DrugBank drugs whose names (and synonyms) appear
  nowhere in the corpus; rejected = the answer's evidence status is not "direct" and it
  publishes no sentence.
* PubMedQA: share of the 500 questions answered with direct evidence citing their own abstract.
* Reading grade: Flesch-Kincaid grade of 50 patient answers (textstat).
* Latency: `Asker.ask` (extractive, answers not stored) at ``--latency-size`` passages built
  as in bench.retrieval_speed (dense vectors perturbed from real ones).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import SHARED, md_table, save_json, write_section
from medref.compose.ask import Asker
from medref.compose.base import make_composer
from medref.deps import demo_files
from medref.index.sync import open_indexes, sync
from medref.ingest.benchmarks import load_pubmedqa, pubmedqa_documents
from medref.ingest.pipeline import ingest_paths
from medref.models import Answer, Audience, EvidenceStatus
from medref.retrieve.lexicon import Lexicon, build_default
from medref.retrieve.retriever import Retriever
from medref.settings import load_settings
from medref.store.repository import Store

_WORD = re.compile(r"[a-z0-9]+")
_NUM = re.compile(r"\d+(?:\.\d+)?")
_STOP = set(
    "a an the of in on at to for with and or but by from as is are was were be been being that this these those "
    "it its their there than then which who whom whose what when where why how not no can may might should would "
    "could will do does did has have had your you we our they them he she his her into over under about after before".split()
)


def _norm(text: str) -> str:
    return " ".join(text.split()).lower()


def supported(sentence: str, passages: list[str]) -> bool:
    """The bench's own check (not medref.compose.support)."""
    s = _norm(sentence)
    joined = [_norm(p) for p in passages]
    if any(s in p for p in joined):
        return True
    words = [w for w in _WORD.findall(s) if w not in _STOP and not w.isdigit()]
    bag = set(_WORD.findall(" ".join(joined)))
    nums = _NUM.findall(s)
    if any(n not in " ".join(joined) for n in nums):
        return False
    if not words:
        return False
    covered = sum(1 for w in words if w in bag or (len(w) > 4 and any(b.startswith(w[:5]) for b in bag)))
    return covered / len(words) >= 0.8


def answer_support(answer: Answer, store: Store) -> tuple[int, int, int]:
    """(sentences, supported, verbatim) for one answer."""
    cache: dict[str, str] = {}
    total = ok = verbatim = 0
    for sent in answer.sentences():
        texts = []
        for span in sent.spans:
            if span.passage_id not in cache:
                uid = span.passage_id.rpartition("#")[0]
                doc = store.get_document(uid)
                for p in doc.passages:
                    cache[f"{uid}#{p.ordinal}"] = p.text
            texts.append(cache.get(span.passage_id, ""))
        total += 1
        if supported(sent.text, texts):
            ok += 1
        if any(_norm(sent.text) in _norm(t) for t in texts):
            verbatim += 1
    return total, ok, verbatim


def absent_drug_questions(lexicon: Lexicon, corpus_text: str, n: int = 50) -> list[str]:
    rows = list(csv.DictReader((SHARED / "drugbank" / "drugbank_vocabulary.csv").open(encoding="utf-8")))
    rng = random.Random(11)
    rng.shuffle(rows)
    out: list[str] = []
    templates = [
        "What is the role of {d} in treatment?",
        "Should I take {d} for my condition?",
        "What is the recommended dose of {d}?",
        "What are the side effects of {d}?",
        "Is {d} effective compared with placebo?",
    ]
    for row in rows:
        name = row["Common name"].strip()
        if not (4 <= len(name) <= 30) or not name.replace(" ", "").replace("-", "").isalpha():
            continue
        synonyms = [name] + [s.strip() for s in (row.get("Synonyms") or "").split("|") if s.strip()]
        if any(re.search(rf"\b{re.escape(s.lower())}\b", corpus_text) for s in synonyms if len(s) >= 4):
            continue
        if not lexicon.lookup(name):
            continue
        out.append(templates[len(out) % len(templates)].format(d=name))
        if len(out) == n:
            break
    return out


def build_corpus(tmp: Path) -> tuple[Any, Store, Lexicon]:
    settings = load_settings(data_dir=tmp, index={"dense": "numpy"})
    store = Store.open(settings.url)
    items = load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")
    store.write_file(pubmedqa_documents(items), path="pqal_dev.json", fmt="pubmedqa")
    assert ingest_paths(store, demo_files()).ok
    t0 = time.perf_counter()
    indexes = open_indexes(settings)
    sync(store, indexes)
    indexes.close()
    print(f"indexed in {time.perf_counter() - t0:.0f} s", flush=True)
    lex_path = tmp / "lexicon.jsonl.gz"
    build_default(SHARED, lex_path)
    settings = load_settings(data_dir=tmp, index={"dense": "numpy"}, retrieval={"lexicon_path": lex_path})
    return settings, store, Lexicon.load(lex_path)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--questions", type=int, default=500)
    ap.add_argument("--latency-size", type=int, default=100_000)
    args = ap.parse_args()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        settings, store, lexicon = build_corpus(tmp)
        retriever = Retriever.open(settings, store=store)
        asker = Asker(retriever=retriever, composer=make_composer("extractive"), answers=None)
        items = load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")[: args.questions]

        # PubMedQA: direct answers citing their own abstract + citation support
        sent_total = sent_ok = sent_verbatim = 0
        own = direct = 0
        for item in items:
            ans = asker.ask(item.question)
            t, o, v = answer_support(ans, store)
            sent_total, sent_ok, sent_verbatim = sent_total + t, sent_ok + o, sent_verbatim + v
            if ans.evidence_status is EvidenceStatus.DIRECT:
                direct += 1
                if any(r.document.uid == f"pmid:{item.pmid}" for r in ans.references):
                    own += 1
        n_q = len(items)
        results["pubmedqa"] = {"questions": n_q, "direct": direct, "direct_citing_own_abstract": own}
        results["support_clinician"] = {
            "sentences": sent_total,
            "supported": sent_ok,
            "verbatim": sent_verbatim,
        }

        # negative rejection
        corpus_text = " ".join(d.text.lower() for d in store.iter_documents())
        negatives = absent_drug_questions(lexicon, corpus_text)
        rejected = 0
        leaked: list[str] = []
        for q in negatives:
            ans = asker.ask(q)
            if ans.evidence_status is not EvidenceStatus.DIRECT and not ans.sentences():
                rejected += 1
            else:
                leaked.append(q)
        results["negative_rejection"] = {
            "questions": len(negatives),
            "rejected": rejected,
            "not_rejected": leaked,
        }

        # patient answers: reading grade and support of rewritten sentences
        grades: list[float] = []
        p_total = p_ok = 0
        demo_qs = [
            "Is belatacept safe after a kidney transplant?",
            "What is the role of CD40 ligand blockers?",
            "What are the side effects of abatacept?",
        ]
        for q in demo_qs + [it.question for it in items[:47]]:
            ans = asker.ask(q, audience=Audience.PATIENT)
            if ans.reading_grade is not None and ans.sentences():
                grades.append(ans.reading_grade)
            t, o, _v = answer_support(ans, store)
            p_total, p_ok = p_total + t, p_ok + o
        results["patient"] = {
            "answers_graded": len(grades),
            "median_grade": round(statistics.median(grades), 1) if grades else None,
            "p90_grade": round(float(np.percentile(grades, 90)), 1) if grades else None,
            "sentences": p_total,
            "supported": p_ok,
        }
        asker.close()
        store.close()

    # latency at scale
    from bench.retrieval_speed import build_scaled

    with tempfile.TemporaryDirectory() as td:
        settings, store, _info = build_scaled(args.latency_size, Path(td), embed_n=500)
        retriever = Retriever.open(settings, store=store)
        asker = Asker(retriever=retriever, composer=make_composer("extractive"), answers=None)
        qs = [it.question for it in load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")][:120]
        for q in qs[:10]:
            asker.ask(q)
        ms = []
        for q in qs[10:]:
            t = time.perf_counter()
            asker.ask(q)
            ms.append((time.perf_counter() - t) * 1000)
        asker.close()
        store.close()
        results["latency"] = {
            "passages": _info["passages"],
            "p50_ms": round(statistics.median(ms), 1),
            "p95_ms": round(float(np.percentile(ms, 95)), 1),
        }
    save_json("answers", results)
    print(json.dumps(results, indent=2), flush=True)
    sc, pq, nr, pt, lt = (
        results["support_clinician"],
        results["pubmedqa"],
        results["negative_rejection"],
        results["patient"],
        results["latency"],
    )
    rows = [
        [
            "citation support, clinician (extractive)",
            f"{sc['supported']}/{sc['sentences']} = {sc['supported'] / max(1, sc['sentences']):.1%} (verbatim {sc['verbatim'] / max(1, sc['sentences']):.1%})",
            "100%",
        ],
        [
            "citation support, patient rewrites",
            f"{pt['supported']}/{pt['sentences']} = {pt['supported'] / max(1, pt['sentences']):.1%}",
            "(not set)",
        ],
        [
            "negative rejection (absent DrugBank drugs)",
            f"{nr['rejected']}/{nr['questions']} = {nr['rejected'] / max(1, nr['questions']):.1%}",
            ">= 95%",
        ],
        [
            "PubMedQA: direct answer citing own abstract",
            f"{pq['direct_citing_own_abstract']}/{pq['questions']} = {pq['direct_citing_own_abstract'] / max(1, pq['questions']):.1%}",
            ">= 95%",
        ],
        [
            "patient reading grade (FK), median / p90",
            f"{pt['median_grade']} / {pt['p90_grade']} over {pt['answers_graded']} answers",
            "median <= 8",
        ],
        [
            f"ask latency at {lt['passages']:,} passages, p50 / p95",
            f"{lt['p50_ms']} / {lt['p95_ms']} ms",
            "p50 < 300 ms",
        ],
    ]
    body = (
        "## Answers\n\nCorpus: PubMedQA dev (500 abstracts) + the demo corpus, real MiniLM vectors, "
        "DrugBank+MeSH lexicon. Support is checked by `bench/answers.py`'s own checker (verbatim "
        "containment, or 80% content-word coverage with every number present for rewritten patient "
        "sentences), not by the composer's code.\n\n"
        + md_table(["figure", "measured", "goal"], rows)
        + ("\n\nNot rejected: " + "; ".join(nr["not_rejected"]) if nr["not_rejected"] else "")
    )
    write_section("answers", body, command="python -m bench.answers")


if __name__ == "__main__":
    main()
