"""Web start: time from server start to the first answered question, and cached monograph pages.

    python -m bench.web_start [--repeats 30] [--lexicon PATH]

A fresh store with the illustrative demo corpus (default index settings) and, when the shared data
is present, the real Humira label and the lexicon built from it (or ``--lexicon``). The server
runs as ``medref serve`` does (``medref.web.serve.serve``, uvicorn, 127.0.0.1, a free port) in its
own process, twice on copies of that store: with preload (the default) and without (models load on
first use). For each run, from the moment the process is started: when it answers ``/healthz``
(listening), when ``/ready`` turns 200, how long the first question takes after that, and the
median of the following questions (each a different question, none asked before in that store).
Then each monograph page: its first request (built), and ``--repeats`` requests of the HTML page
and of its JSON twin (served from the cache): p50 and p95. Goals: first question under 1 s after
readiness; cached monograph page p50 under 50 ms. The client shares the machine's cores with the
server.
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
DEMO_DRUG = "belatacept"
REAL_LABEL = SHARED / "fda_spl" / "humira.xml"  # a real label, when the shared data is present
REAL_DRUG = "Humira"
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


def prepare(folder: Path, lexicon: Path | None) -> tuple[Path, list[str]]:
    """The demo corpus (and the real label when present) under ``folder``; the drugs to look up."""
    _medref(folder, "demo", "build")
    drugs = [DEMO_DRUG]
    if REAL_LABEL.exists():
        _medref(folder, "ingest", str(REAL_LABEL))
        drugs.append(REAL_DRUG)
    if lexicon is not None:
        for path in lexicon.parent.glob(lexicon.name + "*"):  # and its compiled copy, when there is one
            shutil.copy(path, folder / path.name.replace(lexicon.name, "lexicon.jsonl.gz"))
    elif (SHARED / "mesh").exists():
        _medref(folder, "lexicon", "build", str(SHARED))
    return folder, drugs


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


def monograph_times(client: httpx.Client, drug: str, repeats: int) -> dict[str, float]:
    built = _timed(client, f"/monographs/{drug}")
    html = [_timed(client, f"/monographs/{drug}") for _ in range(repeats)]
    as_json = [_timed(client, f"/monographs/{drug}.json") for _ in range(repeats)]
    return {
        "first_s": built,
        "html_p50_ms": 1000 * _pct(html, 0.5),
        "html_p95_ms": 1000 * _pct(html, 0.95),
        "json_p50_ms": 1000 * _pct(as_json, 0.5),
        "json_p95_ms": 1000 * _pct(as_json, 0.95),
    }


def run_once(data_dir: Path, *, preload: bool, repeats: int, drugs: list[str]) -> dict[str, Any]:
    log = data_dir / f"serve-{'preload' if preload else 'lazy'}.log"
    with server(data_dir, preload=preload, log=log) as (url, started), httpx.Client(base_url=url) as client:
        listening = _wait(client, url + "/healthz", started)
        ready = _wait(client, url + "/ready", started)
        asks = [_timed(client, "/ask.json", q=q) for q in QUESTIONS]
        monographs = {drug: monograph_times(client, drug, repeats) for drug in drugs}
    return {
        "preload": preload,
        "listening_s": listening,
        "ready_s": ready,
        "first_question_s": asks[0],
        "later_questions_median_s": statistics.median(asks[1:]),
        "monographs": monographs,
    }


def report(runs: list[dict[str, Any]], *, lexicon: bool, repeats: int) -> str:
    start_rows = [
        [
            _name(r),
            f"{r['listening_s']:.2f}",
            f"{r['ready_s']:.2f}",
            f"{r['first_question_s']:.2f}",
            f"{r['later_questions_median_s']:.2f}",
        ]
        for r in runs
    ]
    start_headers = [
        "server",
        "listening (s)",
        "ready (s)",
        "first question after ready (s)",
        "later questions, median (s)",
    ]
    mono_rows = [
        [
            _name(r),
            drug,
            f"{m['first_s']:.2f}",
            f"{m['html_p50_ms']:.1f} / {m['html_p95_ms']:.1f}",
            f"{m['json_p50_ms']:.1f} / {m['json_p95_ms']:.1f}",
        ]
        for r in runs
        for drug, m in r["monographs"].items()
    ]
    mono_headers = [
        "server",
        "drug",
        "first request, built (s)",
        f"cached HTML p50 / p95 (ms, n={repeats})",
        "cached JSON p50 / p95 (ms)",
    ]
    preload = next(r for r in runs if r["preload"])
    worst = max(m["html_p50_ms"] for m in preload["monographs"].values())
    verdict = (
        f"With preload the first question took {preload['first_question_s']:.2f} s after readiness "
        f"(goal < 1 s: {'met' if preload['first_question_s'] < 1 else 'not met'}); the slowest cached "
        f"monograph page p50 was {worst:.1f} ms (goal < 50 ms: {'met' if worst < 50 else 'not met'})."
    )
    drugs = ", ".join(preload["monographs"])
    return f"""## Web start: first question and cached monograph pages

`medref serve` (uvicorn, one process, 127.0.0.1) on the illustrative demo corpus
({"with" if lexicon else "without"} the lexicon built from the shared data{
        ", plus the real Humira label" if REAL_DRUG in preload["monographs"] else ""
    }), started from cold twice on copies of one store: with preload (the default: models and
indexes load in the lifespan, `GET /ready` turns 200 when done) and without. Times are from
starting the process. Questions are five different demo questions, none asked before in that
store.

{md_table(start_headers, start_rows)}

Monograph pages ({drugs}): the first request builds the monograph, the rest come from the
per-corpus-version cache (HTML page, then its JSON twin).

{md_table(mono_headers, mono_rows)}

{verdict}
"""


def _name(run: dict[str, Any]) -> str:
    return "preload (medref serve)" if run["preload"] else "no preload (load on first use)"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--lexicon", type=Path, default=None, help="a built lexicon.jsonl.gz to copy in")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="medref-web-start-") as tmp:
        base, drugs = prepare(Path(tmp) / "base", args.lexicon)
        has_lexicon = (base / "lexicon.jsonl.gz").exists()
        runs = []
        for preload in (True, False):
            copy = Path(tmp) / ("preload" if preload else "lazy")
            shutil.copytree(base, copy, ignore=shutil.ignore_patterns("*.ingest-lock"))
            runs.append(run_once(copy, preload=preload, repeats=args.repeats, drugs=drugs))
            print(runs[-1], flush=True)
    save_json("web_start", runs)
    write_section(
        "web_start",
        report(runs, lexicon=has_lexicon, repeats=args.repeats),
        command="python -m bench.web_start",
    )


if __name__ == "__main__":
    main()
