"""The public flow in headless Chromium against the real server, and the helpers the e2e tests share.

Ask as a patient and as a clinician (nothing is stored: the page says "Not reviewed") and open a
citation's evidence. The editorial flow (draft, edit, review, publish, stale) is in
``test_editorial_lifecycle.py``. A PNG screenshot of every page is kept under ``test-output/e2e/``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import pytest

from medref.web.views import PENDING_BANNER
from tests.e2e.conftest import LiveServer

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver
    from selenium.webdriver.remote.webelement import WebElement

pytestmark = [pytest.mark.slow, pytest.mark.timeout(120)]

PATIENT_Q = "Is belatacept safe for me after a kidney transplant?"
CLINICIAN_Q = "What is the role of CD40 ligand blockers?"
WAIT = 20.0
QUESTION_PATH = re.compile(r"^/questions/([0-9a-f-]{36})$")


class Pages:
    """Small helpers over one driver: find, wait, click-and-wait, screenshots."""

    def __init__(self, driver: WebDriver, server: LiveServer, out: Path) -> None:
        self.driver, self.server, self.out = driver, server, out
        self.shots: list[Path] = []

    def css(self, selector: str) -> WebElement:
        from selenium.webdriver.common.by import By

        return self.driver.find_element(By.CSS_SELECTOR, selector)

    def all(self, selector: str) -> list[WebElement]:
        from selenium.webdriver.common.by import By

        return self.driver.find_elements(By.CSS_SELECTOR, selector)

    def wait_for(self, selector: str) -> WebElement:
        from selenium.webdriver.common.by import By
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        element: WebElement = WebDriverWait(self.driver, WAIT).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, selector))
        )
        return element

    def wait_path(self, pattern: str | re.Pattern[str]) -> str:
        from selenium.webdriver.support.ui import WebDriverWait

        regex = re.compile(pattern) if isinstance(pattern, str) else pattern
        WebDriverWait(self.driver, WAIT).until(lambda d: regex.search(urlsplit(d.current_url).path))
        return urlsplit(self.driver.current_url).path

    def open(self, path: str) -> None:
        self.driver.get(self.server.url + path)
        self.wait_for("main")

    def submit(self, form: str) -> None:
        """Click the submit button of ``form`` and wait for the next page to load."""
        from selenium.webdriver.support import expected_conditions as ec
        from selenium.webdriver.support.ui import WebDriverWait

        old = self.css("html")
        self.css(f"{form} button[type=submit]").click()
        WebDriverWait(self.driver, WAIT).until(ec.staleness_of(old))
        self.wait_for("main")

    def text(self, selector: str = "main") -> str:
        """The text as shown (after CSS text-transform)."""
        return self.css(selector).text

    def source_text(self, selector: str) -> str:
        """The element's text as written in the page, whitespace collapsed."""
        return " ".join((self.css(selector).get_attribute("textContent") or "").split())

    def shot(self, name: str, *, full: bool = True) -> Path:
        """Save a PNG of the page (the whole page when ``full``, else the viewport)."""
        path = self.out / f"{len(self.shots) + 1:02d}-{name}.png"
        size = self.driver.get_window_size()
        if full:
            self.driver.execute_script("window.scrollTo(0, 0)")
            height = int(self.driver.execute_script("return document.documentElement.scrollHeight"))
            self.driver.set_window_size(size["width"], min(max(height + 120, size["height"]), 8000))
        try:
            assert self.driver.save_screenshot(str(path)), f"no screenshot for {name}"
        finally:
            if full:
                self.driver.set_window_size(size["width"], size["height"])
        self.shots.append(path)
        return path

    def ask(self, question: str, audience: str) -> str:
        """Ask from the home page as ``audience``; returns the answer page's path and query.

        The answer is composed for the visitor and not stored (GET /ask never writes)."""
        self.open("/")
        box = self.css("#q")
        box.clear()
        box.send_keys(question)
        choice = self.css(f"fieldset.audience input[name=audience][value={audience}]")
        choice.click()
        assert choice.is_selected()
        legend = self.text("fieldset.audience legend")
        assert legend == "Which best describes you?"
        self.submit("form.ask-form")
        self.wait_for("article.answer")
        parts = urlsplit(self.driver.current_url)
        assert parts.path in ("/ask",) or parts.path.startswith("/pages/"), parts.path
        return parts.path + (f"?{parts.query}" if parts.query else "")

    def login(self, username: str, *, next_path: str | None = None) -> None:
        self.open("/login" + (f"?next={next_path}" if next_path else ""))
        self.css("#username").send_keys(username)
        self.css("#password").send_keys(self.server.password)
        self.submit("form.login-form")
        assert f"Signed in as {username}" in self.text("header.site-header")

    def logout(self) -> None:
        self.submit("header.site-header form[action='/logout']")
        header = self.text("header.site-header")
        assert "Signed in" not in header and "Sign in" in header

    def step(self, action: str) -> None:
        self.submit(f"form.review-step[action$='/{action}']")
        assert not self.all(".notice.warn[role=alert]"), self.text(".notice.warn[role=alert]")


def check_question_page(pages: Pages, question: str, audience_label: str) -> None:
    pages.wait_for("article.answer")
    assert pages.text("article.answer h1") == question
    assert pages.source_text(".question-head .kicker") == f"Question · written for: {audience_label}"
    assert pages.text("p.banner.pending") == PENDING_BANNER
    assert pages.text("#references-title") == "References"
    assert "Not reviewed." in pages.text(".unreviewed")
    assert pages.text("p.disclaimer").startswith("Disclaimer:")


def test_home_ask_and_open_a_citation(browser: WebDriver, live_server: LiveServer, e2e_output: Path) -> None:
    pages = Pages(browser, live_server, e2e_output)

    # the home page
    pages.open("/")
    assert pages.text("h1") == "Ask a medical question"
    labels = [label.text for label in pages.all("fieldset.audience label")]
    assert "Patient or caregiver" in labels and "Clinician" in labels
    pages.shot("home")

    # a patient's question
    pages.ask(PATIENT_Q, "patient")
    check_question_page(pages, PATIENT_Q, "Patient or caregiver")
    assert pages.all(".reading-grade"), "a patient page states its reading grade"
    pages.shot("question-patient")

    # a clinician's question, then open its first citation: the quoted passage, span marked
    pages.ask(CLINICIAN_Q, "clinician")
    check_question_page(pages, CLINICIAN_Q, "Clinician")
    assert pages.text("#sec-research") == "From the Research"
    pages.shot("question-clinician")
    marker = pages.all("a.cite[aria-controls]")[0]
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", marker)
    marker.click()
    panel = pages.css(f"#{marker.get_attribute('aria-controls')}")
    assert panel.is_displayed() and panel.find_elements("css selector", "mark")
    # the panel links on to the reference line
    panel.find_element("css selector", ".ev-links a[href^='#ref-']").click()
    target = pages.wait_for(":target")
    assert (target.get_attribute("id") or "").startswith("ref-")
    pages.shot("citation-ref", full=False)

    # every page left a real PNG behind
    assert len(pages.shots) == 4
    for path in pages.shots:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000, path
