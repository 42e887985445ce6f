"""placeholder, being written"""

from __future__ import annotations

import ast
import json
import time

import numpy as np

from bench.report import OUT, SHARED

CACHE = OUT / "dense_real_vectors.npz"
MAX_PASSAGES = 8000
MAX_QUESTIONS = 1000


def _texts() -> tuple[list[str], list[str]]:
    passages: list[str] = []
    questions: list[str] = []
    pqa = SHARED / "pubmedqa" / "pqal_dev.json"
    if pqa.is_file():
        for rec in json.loads(pqa.read_text()).values():
            questions.append(rec["QUESTION"])
            ctx = rec["CONTEXTS"]
            passages.extend(ast.literal_eval(ctx) if isinstance(ctx, str) else ctx)
    seen = set(passages)
    for f in sorted((SHARED / "bioasq").glob("Task*BGoldenEnriched/*.json")):
        for item in json.loads(f.read_text())["questions"]:
            questions.append(item["body"])
            for snip in item.get("snippets", []):
                t = snip["text"].strip()
                if t and t not in seen:
                    seen.add(t)
                    passages.append(t)
    return passages, list(dict.fromkeys(questions))


def real_vectors() -> tuple[np.ndarray, np.ndarray, str]:
    if CACHE.is_file():
        z = np.load(CACHE)
        return z["passages"], z["questions"], str(z["note"])
    from medref.index.embed import get_embedder

    passages, questions = _texts()
    rng = np.random.default_rng(7)
    passages = [passages[i] for i in rng.permutation(len(passages))[:MAX_PASSAGES]]
    questions = [questions[i] for i in rng.permutation(len(questions))[:MAX_QUESTIONS]]
    emb = get_embedder("minilm-onnx", threads=2)
    t0 = time.perf_counter()
    pv = emb.embed(passages, batch_size=32)
    qv = emb.embed(questions, batch_size=32)
    note = (
        f"{len(passages)} real passages (PubMedQA dev contexts + BioASQ snippets) and "
        f"{len(questions)} real questions embedded with all-MiniLM-L6-v2 (onnx int8) "
        f"in {time.perf_counter() - t0:.0f} s"
    )
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, passages=pv, questions=qv, note=np.array(note))
    return pv, qv, note
