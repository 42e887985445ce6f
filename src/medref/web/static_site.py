"""Static publishing: the approved pages as plain files any web server (or a file browser) can serve.

:func:`export_site` renders every public page that is published, through the app itself (in
process, as an anonymous visitor, so the files are exactly what the live site shows), and
writes them with :func:`medref.review.publish.write_files` (only files whose content changed;
files of pages no longer published are removed):

* ``index.html`` (the topic index: drugs, conditions and every reviewed page) and
  ``topics.json``; ``topics/<kind>/<slug>.html`` / ``.json`` per topic;
* ``pages/<slug>.html`` / ``.json`` per published question page (the approved version);
* ``monographs/<drug>[-for-<audience>].html`` / ``.json`` per approved, current monograph;
* ``editorial-policy.html`` / ``.json`` when the app has that page;
* ``static/`` (the style sheets and scripts), ``sitemap.xml``, ``robots.txt``,
  ``search-index.json`` (title, url, audience, key entities and first sentence of each page)
  and ``search.html``, a search box over that index that runs in the browser
  (``static/site-search.js``); the header's "Search" link leads there.

Links are rewritten to relative links between the files (they work from the output folder, at
any depth under a web server, and opened from disk). Nothing dynamic is linked: a link to any
other address (``/ask``, ``/search``, ``/review``, a document page, an older version) becomes
its plain text (a menu entry, inside ``<nav>``, is left out), every ``<form>`` is left out, and
so are the sections that only hold one (the follow-up and "show this answer for someone else"
boxes). Suggested questions therefore show as plain, labelled text.
"""

from __future__ import annotations

import json
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import parse_qsl, unquote, urlsplit

from fastapi import FastAPI
from fastapi.testclient import TestClient
from starlette.routing import NoMatchFound

from medref.review.publish import (
    WriteReport,
    published_monographs,
    published_questions,
    search_entry,
    sitemap_xml,
    topics_of,
    write_files,
)
from medref.store.published import slugify
from medref.web.deps import app_lexicon

STATIC_DIR = Path(__file__).resolve().parent / "static"
DROP_CLASSES = frozenset({"follow-up", "reask", "save-draft"})  # sections that only hold a form
SEARCH_INDEX = "search-index.json"
SEARCH_PAGE = "search.html"
_MAIN = re.compile(r"(<main\b[^>]*>).*?(</main>)", re.S)
_TITLE = re.compile(r"<title>.*?</title>", re.S)
SEARCH_MAIN = """
<article class="site-search">
  <h1>Search the reviewed pages</h1>
  <p class="lead">Finds reviewed pages by the words of their question, subject and first sentence.
    The search runs in your browser; nothing is sent anywhere.</p>
  <label for="site-q">Words to find</label>
  <input id="site-q" type="search" autocomplete="off" maxlength="200">
  <p id="site-status" class="muted" role="status"></p>
  <ul id="site-results" class="question-list"></ul>
  <noscript><p>Searching needs JavaScript: see the <a href="index.html">topic index</a> instead.</p></noscript>
</article>
<script src="static/site-search.js" defer></script>
"""


@dataclass(frozen=True, slots=True)
class Target:
    """One page to render: its live address and the file it becomes."""

    url: str  # path and query, as the app serves it
    file: str  # output path, relative, POSIX
    json_url: str | None = None
    lastmod: datetime | None = None  # for the sitemap; None: not listed


@dataclass(slots=True)
class ExportResult:
    report: WriteReport
    pages: int = 0
    problems: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"{self.pages} pages: {self.report.summary()}"
        return text + (f"; {len(self.problems)} problem(s)" if self.problems else "")


def _key(path: str, query: str = "") -> str:
    """The form an address is looked up by: unquoted path, sorted query pairs."""
    pairs = sorted(parse_qsl(query, keep_blank_values=False))
    return unquote(path) + ("?" + "&".join(f"{k}={v}" for k, v in pairs) if pairs else "")


def _url(app: FastAPI, name: str, query: dict[str, str] | None = None, **params: str) -> str | None:
    try:
        path = str(app.url_path_for(name, **params))
    except NoMatchFound:
        return None
    if query:
        path += "?" + "&".join(f"{k}={v}" for k, v in sorted(query.items()))
    return path


def plan(app: FastAPI) -> tuple[list[Target], list[dict[str, object]]]:
    """What to render (index and topics first, then pages, monographs, policy) and the search index."""
    engine = app.state.answers.engine
    pages = published_questions(engine)
    topics = topics_of(pages, app_lexicon(app))
    newest = max((p.approved_at for p in pages), default=None)
    targets = [Target("/topics", "index.html", "/topics.json", newest)]
    search: list[dict[str, object]] = []
    for p in pages:
        file = f"pages/{p.slug}.html"
        targets.append(Target(f"/pages/{p.slug}", file, f"/pages/{p.slug}.json", p.approved_at))
        search.append(search_entry(p, file))
    for t in topics:
        base = f"/topics/{t.kind}/{t.slug}"
        targets.append(Target(base, f"topics/{t.kind}/{t.slug}.html", base + ".json", t.lastmod))
    for m in published_monographs(engine):
        query = {"audience": m.audience} if m.audience != "clinician" else None
        html, data = (
            _url(app, "monograph_page", query, drug=m.drug),
            _url(app, "monograph_json", query, drug=m.drug),
        )
        if html is not None:
            stem = slugify(m.drug, audience=m.audience)
            targets.append(Target(html, f"monographs/{stem}.html", data, m.approved_at))
    policy = _url(app, "editorial_policy")
    if policy is not None:
        targets.append(Target(policy, "editorial-policy.html", _url(app, "editorial_policy_json")))
    return targets, search


def _json_file(file: str) -> str:
    return file[: -len(".html")] + ".json" if file != "index.html" else "topics.json"


def _address_map(targets: list[Target]) -> dict[str, str]:
    """Live address -> output file, for every file the export writes."""
    out = {_key("/"): "index.html"}
    for t in targets:
        out[_key(*_split(t.url))] = t.file
        if t.json_url:
            out[_key(*_split(t.json_url))] = _json_file(t.file)
    for asset in sorted(STATIC_DIR.rglob("*")):
        if asset.is_file():
            rel = asset.relative_to(STATIC_DIR).as_posix()
            out[_key(f"/static/{rel}")] = f"static/{rel}"
    for name in ("sitemap.xml", "robots.txt"):
        out[_key(f"/{name}")] = name
    out[_key("/search")] = SEARCH_PAGE  # the live passage search becomes the pages' search
    return out


def _split(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.path, parts.query


# ----------------------------------------------------------------------------- link rewriting


class _Rewriter(HTMLParser):
    """Re-emits a page with links resolved by ``resolve`` (None: unlinked) and forms left out."""

    def __init__(self, resolve: Callable[[str], str | None]) -> None:
        super().__init__(convert_charrefs=False)
        self.resolve = resolve
        self.parts: list[str] = []
        self.anchors: list[bool] = []  # per open <a>: was its start tag dropped
        self.skip_tag: str | None = None
        self.skip_depth = 0
        self.nav_depth = 0

    def _emit(self, text: str) -> None:
        if self.skip_tag is None:
            self.parts.append(text)

    def _tag(self, tag: str, attrs: list[tuple[str, str | None]], end: str) -> str:
        body = "".join(f" {k}" if v is None else f' {k}="{escape(v, quote=True)}"' for k, v in attrs)
        return f"<{tag}{body}{end}>"

    def _starts_skip(self, tag: str, attrs: list[tuple[str, str | None]]) -> bool:
        classes = set((dict(attrs).get("class") or "").split())
        return tag == "form" or bool(classes & DROP_CLASSES)

    def _rewrite(
        self, tag: str, attrs: list[tuple[str, str | None]]
    ) -> tuple[list[tuple[str, str | None]], bool]:
        """New attributes, and False when the element's link cannot be kept."""
        out: list[tuple[str, str | None]] = []
        ok, changed = True, False
        for k, v in attrs:
            if k in ("href", "src", "action") and v is not None:
                new = self.resolve(v)
                if new is None:
                    ok, changed = False, True
                    continue
                changed = changed or new != v
                v = new
            out.append((k, v))
        return (out if changed else attrs), ok

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag is not None:
            self.skip_depth += tag == self.skip_tag
            return
        if self._starts_skip(tag, attrs):
            self.skip_tag, self.skip_depth = tag, 1
            return
        new, ok = self._rewrite(tag, attrs)
        if tag == "nav":
            self.nav_depth += 1
        if tag == "a" and not ok and self.nav_depth:
            self.skip_tag, self.skip_depth = tag, 1  # a menu entry with nowhere to go: left out
            return
        if tag == "a":
            self.anchors.append(not ok)
            if not ok:
                return
        elif not ok and tag in ("link", "script", "img"):
            return  # an asset that is not exported
        raw = self.get_starttag_text() or ""
        self._emit(raw if new is attrs else self._tag(tag, new, ""))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skip_tag is not None:
            return
        new, ok = self._rewrite(tag, attrs)
        if ok:
            raw = self.get_starttag_text() or ""
            self._emit(raw if new is attrs else self._tag(tag, new, " /"))

    def handle_endtag(self, tag: str) -> None:
        if self.skip_tag is not None:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag == "nav" and self.nav_depth:
            self.nav_depth -= 1
        if tag == "a" and self.anchors and self.anchors.pop():
            return
        self._emit(f"</{tag}>")

    def handle_data(self, data: str) -> None:
        self._emit(data)

    def handle_entityref(self, name: str) -> None:
        self._emit(f"&{name};")

    def handle_charref(self, name: str) -> None:
        self._emit(f"&#{name};")

    def handle_comment(self, data: str) -> None:
        self._emit(f"<!--{data}-->")

    def handle_decl(self, decl: str) -> None:
        self._emit(f"<!{decl}>")

    def handle_pi(self, data: str) -> None:
        self._emit(f"<?{data}>")

    def unknown_decl(self, data: str) -> None:
        self._emit(f"<![{data}]>")


def rewrite_html(html: str, current: str, addresses: dict[str, str]) -> str:
    """``html`` (the page written to ``current``) with relative links and nothing dynamic."""
    here = posixpath.dirname(current) or "."

    def resolve(href: str) -> str | None:
        parts = urlsplit(href.strip())
        if parts.scheme or parts.netloc:
            return href  # another site
        if not parts.path and not parts.query:
            return href  # a place on this page
        target = addresses.get(_key(parts.path, parts.query))
        if target is None:
            return None
        rel = posixpath.relpath(target, here)
        return rel + (f"#{parts.fragment}" if parts.fragment else "")

    parser = _Rewriter(resolve)
    parser.feed(html)
    parser.close()
    return "".join(parser.parts)


# ----------------------------------------------------------------------------- the export


def _loc(base_url: str, file: str) -> str:
    page = "" if file == "index.html" else file
    return f"{base_url.rstrip('/')}/{page}"


def search_page(index_html: str) -> str:
    """The client-side search page: the index page's frame (same folder) around a search box."""
    page = _MAIN.sub(lambda m: m.group(1) + SEARCH_MAIN + m.group(2), index_html, count=1)
    return _TITLE.sub("<title>Search · medref</title>", page, count=1)


def render_site(app: FastAPI, *, base_url: str = "") -> tuple[dict[str, bytes], int, list[str]]:
    """Every file of the static site (path -> bytes), the number of pages and what failed."""
    targets, search = plan(app)
    addresses = _address_map(targets)
    files: dict[str, bytes] = {}
    problems: list[str] = []
    rendered: list[Target] = []
    client = TestClient(app, raise_server_exceptions=False)
    for t in targets:
        r = client.get(t.url, headers={"accept": "text/html"})
        if r.status_code != 200:
            problems.append(f"{t.url}: HTTP {r.status_code}; left out")
            continue
        files[t.file] = rewrite_html(r.text, t.file, addresses).encode()
        rendered.append(t)
        if t.json_url:
            j = client.get(t.json_url, headers={"accept": "application/json"})
            if j.status_code == 200:
                files[_json_file(t.file)] = json.dumps(j.json(), indent=1, ensure_ascii=False).encode()
            else:
                problems.append(f"{t.json_url}: HTTP {j.status_code}; JSON twin left out")
    for asset in sorted(STATIC_DIR.rglob("*")):
        if asset.is_file():
            files[f"static/{asset.relative_to(STATIC_DIR).as_posix()}"] = asset.read_bytes()
    listed = [(_loc(base_url, t.file), t.lastmod) for t in rendered if t.lastmod is not None]
    files["sitemap.xml"] = sitemap_xml(listed).encode()
    robots = ["User-agent: *", "Allow: /"]
    if base_url:
        robots.append(f"Sitemap: {_loc(base_url, 'sitemap.xml')}")
    files["robots.txt"] = ("\n".join(robots) + "\n").encode()
    if "index.html" in files:
        files[SEARCH_PAGE] = search_page(files["index.html"].decode()).encode()
    kept = {t.file for t in rendered}
    index = [entry for entry in search if entry["url"] in kept]
    files[SEARCH_INDEX] = json.dumps({"pages": index}, indent=1, ensure_ascii=False).encode()
    return files, len(rendered), problems


def export_site(app: FastAPI, out: Path, *, base_url: str = "") -> ExportResult:
    """Render the published site and write it under ``out`` (only what changed)."""
    files, pages, problems = render_site(app, base_url=base_url)
    return ExportResult(report=write_files(out, files), pages=pages, problems=problems)
