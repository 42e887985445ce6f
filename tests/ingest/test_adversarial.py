"""The adversarial corpus through the real command line (``medref ingest``, a child process).

Bad files of every kind mixed with good ones (tests/ingest/adversarial/corpus.py). Asserts
every good file stored, every bad one reported by name with its reason, exit status 1, the
index synced, no traceback, earlier documents and the Drugs@FDA registration kept, and the
child's peak memory far below what the 2 GiB gzip bomb would take if it were decompressed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from medref.settings import load_settings
from medref.store.repository import Store
from tests.ingest.adversarial.corpus import MIB, Corpus, build_corpus, peak_rss_kb, run_medref

BOMB_MB = 2048
LIMIT_MB = 24  # above the 16 MB floor of the ratio check, so the bomb meets the ratio limit


def _medref(env: dict[str, str], *args: str | Path) -> subprocess.CompletedProcess[str]:
    return run_medref(env, *args, timeout=600)[0]


def _errors(stderr: str, corpus: Corpus) -> dict[str, str]:
    """'error <path>: <reason>' lines, keyed by the path relative to the corpus folder."""
    found: dict[str, str] = {}
    for line in stderr.splitlines():
        if not line.startswith("error "):
            continue
        message = line[len("error ") :]
        path = message.split(": ", 1)[0]
        try:
            key = Path(path).resolve().relative_to(corpus.folder.resolve()).as_posix()
        except ValueError:
            key = Path(path).name
        assert key not in found, f"{key} reported twice"
        found[key] = message
    return found


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "MEDREF_DATA_DIR": str(tmp_path / "data"),
        "MEDREF_INDEX__DENSE": "off",
        "MEDREF_INGEST__MAX_DECOMPRESSED_MB": str(LIMIT_MB),
        "COLUMNS": "2000",  # one line per error
    }


def test_adversarial_corpus(tmp_path: Path, fixtures: Path, env: dict[str, str]) -> None:
    corpus = build_corpus(tmp_path / "adv", bomb_mb=BOMB_MB, big_mb=LIMIT_MB + 4)
    assert corpus.registered_zip is not None
    earlier = fixtures / "ctgov" / "study.json"
    first = _medref(env, "ingest", corpus.registered_zip, earlier)
    assert first.returncode == 0, first.stderr
    registered = Path(env["MEDREF_DATA_DIR"]) / "drugsatfda.zip"
    assert registered.read_bytes() == corpus.registered_zip.read_bytes()

    run = _medref(env, "ingest", corpus.folder, *corpus.extra)
    assert run.returncode == 1, run.stderr  # some files failed
    assert "Traceback" not in run.stderr + run.stdout and "Aborted" not in run.stderr

    errors = _errors(run.stderr, corpus)
    assert set(errors) == set(corpus.bad), errors
    for name, reason in corpus.bad.items():
        assert reason in errors[name], (name, errors[name])
    assert "ingest summary" in run.stdout

    settings = load_settings(data_dir=Path(env["MEDREF_DATA_DIR"]))
    store = Store.open(settings.url)
    docs = list(store.iter_documents())
    by_source: dict[str, list[str]] = {}
    for d in docs:
        by_source.setdefault(Path(d.source_path or "").name, []).append(d.uid)
    for name, uids in corpus.good.items():
        assert by_source.get(name), f"good file {name} stored nothing"
        assert set(uids) <= set(by_source[name]), (name, by_source[name])
    assert "nct:NCT09990001" in {d.uid for d in docs}  # stored before the batch, not lost
    assert not any(corpus.secret in d.text for d in docs)
    assert registered.read_bytes() == corpus.registered_zip.read_bytes()  # partial zip refused

    status = _medref(env, "index", "status", "--json")
    assert status.returncode == 0, status.stderr
    indexes = json.loads(status.stdout)["indexes"]
    assert indexes and all(ix["behind"] == 0 for ix in indexes)
    assert all(ix["passages"] == store.stats()["passages"] for ix in indexes)

    peak_kb = peak_rss_kb(run.stderr)
    assert peak_kb > 0, run.stderr
    assert peak_kb * 1024 < 512 * MIB < BOMB_MB * MIB, f"peak RSS {peak_kb / 1024:.0f} MB"


def test_json_report_names_every_refusal(tmp_path: Path, env: dict[str, str]) -> None:
    corpus = build_corpus(tmp_path / "adv", bomb_mb=64, big_mb=LIMIT_MB + 2)
    run = _medref(env, "ingest", corpus.folder, *corpus.extra, "--json")
    assert run.returncode == 1 and "Traceback" not in run.stderr
    report = json.loads(run.stdout)
    failed = {Path(f["path"]).name for f in report["files"] if f["error"]}
    assert {Path(name).name for name in corpus.bad} == failed
    stored = {Path(f["path"]).name for f in report["files"] if not f["error"]}
    assert stored == {Path(name).name for name in corpus.good}
