"""A check of the store's write state, for tests, benchmarks and after a crash."""

from __future__ import annotations

from sqlalchemy import Engine, Integer, cast, func, select

from medref.store.db import read_tx
from medref.store.schema import changes, documents, passages
from medref.store.staging import live, pending_in, staged


def consistency_problems(engine: Engine) -> list[str]:
    """What is wrong with the store's write state; empty when all is well.

    Checked: no staged rows and no unfinished file (after :func:`recover`), every passage
    belongs to a document, the change log replays to exactly the stored passages (what an
    index rebuilt from the log would hold), and each label set has one current version.
    Reads every change and passage id: meant for tests and benchmarks, not for requests.
    """
    problems: list[str] = []
    with read_tx(engine) as conn:
        n_staged = conn.execute(select(func.count()).select_from(documents).where(staged())).scalar_one()
        if n_staged:
            problems.append(f"{n_staged} staged documents left")
        pending = [p for _, _, p in pending_in(conn)]
        if pending:
            problems.append(f"unfinished files: {pending[:5]}")
        orphans = conn.execute(
            select(func.count())
            .select_from(passages.outerjoin(documents, documents.c.id == passages.c.document_id))
            .where(documents.c.id.is_(None))
        ).scalar_one()
        if orphans:
            problems.append(f"{orphans} passages without a document")
        stored = set(conn.execute(select(passages.c.id)).scalars())
        last: dict[int, str] = {}
        for pid, op in conn.execute(select(changes.c.passage_id, changes.c.op).order_by(changes.c.seq)):
            last[int(pid)] = str(op)
        logged = {pid for pid, op in last.items() if op == "add"}
        if logged != stored:
            problems.append(
                f"change log and passages differ: {len(logged - stored)} logged but not stored, "
                f"{len(stored - logged)} stored but not logged"
            )
        bad_sets = conn.execute(
            select(documents.c.spl_setid)
            .where(documents.c.spl_setid.is_not(None), live())
            .group_by(documents.c.spl_setid)
            .having(func.sum(cast(documents.c.is_current, Integer)) != 1)
        ).all()
        if bad_sets:
            problems.append(f"label sets without exactly one current version: {[r[0] for r in bad_sets][:5]}")
    return problems
