"""Reliability benchmarks, one function per section.

    python -m bench.reliability                      # every section
    python -m bench.reliability --section ingest     # adversarial ingest only

**ingest** (Adversarial ingest). The adversarial corpus of the tests
(tests/ingest/adversarial/corpus.py: good files, some hostile but storable, mixed with bad
ones of every kind: a 2 GiB gzip bomb in 2 MB, an over-size gzip, truncated gzip, JSON nested
200k deep, entity declarations, empty and broken files, links out of the folder, markup in a
PMID and a file name, a partial Drugs@FDA zip) is given to the real `medref ingest` in a child
process, after a first run has stored a document and registered a complete Drugs@FDA export.
Counted: files tried, stored, refused with the expected reason, crashed (a traceback, an
exit status other than 0/1, or a failure reported as an unexpected Python exception: goal 0),
documents lost (a good file's documents or the earlier document missing: goal 0), bad files
stored (goal 0), and the child's peak RSS. The decompression limits are settings; the run
uses a 24 MB size limit (so the 28 MB over-size file meets it) and the default ratio limit.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.ingest.adversarial.corpus import FIXTURES, build_corpus, peak_rss_kb, run_medref

from bench.reliability_kill import SECTIONS as KILL_SECTIONS
from bench.report import md_table, save_json, write_section
from medref.settings import load_settings
from medref.store.repository import Store

# a failure described by describe() for an exception that is not a MedrefError: "path: KeyError: ..."
_UNEXPECTED = re.compile(r": (?:[A-Z]\w*(?:Error|Exception)|KeyError|StopIteration): ")


def _medref(env: dict[str, str], *args: str | Path) -> tuple[subprocess.CompletedProcess[str], float]:
    return run_medref(env, *args)


def adversarial_ingest(args: argparse.Namespace) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="medref-adv-") as tmp:
        root = Path(tmp)
        corpus = build_corpus(root / "adv", bomb_mb=args.bomb_mb, big_mb=args.limit_mb + 4)
        env = {
            **os.environ,
            "MEDREF_DATA_DIR": str(root / "data"),
            "MEDREF_INDEX__DENSE": "off",
            "MEDREF_INGEST__MAX_DECOMPRESSED_MB": str(args.limit_mb),
            "COLUMNS": "2000",
        }
        assert corpus.registered_zip is not None
        first, _ = _medref(env, "ingest", corpus.registered_zip, FIXTURES / "ctgov" / "study.json")
        if first.returncode != 0:
            raise SystemExit(f"setup ingest failed: {first.stderr}")
        run, seconds = _medref(env, "ingest", corpus.folder, *corpus.extra, "--json")
        report = json.loads(run.stdout) if run.stdout.strip().startswith("{") else {"files": []}
        results = {_key(f["path"], corpus.folder): f for f in report["files"]}

        store = Store.open(load_settings(data_dir=root / "data").url)
        docs = list(store.iter_documents())
        stored_by_file: dict[str, set[str]] = {}
        for d in docs:
            stored_by_file.setdefault(Path(d.source_path or "").name, set()).add(d.uid)
        lost = 0 if "nct:NCT09990001" in {d.uid for d in docs} else 1
        stored = refused = bad_stored = 0
        for name, uids in corpus.good.items():
            have = stored_by_file.get(Path(name).name, set())
            ok = bool(have) and set(uids) <= have and not (results.get(name) or {}).get("error")
            stored += ok
            lost += len(set(uids) - have) or (0 if have else 1)
        for name, reason in corpus.bad.items():
            error = (results.get(name) or {}).get("error") or ""
            refused += reason in error
            bad_stored += bool(results.get(name)) and not error
        crashed = sum(bool(_UNEXPECTED.search(f.get("error") or "")) for f in report["files"])
        process_crash = run.returncode not in (0, 1) or "Traceback" in run.stderr
        registered = (root / "data" / "drugsatfda.zip").read_bytes() == corpus.registered_zip.read_bytes()
        status, _ = _medref(env, "index", "status", "--json")
        behind = sum(ix["behind"] for ix in json.loads(status.stdout)["indexes"])
        peak_kb = peak_rss_kb(run.stderr)
        return {
            "files_tried": corpus.tried,
            "good_files": len(corpus.good),
            "bad_files": len(corpus.bad),
            "stored": stored,
            "refused_with_reason": refused,
            "crashed": crashed + int(process_crash),
            "documents_lost": lost,
            "bad_files_stored": bad_stored,
            "exit_status": run.returncode,
            "index_changes_behind": behind,
            "drugsatfda_registration_kept": registered,
            "peak_rss_mb": round(peak_kb / 1024, 1),
            "seconds": round(seconds, 2),
            "bomb_nominal_mb": args.bomb_mb,
            "limit_mb": args.limit_mb,
            "reasons": {k: _reason(v) for k, v in results.items()},
            "long_sentences": long_sentences(),
        }


def long_sentences() -> dict[str, float]:
    """Seconds to chunk a 9.9 MB sentence and to parse a CT.gov study with a 20 MB summary
    (the shapes of issue 10: 16 s and 117 s when chunking was quadratic)."""
    from medref.ingest import base, ctgov

    sentence = ("itch " * 1_980_000).strip()
    started = time.perf_counter()
    base.chunk(sentence)
    chunk_s = time.perf_counter() - started
    study = json.loads((FIXTURES / "ctgov" / "study.json").read_text())
    study["protocolSection"]["descriptionModule"]["briefSummary"] = "the itch " * 2_300_000
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "long.json"
        path.write_text(json.dumps(study))
        started = time.perf_counter()
        (doc,) = list(ctgov.parse(path))
        parse_s = time.perf_counter() - started
    return {
        "chunk_9_9mb_s": round(chunk_s, 2),
        "ctgov_20mb_s": round(parse_s, 2),
        "ctgov_passages": len(getattr(doc, "passages", [])),
    }


def _reason(result: dict[str, Any]) -> str:
    """The error without the path it starts with; '' for a stored file."""
    error, path = result.get("error") or "", str(result.get("path"))
    return error.removeprefix(f"{path}: ")


def _key(path: str, folder: Path) -> str:
    try:
        return Path(path).relative_to(folder).as_posix()
    except ValueError:
        return Path(path).name


def _write_ingest(r: dict[str, Any], command: str) -> None:
    table = md_table(
        [
            "files tried",
            "stored",
            "refused with reason",
            "crashed",
            "documents lost",
            "bad stored",
            "peak RSS",
        ],
        [
            [
                f"{r['files_tried']} ({r['good_files']} good, {r['bad_files']} bad)",
                f"{r['stored']} / {r['good_files']}",
                f"{r['refused_with_reason']} / {r['bad_files']}",
                r["crashed"],
                r["documents_lost"],
                r["bad_files_stored"],
                f"{r['peak_rss_mb']} MB",
            ]
        ],
    )
    body = (
        f"{table}\n\n"
        f"One `medref ingest` of the adversarial corpus (tests/ingest/adversarial/corpus.py) in a child "
        f"process: exit status {r['exit_status']} (some files failed), index "
        f"{r['index_changes_behind']} changes behind the store afterwards, Drugs@FDA registration "
        f"{'kept' if r['drugsatfda_registration_kept'] else 'REPLACED'} after a partial zip, "
        f"{r['seconds']} s. The gzip bomb is {r['bomb_nominal_mb']} MiB of zeros in about "
        f"{r['bomb_nominal_mb'] // 1024 or 1} MB; decompressed-size limit {r['limit_mb']} MB "
        "(`MEDREF_INGEST__MAX_DECOMPRESSED_MB`), ratio limit the default 100 "
        "(`ingest.max_compression_ratio`, checked past 16 MB). Peak RSS is the whole CLI process "
        "(imports, store, lexical index).\n\n"
        f"Long sentences (item 9; in-process): chunking one 9.9 MB sentence {r['long_sentences']['chunk_9_9mb_s']} s "
        f"(16 s before); parsing a CT.gov study whose summary is 20 MB {r['long_sentences']['ctgov_20mb_s']} s "
        f"({r['long_sentences']['ctgov_passages']} passages; 117 s before; now linear in the text's length, "
        "including the suspect-passage scan DocumentBuilder.build runs on every passage).\n\n"
        "Reasons reported, file by file:\n\n"
        + "\n".join(f"- `{name}`: {reason or 'stored'}" for name, reason in sorted(r["reasons"].items()))
    )
    write_section("reliability-ingest", body, command=command)


SECTIONS: dict[str, tuple[Callable[[argparse.Namespace], dict[str, Any]], Callable[..., None]]] = {
    "ingest": (adversarial_ingest, _write_ingest),
    **KILL_SECTIONS,  # kill9, write_latency (bench/reliability_kill.py)
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--section", choices=sorted(SECTIONS), action="append", help="default: all")
    parser.add_argument("--bomb-mb", type=int, default=2048, help="ingest: the bomb's decompressed MiB")
    parser.add_argument("--limit-mb", type=int, default=24, help="ingest: decompressed-size limit")
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md")
    args = parser.parse_args()
    for name in args.section or sorted(SECTIONS):
        measure, write = SECTIONS[name]
        result = measure(args)
        save_json(f"reliability-{name}", result)
        print(json.dumps({k: v for k, v in result.items() if k != "reasons"}, indent=2))
        if not args.no_write:
            write(result, command=f"python -m bench.reliability --section {name}")


if __name__ == "__main__":
    main()
