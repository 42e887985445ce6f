"""Lexical index backends compared: build rate, size, memory, query latency, sanity quality.

    python -m bench.lexical_backends                                   # 10k and 100k, all backends
    python -m bench.lexical_backends --sizes 1000000 --backends tantivy
    python -m bench.lexical_backends --no-doc                          # do not touch the doc

Backends: ``tantivy`` and ``fts5`` through medref's own classes (medref.index.factory), and
``bm25s`` through a thin bench-only adapter (bm25s cannot update an index in place, see
docs/lexical-index.md). All three index the same analysed text (medref.index.textnorm).

Corpus (real text only): every PubMedQA dev abstract part (CONTEXTS with their LABELS as the
section, plus LONG_ANSWER as CONCLUSIONS, as ``medref ingest`` stores them) and every distinct
BioASQ snippet (Task 7B-9B golden). Up to the size asked these are used as they are; past it
the real passages repeat, each copy with a suffix of 12 real words drawn from the corpus's own
word stream (seeded, so every run makes the same corpus), so copies have different postings
and lengths. Passage ids are 1..N.

Queries: the 500 PubMedQA questions, each word a term of weight 1.0 (the backends analyse
them), k=100. Latency: 50 warm-up queries, then all 500 timed one by one in a fresh process
that opened the index from disk. Quality sanity: a question scores top-1/top-5 when a passage
of its own abstract (the original or any copy) is first / in the first five.

Each build and each query phase runs in its own subprocess so peak RSS (ru_maxrss) belongs to
that phase. Results merge into bench/out/lexical_backends.json (keyed by backend and size) and
the markdown table is printed and written into docs/lexical-index.md between its markers.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bench.report import OUT, ROOT, SHARED, machine, md_table

DOC = ROOT / "docs" / "lexical-index.md"
RESULTS = OUT / "lexical_backends.json"
BACKENDS = ("tantivy", "fts5", "bm25s")
BATCH = 2000  # passages per add(), as medref.index.sync does
SUFFIX_WORDS = 12
WARMUP = 50
K = 100


# ------------------------------------------------------------------ corpus
def base_corpus() -> tuple[list[tuple[str, str, str]], list[tuple[str, str]]]:
    """Real passages as (source, section, text) and the PubMedQA (question, source) pairs."""
    rows: list[tuple[str, str, str]] = []
    questions: list[tuple[str, str]] = []
    pqa = json.loads((SHARED / "pubmedqa" / "pqal_dev.json").read_text())
    for pmid, item in pqa.items():
        labels = item.get("LABELS") or []
        for i, text in enumerate(item["CONTEXTS"]):
            rows.append((f"pqa:{pmid}", labels[i] if i < len(labels) else "ABSTRACT", text))
        if item.get("LONG_ANSWER"):
            rows.append((f"pqa:{pmid}", "CONCLUSIONS", item["LONG_ANSWER"]))
        questions.append((item["QUESTION"], f"pqa:{pmid}"))
    seen: set[str] = set()
    for path in sorted((SHARED / "bioasq").glob("Task*BGoldenEnriched/*.json")):
        for q in json.loads(path.read_text()).get("questions", []):
            for s in q.get("snippets", []):
                text = (s.get("text") or "").strip()
                if text and text not in seen:
                    seen.add(text)
                    rows.append((f"bioasq:{s.get('document', '')}", s.get("beginSection", ""), text))
    return rows, questions


_WORD = re.compile(r"[A-Za-z][A-Za-z-]{2,}")


def passages(n: int) -> Iterator[tuple[int, str, str, str]]:
    """(id, source, section, text) for ids 1..n (see the module docstring)."""
    rows, _ = base_corpus()
    words = [w for _, _, t in rows for w in _WORD.findall(t)]
    rng = random.Random(20240601)
    for i in range(n):
        src, section, text = rows[i % len(rows)]
        if i >= len(rows):
            text = text + " " + " ".join(rng.choices(words, k=SUFFIX_WORDS))
        yield i + 1, src, section, text


def sources(n: int) -> list[str]:
    rows, _ = base_corpus()
    return [rows[i % len(rows)][0] for i in range(n)]


# ------------------------------------------------------------------ bm25s adapter (bench only)
class Bm25sBench:
    """Whole-corpus bm25s index: built once, saved with numpy; no updates in place."""

    name = "bm25s"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.model: Any = None
        self.ids: Any = None
        self._tokens: list[list[str]] = []
        self._ids: list[int] = []

    def add(self, batch: list[Any]) -> None:
        from medref.index.textnorm import DEFAULT

        for p in batch:
            self._tokens.append(DEFAULT.tokens(" ".join((p.title, p.section, p.text))))
            self._ids.append(p.id)

    def commit(self, watermark: int) -> None:
        import bm25s
        import numpy as np

        self.model = bm25s.BM25(k1=1.2, b=0.75, method="lucene")
        self.model.index(self._tokens, show_progress=False)
        self.path.mkdir(parents=True, exist_ok=True)
        self.model.save(str(self.path), show_progress=False)
        np.save(self.path / "ids.npy", np.asarray(self._ids, dtype=np.int64))
        self._tokens, self._ids = [], []

    def open(self) -> None:
        import bm25s
        import numpy as np

        self.model = bm25s.BM25.load(str(self.path), show_progress=False)
        self.ids = np.load(self.path / "ids.npy")

    def search(self, query: Any, k: int) -> list[Any]:
        import numpy as np

        from medref.index.base import Hit
        from medref.index.lexical_common import plan

        terms = [t for t in plan(query).terms if t in self.model.vocab_dict]
        if not terms:
            return []
        scores = self.model.get_scores(terms)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top])]
        return [Hit(int(self.ids[i]), float(scores[i])) for i in top if scores[i] > 0]

    def close(self) -> None:
        self.model = None


def _open(backend: str, folder: Path, *, create: bool) -> Any:
    if backend == "bm25s":
        ix = Bm25sBench(folder)
        if not create:
            ix.open()
        return ix
    from medref.index.factory import make_lexical

    return make_lexical(backend, folder, create=create)


def _cpu_s() -> float:
    ru = resource.getrusage(resource.RUSAGE_SELF)
    return ru.ru_utime + ru.ru_stime


def _maxrss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _du_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 2**20


# ------------------------------------------------------------------ phases (run in subprocesses)
def _batches(n: int, start: int = 0, stop: int | None = None) -> Iterator[list[Any]]:
    from medref.index.base import IndexedPassage

    batch: list[Any] = []
    for pid, _src, section, text in passages(n if stop is None else stop):
        if pid <= start:
            continue
        batch.append(IndexedPassage(pid, text, section=section, kind="pubmed"))
        if len(batch) == BATCH:
            yield batch
            batch = []
    if batch:
        yield batch


def phase_build(backend: str, n: int, folder: Path) -> dict[str, Any]:
    """Build as `medref index rebuild` does: batches of 2,000, one commit. Passages are made on the
    fly (the suffix draw is about 3 µs a passage, inside the timing)."""
    from medref.index.base import IndexedPassage

    ix = _open(backend, folder, create=True)
    t0, c0 = time.perf_counter(), _cpu_s()
    for batch in _batches(n):
        ix.add(batch)
    ix.commit(n)
    ix.close()
    build_s, build_cpu = time.perf_counter() - t0, _cpu_s() - c0
    out = {
        "build_s": round(build_s, 2),
        "build_rate": round(n / build_s),
        "build_cpu_s": round(build_cpu, 2),
        "size_mb": round(_du_mb(folder), 1),
        "build_rss_mb": round(_maxrss_mb(), 1),
    }
    if backend != "bm25s":  # incremental: 1,000 new passages + 1,000 replaced, one commit; then undo
        first = [p for batch in _batches(n, stop=min(n, 2000)) for p in batch]
        extra = [
            IndexedPassage(n + 1 + j, p.text + " addendum", section=p.section, kind="pubmed")
            for j, p in enumerate(first[:1000])
        ]
        ix = _open(backend, folder, create=False)
        t0 = time.perf_counter()
        ix.add(extra + first[1000:])
        ix.commit(n + 1)
        out["update_2k_s"] = round(time.perf_counter() - t0, 3)
        ix.remove([p.id for p in extra])  # back to the measured corpus
        ix.commit(n + 2)
        ix.close()
        out["size_mb"] = round(_du_mb(folder), 1)
    return out


def phase_query(backend: str, n: int, folder: Path) -> dict[str, Any]:
    from medref.index.base import LexicalQuery

    _, questions = base_corpus()
    src = sources(n)
    t0 = time.perf_counter()
    ix = _open(backend, folder, create=False)
    open_s = time.perf_counter() - t0
    queries = [LexicalQuery(terms=[(w, 1.0) for w in q.split()]) for q, _ in questions]
    for lq in queries[:WARMUP]:
        ix.search(lq, K)
    lat: list[float] = []
    cpu: list[float] = []
    top1 = top5 = 0
    for lq, (_, want) in zip(queries, questions, strict=True):
        t, c = time.perf_counter(), time.thread_time()
        hits = ix.search(lq, K)
        lat.append((time.perf_counter() - t) * 1000)
        cpu.append((time.thread_time() - c) * 1000)
        got = [src[h.id - 1] for h in hits[:5] if 0 < h.id <= n]
        top1 += bool(got) and got[0] == want
        top5 += want in got
    # the shape the retriever sends with synonym expansion: the words, plus three two-word terms
    # (each becomes a phrase) at weight 0.6, and a kinds filter (every passage passes it here)
    richer = [_richer(q) for q, _ in questions]
    for lq in richer[:WARMUP]:
        ix.search(lq, K)
    rich: list[float] = []
    for lq in richer:
        t = time.perf_counter()
        ix.search(lq, K)
        rich.append((time.perf_counter() - t) * 1000)
    ix.close()
    lat.sort()
    rich.sort()
    return {
        "p50_rich_ms": round(statistics.median(rich), 2),
        "p95_rich_ms": round(rich[int(0.95 * (len(rich) - 1))], 2),
        "open_s": round(open_s, 3),
        "p50_ms": round(statistics.median(lat), 2),
        "p95_ms": round(lat[int(0.95 * (len(lat) - 1))], 2),
        "mean_ms": round(statistics.fmean(lat), 2),
        "p50_cpu_ms": round(statistics.median(cpu), 2),
        "top1": round(top1 / len(queries), 3),
        "top5": round(top5 / len(queries), 3),
        "query_rss_mb": round(_maxrss_mb(), 1),
    }


def _richer(question: str) -> Any:
    from medref.index.base import LexicalQuery
    from medref.index.textnorm import STOPWORDS

    words = question.split()
    content = [w for w in (re.sub(r"\W+", "", w) for w in words) if w and w.lower() not in STOPWORDS]
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(content)][:3]
    return LexicalQuery(terms=[(w, 1.0) for w in words] + [(p, 0.6) for p in pairs], kinds=("pubmed",))


def _child(phase: str, backend: str, n: int, folder: Path) -> dict[str, Any]:
    cmd = [
        sys.executable,
        "-m",
        "bench.lexical_backends",
        "--phase",
        phase,
        "--backends",
        backend,
        "--sizes",
        str(n),
        "--folder",
        str(folder),
    ]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False)
    if proc.returncode:
        raise SystemExit(f"{phase} {backend} {n} failed:\n{proc.stderr[-4000:]}")
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


# ------------------------------------------------------------------ report
HEADERS = [
    "backend",
    "passages",
    "build p/s",
    "build s (CPU s)",
    "size MB",
    "build RSS MB",
    "update 2k s",
    "p50 ms (CPU)",
    "p95 ms",
    "rich p50/p95 ms",
    "query RSS MB",
    "top-1",
    "top-5",
    "load",
]


def table(results: list[dict[str, Any]]) -> str:
    rows = []
    for r in sorted(results, key=lambda r: (r["passages"], BACKENDS.index(r["backend"]))):
        rows.append(
            [
                r["backend"],
                f"{r['passages']:,}",
                f"{r['build_rate']:,}",
                f"{r['build_s']} ({r.get('build_cpu_s', '?')})",
                r["size_mb"],
                r["build_rss_mb"],
                r.get("update_2k_s", "full rebuild"),
                f"{r['p50_ms']} ({r.get('p50_cpu_ms', '?')})",
                r["p95_ms"],
                f"{r.get('p50_rich_ms', '-')}/{r.get('p95_rich_ms', '-')}",
                r["query_rss_mb"],
                r["top1"],
                r["top5"],
                f"{r.get('load_before', '?')}/{r.get('load_after', '?')}",
            ]
        )
    return md_table(HEADERS, rows)


def write_doc(results: list[dict[str, Any]], command: str) -> None:
    body = (
        table(results) + f"\n\n_Command: `{command}`. Machine: {machine()}. "
        f"Measured {time.strftime('%Y-%m-%d', time.gmtime())}._"
    )
    text = DOC.read_text() if DOC.exists() else "# Lexical index\n"
    start, end = "<!-- bench:lexical:start -->", "<!-- bench:lexical:end -->"
    block = f"{start}\n{body}\n{end}"
    if start in text and end in text:
        text = text[: text.index(start)] + block + text[text.index(end) + len(end) :]
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="10000,100000")
    ap.add_argument("--backends", default=",".join(BACKENDS))
    ap.add_argument("--no-doc", action="store_true", help="print only; leave docs/lexical-index.md alone")
    ap.add_argument("--phase", choices=["build", "query"], help=argparse.SUPPRESS)
    ap.add_argument("--folder", help=argparse.SUPPRESS)
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",") if s]
    backends = [b for b in args.backends.split(",") if b]
    if args.phase:
        fn = phase_build if args.phase == "build" else phase_query
        print(json.dumps(fn(backends[0], sizes[0], Path(args.folder))))
        return
    if not (SHARED / "pubmedqa" / "pqal_dev.json").is_file():
        raise SystemExit(f"needs the shared datasets under {SHARED}")
    old = json.loads(RESULTS.read_text()) if RESULTS.is_file() else []
    for n in sizes:
        for backend in backends:
            tmp = Path(tempfile.mkdtemp(prefix=f"lex-{backend}-"))
            try:
                r: dict[str, Any] = {
                    "backend": backend,
                    "passages": n,
                    "load_before": round(os.getloadavg()[0], 2),
                }
                r.update(_child("build", backend, n, tmp / "ix"))
                r.update(_child("query", backend, n, tmp / "ix"))
                r["load_after"] = round(os.getloadavg()[0], 2)
            finally:
                shutil.rmtree(tmp, ignore_errors=True)
            print(json.dumps(r), flush=True)
            old = [o for o in old if (o["backend"], o["passages"]) != (backend, n)] + [r]
            OUT.mkdir(parents=True, exist_ok=True)
            RESULTS.write_text(json.dumps(old, indent=2))
    print(table(old))
    if not args.no_doc:
        write_doc(
            old,
            "python -m bench.lexical_backends --sizes 10000,100000 && "
            "python -m bench.lexical_backends --sizes 1000000 --backends tantivy",
        )


if __name__ == "__main__":
    main()
