"""Web start: time from server start to the first answered question, and cached monograph pages.

    python -m bench.web_start [--repeats 30] [--lexicon PATH]

A fresh store with the illustrative demo corpus (default index settings) and, when the shared
data is present, the lexicon built from it (or ``--lexicon``). The server runs as ``medref serve``
does (``medref.web.serve.serve``, uvicorn, 127.0.0.1, a free port) in its own process, twice on
copies of that store: with preload (the default) and without (models load on first use). For
each run, from the moment the process is started: when it answers ``/healthz`` (listening), when
``/ready`` turns 200, how long the first question takes after that, and the median of the
following questions (each a different question, none asked before in that store). Then a
monograph page: its first request (built), and ``--repeats`` requests of the HTML page and of its
JSON twin (served from the cache): p50 and p95. Goals: first question under 1 s after readiness;
cached monograph page p50 under 50 ms. The client shares the machine's cores with the server.
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from bench.report import ROOT, SHARED, md_table, save_json, write_section

HOST = "127.0.0.1"
DRUG = "belatacept"
QUESTIONS = (
    "Is belatacept used after kidney transplantation?",
    "What is the role of CD40 ligand blockers?",
    "Which trials tested letolizumab?",
    "Does costimulation blockade increase infection risk?",
    "What are the adverse effects of belatacept?",
)
START_LIMIT_S = 300.0


def _medref(data_dir: Path, *args: str) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_")}
    env["MEDREF_DATA_DIR"] = str(data_dir)
    medref = Path(sys.executable).parent / "medref"
    subprocess.run([str(medref), *args], env=env, check=True, cwd=ROOT, capture_output=True)


def prepare(folder: Path, lexicon: Path | None) -> Path:
    """The demo corpus stored and indexed under ``folder``, with a lexicon when one is at hand."""
    _medref(folder, "demo", "build")
    if lexicon is not None:
        for path in lexicon.parent.glob(lexicon.name + "*"):  # and its compiled copy, when there is one
            shutil.copy(path, folder / path.name.replace(lexicon.name, "lexicon.jsonl.gz"))
    elif (SHARED / "mesh").exists():
        _medref(folder, "lexicon", "build", str(SHARED))
    return folder


@contextmanager
def server(data_dir: Path, *, preload: bool, log: Path) -> Iterator[tuple[str, float]]:
    """``medref serve`` in a subprocess; yields its URL and the time it was started."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_")}
    env.update(MEDREF_DATA_DIR=str(data_dir), MEDREF_LOG_LEVEL="WARNING")
    code = f"from medref.web.serve import serve; serve({HOST!r}, {port}, preload={preload})"
    with log.open("wb") as out:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "-c", code], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        yield f"http://{HOST}:{port}", started
    finally:
        process.terminate()
        try:
            process.wait(30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait(client: httpx.Client, url: str, started: float) -> float:
    """Seconds from ``started`` until ``url`` answers 200."""
    deadline = time.monotonic() + START_LIMIT_S
    while time.monotonic() < deadline:
        try:
            if client.get(url, timeout=5).status_code == 200:
                return time.perf_counter() - started
        except httpx.TransportError:
            pass
        time.sleep(0.02)
    raise RuntimeError(f"{url} never answered 200")


def _timed(client: httpx.Client, path: str, **params: str) -> float:
    t = time.perf_counter()
    r = client.get(path, params=params, timeout=120)
    elapsed = time.perf_counter() - t
    if r.status_code not in (200, 201):
        raise RuntimeError(f"{path} {params}: HTTP {r.status_code}: {r.text[:300]}")
    return elapsed


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def run_once(data_dir: Path, *, preload: bool, repeats: int) -> dict[str, Any]:
    log = data_dir / f"serve-{'preload' if preload else 'lazy'}.log"
    with server(data_dir, preload=preload, log=log) as (url, started), httpx.Client(base_url=url) as client:
        listening = _wait(client, url + "/healthz", started)
        ready = _wait(client, url + "/ready", started)
        asks = [_timed(client, "/ask.json", q=q) for q in QUESTIONS]
        built = _timed(client, f"/monographs/{DRUG}")
        html = [_timed(client, f"/monographs/{DRUG}") for _ in range(repeats)]
        as_json = [_timed(client, f"/monographs/{DRUG}.json") for _ in range(repeats)]
    return {
        "preload": preload,
        "listening_s": listening,
        "ready_s": ready,
        "first_question_s": asks[0],
        "later_questions_median_s": statistics.median(asks[1:]),
        "monograph_first_s": built,
        "monograph_html_p50_ms": 1000 * _pct(html, 0.5),
        "monograph_html_p95_ms": 1000 * _pct(html, 0.95),
        "monograph_json_p50_ms": 1000 * _pct(as_json, 0.5),
        "monograph_json_p95_ms": 1000 * _pct(as_json, 0.95),
    }


def report(runs: list[dict[str, Any]], *, lexicon: bool, repeats: int) -> str:
    rows = [
        [
            "preload (medref serve)" if r["preload"] else "no preload (load on first use)",
            f"{r['listening_s']:.2f}",
            f"{r['ready_s']:.2f}",
            f"{r['first_question_s']:.2f}",
            f"{r['later_questions_median_s']:.2f}",
            f"{r['monograph_first_s']:.2f}",
            f"{r['monograph_html_p50_ms']:.1f} / {r['monograph_html_p95_ms']:.1f}",
            f"{r['monograph_json_p50_ms']:.1f} / {r['monograph_json_p95_ms']:.1f}",
        ]
        for r in runs
    ]
    headers = [
        "server",
        "listening (s)",
        "ready (s)",
        "first question after ready (s)",
        "later questions, median (s)",
        "monograph, first request (s)",
        f"cached monograph HTML p50 / p95 (ms, n={repeats})",
        "cached monograph JSON p50 / p95 (ms)",
    ]
    preload = next(r for r in runs if r["preload"])
    verdict = (
        f"With preload the first question took {preload['first_question_s']:.2f} s after readiness "
        f"(goal < 1 s: {'met' if preload['first_question_s'] < 1 else 'not met'}); the cached "
        f"monograph page p50 was {preload['monograph_html_p50_ms']:.1f} ms "
        f"(goal < 50 ms: {'met' if preload['monograph_html_p50_ms'] < 50 else 'not met'})."
    )
    return f"""## Web start: first question and cached monograph pages

`medref serve` (uvicorn, one process, 127.0.0.1) on the illustrative demo corpus
({"with" if lexicon else "without"} the lexicon built from the shared data), started from cold
twice on copies of one store: with preload (the default: models and indexes load in the lifespan,
`GET /ready` turns 200 when done) and without. Times are from starting the process. Questions
are five different demo questions, none asked before in that store; the monograph is {DRUG}'s
(first request builds it, the rest come from the per-corpus-version cache).

{md_table(headers, rows)}

{verdict}
"""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--lexicon", type=Path, default=None, help="a built lexicon.jsonl.gz to copy in")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="medref-web-start-") as tmp:
        base = prepare(Path(tmp) / "base", args.lexicon)
        has_lexicon = (base / "lexicon.jsonl.gz").exists()
        runs = []
        for preload in (True, False):
            copy = Path(tmp) / ("preload" if preload else "lazy")
            shutil.copytree(base, copy, ignore=shutil.ignore_patterns("*.ingest-lock"))
            runs.append(run_once(copy, preload=preload, repeats=args.repeats))
            print(runs[-1], flush=True)
    save_json("web_start", runs)
    write_section(
        "web_start",
        report(runs, lexicon=has_lexicon, repeats=args.repeats),
        command="python -m bench.web_start",
    )


if __name__ == "__main__":
    main()
