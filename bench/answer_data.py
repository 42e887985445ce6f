"""Shared by bench.fit_answer_models and bench.answer_quality: the PubMedQA answer corpus and its split.

Corpus: the 500 PubMedQA dev abstracts + the illustrative demo corpus in one SQLite store, with
real MiniLM vectors and the DrugBank + MeSH lexicon (``bench.answers.build_corpus``), built once
under ``.medref/bench/answers-pqa`` and reused.

Split (fixed, by PMID parity): questions with an **even** PMID fit the relevance and verdict
models (``fit``); questions with an **odd** PMID are **held out** for every reported figure.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.report import ROOT, SHARED
from medref.ingest.benchmarks import PubMedQAItem, load_pubmedqa
from medref.models import RetrievalResult
from medref.retrieve.retriever import Retriever
from medref.settings import Settings, load_settings
from medref.store.repository import Store

WORKDIR = ROOT / ".medref" / "bench" / "answers-pqa"
RETRIEVE_K = 40  # as medref.compose.ask.RETRIEVE_K


def split_of(pmid: str) -> str:
    """'fit' (even PMID) or 'heldout' (odd PMID)."""
    return "fit" if int(pmid) % 2 == 0 else "heldout"


def pubmedqa_items(split: str | None = None) -> list[PubMedQAItem]:
    items = load_pubmedqa(SHARED / "pubmedqa" / "pqal_dev.json")
    return [it for it in items if split is None or split_of(it.pmid) == split]


@dataclass
class Corpus:
    settings: Settings
    store: Store
    retriever: Retriever


@contextmanager
def open_corpus(workdir: Path = WORKDIR, *, rebuild: bool = False) -> Iterator[Corpus]:
    """The PubMedQA + demo corpus, built on first use (about two minutes on 2 cores)."""
    from bench.answers import build_corpus

    marker = workdir / "built.json"
    lex_path = workdir / "lexicon.jsonl.gz"
    if rebuild or not marker.exists():
        shutil.rmtree(workdir, ignore_errors=True)
        workdir.mkdir(parents=True)
        settings, store, _lex = build_corpus(workdir)
        store.close()
        marker.write_text(json.dumps({"corpus": "pubmedqa dev 500 + demo"}))
    settings = load_settings(data_dir=workdir, index={"dense": "numpy"}, retrieval={"lexicon_path": lex_path})
    store = Store.open(settings.url)
    retriever = Retriever.open(settings, store=store)
    try:
        yield Corpus(settings=settings, store=store, retriever=retriever)
    finally:
        retriever.close()
        store.close()


def cached_retrievals(
    corpus: Corpus, questions: list[str], *, name: str, workdir: Path = WORKDIR
) -> list[RetrievalResult]:
    """Retrieval results for ``questions``, cached on disk (invalidated when the question list changes)."""
    path = workdir / f"retrievals-{name}.jsonl"
    if path.exists():
        rows = [json.loads(line) for line in path.read_text().splitlines()]
        if [r["query_asked"] for r in rows] == questions:
            return [RetrievalResult.model_validate(r["result"]) for r in rows]
    out: list[RetrievalResult] = []
    lines: list[str] = []
    for q in questions:
        res = corpus.retriever.search(q, k=RETRIEVE_K)
        out.append(res)
        lines.append(json.dumps({"query_asked": q, "result": res.model_dump(mode="json")}))
    path.write_text("\n".join(lines) + "\n")
    return out


def own_uid(item: PubMedQAItem) -> str:
    return f"pmid:{item.pmid}"


def as_json(data: Any) -> str:
    return json.dumps(data, indent=2, default=str)
