"""What is published, grouped for discovery, and written out as files that change only when needed.

This module knows *what* the public may see; rendering is the web layer's job
(:mod:`medref.web.static_site` for the static export, :mod:`medref.web.routes.topics` for the
live topic pages and sitemap).

* :func:`published_questions`: every question page served at ``/pages/<slug>``, in the version
  :func:`medref.review.publishing.publication` says is published (the last approved one,
  tamper-checked), with its approval time (the sitemap's ``lastmod``).
* :func:`topics_of`: drugs and conditions those pages are about, from each page's
  ``key_entities`` looked up in the lexicon and the concepts its question names (an entity the
  lexicon does not know as a drug or a condition makes no topic).
* :func:`published_monographs`: monographs whose approved version is the current one (what
  ``/monographs/<drug>`` serves as reviewed).
* :func:`sitemap_xml`, :func:`search_entry`: the sitemap and the client-side search index.
* :func:`write_files`: writes a set of files under a folder, only those whose content hash
  changed, and removes the files an earlier run wrote that are no longer published (it keeps a
  manifest, ``.medref-publish.json``; files it did not write are never touched).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from xml.sax.saxutils import escape

from sqlalchemy import Engine, func, select

from medref.models import Answer
from medref.retrieve.lexicon import Concept, Lexicon
from medref.review.publishing import publication
from medref.store.answers import AnswerStore
from medref.store.db import read_tx
from medref.store.published import slugify
from medref.store.schema import answers, audit_log

TOPIC_KINDS = ("drug", "condition")
MANIFEST = ".medref-publish.json"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class PublishedQuestion:
    answer_id: str
    slug: str
    title: str
    audience: str
    version: int
    approved_at: datetime
    key_entities: tuple[str, ...]
    first_sentence: str


@dataclass(frozen=True, slots=True)
class PublishedMonograph:
    item_id: str
    drug: str
    audience: str
    version: int
    approved_at: datetime


@dataclass(slots=True)
class Topic:
    kind: str  # "drug" or "condition"
    name: str  # the lexicon's preferred name
    slug: str
    pages: list[PublishedQuestion] = field(default_factory=list)

    @property
    def lastmod(self) -> datetime:
        return max((p.approved_at for p in self.pages), default=_EPOCH)


def first_sentence(answer: Answer) -> str:
    """The page's first published sentence (the bottom line's, when it has one)."""
    sentences = answer.sentences()
    return sentences[0].text if sentences else ""


def _aware(value: datetime | None) -> datetime:
    if value is None:
        return _EPOCH
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def published_questions(engine: Engine) -> list[PublishedQuestion]:
    """Every question page the public can open at ``/pages/<slug>``, newest approval first."""
    t = answers.c
    with read_tx(engine) as conn:
        rows = conn.execute(
            select(t.id, t.slug, t.question, t.resolved_question, t.audience)
            .where(t.kind == "answer", t.slug.is_not(None))
            .order_by(t.slug)
        ).all()
    store = AnswerStore(engine)
    out: list[PublishedQuestion] = []
    for row in rows:
        pub = publication(engine, str(row.id))
        if pub is None:
            continue  # a slug stays with the row, but only a verified approval is published
        answer = store.get(str(row.id), pub.version)
        out.append(
            PublishedQuestion(
                answer_id=str(row.id),
                slug=str(row.slug),
                title=str(row.resolved_question or row.question),
                audience=str(row.audience),
                version=pub.version,
                approved_at=_aware(pub.review.approved_at),
                key_entities=tuple(answer.key_entities),
                first_sentence=first_sentence(answer),
            )
        )
    out.sort(key=lambda p: (-p.approved_at.timestamp(), p.slug))
    return out


def published_titles(engine: Engine, limit: int = 500) -> list[tuple[str, str, str]]:
    """(title, audience, slug) of the newest ``limit`` pages whose current version is approved.

    A cheap list for links: it reads the stored status only; the page itself still checks the
    approval when opened.
    """
    t = answers.c
    with read_tx(engine) as conn:
        rows = conn.execute(
            select(t.question, t.resolved_question, t.audience, t.slug)
            .where(t.kind == "answer", t.status == "approved", t.slug.is_not(None))
            .order_by(t.updated_at.desc(), t.id)
            .limit(limit)
        ).all()
    return [(str(r.resolved_question or r.question), str(r.audience), str(r.slug)) for r in rows]


def state_key(engine: Engine) -> tuple[object, ...]:
    """Changes whenever an item or its history changes: a key for caching what is published."""
    with read_tx(engine) as conn:
        count, newest = conn.execute(select(func.count(), func.max(answers.c.updated_at))).one()
        events = conn.execute(select(func.count()).select_from(audit_log)).scalar()
    return (count, str(newest), events)


def _page_concepts(page: PublishedQuestion, lexicon: Lexicon) -> list[Concept]:
    """Drugs and conditions a page is about: its key entities, then what its question names.

    Key entities hold a question's drugs when it names any, so the condition of "Is belatacept
    used after kidney transplantation?" is found in the question's own words.
    """
    out: dict[str, Concept] = {}
    for name in page.key_entities:
        concept = next((c for c in lexicon.lookup(name) if c.kind in TOPIC_KINDS), None)
        if concept is not None:
            out.setdefault(concept.id, concept)
    for mention in lexicon.find_mentions(page.title):
        if mention.concept.kind in TOPIC_KINDS:
            out.setdefault(mention.concept.id, mention.concept)
    return list(out.values())


def topics_of(pages: Iterable[PublishedQuestion], lexicon: Lexicon | None) -> list[Topic]:
    """Drug and condition topics of ``pages`` (sorted by kind, then name); each page listed once."""
    if lexicon is None:
        return []
    found: dict[tuple[str, str], Topic] = {}
    for page in pages:
        for concept in _page_concepts(page, lexicon):
            slug = slugify(concept.preferred)
            topic = found.setdefault((concept.kind, slug), Topic(concept.kind, concept.preferred, slug))
            if all(p.answer_id != page.answer_id for p in topic.pages):
                topic.pages.append(page)
    order = {k: i for i, k in enumerate(TOPIC_KINDS)}
    return sorted(found.values(), key=lambda t: (order[t.kind], t.name.casefold(), t.slug))


def find_topic(topics: Iterable[Topic], kind: str, name: str) -> Topic | None:
    """The topic ``kind`` / ``name`` (a slug or a name in any case), or None."""
    wanted = slugify(name)
    return next((t for t in topics if t.kind == kind and t.slug == wanted), None)


def published_monographs(engine: Engine) -> list[PublishedMonograph]:
    """Stored monographs whose current version is approved (verified), by drug and audience."""
    t = answers.c
    with read_tx(engine) as conn:
        rows = conn.execute(
            select(t.id, t.question, t.audience)
            .where(t.kind == "monograph", t.status == "approved")
            .order_by(t.question, t.audience, t.id)
        ).all()
    out: list[PublishedMonograph] = []
    seen: set[tuple[str, str]] = set()
    for row in rows:
        key = (str(row.question).casefold(), str(row.audience))
        pub = publication(engine, str(row.id))
        if key in seen or pub is None or not pub.current:
            continue
        seen.add(key)
        out.append(
            PublishedMonograph(
                str(row.id), str(row.question), str(row.audience), pub.version, _aware(pub.review.approved_at)
            )
        )
    return out


def sitemap_xml(entries: Iterable[tuple[str, datetime | None]]) -> str:
    """A sitemaps.org ``urlset``: one ``<url>`` per (location, last modified) pair."""
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">',
    ]
    for loc, lastmod in entries:
        lines.append(f"  <url><loc>{escape(loc)}</loc>")
        if lastmod is not None:
            lines.append(
                f"    <lastmod>{_aware(lastmod).astimezone(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')}</lastmod>"
            )
        lines.append("  </url>")
    lines.append("</urlset>")
    return "\n".join(lines) + "\n"


def search_entry(page: PublishedQuestion, url: str) -> dict[str, object]:
    """One record of the client-side search index."""
    return {
        "title": page.title,
        "url": url,
        "audience": page.audience,
        "key_entities": list(page.key_entities),
        "first_sentence": page.first_sentence,
    }


# ----------------------------------------------------------------------------- writing files


@dataclass(slots=True)
class WriteReport:
    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    bytes_total: int = 0

    def summary(self) -> str:
        return (
            f"{len(self.written)} written, {len(self.unchanged)} unchanged, {len(self.removed)} removed "
            f"({self.bytes_total / 1024:.0f} KiB in all)"
        )


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _safe_relative(rel: str) -> PurePosixPath:
    path = PurePosixPath(rel)
    if not rel or path.is_absolute() or ".." in path.parts or rel == MANIFEST:
        raise ValueError(f"refusing to write {rel!r}: output paths must stay inside the output folder")
    return path


def _read_manifest(out: Path) -> dict[str, str]:
    try:
        raw = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{out / MANIFEST}: unreadable publish manifest ({exc}); delete it to start over"
        ) from exc
    files = raw.get("files") if isinstance(raw, dict) else None
    return {str(k): str(v) for k, v in files.items()} if isinstance(files, dict) else {}


def _write_atomic(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, target)


def write_files(out: Path, files: Mapping[str, bytes]) -> WriteReport:
    """Make ``out`` hold exactly ``files`` (relative POSIX path -> content) of this publisher.

    A file whose content already matches is left alone (its modification time too); files an
    earlier run wrote that are not in ``files`` are removed, with folders left empty by that.
    """
    out.mkdir(parents=True, exist_ok=True)
    before = _read_manifest(out)
    report = WriteReport()
    manifest: dict[str, str] = {}
    for rel in sorted(files):
        data = files[rel]
        target = out / _safe_relative(rel)
        digest = _digest(data)
        manifest[rel] = digest
        report.bytes_total += len(data)
        try:
            same = target.is_file() and _digest(target.read_bytes()) == digest
        except OSError:
            same = False
        if same:
            report.unchanged.append(rel)
        else:
            _write_atomic(target, data)
            report.written.append(rel)
    for rel in sorted(set(before) - set(manifest)):
        target = out / _safe_relative(rel)
        if target.is_file():
            target.unlink()
        report.removed.append(rel)
        parent = target.parent
        while parent != out and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    if manifest != before:
        body = json.dumps({"format": "medref-publish", "files": manifest}, indent=1, sort_keys=True)
        _write_atomic(out / MANIFEST, body.encode())
    return report
