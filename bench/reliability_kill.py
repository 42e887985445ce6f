"""Reliability: kill -9 during ingest and index rebuild; web write latency during a big ingest.

    python -m bench.reliability_kill                        # both sections
    python -m bench.reliability_kill --section kill9 --kills 10
    python -m bench.reliability_kill --section write_latency --records 50000

**kill9.** A SQLite store holds a 2k-record MEDLINE file and its index. `medref ingest` of an
8k-record file (whose first 2k records are changed versions of the stored ones) is killed
with SIGKILL at random moments of its run; after each kill the store is opened (which finishes
or rolls back the interrupted file) and checked: no staged rows or unfinished files, the
change log replays to exactly the stored passages, and the file is all or nothing (2k old
records, or 8k new ones, never a mix). The index must open and answer a search straight
away, and a sync must bring it level with the store. Then `medref index rebuild` of the 8k
store is killed at random moments; each time the old index must still open, hold every
passage and answer a search.

**write_latency.** While a process ingests a 50k-record MEDLINE file (and a second one queues
behind it with 10k more), this process saves answers through ``AnswerStore.save_new`` (the
code path of a web write) every 50 ms and times each save.

Both use generated real-format MEDLINE files (bench/make_medline.py: real PubMedQA abstracts
with new PMIDs) and the tantivy lexical index with the numpy dense index over the "hashing"
test embedder (a real embedder would spend the whole budget embedding).
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.make_medline import make
from bench.report import md_table, save_json, write_section

INDEX = {"dense": "numpy", "embedder": "hashing"}
BASE_RECORDS, RECORDS = 2000, 8000  # kill9: the stored file, the file whose ingest is killed
SECOND_RECORDS = 10000  # write_latency: the ingest that queues behind the big one
NEW_JOURNAL = "Bench Journal of Medicine, second series"


def _env(data: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_") or k == "MEDREF_SHARED_DATA"}
    env.update(MEDREF_DATA_DIR=str(data), MEDREF_INDEX__DENSE="numpy", MEDREF_INDEX__EMBEDDER="hashing")
    return env


def _medref(*args: str, data: Path) -> subprocess.Popen[bytes]:
    exe = Path(sys.executable).with_name("medref")
    return subprocess.Popen(
        [str(exe), *args], env=_env(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )


def _run(*args: str, data: Path) -> float:
    t0 = time.perf_counter()
    proc = _medref(*args, data=data)
    _, err = proc.communicate()
    if proc.returncode:
        raise SystemExit(f"medref {' '.join(args)} failed: {err.decode()[-2000:]}")
    return time.perf_counter() - t0


def _kill_at(proc: subprocess.Popen[bytes], seconds: float) -> bool:
    """SIGKILL ``proc`` after ``seconds``; False when it had already finished."""
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        if proc.poll() is not None:
            return False
        time.sleep(0.01)
    if proc.poll() is not None:
        return False
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    return True


def _inspect(data: Path) -> dict[str, Any]:
    """Open the store (recovery runs), check it, open and search the index, then sync it."""
    from sqlalchemy import func, select

    from medref.index.base import LexicalQuery
    from medref.index.sync import check_fresh, open_indexes, sync
    from medref.settings import load_settings
    from medref.store.consistency import consistency_problems
    from medref.store.repository import Store
    from medref.store.schema import documents

    settings = load_settings(data_dir=data, index=INDEX)
    t0 = time.perf_counter()
    store = Store.open(settings.url)
    recovery_ms = (time.perf_counter() - t0) * 1000
    problems = consistency_problems(store.engine)
    with store.engine.connect() as conn:
        journals: dict[str | None, int] = dict(
            conn.execute(select(documents.c.journal, func.count()).group_by(documents.c.journal)).all()
        )
    out: dict[str, Any] = {"recovery_ms": round(recovery_ms), "documents": sum(journals.values())}
    if set(journals) == {NEW_JOURNAL}:
        out["store"] = "file stored"
    elif NEW_JOURNAL not in journals:
        out["store"] = "file rolled back"
    else:
        out["store"] = "MIXED"
        problems.append(f"old and new versions mixed: {journals}")
    try:
        indexes = open_indexes(settings, create=False)
    except Exception as exc:
        problems.append(f"index does not open: {exc}")
        out["problems"] = problems
        store.close()
        return out
    hits = indexes.lexical.search(LexicalQuery(terms=[("patients", 1.0)]), 10)
    out["search_hits"] = len(hits)
    out["index_behind"] = check_fresh(store, indexes)
    sync(store, indexes)
    n_passages = store.stats()["passages"]
    out["index_passages_after_sync"] = indexes.lexical.count()
    if indexes.lexical.count() != n_passages:
        problems.append(f"index holds {indexes.lexical.count()} passages after sync, store {n_passages}")
    if not hits:
        problems.append("search found nothing")
    indexes.close()
    store.close()
    out["problems"] = problems
    return out


def _inspect_index(data: Path) -> dict[str, Any]:
    from medref.index.base import LexicalQuery
    from medref.index.sync import check_fresh, open_indexes
    from medref.settings import load_settings
    from medref.store.repository import Store

    settings = load_settings(data_dir=data, index=INDEX)
    store = Store.open(settings.url)
    problems: list[str] = []
    out: dict[str, Any] = {}
    try:
        indexes = open_indexes(settings, create=False)
    except Exception as exc:
        store.close()
        return {"problems": [f"index does not open: {exc}"]}
    out["search_hits"] = len(indexes.lexical.search(LexicalQuery(terms=[("patients", 1.0)]), 10))
    out["index_passages"] = indexes.lexical.count()
    out["behind"] = check_fresh(store, indexes)
    expected = store.stats()["passages"]
    if out["index_passages"] != expected or out["behind"] or not out["search_hits"]:
        problems.append(f"index {out['index_passages']} passages (store {expected}), behind {out['behind']}")
    out["left_folders"] = len([p for p in data.iterdir() if p.name.startswith("index.gen-")]) - 1
    indexes.close()
    store.close()
    out["problems"] = problems
    return out


def kill9(args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Measure the kill9 section (``args.kills`` kills of each kind, default 10)."""
    kills = int(getattr(args, "kills", None) or 10)
    base_records, records = BASE_RECORDS, RECORDS
    rng = random.Random(int(getattr(args, "seed", None) or 10))
    result: dict[str, Any] = {"kills": kills, "base_records": base_records, "records": records}
    result.update(ingest=[], rebuild=[])
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        base, target = tmp / "base.xml", tmp / "target.xml"
        make(base, records=base_records)
        make(target, records=records)
        target.write_text(target.read_text().replace("Bench Journal of Medicine", NEW_JOURNAL))
        data, snap = tmp / "data", tmp / "snap"
        _run("ingest", str(base), data=data)
        shutil.copytree(data, snap, symlinks=True)
        t_ingest = _run("ingest", str(target), data=data)  # how long a whole run takes
        full = tmp / "full"
        shutil.copytree(data, full, symlinks=True)
        missed = {"ingest": 0, "rebuild": 0}
        while len(result["ingest"]) < kills and missed["ingest"] < kills:
            shutil.rmtree(data)
            shutil.copytree(snap, data, symlinks=True)
            at = rng.uniform(0.05, 0.95) * t_ingest
            started = time.perf_counter()
            if not _kill_at(_medref("ingest", str(target), data=data), at):
                missed["ingest"] += 1  # it finished first (the machine got faster): aim earlier
                t_ingest = time.perf_counter() - started
                continue
            row = {"kill": len(result["ingest"]) + 1, "at_s": round(at, 2), **_inspect(data)}
            result["ingest"].append(row)
            print("ingest", row, flush=True)
        shutil.rmtree(data)
        t_rebuild = _run("index", "rebuild", data=full)
        while len(result["rebuild"]) < kills and missed["rebuild"] < kills:
            at = rng.uniform(0.05, 0.95) * t_rebuild
            started = time.perf_counter()
            if not _kill_at(_medref("index", "rebuild", data=full), at):
                missed["rebuild"] += 1
                t_rebuild = time.perf_counter() - started
                continue
            row = {"kill": len(result["rebuild"]) + 1, "at_s": round(at, 2), **_inspect_index(full)}
            result["rebuild"].append(row)
            print("rebuild", row, flush=True)
        _run("index", "rebuild", data=full)
        cleaned = len([p for p in full.iterdir() if p.name.startswith("index.gen-")]) == 1
    result.update(t_ingest=round(t_ingest, 1), t_rebuild=round(t_rebuild, 1), cleaned=cleaned, missed=missed)
    return result


def write_kill9(result: dict[str, Any], *, command: str) -> None:
    base_records, records = result["base_records"], result["records"]
    missed = result.get("missed", {"ingest": 0, "rebuild": 0})
    t_ingest, t_rebuild, cleaned = result["t_ingest"], result["t_rebuild"], result["cleaned"]
    ing, reb = result["ingest"], result["rebuild"]
    ok_ing = sum(1 for r in ing if not r["problems"])
    ok_reb = sum(1 for r in reb if not r["problems"])
    outcomes = {o: sum(1 for r in ing if r["store"] == o) for o in ("file rolled back", "file stored")}
    rows_i = [
        [r["kill"], r["at_s"], r["store"], r["recovery_ms"], r.get("search_hits", 0), r.get("index_behind", "-"),
         "; ".join(r["problems"]) or "none"]
        for r in ing
    ]  # fmt: skip
    rows_r = [
        [r["kill"], r["at_s"], r.get("index_passages", "-"), r.get("search_hits", 0), r.get("left_folders", "-"),
         "; ".join(r["problems"]) or "none"]
        for r in reb
    ]  # fmt: skip
    body = f"""**kill -9 during ingest** ({len(ing)} random moments of `medref ingest` of a {records:,}-record MEDLINE file
into a SQLite store holding {base_records:,} older versions of its first records; a whole run
takes {t_ingest:.1f} s including start-up and the index sync): **{ok_ing}/{len(ing)} consistent** after
reopening ({outcomes["file rolled back"]} rolled back, {outcomes["file stored"]} finished by recovery or
already stored), the index opened and answered a search right after every kill.

{md_table(["kill", "at s", "store after reopening", "recovery ms", "search hits", "index behind", "problems"], rows_i)}

**kill -9 during `medref index rebuild`** ({len(reb)} random moments; a whole rebuild of the
{records:,}-record store takes {t_rebuild:.1f} s): **{ok_reb}/{len(reb)} serving** the complete old index
(every passage, no sync needed). Folders of killed rebuilds were removed by the next rebuild: {cleaned}.
Runs that finished before their kill moment were not counted and retried ({missed["ingest"]} ingest,
{missed["rebuild"]} rebuild); the kill moments are uniform over the last whole run's duration.

{md_table(["kill", "at s", "index passages", "search hits", "unfinished folders left", "problems"], rows_r)}
"""
    write_section("reliability-kill9", body, command=command)


# ----------------------------------------------------------------------------- write latency
INGEST = (
    "import sys, time; from medref.store.repository import Store; from medref.ingest.pipeline import ingest_paths;"
    "t = time.perf_counter(); r = ingest_paths(Store.open(sys.argv[2]), [sys.argv[1]], fmt='pubmed');"
    "print(round(time.perf_counter() - t, 2), r.total('documents'), flush=True); sys.exit(0 if r.ok else 1)"
)


def _answer(i: int) -> Any:
    from medref.models import Answer, AnswerSection, Audience, CitedSentence, EvidenceStatus

    return Answer(
        question=f"Does drug {i} interact with tacrolimus?",
        audience=Audience.PHARMACIST,
        evidence_status=EvidenceStatus.NONE,
        key_entities=["Tacrolimus"],
        guidelines=AnswerSection(title="Guidelines", summary=[CitedSentence(text="No guideline covers it.")]),
        research=AnswerSection(title="Research", notice="No study found."),
        disclaimer="Not medical advice.",
    )


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _latency_run(url: str, big: Path, small: Path) -> dict[str, Any]:
    from medref.errors import StoreError
    from medref.store.answers import AnswerStore
    from medref.store.repository import Store

    store = Store.open(url)
    answers = AnswerStore(store.engine)
    idle: list[float] = []
    for i in range(30):
        t0 = time.perf_counter()
        answers.save_new(_answer(i))
        idle.append(time.perf_counter() - t0)
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    first = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(big), url], stdout=subprocess.PIPE, text=True, env=env
    )
    time.sleep(1.0)
    second = subprocess.Popen(
        [sys.executable, "-c", INGEST, str(small), url], stdout=subprocess.PIPE, text=True, env=env
    )
    busy: list[float] = []
    failures = 0
    i = 1000
    while first.poll() is None or second.poll() is None:
        t0 = time.perf_counter()
        try:
            answers.save_new(_answer(i))
            busy.append(time.perf_counter() - t0)
        except StoreError:
            failures += 1
        i += 1
        time.sleep(0.05)
    outs = [p.communicate()[0].split() for p in (first, second)]
    documents = store.stats()["documents"]
    store.close()
    return {
        "idle_p50_ms": round(statistics.median(idle) * 1000, 1),
        "writes": len(busy),
        "failures": failures,
        "p50_ms": round(statistics.median(busy) * 1000, 1),
        "p95_ms": round(_pct(busy, 0.95) * 1000, 1),
        "max_ms": round(max(busy) * 1000, 1),
        "ingests_ok": [first.returncode == 0, second.returncode == 0],
        "ingest_seconds": [float(o[0]) if o else None for o in outs],
        "documents": documents,
        "load_avg": round(os.getloadavg()[0], 1),
    }


def write_latency(args: argparse.Namespace | None = None) -> dict[str, Any]:
    """Measure the write_latency section (``args.records``, default 50,000; ``args.postgres``)."""
    from bench.ingest import _drop_pg, _pg_url

    records = int(getattr(args, "records", None) or 50000)
    second = SECOND_RECORDS
    postgres = bool(getattr(args, "postgres", False))
    results = []
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        big, small = tmp / "big.xml", tmp / "small.xml"
        make(big, records=records)
        make(small, records=second)
        small.write_text(small.read_text().replace("Bench Journal of Medicine", NEW_JOURNAL))
        for backend in ("sqlite", "postgresql") if postgres else ("sqlite",):
            url = f"sqlite:///{tmp / 'lat.sqlite'}" if backend == "sqlite" else _pg_url()
            if url is None:
                continue
            r = _latency_run(url, big, small)
            if backend == "postgresql":
                _drop_pg(url)
            r["backend"] = backend
            results.append(r)
            print(r, flush=True)
    return {"records": records, "second": second, "runs": results}


def write_latency_doc(result: dict[str, Any], *, command: str) -> None:
    records, second = result["records"], result["second"]
    rows = [
        [r["backend"], r["idle_p50_ms"], r["writes"], r["p50_ms"], r["p95_ms"], r["max_ms"], r["failures"],
         f"{r['ingest_seconds'][0]} s / {r['ingest_seconds'][1]} s", "yes" if all(r["ingests_ok"]) else "NO",
         r["load_avg"]]
        for r in result["runs"]
    ]  # fmt: skip
    times = f"ingest times ({records // 1000}k / queued {second // 1000}k)"
    body = f"""**Web write latency during a {records:,}-record ingest.** One process ingests a
{records:,}-record MEDLINE file; a second, started 1 s later, ingests {second:,} changed records and
queues behind it (the ingest lock); meanwhile `AnswerStore.save_new` (the web app's write path)
saves an answer every 50 ms. Goal: p95 under 1 s (issue 10 saw /ask wait 30 s and fail with 503
when a file was stored in one transaction). The queued ingest's time includes its wait.

{md_table(["store", "idle p50 ms", "saves during ingest", "p50 ms", "p95 ms", "max ms", "failed saves",
           times, "both ingests ok", "load avg"], rows)}
"""  # fmt: skip
    write_section("reliability-write-latency", body, command=command)


#: The sections, as bench/reliability.py runs them: name -> (measure(args), write(result, command=...)).
SECTIONS: dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]], Callable[..., None]]] = {
    "kill9": (kill9, write_kill9),
    "write_latency": (write_latency, write_latency_doc),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: all")
    ap.add_argument("--kills", type=int, default=10, help="kill9: kills of each kind")
    ap.add_argument("--records", type=int, default=50000, help="write_latency: records of the big ingest")
    ap.add_argument("--postgres", action="store_true", help="write_latency: on PostgreSQL too")
    ap.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    args = ap.parse_args()
    for name in args.section or sorted(SECTIONS):
        measure, write = SECTIONS[name]
        result = measure(args)
        save_json(f"reliability-{name}", result)
        if not args.no_write:
            write(result, command=f"python -m bench.reliability_kill --section {name}")


if __name__ == "__main__":
    main()
