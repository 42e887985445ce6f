"""Published pages: the stable address of an approved question page, and finding it again.

An answer gets its slug (``/pages/<slug>``) the first time reviewers approve it
(:func:`assign_slug`, called inside the approval's transaction); the slug never changes after,
so links and bookmarks keep working through later versions. It is made from the question's own
words ("is-belatacept-used-after-kidney-transplantation"), with the audience appended when the
page is not the clinician one, and a number when another page already has it.

:func:`find_published` answers "is there an approved page for this question?": the same
normalised question and audience first, else a near-duplicate (the same content words in another
order or with a different article; word-set overlap at least ``NEAR``). Only items whose status is
approved count; the caller still checks that the approved version is the one shown.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, select, update
from sqlalchemy.exc import IntegrityError

from medref.errors import StoreError
from medref.store.answers import normalize_for_match
from medref.store.db import read_tx
from medref.store.schema import answers

KIND_ANSWER = "answer"
MAX_SLUG = 80
SLUG_ATTEMPTS = 20
NEAR = 0.85  # word-set overlap (Jaccard) that counts as the same question
_CANDIDATES = 2000  # approved pages compared for near-duplicates, newest first
_WORD = re.compile(r"[a-z0-9]+")
# words that do not change what is asked ("is", "the", "a") are left out of the comparison
_FILLER = frozenset(
    "a an the is are was were be do does did of in on for to with and or what which how can should "
    "i my me we you your it its this that there".split()
)


@dataclass(frozen=True, slots=True)
class PublishedRef:
    answer_id: str
    slug: str | None
    title: str
    audience: str


def slugify(text: str, *, audience: str = "clinician") -> str:
    """'Is belatacept used after kidney transplantation?' -> 'is-belatacept-used-after-kidney-transplantation'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    words = _WORD.findall(ascii_text)
    slug = ""
    for w in words:
        nxt = f"{slug}-{w}" if slug else w
        if len(nxt) > MAX_SLUG:
            break
        slug = nxt
    slug = slug or "page"
    return slug if audience == "clinician" else f"{slug}-for-{audience}"


def assign_slug(conn: Connection, answer_id: str) -> str | None:
    """Give an approved answer its slug (once; monographs have their own address). Returns it."""
    row = conn.execute(
        select(
            answers.c.slug,
            answers.c.kind,
            answers.c.question,
            answers.c.resolved_question,
            answers.c.audience,
        ).where(answers.c.id == answer_id)
    ).first()
    if row is None or row.kind != KIND_ANSWER:
        return None
    if row.slug:
        return str(row.slug)
    base = slugify(str(row.resolved_question or row.question), audience=str(row.audience))
    for _ in range(SLUG_ATTEMPTS):
        taken = {
            str(s)
            for (s,) in conn.execute(select(answers.c.slug).where(answers.c.slug.like(f"{base}%"))).all()
            if s
        }
        slug, n = base, 2
        while slug in taken:
            slug, n = f"{base}-{n}", n + 1
        try:
            # a savepoint: another approval of the same question may take the slug first
            # (PostgreSQL, concurrent transactions); then read what is taken again
            with conn.begin_nested():
                conn.execute(update(answers).where(answers.c.id == answer_id).values(slug=slug))
        except IntegrityError:
            continue
        return slug
    raise StoreError(f"could not give {answer_id} a free address after {SLUG_ATTEMPTS} tries")


def _words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(normalize_for_match(text)) if w not in _FILLER)


def _approved(engine: Engine, where: object | None = None, limit: int = _CANDIDATES) -> list[PublishedRef]:
    t = answers.c
    q = (
        select(t.id, t.slug, t.question, t.resolved_question, t.audience)
        .where(t.kind == KIND_ANSWER, t.status == "approved")
        .order_by(t.updated_at.desc(), t.id)
        .limit(limit)
    )
    if where is not None:
        q = q.where(where)  # type: ignore[arg-type]
    with read_tx(engine) as conn:
        rows = conn.execute(q).all()
    return [
        PublishedRef(str(r.id), r.slug, str(r.resolved_question or r.question), str(r.audience)) for r in rows
    ]


def find_published(engine: Engine, question: str, *, audience: str) -> PublishedRef | None:
    """The approved page for ``question`` (same audience), exact or near-duplicate; None if none."""
    normalized = normalize_for_match(question)
    exact = _approved(
        engine, (answers.c.normalized_question == normalized) & (answers.c.audience == audience), 1
    )
    if exact:
        return exact[0]
    asked = _words(question)
    if len(asked) < 2:
        return None
    best: tuple[float, PublishedRef] | None = None
    for ref in _approved(engine, answers.c.audience == audience):
        other = _words(ref.title)
        if not other:
            continue
        score = len(asked & other) / len(asked | other)
        if score >= NEAR and (best is None or score > best[0]):
            best = (score, ref)
    return best[1] if best else None


def by_slug(engine: Engine, slug: str) -> PublishedRef | None:
    """The page published at ``/pages/<slug>`` (approved now or before: the caller checks)."""
    t = answers.c
    with read_tx(engine) as conn:
        r = conn.execute(
            select(t.id, t.slug, t.question, t.resolved_question, t.audience).where(t.slug == slug)
        ).first()
    if r is None:
        return None
    return PublishedRef(str(r.id), r.slug, str(r.resolved_question or r.question), str(r.audience))


def slugs_for(engine: Engine, answer_ids: list[str]) -> dict[str, str]:
    """answer id -> slug, for those that have one."""
    if not answer_ids:
        return {}
    with read_tx(engine) as conn:
        rows = conn.execute(select(answers.c.id, answers.c.slug).where(answers.c.id.in_(answer_ids))).all()
    return {str(r.id): str(r.slug) for r in rows if r.slug}
