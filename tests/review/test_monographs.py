"""Monograph items: one open item per drug and audience, the published version, and staleness
from a newer label version or new documents naming the drug (hand-built records, our own words)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from medref.ingest.base import DocumentBuilder
from medref.models import Audience, Document, DocumentRef, Monograph, SourceKind
from medref.review.items import get_item, open_monograph_item
from medref.review.monographs import (
    flag_changed_monographs,
    label_changes,
    monograph_changes,
    open_draft,
    open_item_id,
    published_monograph,
)
from medref.review.stale import refresh_stale, regenerate_monograph
from medref.review.users import User
from medref.review.workflow import TransitionError, edit, review_info, transition
from medref.store.db import read_tx
from medref.store.repository import Store
from medref.store.schema import audit_log
from tests.review.factories import make_monograph

EDITOR = User(username="erin", role="editor")
REVIEWER = User(username="rui", role="reviewer")
SETID = "0000aaaa-0000-4000-8000-00000000f00d"


def article(uid: str, title: str, body: str) -> Document:
    b = DocumentBuilder()
    b.add("Title", title, kind="title", split=False)
    b.add("Abstract", body)
    return b.build(uid=uid, kind=SourceKind.RCT, title=title, year=2022)


def label(version: int, dose: str) -> Document:
    b = DocumentBuilder()
    b.add("DOSAGE AND ADMINISTRATION", dose, loinc="34068-7")
    b.add("ADVERSE REACTIONS", "Headache was the most common adverse reaction.", loinc="34084-4")
    return b.build(
        uid=f"spl:{SETID}:v{version}",
        kind=SourceKind.DRUG_LABEL,
        title="VELMORAST tablets",
        spl_setid=SETID,
        spl_version=version,
        meta={"generic_names": ["velmorast"], "brand_names": ["Itchaway"]},
    )


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = Store.open(store_url)
    yield s
    s.close()


def mono_from(store: Store, *uids: str, audience: Audience = Audience.CLINICIAN) -> Monograph:
    docs = tuple(store.get_document(u) for u in uids)
    m = make_monograph(docs=docs).model_copy(update={"audience": audience})
    labels = [d for d in docs if d.spl_setid]
    return m.model_copy(update={"label": DocumentRef.of(labels[0])}) if labels else m


def approve(store: Store, item_id: str, version: int = 1) -> None:
    for action, who in (("submit", EDITOR), ("start", REVIEWER), ("approve", REVIEWER)):
        transition(store.engine, item_id, action, actor=who, expected_version=version)


def test_one_open_item_per_drug_and_audience(store: Store) -> None:
    first, created = open_draft(store.engine, make_monograph(), actor=EDITOR)
    again, created_again = open_draft(store.engine, make_monograph(dose="Take 20 mg."), actor=EDITOR)
    assert created and not created_again and again.id == first.id and again.version == 1
    assert open_item_id(store.engine, "velmorast", Audience.CLINICIAN) == first.id
    patient, made = open_monograph_item(
        store.engine, make_monograph().model_copy(update={"audience": Audience.PATIENT})
    )
    assert made and patient.id != first.id
    assert first.id is not None
    transition(store.engine, first.id, "submit", actor=EDITOR, expected_version=1)
    transition(store.engine, first.id, "reject", actor=REVIEWER, expected_version=1, note="Not sourced.")
    assert open_item_id(store.engine, "Velmorast", Audience.CLINICIAN) is None
    fresh, made = open_draft(store.engine, make_monograph(), actor=EDITOR)
    assert made and fresh.id not in (first.id, patient.id)  # a rejected item is not open


def test_only_editors_open_drafts(store: Store) -> None:
    from medref.review.workflow import ForbiddenError

    with pytest.raises(ForbiddenError):
        open_draft(store.engine, make_monograph(), actor=User(username="ann", role="viewer"))


def test_published_only_while_the_approved_version_is_current(store: Store) -> None:
    stored, _ = open_draft(store.engine, make_monograph(), actor=EDITOR)
    assert stored.id is not None
    assert published_monograph(store.engine, "Velmorast", Audience.CLINICIAN) is None  # a draft
    approve(store, stored.id)
    found = published_monograph(store.engine, "velmorast", Audience.CLINICIAN)
    assert found is not None and found[0].id == stored.id and found[1].approved
    assert published_monograph(store.engine, "velmorast", Audience.PATIENT) is None
    edit(store.engine, stored.id, actor=EDITOR, expected_version=1, texts=["Take 5 mg once a day."])
    assert published_monograph(store.engine, "velmorast", Audience.CLINICIAN) is None  # reopened


def test_a_new_label_version_makes_it_stale_and_regenerating_uses_it(store: Store) -> None:
    store.write_file([label(1, "Take 10 mg once a day.")], path="v1.xml", fmt="spl")
    stored, _ = open_draft(store.engine, mono_from(store, f"spl:{SETID}:v1"), actor=EDITOR)
    assert stored.id is not None
    approve(store, stored.id)
    assert not monograph_changes(store.engine, stored.id).stale

    store.write_file([label(2, "Take 15 mg once a day with food.")], path="v2.xml", fmt="spl")
    found = monograph_changes(store.engine, stored.id)
    assert found.newer_label and (found.cited_label, found.newest_label) == (1, 2)
    assert "version 2 of the label is stored" in found.reasons()[0]
    diff = label_changes(store, found)
    assert diff is not None and (diff.from_version.version, diff.to_version.version) == (1, 2)
    hunk = diff.sections[0].hunks[0]
    assert hunk.removed[0].citation.doc_uid.endswith(":v1") and hunk.added[0].citation.doc_uid.endswith(":v2")

    assert refresh_stale(store.engine) >= 1 and review_info(store.engine, stored.id).stale
    assert flag_changed_monographs(store.engine) == 0  # already flagged
    with read_tx(store.engine) as conn:
        row = conn.execute(
            select(audit_log.c.note, audit_log.c.detail).where(
                audit_log.c.answer_id == stored.id, audit_log.c.action == "marked_stale"
            )
        ).one()
    assert "version 2" in row.note and row.detail["label"] == {"setid": SETID, "cited": 1, "newest": 2}

    def build(drug: str, audience: Audience) -> Monograph:
        assert (drug, audience) == ("Velmorast", Audience.CLINICIAN)
        return mono_from(store, f"spl:{SETID}:v2")

    review = regenerate_monograph(store.engine, stored.id, source=build, actor=EDITOR, expected_version=1)
    assert review.version == 2 and review.status.value == "submitted" and not review.stale
    regenerated = get_item(store.engine, stored.id)
    assert isinstance(regenerated, Monograph) and regenerated.label is not None
    assert regenerated.label.spl_version == 2
    assert not monograph_changes(store.engine, stored.id).stale


def test_new_documents_naming_the_drug_count_even_after_an_edit(store: Store) -> None:
    store.write_file(
        [article("pmid:1", "Velmorast for itch", "Velmorast lowered itch.")], path="a.xml", fmt="pubmed"
    )
    stored, _ = open_draft(store.engine, mono_from(store, "pmid:1"), actor=EDITOR)
    assert stored.id is not None
    store.write_file(
        [
            article("pmid:2", "A new trial", "Itchaway (velmorast) was compared with placebo."),
            article("pmid:3", "An unrelated trial", "Placebo was compared with usual care."),
        ],
        path="b.xml",
        fmt="pubmed",
    )
    found = monograph_changes(store.engine, stored.id)
    assert found.new_documents == ("pmid:2",) and not found.newer_label and found.stale
    edit(store.engine, stored.id, actor=EDITOR, expected_version=1, texts=["Take 5 mg once a day."])
    assert monograph_changes(store.engine, stored.id).new_documents == ("pmid:2",)  # an edit is not a rebuild
    assert flag_changed_monographs(store.engine) == 1
    transition(store.engine, stored.id, "submit", actor=EDITOR, expected_version=2)
    transition(store.engine, stored.id, "start", actor=REVIEWER, expected_version=2)
    with pytest.raises(TransitionError):
        transition(store.engine, stored.id, "approve", actor=REVIEWER, expected_version=2)
