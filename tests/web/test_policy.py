"""The editorial policy page, its JSON twin, an installation's own text, and the links to it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from medref.settings import load_settings
from medref.web.app import create_app
from medref.web.routes.policy import builtin_policy, load_policy, parse_policy
from medref.web.views import LEVEL_MEANINGS, PENDING_BANNER

LINK = 'href="/editorial-policy">View editorial policy</a>'


def _client(tmp_path: Path, policy: Path | None = None) -> TestClient:
    web = {"editorial_policy": policy} if policy is not None else {}
    settings = load_settings(data_dir=tmp_path / "data", web=web)
    return TestClient(create_app(settings))


def test_builtin_policy_page_and_json_say_how_pages_are_made(tmp_path: Path) -> None:
    client = _client(tmp_path)
    data = client.get("/editorial-policy.json").json()
    assert data["source"] == "built-in"
    headings = [s["heading"] for s in data["sections"]]
    assert headings == [s.heading for s in builtin_policy().sections]
    text = " ".join(p for s in data["sections"] for p in s["paragraphs"] + s["points"])
    for needed in ("citation", "Submitted", "Under Review", "Approved by the Medical Advisory Board"):
        assert needed in text, needed
    assert "Four eyes" in text and "due for another review" in text and "new version" in text
    assert "medical advice" in (data["summary"] + text).lower()
    assert PENDING_BANNER in text
    for level, meaning in LEVEL_MEANINGS.items():  # the levels as the pages themselves explain them
        assert f"Level {meaning}." in text, level

    page = client.get("/editorial-policy")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert "<h1>Editorial policy</h1>" in page.text
    assert all(f"<h2>{h}</h2>" in page.text for h in headings)


@pytest.mark.parametrize("path", ["/", "/editorial-policy", "/login", "/search", "/no-such-page"])
def test_every_page_links_the_policy_in_its_footer(tmp_path: Path, path: str) -> None:
    html = _client(tmp_path).get(path).text
    footer = html[html.index('<footer class="site-footer">') :]
    assert LINK in footer


def test_an_installation_replaces_the_text_shown_escaped(tmp_path: Path) -> None:
    own = tmp_path / "policy.md"
    own.write_text(
        "# How Northside Clinic pages are made\n\n"
        "Our pharmacists check every page.\n\n"
        "## Review\n\nTwo pharmacists\nsign off each page.\n\n- one writes\n- another approves <b>only</b>\n\n"
        "## Contact\n\nWrite to the <script>alert(1)</script> desk.\n",
        encoding="utf-8",
    )
    client = _client(tmp_path, own)
    data = client.get("/editorial-policy.json").json()
    assert data["source"] == "installation" and data["title"] == "How Northside Clinic pages are made"
    assert data["summary"] == "Our pharmacists check every page."
    review, contact = data["sections"]
    assert review == {
        "heading": "Review",
        "paragraphs": ["Two pharmacists sign off each page."],
        "points": ["one writes", "another approves <b>only</b>"],
    }
    html = client.get("/editorial-policy").text
    assert "<script>alert(1)</script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;only&lt;/b&gt;" in html and contact["heading"] == "Contact"


@pytest.mark.parametrize("content", [None, b"", b"\xff\xfe not utf-8", b"x" * 200_001])
def test_an_unusable_policy_file_is_logged_by_name_and_the_builtin_text_shown(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, content: bytes | None
) -> None:
    path = tmp_path / "broken-policy.md"
    if content is not None:
        path.write_bytes(content)
    settings = load_settings(data_dir=tmp_path / "data", web={"editorial_policy": path})
    with caplog.at_level(logging.ERROR, logger="medref.web.routes.policy"):
        policy = load_policy(settings)
    assert policy == builtin_policy()
    assert any(str(path) in r.getMessage() for r in caplog.records)


def test_parse_policy_without_headings_and_with_bullets_first() -> None:
    only_text = parse_policy("Plain words.\nStill the same paragraph.\n\nA second one.")
    assert only_text.title == "Editorial policy" and only_text.sections == []
    assert only_text.summary == "Plain words. Still the same paragraph. A second one."
    bullets = parse_policy("- first\n- second\n")
    assert [s.points for s in bullets.sections] == [["first", "second"]]
    with pytest.raises(ValueError, match="policy.md"):
        parse_policy("# Only a title\n\n", path="policy.md")
