"""The label-version diff on the demo label's two versions, on edited copies, and its errors."""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from medref.deps import demo_files
from medref.errors import InputError, NotFoundError
from medref.ingest.pipeline import ingest_paths
from medref.models import Document
from medref.monograph.labeldiff import ONE_VERSION, label_diff
from medref.monograph.labeldiff_model import LabelDiff
from medref.monograph.labelfind import NoLabelError
from medref.monograph.labelsections import units
from medref.store.repository import Store

DEMO_V2, DEMO_V1 = (
    next(p for p in demo_files() if p.name == n) for n in ("spl_belatacept.xml", "spl_belatacept_v1.xml")
)
SETID = re.search(r'<setId root="([^"]+)"', DEMO_V2.read_text()).group(1)  # type: ignore[union-attr]
DOSAGE = "34068-7"
_TAG = re.compile(r"<[^>]+>")


def reversion(xml: str, version: int) -> str:
    """The label with another version number (the document-level one: the first in the file)."""
    return re.sub(r'<versionNumber value="\d+"/>', f'<versionNumber value="{version}"/>', xml, count=1)


def store_with(tmp_path: Path, *files: Path) -> Store:
    store = Store.open(f"sqlite:///{tmp_path / 'diff.sqlite'}")
    assert ingest_paths(store, list(files)).ok
    return store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = store_with(tmp_path_factory.mktemp("labeldiff"), DEMO_V1, DEMO_V2)
    yield store
    store.close()


def assert_cited(d: LabelDiff, store: Store) -> None:
    """Every shown span is the exact slice of the stored passage it cites, in the version it names."""
    docs = {r.number: store.get_document(r.document.uid) for r in d.references}
    assert {r.number: r.document.spl_version for r in d.references} == {
        1: d.from_version.version,
        2: d.to_version.version,
    }
    for s in d.sections:
        for h in s.hunks:
            for span, number in [(x, 1) for x in h.removed] + [(x, 2) for x in h.added]:
                c = span.citation
                assert c.number == number and span.version == docs[number].spl_version
                passage = next(p for p in docs[number].passages if p.id == c.passage_id)
                assert passage.text[c.start : c.end] == span.text
                assert "".join(piece for piece, _ in span.pieces()) == span.text
                gaps = [span.text[e:s] for (_, e), (s, _) in zip(span.marks, span.marks[1:], strict=False)]
                assert all(g.strip() for g in gaps)  # neighbouring changed words form one run
                if span.kind == "row" and c.passage_id in d.tables:  # the whole table, to read the row in
                    assert span.row is not None
                    assert " | ".join(d.tables[c.passage_id][span.row]).strip() == span.text


def changed_lines(old: Path, new: Path) -> list[tuple[str, str]]:
    """(old text, new text) of the source lines that differ in content (tags dropped)."""
    a = [" ".join(_TAG.sub(" ", line).split()) for line in old.read_text().splitlines()]
    b = [" ".join(_TAG.sub(" ", line).split()) for line in new.read_text().splitlines()]
    pairs = []
    for tag, a0, a1, b0, b1 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "replace":
            pairs += [(x, y) for x, y in zip(a[a0:a1], b[b0:b1], strict=True) if x != y]
    return pairs


def test_demo_dosing_change_is_a_changed_dosage_section_cited_on_both_sides(demo_store: Store) -> None:
    d = label_diff(demo_store, "belatacept")
    assert (d.from_version.version, d.to_version.version) == (1, 2)
    assert d.to_version.is_current and not d.from_version.is_current
    assert d.setid == SETID and d.dailymed_url is None  # an invented set id links nowhere real
    assert [(s.status, s.loinc) for s in d.sections] == [("changed", DOSAGE)]
    assert not d.identical and d.unchanged_sections > 0 and "1 section changed" in d.summary
    assert_cited(d, demo_store)
    # every paragraph or table row whose words differ in the source files shows up, each side cited
    hunks = d.sections[0].hunks
    text_changes = [(x, y) for x, y in changed_lines(DEMO_V1, DEMO_V2) if x and y]
    assert text_changes
    for old, new in text_changes:
        assert any(
            all(r.text.replace(" | ", " ") in old for r in h.removed)
            and all(a.text.replace(" | ", " ") in new for a in h.added)
            and h.removed
            and h.added
            for h in hunks
        ), (old, new)
    assert len(hunks) == len(text_changes)
    added_words = " ".join(a.text[s:e] for h in hunks for a in h.added for s, e in a.marks)
    assert "10 percent" in added_words and "plus or minus 3 days" in added_words
    assert {r.document.spl_version for r in d.references} == {1, 2}
    rows = [x for h in hunks for x in h.removed + h.added if x.kind == "row"]
    assert rows and {x.citation.passage_id for x in rows} == set(d.tables)


def test_explicit_versions_by_set_id_and_the_reverse_direction(demo_store: Store) -> None:
    forward = label_diff(demo_store, SETID, from_version=1, to_version=2)
    backward = label_diff(demo_store, SETID.upper(), from_version=2, to_version=1)
    assert [s.path for s in forward.sections] == [s.path for s in backward.sections]
    f, b = forward.sections[0].hunks[0], backward.sections[0].hunks[0]
    assert [x.text for x in f.removed] == [x.text for x in b.added]
    assert [x.text for x in f.added] == [x.text for x in b.removed]
    assert_cited(backward, demo_store)


def test_errors_say_what_is_wrong(demo_store: Store, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="version 7 of label set .* is not stored; stored versions: 1, 2"):
        label_diff(demo_store, "belatacept", from_version=7)
    with pytest.raises(InputError, match="both sides are version 2"):
        label_diff(demo_store, "belatacept", from_version=2, to_version=2)
    with pytest.raises(NotFoundError, match="oldest stored version"):
        label_diff(demo_store, "belatacept", to_version=1)
    with pytest.raises(NoLabelError, match="did you mean: belatacept") as unknown:
        label_diff(demo_store, "belatacep")
    assert unknown.value.suggestions == ["belatacept"]
    with pytest.raises(NoLabelError, match="no stored drug label matches"):
        label_diff(demo_store, "qqqqzzzz")
    single = store_with(tmp_path, DEMO_V2)
    try:
        with pytest.raises(NotFoundError, match=ONE_VERSION):
            label_diff(single, "belatacept")
    finally:
        single.close()


def test_an_unchanged_label_has_no_differences(tmp_path: Path) -> None:
    again = tmp_path / "belatacept_v3.xml"
    again.write_text(reversion(DEMO_V2.read_text(), 3))
    store = store_with(tmp_path, DEMO_V2, again)
    try:
        d = label_diff(store, "belatacept")
        assert (d.from_version.version, d.to_version.version) == (2, 3)
        assert d.identical and d.sections == [] and d.summary.startswith("No differences")
        doc = store.get_document(d.to_version.uid)
        assert d.unchanged_sections == len(units(doc))
    finally:
        store.close()


def _component(xml: str, section_id: str) -> tuple[int, int]:
    """Where the <component> holding a section (with no sub-sections) starts and ends."""
    start = xml.index(f'<section ID="{section_id}"')
    return xml.rindex("<component>", 0, start), xml.index("</component>", start) + len("</component>")


def _edit(xml: str, old: str, new: str) -> str:
    assert xml.count(old) == 1, old
    return xml.replace(old, new)


def test_added_and_removed_sections_and_renumbering(tmp_path: Path) -> None:
    """v3 drops 5.6 Immunizations, adds 2.2 Storage Before Use, renumbers Preparation 2.2 -> 2.3,
    retitles 5.5 and section 5 (whose sub-sections stay where they were)."""
    xml = DEMO_V2.read_text()
    start, end = _component(xml, "s-w-vacc")
    edited = xml[:start] + xml[end:]
    component, _ = _component(edited, "s-dosage-prep")
    extra = (
        '<component><section><code code="42229-5" codeSystem="2.16.840.1.113883.6.1"/>'
        "<title>2.2 Storage Before Use</title><text><paragraph>Keep the vials in their carton until use."
        "</paragraph></text></section></component>\n"
    )
    edited = edited[:component] + extra + edited[component:]
    edited = _edit(
        edited,
        "<title>2.2 Preparation and Administration</title>",
        "<title>2.3 Preparation and Administration</title>",
    )
    edited = _edit(
        edited, "<title>5.5 Liver Transplant</title>", "<title>5.5 Liver Transplant Recipients</title>"
    )
    edited = _edit(edited, "<title>5 WARNINGS AND PRECAUTIONS</title>", "<title>5 WARNINGS</title>")
    v3 = tmp_path / "belatacept_v3.xml"
    v3.write_text(reversion(edited, 3))
    store = store_with(tmp_path, DEMO_V2, v3)
    try:
        d = label_diff(store, "belatacept")
        listed = sorted((s.status, s.path, s.path_from) for s in d.sections)
        assert listed == [
            ("added", "DOSAGE AND ADMINISTRATION > Storage Before Use", None),
            ("removed", "WARNINGS AND PRECAUTIONS > Immunizations", None),
            ("retitled", "WARNINGS", "WARNINGS AND PRECAUTIONS"),
            (
                "retitled",
                "WARNINGS > Liver Transplant Recipients",
                "WARNINGS AND PRECAUTIONS > Liver Transplant",
            ),
        ]  # the renumbered Preparation section and the other sub-sections of 5 are unchanged
        assert "1 section added, 1 section removed, 2 sections retitled" in d.summary
        added = next(s for s in d.sections if s.status == "added")
        assert added.hunks[0].added[0].kind == "passage" and not added.hunks[0].removed
        assert_cited(d, store)
    finally:
        store.close()


def _first_plain_sentence(doc: Document, xml: str) -> tuple[str, str]:
    """A sentence of a full-text passage that is written in the source file as it is stored."""
    from medref.compose.sentences import split_sentences

    for p in doc.passages:
        if p.kind != "text" or p.section.startswith("Highlights"):
            continue
        for s in split_sentences(p.text):
            if len(s.text) > 60 and xml.count(s.text) == 1:
                return p.section, s.text
    raise AssertionError("no sentence written plainly in the label")


def test_real_label_edit_shows_in_its_section(shared_data: Path, tmp_path: Path) -> None:
    source = shared_data / "fda_spl" / "no-title.xml"
    xml = source.read_text()
    store = store_with(tmp_path, source)
    try:
        doc = store.get_document(store.label_versions(_setid(xml))[0][2])
        section, sentence = _first_plain_sentence(doc, xml)
        version = int(doc.spl_version or 0)
        edited = tmp_path / "edited.xml"
        edited.write_text(
            reversion(_edit(xml, sentence, sentence + " This sentence was added for a test."), version + 1)
        )
        assert ingest_paths(store, [edited]).ok
        d = label_diff(store, "haloperidol")
        assert (d.from_version.version, d.to_version.version) == (version, version + 1)
        assert [(s.status, s.path) for s in d.sections] == [("changed", section)]
        (hunk,) = d.sections[0].hunks
        assert [x.text for x in hunk.removed] == [] and [x.text for x in hunk.added] == [
            "This sentence was added for a test."
        ]
        assert d.unchanged_sections == len(units(doc)) - 1
        assert_cited(d, store)
    finally:
        store.close()


def _setid(xml: str) -> str:
    m = re.search(r'<setId root="([^"]+)"', xml)
    assert m
    return m.group(1).lower()


def test_a_section_moved_under_another_heading(tmp_path: Path) -> None:
    xml = DEMO_V2.read_text()
    a, b = _component(xml, "s-w-liver")
    moving, rest = xml[a:b], xml[:a] + xml[b:]
    _, after = _component(rest, "s-ar-ct")
    v3 = tmp_path / "belatacept_v3.xml"
    v3.write_text(reversion(rest[:after] + moving + rest[after:], 3))
    store = store_with(tmp_path, DEMO_V2, v3)
    try:
        d = label_diff(store, "belatacept")
        assert [(s.status, s.path, s.path_from, s.hunks) for s in d.sections] == [
            (
                "moved",
                "ADVERSE REACTIONS > Liver Transplant",
                "WARNINGS AND PRECAUTIONS > Liver Transplant",
                [],
            )
        ]
        assert "1 section moved" in d.summary
    finally:
        store.close()


def test_layout_only_differences_read_the_same_but_a_decimal_point_does_not(tmp_path: Path) -> None:
    """A paragraph cut in two, a bullet and an item-ending semicolon are layout; "5" -> "0.5" is not."""
    xml = DEMO_V2.read_text()
    split = _edit(
        xml,
        "maintenance phase (Table 1). The dose is based",
        "maintenance phase (Table 1).</paragraph>\n<paragraph>• The dose is based",
    )
    split = _edit(split, "and at the end of Weeks 2, 4, 8 and 12", "and at the end of Weeks 2; 4, 8 and 12")
    layout = tmp_path / "v3.xml"
    layout.write_text(reversion(split, 3))
    dose = tmp_path / "v4.xml"
    dose.write_text(reversion(_edit(split, "Maintenance phase: 5 mg/kg", "Maintenance phase: 0.5 mg/kg"), 4))
    store = store_with(tmp_path, DEMO_V2, layout, dose)
    try:
        assert label_diff(store, "belatacept", from_version=2, to_version=3).identical
        d = label_diff(store, "belatacept", from_version=2, to_version=4)
        (section,) = d.sections
        (hunk,) = section.hunks
        (new,) = hunk.added  # the sentence with the semicolon reads the same
        assert new.text.startswith("Maintenance phase: 0.5 mg/kg")
        assert [new.text[s:e] for s, e in new.marks] == ["0."]
        assert_cited(d, store)
    finally:
        store.close()


def test_a_name_shared_by_several_label_sets_and_a_lexicon_synonym(tmp_path: Path) -> None:
    """Of two sets named belatacept the one with two stored versions is compared, the other named in
    a note; a synonym known only to the lexicon (a brand name not on the label) finds the label."""
    from medref.retrieve.lexicon import Lexicon

    other_setid = "11111111-2222-4333-8444-555555555555"
    other = tmp_path / "other.xml"
    other.write_text(DEMO_V2.read_text().replace(SETID, other_setid))
    store = store_with(tmp_path, DEMO_V1, DEMO_V2, other)
    try:
        d = label_diff(store, "belatacept")
        assert d.setid == SETID and any(other_setid in n for n in d.notes)
        with pytest.raises(NotFoundError, match=ONE_VERSION):
            label_diff(store, other_setid)
        lexicon = Lexicon.load(None)
        synonyms = [s for c in lexicon.lookup("belatacept") for s in c.synonyms]
        brand = next(s for s in synonyms if s.isalpha() and s.casefold() != "belatacept")
        with pytest.raises(NoLabelError):
            label_diff(store, brand)  # not a name on any stored label
        assert label_diff(store, brand, lexicon=lexicon).setid == SETID
    finally:
        store.close()


def _plain_label(version: int, sections: list[tuple[str, str]]) -> Document:
    """A label stored without a section list (older stores): passages named by their sections."""
    from medref.models import Passage, SourceKind

    text, passages = "", []
    for i, (name, body) in enumerate(sections):
        start = len(text)
        text += body + "\n\n"
        passages.append(Passage(ordinal=i, section=name, text=body, start=start, end=start + len(body)))
    return Document(
        uid=f"spl:plain:v{version}",
        kind=SourceKind.DRUG_LABEL,
        title="Plain label",
        text=text,
        passages=passages,
        spl_setid="plain",
        spl_version=version,
    )


def test_labels_stored_without_a_section_list_compare_by_section_name() -> None:
    from medref.monograph.labeldiff import diff_documents

    old = _plain_label(
        1, [("Uses", "Relieves cough."), ("Warnings", "Do not use with other cough medicines.")]
    )
    new = _plain_label(2, [("Uses", "Relieves cough."), ("Directions", "Take 10 mL every 6 hours.")])
    sections, unchanged = diff_documents(old, new)
    assert unchanged == 1
    assert [(s.status, s.path) for s in sections] == [("added", "Directions"), ("removed", "Warnings")]
