"""Run every benchmark in turn (`make bench`); each writes its own section of docs/benchmarks.md."""

from __future__ import annotations

import subprocess
import sys

BENCHES = [
    ["bench.ingest"],
    ["bench.lexical_backends", "--sizes", "10000,100000"],
    ["bench.dense_index", "--sizes", "10000,100000"],
    ["bench.retrieval_quality"],
    ["bench.retrieval_speed", "--sizes", "10000,100000,1000000"],
    ["bench.answers"],
    ["bench.answer_quality"],
    ["bench.reliability"],
    ["bench.perturb"],
    ["bench.monographs"],
    ["bench.triage"],
    ["bench.standalone"],
    ["bench.sample_size"],
    ["bench.fetch"],
    ["bench.static_export"],
    ["bench.web_load", "--db", "both"],
]


def main() -> None:
    failed = []
    for args in BENCHES:
        print(f"== python -m {' '.join(args)}", flush=True)
        if subprocess.run([sys.executable, "-m", *args], check=False).returncode:
            failed.append(args[0])
    if failed:
        raise SystemExit(f"failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
