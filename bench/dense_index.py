"""Dense index backends: build rate, query latency, recall, memory and disk size.

    python -m bench.dense_index --sizes 10000,100000,1000000
    python -m bench.dense_index --sizes 100000 --backends usearch,usearch-i8,numpy-f16

Backends: ``numpy`` (exact, int8), ``numpy-f16`` (exact, float16), ``usearch`` (HNSW, f16,
the default settings of :class:`UsearchDenseIndex`), ``usearch-i8`` (HNSW, int8).

Vectors.  Embedding a million real passages on a small CPU takes hours, so the collection is
*scaled up* from real embeddings: up to 8,000 real passages (PubMedQA dev contexts and
BioASQ snippets) and 1,000 real questions are embedded once with all-MiniLM-L6-v2 (cached in
bench/out/dense_real_vectors.npz).  A collection of N vectors holds the real passage vectors
first, then synthetic ones, renormalised:

* ``--data mix`` (default): Dirichlet(0.5)-weighted blends of 3 random real passage vectors
  plus gaussian noise of 0.01 per dimension.  Points stay near the real embeddings' manifold;
  their nearest-neighbour cosines spread like the real passages' (about 0.75-0.96 at 100k
  vectors; the 8k real ones: 0.57-0.98), and real questions' best cosines match the real ones.
* ``--data iso`` (stress test): ``a + 0.25 b + noise(0.03)``.  Every real vector gets a ball
  of ~N/8000 near-equidistant noisy copies (nearest-neighbour cosines all 0.74-0.77), a shape
  real text embeddings do not have and HNSW graphs handle badly (recall@10 drops at 1M).

Queries are 200 real question embeddings.  Without the embedder, clustered random unit
vectors are used instead and the output says so.

Measures, per backend and size:

* build: vectors/s for ``add`` in batches of 2,000 (the sync batch) plus the final ``commit``;
* open / p50 / p95 / RSS: in a fresh process that opens the committed index (``create=False``),
  runs 20 warm-up and then 200 single-thread searches at k=100; RSS is the growth of resident
  memory from before the open to after the searches (memory-mapped pages that were read count);
* recall@10: share of the exact float32 top 10 found in the first 10 hits;
* disk: the index folder's size.

Results go to bench/out/dense_index.json (``--out`` renames it); ``--doc`` also writes the docs/benchmarks.md section.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np

from bench.report import OUT, SHARED, machine, md_table, save_json, write_section

CACHE = OUT / "dense_real_vectors.npz"
MAX_PASSAGES = 8000
MAX_QUESTIONS = 1000
N_QUERIES = 200
K = 100
BATCH = 2000
ALPHA, MIX_NOISE = 0.5, 0.01  # "mix": Dirichlet(0.5) blends of 3 real vectors + noise
ISO_B, ISO_NOISE = 0.25, 0.03  # "iso": a + 0.25 b + noise
BACKENDS: dict[str, tuple[str, dict[str, Any]]] = {
    "numpy": ("numpy", {"dtype": "int8"}),
    "numpy-f16": ("numpy", {"dtype": "float16"}),
    "usearch": ("usearch", {}),
    "usearch-i8": ("usearch", {"dtype": "i8"}),
}


# ------------------------------------------------------------------ vectors
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


def _clustered(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    centres = rng.standard_normal((200, 384)).astype(np.float32)
    pick = rng.integers(0, 200, MAX_PASSAGES + MAX_QUESTIONS)
    x = centres[pick] + rng.standard_normal((len(pick), 384)).astype(np.float32) * 0.08
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x[:MAX_PASSAGES], x[MAX_PASSAGES:]


def real_vectors() -> tuple[np.ndarray, np.ndarray, str]:
    """(passage vectors, question vectors, a note saying where they came from); cached."""
    if CACHE.is_file():
        z = np.load(CACHE)
        return z["passages"], z["questions"], str(z["note"])
    rng = np.random.default_rng(7)
    passages, questions = _texts()
    try:
        from medref.index.embed import get_embedder

        emb = get_embedder("minilm-onnx", threads=2)
        if not passages or not questions:
            raise RuntimeError(f"no texts found under {SHARED}")
        passages = [passages[i] for i in rng.permutation(len(passages))[:MAX_PASSAGES]]
        questions = [questions[i] for i in rng.permutation(len(questions))[:MAX_QUESTIONS]]
        t0 = time.perf_counter()
        pv, qv = emb.embed(passages, batch_size=32), emb.embed(questions, batch_size=32)
        note = (
            f"{len(passages)} real passages (PubMedQA dev contexts + BioASQ snippets) and "
            f"{len(questions)} real questions embedded with all-MiniLM-L6-v2 (onnx int8) "
            f"in {time.perf_counter() - t0:.0f} s"
        )
    except Exception as exc:  # no embedder or no data: say so and go on with clustered vectors
        pv, qv = _clustered(rng)
        note = f"CLUSTERED RANDOM unit vectors (200 clusters), not real embeddings: {exc}"
    OUT.mkdir(parents=True, exist_ok=True)
    np.savez(CACHE, passages=pv, questions=qv, note=np.array(note))
    return pv, qv, note


def collection(
    base: np.ndarray, n: int, *, data: str = "mix", seed: int = 11, chunk: int = 50_000
) -> Iterator[np.ndarray]:
    """n unit vectors in chunks: the real ones first, then synthetic ones (see module doc)."""
    rng = np.random.default_rng(seed)
    done = 0
    while done < n:
        size = min(chunk, n - done)
        if data == "mix":
            picks = rng.integers(0, len(base), (size, 3))
            weights = rng.dirichlet([ALPHA] * 3, size).astype(np.float32)
            x = np.einsum("nk,nkd->nd", weights, base[picks])
            x += rng.standard_normal(x.shape).astype(np.float32) * MIX_NOISE
        else:  # "iso": a stress test, copies of real vectors in an isotropic noise ball
            a = rng.integers(0, len(base), size)
            b = rng.integers(0, len(base), size)
            x = (
                base[a]
                + ISO_B * base[b]
                + rng.standard_normal((size, base.shape[1])).astype(np.float32) * ISO_NOISE
            )
        real = max(0, min(len(base) - done, size))
        x[:real] = base[done : done + real]
        x /= np.linalg.norm(x, axis=1, keepdims=True)
        yield x
        done += size


def exact_top(base: np.ndarray, n: int, queries: np.ndarray, *, data: str, k: int = 10) -> np.ndarray:
    """Row numbers of the exact float32 top k for each query."""
    best_s = np.full((len(queries), 0), -np.inf, dtype=np.float32)
    best_i = np.zeros((len(queries), 0), dtype=np.int64)
    offset = 0
    for x in collection(base, n, data=data):
        s = queries @ x.T
        best_s = np.concatenate([best_s, s], axis=1)
        best_i = np.concatenate(
            [best_i, np.broadcast_to(np.arange(offset, offset + len(x)), s.shape)], axis=1
        )
        keep = np.argsort(-best_s, axis=1)[:, :k]
        best_s, best_i = np.take_along_axis(best_s, keep, 1), np.take_along_axis(best_i, keep, 1)
        offset += len(x)
    return best_i


# ------------------------------------------------------------------ measuring
def open_index(backend: str, folder: Path, *, create: bool, **extra: Any) -> Any:
    kind, opts = BACKENDS[backend]
    if kind == "numpy":
        from medref.index.dense_numpy import NumpyDenseIndex

        return NumpyDenseIndex(folder, create=create, **(opts if create else {}), **extra)
    from medref.index.dense_usearch import UsearchDenseIndex

    return UsearchDenseIndex(folder, create=create, **(opts if create else {}), **extra)


def build(backend: str, folder: Path, base: np.ndarray, n: int, *, data: str) -> float:
    ix = open_index(backend, folder, create=True)
    t0 = time.perf_counter()
    next_id = 1
    for x in collection(base, n, data=data):
        for start in range(0, len(x), BATCH):
            part = x[start : start + BATCH]
            ix.add(np.arange(next_id, next_id + len(part)), part)
            next_id += len(part)
    ix.commit(1)
    seconds = time.perf_counter() - t0
    assert ix.count() == n, (ix.count(), n)
    ix.close()
    return seconds


def _rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def probe(backend: str, folder: Path, queries_file: Path, view: bool) -> dict[str, Any]:
    """Run in a fresh process: open, search, report latency, hits and memory."""
    if BACKENDS[backend][0] == "usearch":  # load the libraries before the memory baseline
        from medref.index.dense_usearch import _usearch_index  # (onnxruntime first, then usearch)

        _usearch_index()
    z = np.load(queries_file)
    queries = z["queries"]
    before = _rss_mb()
    t0 = time.perf_counter()
    ix = open_index(backend, folder, create=False, **({"view": True} if view else {}))
    open_s = time.perf_counter() - t0
    for q in queries[:20]:
        ix.search(q, K)
    times, found = [], []
    for q in queries:
        t = time.perf_counter()
        hits = ix.search(q, K)
        times.append(time.perf_counter() - t)
        found.append([h.id - 1 for h in hits[:10]])  # ids were row + 1
    rss = _rss_mb() - before
    truth = z["truth"]
    recall = float(np.mean([len(set(f) & set(t.tolist())) / 10 for f, t in zip(found, truth, strict=True)]))
    ms = np.array(times) * 1000
    return {
        "open_s": round(open_s, 3),
        "p50_ms": round(float(np.percentile(ms, 50)), 2),
        "p95_ms": round(float(np.percentile(ms, 95)), 2),
        "recall_at_10": round(recall, 3),
        "rss_mb": round(rss, 1),
    }


def run_probe(backend: str, folder: Path, queries_file: Path, *, view: bool = False) -> dict[str, Any]:
    cmd = [sys.executable, "-m", "bench.dense_index", "--probe", backend, str(folder), str(queries_file)]
    if view:
        cmd.append("--view")
    out = subprocess.run(
        cmd, check=True, capture_output=True, text=True, cwd=Path(__file__).resolve().parents[1]
    )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def disk_mb(folder: Path) -> float:
    return round(sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20, 1)


# ------------------------------------------------------------------ main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="10000,100000,1000000")
    ap.add_argument("--backends", default="numpy,usearch", help=f"comma list of {', '.join(BACKENDS)}")
    ap.add_argument(
        "--data",
        choices=["mix", "iso"],
        default="mix",
        help="how to scale up the real vectors (see the module doc)",
    )
    ap.add_argument("--out", default="dense_index", help="name of the JSON file in bench/out/")
    ap.add_argument("--doc", action="store_true", help="also write the docs/benchmarks.md section")
    ap.add_argument("--tmp", default=None, help="folder for the built indexes (default: system temp)")
    ap.add_argument("--probe", nargs=3, metavar=("BACKEND", "FOLDER", "QUERIES"), help=argparse.SUPPRESS)
    ap.add_argument("--view", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.probe:
        backend, folder, queries_file = args.probe
        print(json.dumps(probe(backend, Path(folder), Path(queries_file), args.view)))
        return

    sizes = [int(s) for s in args.sizes.split(",")]
    backends = [b.strip() for b in args.backends.split(",")]
    for b in backends:
        if b not in BACKENDS:
            raise SystemExit(f"unknown backend {b!r}; choose from {', '.join(BACKENDS)}")
    base, questions, note = real_vectors()
    queries = questions[:N_QUERIES]
    results: list[dict[str, Any]] = []
    rows: list[list[Any]] = []
    how = (
        f"Dirichlet({ALPHA}) blends of 3 real passage vectors + N(0, {MIX_NOISE}^2) noise"
        if args.data == "mix"
        else f"a + {ISO_B} b + N(0, {ISO_NOISE}^2) noise (a, b real passage vectors; a stress test)"
    )
    data_note = (
        f"{note}; collections scaled up from the real passage vectors with {how}, "
        f"renormalised; queries: {len(queries)} real questions"
    )
    print(data_note, flush=True)
    with tempfile.TemporaryDirectory(dir=args.tmp, prefix="medref-dense-bench-") as tmp:
        for n in sizes:
            t0 = time.perf_counter()
            truth = exact_top(base, n, queries, data=args.data)
            qfile = Path(tmp) / f"queries-{n}.npz"
            np.savez(qfile, queries=queries, truth=truth)
            print(f"# {n:,} vectors: exact truth in {time.perf_counter() - t0:.1f} s", flush=True)
            for backend in backends:
                folder = Path(tmp) / f"{backend}-{n}"
                seconds = build(backend, folder, base, n, data=args.data)
                modes = [False, True] if BACKENDS[backend][0] == "usearch" else [False]
                for view in modes:
                    label = backend + (" (view)" if view else "")
                    res = {
                        "backend": label,
                        "vectors": n,
                        "build_s": round(seconds, 1),
                        "build_per_s": round(n / seconds),
                        **run_probe(backend, folder, qfile, view=view),
                        "disk_mb": disk_mb(folder),
                        "load_avg_1m": round(os.getloadavg()[0], 2),
                    }
                    results.append(res)
                    rows.append(
                        [
                            label,
                            f"{n:,}",
                            f"{res['build_per_s']:,}",
                            res["open_s"],
                            res["p50_ms"],
                            res["p95_ms"],
                            res["recall_at_10"],
                            res["rss_mb"],
                            res["disk_mb"],
                        ]
                    )
                    print(json.dumps(res), flush=True)
                shutil.rmtree(folder)
    headers = [
        "backend",
        "vectors",
        "build vec/s",
        "open s",
        f"p50 ms (k={K})",
        f"p95 ms (k={K})",
        "recall@10",
        "RSS MiB",
        "disk MiB",
    ]
    table = md_table(headers, rows)
    path = save_json(
        args.out,
        {"machine": machine(), "data": data_note, "data_kind": args.data, "k": K, "results": results},
    )
    print()
    print(table)
    print(f"\n{data_note}\nJSON: {path}")
    if args.doc:
        body = (
            "### Dense index backends\n\n" + table + "\n\n" + data_note + ". Latency: one thread, "
            "one query at a time; recall@10 against exact float32 search."
        )
        write_section("dense_index", body, command=f"python -m bench.dense_index --sizes {args.sizes}")


if __name__ == "__main__":
    main()
