"""The adversarial ingest corpus: bad files of every kind mixed with good ones.

The small hand-written files next to this module are copied in; everything large or binary
(gzip bombs, truncated and padded gzip, deep JSON, UTF-16, symlinks, odd names) is generated
into the target folder at run time, so nothing big is committed. Used by
``tests/ingest/test_adversarial.py`` and by ``bench/reliability.py --section ingest``.

Every file gets an expectation: a good file must be stored (its document uids are listed); a
bad one must be refused with a reason containing the given text, and its name in the report.
"""

from __future__ import annotations

import base64
import gzip
import os
import random
import shutil
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
FIXTURES = HERE.parents[1] / "fixtures"
MIB = 1024 * 1024


@dataclass
class Corpus:
    folder: Path  # ingest this folder ...
    extra: list[Path] = field(default_factory=list)  # ... and these paths given on the command line
    good: dict[str, list[str]] = field(default_factory=dict)  # file name -> uids it must store
    bad: dict[str, str] = field(default_factory=dict)  # file name -> text its reason must contain
    secret: str = ""  # text of a file outside the folder that must never be stored
    registered_zip: Path | None = None  # a complete Drugs@FDA export to register first

    @property
    def tried(self) -> int:
        return len(self.good) + len(self.bad)


def _gzip_bomb(path: Path, nominal_mb: int) -> None:
    """``nominal_mb`` MiB of zeros as concatenated gzip members (about 1 KiB per MiB on disk)."""
    member = gzip.compress(b"\0" * MIB, compresslevel=9)
    with path.open("wb") as fh:
        fh.write(gzip.compress(b'{"protocolSection": {"descriptionModule": {"briefSummary": "'))
        for _ in range(nominal_mb):
            fh.write(member)


def _incompressible_json_gz(path: Path, mb: int, seed: int = 7) -> None:
    """A CT.gov-looking JSON of about ``mb`` MiB of random text: a low ratio, only the size is big."""
    rng = random.Random(seed)
    blob = base64.b64encode(rng.randbytes(mb * MIB * 3 // 4)).decode()
    study = '{"protocolSection": {"identificationModule": {"nctId": "NCT09990199"}, '
    study += f'"descriptionModule": {{"briefSummary": "{blob}"}}}}}}'
    path.write_bytes(gzip.compress(study.encode(), compresslevel=1))


def drugsatfda_zip(
    path: Path,
    *,
    tables: tuple[str, ...] | None = None,
    product: tuple[str, str, str, str] = ("888001", "NDA", "CALMIRA", "PRURILIMAB"),
    sponsor: str = "ITCHLESS LABS",
    approved: str = "2018-06-01",
) -> Path:
    """A tiny export in the Drugs@FDA layout (all five tables unless ``tables`` picks some) for
    one invented product: (application number, type, brand name, active ingredient)."""
    appl, kind, brand, ingredient = product
    files = {
        "Products.txt": "ApplNo\tProductNo\tForm\tStrength\tReferenceDrug\tDrugName\tActiveIngredient\t"
        f"ReferenceStandard\r\n{appl}\t001\tINJECTABLE;INJECTION\t100MG\t0\t{brand}\t{ingredient}\t0\r\n",
        "Applications.txt": f"ApplNo\tApplType\tApplPublicNotes\tSponsorName\r\n{appl}\t{kind}\t\t{sponsor}\r\n",
        "Submissions.txt": "ApplNo\tSubmissionClassCodeID\tSubmissionType\tSubmissionNo\tSubmissionStatus\t"
        f"SubmissionStatusDate\tSubmissionsPublicNotes\tReviewPriority\r\n{appl}\t7\tORIG\t1\tAP\t"
        f"{approved} 00:00:00\t\tSTANDARD\r\n",
        "MarketingStatus.txt": f"MarketingStatusID\tApplNo\tProductNo\r\n1\t{appl}\t001\r\n",
        "MarketingStatus_Lookup.txt": "MarketingStatusID\tMarketingStatusDescription\r\n1\tPrescription\r\n",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, text in files.items():
            if tables is None or name in tables:
                zf.writestr(name, text)
    return path


def build_corpus(root: Path, *, bomb_mb: int = 2048, big_mb: int = 12) -> Corpus:
    """Write the corpus under ``root`` (``root/corpus`` plus files beside it) and say what to expect.

    Meant to run with a decompressed-size limit between 16 MB (where the ratio check starts, so
    the bomb meets the ratio limit) and ``big_mb`` (which must meet the size limit).
    """
    folder = root / "corpus"
    folder.mkdir(parents=True)
    c = Corpus(folder=folder)

    # ---- good files, some of them hostile in ways that must still store cleanly
    shutil.copy(FIXTURES / "spl" / "velmora.xml", folder / "label.xml")
    c.good["label.xml"] = []  # the uid depends on the label's set id; counted by documents
    shutil.copy(FIXTURES / "guideline" / "itch-guideline.md", folder / "guideline.md")
    c.good["guideline.md"] = []
    shutil.copy(FIXTURES / "ctgov" / "page.json", folder / "page.json")
    c.good["page.json"] = ["nct:NCT09990002", "nct:NCT09990003"]
    for name, uid in (
        ("surrogate-summary.json", "nct:NCT09990101"),
        ("nul-in-title.json", "nct:NCT09990102"),
        ("criteria-list.json", "nct:NCT09990103"),
    ):
        shutil.copy(HERE / name, folder / name)
        c.good[name] = [uid]
    padded = gzip.compress((FIXTURES / "pubmed" / "articles.xml").read_bytes())
    (folder / "padded.xml.gz").write_bytes(padded + b"\n-- appended by a download tool --\n")
    c.good["padded.xml.gz"] = ["pmid:31000001", "pmid:31000002", "pmid:9900003"]
    text = (FIXTURES / "pubmed" / "medline_citation_set.xml").read_text(encoding="utf-8")
    (folder / "utf16.xml").write_bytes(text.replace('encoding="UTF-8"', 'encoding="UTF-16"').encode("utf-16"))
    c.good["utf16.xml"] = ["pmid:8800004"]  # (and a deletion of 8800001)

    # ---- bad files: each refused with a reason
    for name, reason in (
        ("pmid-markup.xml", "PMID [/x]"),
        ("not-pubmed.xml", "could not detect"),
        ("broken-study.json", "invalid JSON"),
    ):
        shutil.copy(HERE / name, folder / name)
        c.bad[name] = reason
    shutil.copy(FIXTURES / "pubmed" / "billion_laughs.xml", folder / "entities.xml")
    c.bad["entities.xml"] = "entities"
    (folder / "empty.json").write_bytes(b"")
    c.bad["empty.json"] = "empty"
    whole = gzip.compress((FIXTURES / "ctgov" / "study.json").read_bytes())
    (folder / "truncated.json.gz").write_bytes(whole[: len(whole) // 2])
    c.bad["truncated.json.gz"] = "truncated"
    (folder / "deep.json").write_text('{"protocolSection": ' + "[" * 200_000 + "]" * 200_000 + "}")
    c.bad["deep.json"] = "nested too deeply"
    _gzip_bomb(folder / "bomb.json.gz", bomb_mb)
    c.bad["bomb.json.gz"] = "decompression bomb"
    _incompressible_json_gz(folder / "big.json.gz", big_mb)
    c.bad["big.json.gz"] = "max_decompressed_mb"
    odd = folder / "odd["
    odd.mkdir()
    (odd / "x].json").write_text('{"protocolSection": {"identificationModule": ')
    c.bad["odd[/x].json"] = "invalid JSON"

    # ---- a link out of the folder: never read, never stored
    outside = root / "outside"
    outside.mkdir()
    c.secret = "SECRET-PASSPHRASE-do-not-index"
    (outside / "secret.md").write_text(
        f"# Private notes\n\n## Section\n\nThe passphrase is {c.secret} and it must stay private.\n"
    )
    os.symlink(outside / "secret.md", folder / "link-out.md")
    c.bad["link-out.md"] = "outside the folder"
    os.symlink(outside, folder / "linked-dir")
    c.bad["linked-dir"] = "outside the folder"

    # ---- Drugs@FDA: a complete export is registered first; a partial one must not replace it
    c.registered_zip = drugsatfda_zip(root / "drugsatfda-complete.zip")
    partial = drugsatfda_zip(root / "drugsatfda-partial.zip", tables=("Products.txt", "Applications.txt"))
    c.extra.append(partial)
    c.bad[partial.name] = "Submissions.txt"
    return c


# Runs the CLI and reports its own peak RSS on stderr when it exits (sys.exit included).
# (VmHWM, not ru_maxrss: on Linux ru_maxrss also counts the parent's memory at the fork.)
_WRAPPER = (
    "import atexit, re, resource, sys\n"
    "def peak():\n"
    "    try:\n"
    "        return int(re.search(r'VmHWM:\\s+(\\d+)', open('/proc/self/status').read()).group(1))\n"
    "    except (OSError, AttributeError):\n"
    "        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
    "atexit.register(lambda: sys.stderr.write('MAXRSS_KB %d\\n' % peak()))\n"
    "from medref.cli import main\n"
    "sys.argv = ['medref', *sys.argv[1:]]\n"
    "main()\n"
)


def run_medref(
    env: dict[str, str], *args: str | Path, timeout: float = 1800
) -> tuple[subprocess.CompletedProcess[str], float]:
    """``medref <args>`` in a child process: (the finished process, seconds it took)."""
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _WRAPPER, *map(str, args)],
        capture_output=True,
        text=True,
        env=env,
        check=False,
        timeout=timeout,
    )
    return proc, time.perf_counter() - started


def peak_rss_kb(stderr: str) -> int:
    """The peak RSS a :func:`run_medref` child reported; -1 when it died before reporting."""
    return int(stderr.rsplit("MAXRSS_KB ", 1)[1].split()[0]) if "MAXRSS_KB " in stderr else -1
