"""Monograph timing as a user meets it: a store built with the CLI, cold CLI runs, warm in-process builds.

* :func:`build_cli_store` makes a data folder the way a user would: ``medref ingest`` of the
  labels, the demo corpus and ``drugsatfda.zip``, then ``medref lexicon build``.
* :func:`cold_cli` runs ``medref monograph DRUG`` as a fresh process pinned to two cores
  (``taskset -c 0,1`` when taskset exists), ``runs`` times per drug; the median is the figure.
* :func:`warm_builds` builds each monograph in this process the way the CLI does (Retriever when
  the index is ready, else the lexicon alone), one warm-up then ``repeats`` timed builds.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from medref.deps import demo_files
from medref.errors import IndexNotReadyError
from medref.monograph import build_monograph
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.settings import Settings
from medref.store.repository import Store

MEDREF = Path(sys.executable).parent / "medref"


def _env(data_dir: Path) -> dict[str, str]:
    return {**os.environ, "MEDREF_DATA_DIR": str(data_dir)}


def build_cli_store(data_dir: Path, labels: list[Path], shared: Path) -> dict[str, float]:
    """Ingest labels + demo corpus + Drugs@FDA and build the lexicon with the CLI; seconds per step."""
    env = _env(data_dir)
    out: dict[str, float] = {}
    steps = {
        "ingest_s": [str(MEDREF), "ingest", "-q", *map(str, labels), *map(str, demo_files())],
        "drugsatfda_s": [str(MEDREF), "ingest", "-q", str(shared / "fda_spl" / "drugsatfda.zip")],
        "lexicon_s": [str(MEDREF), "lexicon", "build", str(shared)],
    }
    for name, cmd in steps.items():
        t = time.perf_counter()
        subprocess.run(cmd, env=env, check=True, capture_output=True)
        out[name] = round(time.perf_counter() - t, 1)
    return out


def cold_cli(data_dir: Path, drugs: list[str], *, runs: int = 3) -> dict[str, Any]:
    """Wall time of ``medref monograph DRUG`` as a new process, per drug (median and all runs)."""
    pin = ["taskset", "-c", "0,1"] if shutil.which("taskset") else []
    env = _env(data_dir)
    load = " / ".join(f"{x:.1f}" for x in os.getloadavg())  # 1, 5, 15 min: other work on the machine
    per: dict[str, dict[str, Any]] = {}
    for drug in drugs:
        if runs < 1:
            per[drug] = {"note": "not run (--cold-runs 0)"}
            continue
        times = []
        for _ in range(runs):
            t = time.perf_counter()
            done = subprocess.run([*pin, str(MEDREF), "monograph", drug], env=env, capture_output=True)
            times.append(time.perf_counter() - t)
            if done.returncode != 0:
                per[drug] = {"error": done.stderr.decode(errors="replace")[-300:]}
                break
        else:
            per[drug] = {
                "median_s": round(statistics.median(times), 2),
                "runs_s": [round(x, 2) for x in times],
            }
    return {"pinned": " ".join(pin) or "not pinned (no taskset)", "runs": runs, "load": load, "per_drug": per}


def open_like_cli(settings: Settings, store: Store) -> tuple[Retriever | None, Lexicon]:
    """The Retriever and lexicon the CLI would use for this data folder."""
    try:
        retriever = Retriever.open(settings, store=store)
        return retriever, retriever.lexicon
    except IndexNotReadyError:
        path = settings.retrieval.lexicon_path or settings.data_dir / "lexicon.jsonl.gz"
        return None, Lexicon.load(path if path.exists() else None)


def warm_builds(
    settings: Settings,
    store: Store,
    retriever: Retriever | None,
    lexicon: Lexicon,
    drugs: list[str],
    *,
    repeats: int,
) -> dict[str, Any]:
    """In-process build time per drug after one warm-up build (median and max of ``repeats``)."""
    per: dict[str, dict[str, float]] = {}
    for drug in drugs:
        kw: dict[str, Any] = {
            "store": store,
            "retriever": retriever,
            "lexicon": lexicon,
            "drugsatfda": settings.drugsatfda_path,
        }
        build_monograph(drug, **kw)
        times = []
        for _ in range(repeats):
            t = time.perf_counter()
            build_monograph(drug, **kw)
            times.append(time.perf_counter() - t)
        per[drug] = {
            "median_ms": round(1000 * statistics.median(times), 1),
            "max_ms": round(1000 * max(times), 1),
        }
    return {"retriever": retriever is not None, "repeats": repeats, "per_drug": per}
