"""A reader checks the question page in headless Chromium: every [n] reveals the cited span.

On the demo question, each citation marker opens its evidence panel, whose highlighted text is
exactly the span the answer's JSON twin cites; the same panel opens from its #fragment alone
(the path without JavaScript, through CSS :target); the link in the panel opens the local
document page with that span highlighted. Markers are at least 24 x 24 px on a phone. Screenshots
of the question, document and monograph pages at 1280 and 390 px wide go to test-output/e2e/.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser_flow import CLINICIAN_Q, Pages

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.slow, pytest.mark.timeout(180)]

WIDTHS = {"desktop": 1280, "phone": 390}
MIN_TARGET = 24


def _cited_spans(answer: dict[str, Any]) -> dict[int, set[str]]:
    """Reference number -> the exact texts the answer cites from it (from the JSON twin)."""
    quotes = {q["passage_id"]: q["text"] for r in answer["references"] for q in r["quotes"]}
    out: dict[int, set[str]] = {}
    sections = [answer.get("bottom_line"), answer["guidelines"], answer["research"]]
    for section in (s for s in sections if s):
        for sentence in section["summary"] + section["key_points"]:
            for span in sentence["spans"]:
                text = quotes[span["passage_id"]]
                out.setdefault(span["number"], set()).add(text[span["start"] : span["end"]])
    return out


def _resize(driver: WebDriver, width: int) -> None:
    driver.set_window_size(width, 1000)


def test_every_citation_reveals_its_span(
    browser: WebDriver, live_server: LiveServer, e2e_output: Path
) -> None:
    pages = Pages(browser, live_server, e2e_output)
    _resize(browser, WIDTHS["desktop"])
    answer_path = pages.ask(CLINICIAN_Q, "clinician")
    answer = httpx.get(f"{live_server.url}/ask.json", params={"q": CLINICIAN_Q}, timeout=30).json()
    spans = _cited_spans(answer)
    assert spans, "the demo question is answered with cited sentences"

    markers = pages.all("a.cite[aria-controls]")
    assert len(markers) >= len(spans)
    for marker in markers:
        number = int(marker.text.strip("[]"))
        panel_id = marker.get_attribute("aria-controls")
        panel = pages.css(f"#{panel_id}")
        assert not panel.is_displayed()
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", marker)
        marker.click()
        assert panel.is_displayed() and marker.get_attribute("aria-expanded") == "true"
        marked = [m.get_attribute("textContent") for m in panel.find_elements("css selector", "mark")]
        assert marked and all(m in spans[number] for m in marked), (number, marked)
        marker.click()  # closes again
        assert not panel.is_displayed()

    # without JavaScript the marker is a link to the panel, which CSS :target shows
    first = markers[0].get_attribute("aria-controls")
    pages.open(f"{answer_path}#{first}")
    assert pages.css(f"#{first}").is_displayed()
    pages.shot("question-evidence-open-desktop", full=False)
    pages.open(answer_path)
    pages.shot("question-desktop")

    # the panel links to the local document page, the same span highlighted there
    opener = pages.css(f"#{first} a.ev-open")
    expected = pages.css(f"#{first} mark").get_attribute("textContent")
    href = opener.get_attribute("href")
    assert href and "/documents/" in href
    pages.open(href.removeprefix(live_server.url))
    highlighted = pages.all("main mark")
    assert [h.get_attribute("textContent") for h in highlighted] == [expected]
    assert highlighted[0].is_displayed()
    document_path = browser.current_url.removeprefix(live_server.url)
    pages.shot("document-desktop")

    # on a phone: markers are tap targets of at least 24 x 24 px; the same pages as screenshots
    _resize(browser, WIDTHS["phone"])
    pages.open(answer_path)
    for marker in pages.all("a.cite"):
        size = marker.size
        assert size["width"] >= MIN_TARGET and size["height"] >= MIN_TARGET, (marker.text, size)
    pages.shot("question-phone")
    pages.open(document_path)
    pages.shot("document-phone")
    for width_name, width in WIDTHS.items():
        _resize(browser, width)
        pages.open("/monographs/belatacept")
        assert "belatacept" in pages.text("main h1").lower()
        pages.shot(f"monograph-{width_name}")
    _resize(browser, WIDTHS["desktop"])
    assert all(p.stat().st_size > 5_000 for p in pages.shots)
