"""Slugs: given once at approval, unique even when two approvals race for the same one."""

from __future__ import annotations

import threading

from medref.models import Audience
from medref.review.users import User
from medref.review.workflow import transition
from medref.store.answers import AnswerStore
from medref.store.published import by_slug, find_published, slugs_for
from tests.review.factories import make_answer

EDITOR, REVIEWER = User("erin", "editor"), User("rui", "reviewer")


def _approve(
    store: AnswerStore, item: str, *, steps: tuple[str, ...] = ("submit", "start", "approve")
) -> None:
    for action in steps:
        actor = EDITOR if action == "submit" else REVIEWER
        transition(store.engine, item, action, actor=actor, expected_version=1)


def test_same_question_gets_distinct_slugs_and_keeps_them(store_url: str) -> None:
    store = AnswerStore.open(store_url)
    ids = [store.save_new(make_answer()).id for _ in range(12)]
    assert all(ids)
    for item in ids[:2]:
        _approve(store, str(item))
    slugs = slugs_for(store.engine, [str(i) for i in ids])
    assert sorted(slugs.values()) == [
        "does-velmorast-help-chronic-itch",
        "does-velmorast-help-chronic-itch-2",
    ]
    # two approvals at once (PostgreSQL: concurrent transactions) still end with distinct slugs
    for item in ids[2:]:
        _approve(store, str(item), steps=("submit", "start"))
    errors: list[BaseException] = []

    def approve(item: str) -> None:
        try:
            transition(store.engine, item, "approve", actor=REVIEWER, expected_version=1)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=approve, args=(str(i),)) for i in ids[2:]]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    all_slugs = slugs_for(store.engine, [str(i) for i in ids])
    assert len(set(all_slugs.values())) == len(ids)
    found = by_slug(store.engine, all_slugs[str(ids[0])])
    assert found is not None and found.answer_id == ids[0]
    assert find_published(store.engine, "does velmorast help chronic itch", audience=Audience.CLINICIAN.value)
    assert find_published(store.engine, "Does velmorast help chronic itch?", audience="patient") is None
    store.close()
