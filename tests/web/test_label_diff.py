"""The label-version diff page /labels/{setid}/diff and its JSON twin."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medref.deps import demo_files
from medref.ingest.pipeline import ingest_paths
from medref.monograph.labeldiff import ONE_VERSION, label_diff
from medref.settings import load_settings
from medref.store.repository import Store
from medref.web.app import create_app

DEMO_V2, DEMO_V1 = (
    next(p for p in demo_files() if p.name == n) for n in ("spl_belatacept.xml", "spl_belatacept_v1.xml")
)
SETID = re.search(r'<setId root="([^"]+)"', DEMO_V2.read_text()).group(1)  # type: ignore[union-attr]


def app_client(folder: Path, files: list[Path]) -> tuple[TestClient, Store]:
    settings = load_settings(data_dir=folder)
    store = Store.open(settings.url)
    assert ingest_paths(store, files).ok
    return TestClient(create_app(settings)), store


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[TestClient, Store]]:
    client, store = app_client(tmp_path_factory.mktemp("label-diff"), [DEMO_V1, DEMO_V2])
    yield client, store
    store.close()


def test_page_shows_the_dosing_change_with_both_versions_cited(demo: tuple[TestClient, Store]) -> None:
    client, store = demo
    r = client.get(f"/labels/{SETID}/diff")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    html = r.text
    d = label_diff(store, SETID)
    section = d.sections[0]
    assert section.path in html and "Changed" in html
    for hunk in section.hunks:
        for span in hunk.removed + hunk.added:
            for piece, differs in span.pieces():
                tag = ("del" if span in hunk.removed else "ins") if differs else None
                assert (f"<{tag}>{piece}</{tag}>" if tag else piece) in html
    assert 'href="#ref-1"' in html and 'href="#ref-2"' in html
    assert "dailymed.nlm.nih.gov" not in html  # the demo label's invented set id links nowhere real
    for v in (d.from_version, d.to_version):
        assert v.date is not None and v.date.isoformat() in html
    assert f"{d.unchanged_sections} sections read the same" in html
    assert 'id="ref-1"' in html and "superseded version" in html
    for version in (1, 2):  # the changed table row can be read in its whole table
        assert f"The whole table in version {version}" in html
    assert html.count('class="changed-row"') == 2
    assert d.generic_name and f'href="/monographs/{d.generic_name}"' in html


def test_json_twin_is_the_same_data(demo: tuple[TestClient, Store]) -> None:
    client, store = demo
    expected = label_diff(store, SETID, from_version=1, to_version=2).model_dump(mode="json")
    by_suffix = client.get(f"/labels/{SETID}/diff.json", params={"from": 1, "to": 2})
    by_accept = client.get(f"/labels/{SETID}/diff?from=1&to=2", headers={"Accept": "application/json"})
    assert by_suffix.status_code == by_accept.status_code == 200
    assert by_suffix.json() == by_accept.json() == expected
    by_name = client.get("/labels/belatacept/diff.json").json()
    assert by_name["setid"] == SETID and by_name["sections"] == expected["sections"]


@pytest.mark.parametrize(
    ("query", "status", "message"),
    [
        ("?from=9", 404, "version 9 of label set"),
        ("?to=1", 404, "oldest stored version"),
        ("?from=2&to=2", 422, "both sides are version 2"),
        ("?from=two", 422, "from"),
    ],
)
def test_bad_versions_are_clear_errors(
    demo: tuple[TestClient, Store], query: str, status: int, message: str
) -> None:
    client, _ = demo
    r = client.get(f"/labels/{SETID}/diff.json{query}")
    assert r.status_code == status and message in r.json()["detail"]
    page = client.get(f"/labels/{SETID}/diff{query}")
    assert page.status_code == status and message in page.text


def test_unknown_label_is_404_with_suggestions(demo: tuple[TestClient, Store]) -> None:
    client, _ = demo
    r = client.get("/labels/belatacep/diff.json")
    assert r.status_code == 404 and "no stored drug label matches" in r.json()["detail"]
    assert r.json()["suggestions"] == ["belatacept"]
    assert client.get("/labels/not-a-set-id-at-all/diff").status_code == 404


def test_one_version_and_no_differences_and_escaping(tmp_path: Path) -> None:
    xml = DEMO_V2.read_text()
    same = tmp_path / "v3.xml"
    same.write_text(re.sub(r'<versionNumber value="\d+"/>', '<versionNumber value="3"/>', xml, count=1))
    hostile = tmp_path / "v4.xml"
    marker = "<paragraph>Belatacept is given by intravenous infusion"
    assert xml.count(marker) == 1
    hostile_xml = xml.replace(
        marker, "<paragraph>&lt;script&gt;alert(1)&lt;/script&gt; &amp; more. " + marker[11:]
    )
    hostile.write_text(
        re.sub(r'<versionNumber value="\d+"/>', '<versionNumber value="4"/>', hostile_xml, count=1)
    )
    one, store1 = app_client(tmp_path / "one", [DEMO_V2])
    try:
        r = one.get(f"/labels/{SETID}/diff.json")
        assert r.status_code == 404 and ONE_VERSION in r.json()["detail"]
        assert ONE_VERSION in one.get(f"/labels/{SETID}/diff").text
    finally:
        store1.close()
    client, store = app_client(tmp_path / "many", [DEMO_V2, same, hostile])
    try:
        unchanged = client.get(f"/labels/{SETID}/diff?from=2&to=3")
        assert unchanged.status_code == 200 and "No differences" in unchanged.text
        assert 'class="diff-section' not in unchanged.text
        changed = client.get(f"/labels/{SETID}/diff?from=3&to=4")
        assert changed.status_code == 200
        assert "<script>alert" not in changed.text and "&lt;script&gt;alert(1)&lt;/script&gt;" in changed.text
        assert 'name="from"' in changed.text  # three versions: the page offers a choice of versions
    finally:
        store.close()
