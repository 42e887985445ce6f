"""Static export: time and size of ``medref publish`` for 100 approved pages.

    python -m bench.static_export [--pages 100] [--keep DIR]

A fresh store in a temporary folder (numpy dense index, hashing embedder) holds the bundled demo
corpus and, when ``../shared/data`` exists, the PubMedQA dev abstracts (development data; the
questions are only used to make pages, nothing is tuned here). Pages are made as editors make
them: each question is answered and stored (``Asker.ask(store=True)``), then submitted, taken
into review and approved by another user through :func:`medref.review.workflow.transition`.
Questions: the demo questions below, then PubMedQA dev questions in file order; without the
shared data, template questions about the built-in lexicon's drugs and conditions instead.

Measured: the first export (every file written), a re-run (nothing changed: every file compared
by content hash, none written) and the output's size on disk. Page creation is timed apart and
is not part of the export figures.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from fastapi import FastAPI

from bench.dev_corpus import build_dev_corpus
from bench.report import SHARED, write_section
from medref.compose.related import suggested_questions
from medref.index.sync import open_indexes, sync
from medref.ingest.benchmarks import load_pubmedqa
from medref.models import Audience
from medref.retrieve.lexicon import Lexicon
from medref.retrieve.retriever import Retriever
from medref.review.users import User
from medref.review.workflow import transition
from medref.settings import load_settings
from medref.store.repository import Store
from medref.web.app import create_app
from medref.web.deps import open_asker
from medref.web.static_site import export_site

DEMO_QUESTIONS = (
    "What is the role of CD40 ligand blockers?",
    "Is belatacept used after kidney transplantation?",
    "Is abatacept used in rheumatoid arthritis?",
    "What are the risks of belatacept in EBV seronegative patients?",
    "How is belatacept dosed?",
    "Do statins lower cholesterol?",
    "What are the side effects of adalimumab?",
    "Is dapirolizumab pegol effective in lupus?",
)
STEPS = (("erin", "editor", "submit"), ("rui", "reviewer", "start"), ("rui", "reviewer", "approve"))


def questions(want: int, pubmedqa: Path | None) -> list[str]:
    out = list(DEMO_QUESTIONS)
    if pubmedqa is not None:
        out += [item.question for item in load_pubmedqa(pubmedqa)]
    else:
        lexicon = Lexicon.load(None)
        names = [c.preferred for c in lexicon if c.kind in ("drug", "condition") and not c.is_class]
        out += suggested_questions(names, lexicon, limit=want * 3)
    return out[: want * 3]  # spare ones: a question may have no answer to store


def make_pages(want: int, pubmedqa: Path | None, folder: Path) -> tuple[FastAPI, int, int, float]:
    settings = load_settings(data_dir=folder, index={"dense": "numpy", "embedder": "hashing"})
    store = Store.open(settings.url)
    include = ("demo", "pubmedqa") if pubmedqa is not None else ("demo",)
    build_dev_corpus(store, include=include)
    indexes = open_indexes(settings)
    sync(store, indexes)
    retriever = Retriever(
        store=store, indexes=indexes, lexicon=Lexicon.load(None), settings=settings.retrieval
    )
    app = create_app(settings, retriever=retriever)
    asker = open_asker(app)
    approved = tried = 0
    t0 = time.perf_counter()
    for q in questions(want, pubmedqa):
        if approved >= want:
            break
        tried += 1
        answer = asker.ask(q, audience=Audience.CLINICIAN, store=True)
        if answer.id is None:
            continue
        try:
            for name, role, action in STEPS:
                transition(store.engine, answer.id, action, actor=User(name, role), expected_version=1)
        except Exception as exc:  # one page that cannot be approved does not stop the run
            print(f"not approved: {q!r}: {exc}")
            continue
        approved += 1
    return app, approved, tried, time.perf_counter() - t0


def _size(folder: Path) -> tuple[int, int]:
    files = [p for p in folder.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--pages", type=int, default=100)
    parser.add_argument(
        "--keep", type=Path, default=None, help="write the site here (default: a temp folder)"
    )
    args = parser.parse_args()
    path = SHARED / "pubmedqa" / "pqal_dev.json"
    pubmedqa = path if path.is_file() else None
    with tempfile.TemporaryDirectory(prefix="medref-static-") as tmp:
        app, approved, tried, make_s = make_pages(args.pages, pubmedqa, Path(tmp) / "data")
        out = args.keep or Path(tmp) / "site"
        t0 = time.perf_counter()
        first = export_site(app, out)
        first_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        again = export_site(app, out)
        again_s = time.perf_counter() - t0
        files, size = _size(out)
        html = sum(1 for _ in out.rglob("*.html"))
        for thing in reversed(app.state.owned):
            thing.close()
    corpus = (
        "demo corpus + 500 PubMedQA dev abstracts" if pubmedqa else "demo corpus only (no ../shared/data)"
    )
    source = "demo and PubMedQA dev questions" if pubmedqa else "demo and lexicon template questions"
    body = f"""## Static export (`medref publish`)

{approved} approved question pages ({source}; {tried} asked, {tried - approved} without a page to approve) on the
{corpus}; numpy dense index, hashing embedder. Pages made in {make_s:.1f} s (ask, store, submit,
start review, approve; not part of the export).

| run | seconds | pages rendered | files written | unchanged | removed |
|---|---|---|---|---|---|
| first export | {first_s:.2f} | {first.pages} | {len(first.report.written)} | {len(first.report.unchanged)} | {len(first.report.removed)} |
| re-run, nothing changed | {again_s:.2f} | {again.pages} | {len(again.report.written)} | {len(again.report.unchanged)} | {len(again.report.removed)} |

Output: {files} files ({html} HTML pages: {first.pages} rendered pages, each with its JSON twin (question
pages, topic index and topic pages, editorial policy), and the search page; static assets, sitemap,
search index),
{size / 1024 / 1024:.2f} MiB on disk. Pages left out for an error: {len(first.problems)}. Topics
come from the lexicon in use (here the small built-in one), so most PubMedQA pages make none.
"""
    print(body)
    write_section("static_export", body, command="python -m bench.static_export")


if __name__ == "__main__":
    main()
