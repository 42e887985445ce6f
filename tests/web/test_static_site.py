"""Static publishing: the approved pages as files, relative links only, re-runs that change nothing."""

from __future__ import annotations

import json
import posixpath
import re
from pathlib import Path

import pytest
from fastapi import FastAPI
from sqlalchemy import select, text, update

from medref.review.publish import MANIFEST, write_files
from medref.review.workflow import transition
from medref.store.schema import answer_versions
from medref.web.static_site import export_site, rewrite_html
from tests.web.test_topics import EDITOR, KIDNEY, REVIEWER, publish

ABATACEPT = "Is abatacept used in rheumatoid arthritis?"
DRAFT_ONLY = "Does belatacept need EBV serostatus testing?"
_LINK = re.compile(r"""<(?:a|link|script|img)\b[^>]*?\s(?:href|src)="([^"]*)\"""", re.I)


def _approved_monograph(app: FastAPI, drug: str) -> str:
    from medref.monograph.builder import build_monograph
    from medref.review.monographs import open_draft

    retriever = app.state.retriever
    built = build_monograph(drug, store=app.state.store, retriever=retriever, lexicon=retriever.lexicon)
    stored, _ = open_draft(app.state.store.engine, built, actor=EDITOR)
    assert stored.id is not None
    for actor, action in ((EDITOR, "submit"), (REVIEWER, "start"), (REVIEWER, "approve")):
        transition(app.state.store.engine, stored.id, action, actor=actor, expected_version=stored.version)
    return stored.id


@pytest.fixture(scope="module")
def site(demo_app: FastAPI, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    ids = {"kidney": publish(demo_app, KIDNEY), "abatacept": publish(demo_app, ABATACEPT)}
    publish(demo_app, DRAFT_ONLY, approve=False)
    ids["monograph"] = _approved_monograph(demo_app, "belatacept")
    out = tmp_path_factory.mktemp("static-site")
    result = export_site(demo_app, out, base_url="https://medref.example.org")
    assert not result.problems, result.problems
    assert result.report.removed == [] and result.report.unchanged == []
    return out, ids


def _html_files(out: Path) -> list[Path]:
    return sorted(out.rglob("*.html"))


def test_the_export_holds_every_published_page_and_its_twin(site: tuple[Path, dict[str, str]]) -> None:
    out, _ = site
    slug = "is-belatacept-used-after-kidney-transplantation"
    for rel in (
        "index.html",
        "topics.json",
        f"pages/{slug}.html",
        f"pages/{slug}.json",
        "topics/drug/belatacept.html",
        "topics/drug/belatacept.json",
        "monographs/belatacept.html",
        "monographs/belatacept.json",
        "editorial-policy.html",
        "static/medref.css",
        "sitemap.xml",
        "robots.txt",
        "search-index.json",
        "search.html",
        "static/site-search.js",
        MANIFEST,
    ):
        assert (out / rel).is_file(), rel
    assert json.loads((out / f"pages/{slug}.json").read_text())["question"] == KIDNEY
    pages = list((out / "pages").glob("*.html"))
    assert len(pages) == 2  # the draft is not published
    assert DRAFT_ONLY not in "".join(p.read_text() for p in _html_files(out))
    index = json.loads((out / "search-index.json").read_text())["pages"]
    entry = next(e for e in index if e["url"] == f"pages/{slug}.html")
    assert entry["title"] == KIDNEY and "Belatacept" in entry["key_entities"] and entry["first_sentence"]
    search = (out / "search.html").read_text()
    assert 'id="site-q"' in search and 'src="static/site-search.js"' in search
    assert 'href="../search.html"' in (out / f"pages/{slug}.html").read_text()  # the header's Search
    sitemap = (out / "sitemap.xml").read_text()
    assert f"<loc>https://medref.example.org/pages/{slug}.html</loc>" in sitemap
    assert sitemap.count("<lastmod>") == sitemap.count("<url>")
    assert "<loc>https://medref.example.org/monographs/belatacept.html</loc>" in sitemap
    assert json.loads((out / "monographs/belatacept.json").read_text())["review"]["status"] == "approved"
    assert "Sitemap: https://medref.example.org/sitemap.xml" in (out / "robots.txt").read_text()


def test_nothing_dynamic_is_linked(site: tuple[Path, dict[str, str]]) -> None:
    out, _ = site
    for page in _html_files(out):
        html = page.read_text()
        assert "<form" not in html, page
        for href in _LINK.findall(html):
            assert not href.startswith("/"), (page, href)  # relative links only
            path = href.split("#")[0].split("?")[0]
            assert not re.search(r"(^|/)(ask|review|search|questions|login)(\.json)?($|[/?])", path), (
                page,
                href,
            )


def test_every_internal_link_resolves_to_a_file(site: tuple[Path, dict[str, str]]) -> None:
    out, _ = site
    checked = 0
    for page in _html_files(out):
        here = page.parent.relative_to(out).as_posix()
        for href in _LINK.findall(page.read_text()):
            if href.startswith(("http://", "https://", "#", "mailto:")):
                continue
            target = posixpath.normpath(posixpath.join(here, href.split("#")[0]))
            assert (out / target).is_file(), (page, href)
            checked += 1
    assert checked > 20


def _tamper(app: FastAPI, item_id: str) -> None:
    """Rewrite the approved text behind the store's back (its trigger off for a moment, then back)."""
    trigger = "answer_versions_no_update"
    v = answer_versions.c
    with app.state.answers.engine.begin() as conn:
        sql = conn.execute(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"), {"n": trigger}
        ).scalar_one()
        payload = dict(
            conn.execute(select(v.payload).where(v.answer_id == item_id, v.version == 1)).scalar_one()
        )
        payload["question"] = str(payload["question"]) + " (changed)"
        conn.execute(text(f"DROP TRIGGER {trigger}"))
        conn.execute(
            update(answer_versions).where(v.answer_id == item_id, v.version == 1).values(payload=payload)
        )
        conn.execute(text(sql))


def test_a_rerun_rewrites_nothing_and_an_unpublished_page_goes(
    demo_app: FastAPI, site: tuple[Path, dict[str, str]]
) -> None:
    out, ids = site
    before = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    again = export_site(demo_app, out, base_url="https://medref.example.org")
    assert again.report.written == [] and again.report.removed == []
    assert len(again.report.unchanged) == len(before) - 1  # every file but the manifest
    assert {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()} == before
    # the workflow has no 'unpublish': an approval that no longer verifies is not a publication
    _tamper(demo_app, ids["abatacept"])
    gone = export_site(demo_app, out, base_url="https://medref.example.org")
    removed = set(gone.report.removed)
    assert {"pages/is-abatacept-used-in-rheumatoid-arthritis.html"} <= removed
    assert "pages/is-abatacept-used-in-rheumatoid-arthritis.json" in removed
    assert "topics/drug/abatacept.html" in removed  # no other page is about it
    assert not (out / "pages/is-abatacept-used-in-rheumatoid-arthritis.html").exists()
    assert "index.html" in gone.report.written and "search-index.json" in gone.report.written
    assert (out / "pages/is-belatacept-used-after-kidney-transplantation.html").is_file()


def test_rewriting_keeps_text_and_drops_dynamic_links() -> None:
    addresses = {"/pages/a": "pages/a.html", "/static/medref.css": "static/medref.css"}
    html = (
        '<link rel="stylesheet" href="/static/medref.css"><p>See <a href="/pages/a#ref-1">A &amp; B</a>, '
        '<a href="/ask?q=x">ask x</a> and <a href="https://pubmed.example/1">PubMed</a>.</p>'
        '<form action="/ask"><input name="q"><button>Ask</button></form><a href="#top">top</a>'
        '<section class="follow-up"><section><p>inner</p></section></section>'
        '<nav><a href="/">Home</a> <a href="/search">Search</a></nav><p>end</p>'
    )
    got = rewrite_html(html, "topics/drug/x.html", addresses)
    assert '<link rel="stylesheet" href="../../static/medref.css">' in got
    assert '<a href="../../pages/a.html#ref-1">A &amp; B</a>' in got
    assert ", ask x and " in got and "/ask" not in got and "<form" not in got and "inner" not in got
    assert '<a href="https://pubmed.example/1">PubMed</a>' in got and '<a href="#top">top</a>' in got
    assert got.endswith("<nav> </nav><p>end</p>")  # a menu entry with no page goes, with its text


def test_write_files_refuses_paths_outside_and_keeps_foreign_files(tmp_path: Path) -> None:
    (tmp_path / "mine.txt").write_text("not the publisher's")
    first = write_files(tmp_path, {"a.html": b"1", "d/b.html": b"2"})
    assert sorted(first.written) == ["a.html", "d/b.html"]
    second = write_files(tmp_path, {"a.html": b"1*"})
    assert second.written == ["a.html"] and second.removed == ["d/b.html"]
    assert not (tmp_path / "d").exists() and (tmp_path / "mine.txt").read_text() == "not the publisher's"
    with pytest.raises(ValueError, match="inside the output folder"):
        write_files(tmp_path, {"../escape.html": b"x"})


def test_the_cli_exports_and_reports_counts(
    demo_app: FastAPI, site: tuple[Path, dict[str, str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    from medref.cli import app as cli

    monkeypatch.setenv("MEDREF_DATA_DIR", str(demo_app.state.settings.data_dir))
    out = tmp_path / "site"
    first = CliRunner().invoke(cli, ["publish", "--out", str(out)])
    assert first.exit_code == 0, first.output
    assert re.search(r"\d+ pages: \d+ written, 0 unchanged, 0 removed", first.output)
    again = CliRunner().invoke(cli, ["publish", "--out", str(out)])
    assert re.search(r": \d+ pages: 0 written, \d+ unchanged, 0 removed", again.output), again.output
    assert (out / "pages/is-belatacept-used-after-kidney-transplantation.html").is_file()
    bad = CliRunner().invoke(cli, ["publish", "--out", str(out), "--base-url", "ftp://x"])
    assert bad.exit_code != 0
