"""The whole public and editorial flow in headless Chromium against the real server.

Ask as a patient and as a clinician, follow a citation to its reference, submit the answer for
review as an editor, start the review and approve it as a reviewer, then see the approved public
page. A PNG screenshot of every page is kept under ``test-output/e2e/``.
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
    assert pages.text("#sec-guidelines") == "From the Guidelines"
    assert pages.text("#sec-research") == "From the Research"
    assert pages.text("#references-title") == "References"
    assert pages.text(".review-status .status").startswith("Draft")
    assert pages.text("p.disclaimer").startswith("Disclaimer:")


def test_ask_cite_review_approve(browser: WebDriver, live_server: LiveServer, e2e_output: Path) -> None:
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

    # a clinician's question, then follow its first citation
    answer_id = pages.ask(CLINICIAN_Q, "clinician")
    check_question_page(pages, CLINICIAN_Q, "Clinician")
    cites = pages.all("a.cite[href='#ref-1']")
    assert cites, "the clinician answer cites reference [1]"
    pages.shot("question-clinician")
    browser.execute_script("window.scrollTo(0, 0)")
    cites[0].click()
    pages.wait_path(QUESTION_PATH)
    assert urlsplit(browser.current_url).fragment == "ref-1"
    target = pages.wait_for("#ref-1")
    assert browser.execute_script("return document.querySelector(':target').id") == "ref-1"
    in_view = browser.execute_script(
        "const r = arguments[0].getBoundingClientRect();return r.bottom > 0 && r.top < window.innerHeight;",
        target,
    )
    assert in_view, "the browser scrolled to the reference"
    assert target.text.startswith("[1]")
    assert pages.css("#ref-1 .label").text in {"Guideline", "Research", "Drug label", "Trial"}
    pages.shot("citation-ref-1", full=False)

    # an editor signs in and submits the clinician answer for review
    pages.open("/review")  # not signed in: sent to the sign-in form
    assert pages.wait_path("^/login$") == "/login"
    pages.login(live_server.editor)  # back to /review
    assert pages.wait_path("^/review$") == "/review"
    assert pages.text("h1") == "Editorial review"
    pages.shot("review-dashboard-editor")
    pages.css(f"a[href='/review/{answer_id}']").click()
    pages.wait_path(f"^/review/{answer_id}$")
    assert pages.text("h1") == CLINICIAN_Q
    assert pages.text(".review-status .status").startswith("Draft")
    pages.shot("review-item-draft")
    pages.step("submit")
    assert pages.text(".review-status .status").startswith("Submitted")
    assert not pages.all("form.review-step[action$='/approve']"), "an editor cannot approve"
    pages.shot("review-item-submitted")
    pages.logout()

    # a reviewer starts the review and approves it
    pages.login(live_server.reviewer, next_path=f"/review/{answer_id}")
    pages.wait_path(f"^/review/{answer_id}$")
    pages.shot("review-item-reviewer")
    pages.step("start")
    assert pages.text(".review-status .status").startswith("Under review")
    pages.shot("review-item-under-review")
    pages.step("approve")
    status = pages.text(".review-status .status")
    assert status.startswith("Approved") and f"approved by {live_server.reviewer}" in status
    history = pages.text("table.history")
    assert "approved" in history and "review started" in history and "submitted" in history
    pages.shot("review-item-approved")

    # the public page: approved, by whom, and no pending-review banner
    pages.css("a[href^='/questions/']").click()
    assert pages.wait_path(QUESTION_PATH) == f"/questions/{answer_id}"
    pages.wait_for("article.answer")
    assert not pages.all("p.banner.pending")
    assert PENDING_BANNER not in pages.text()
    review = pages.text(".review-status .status")
    assert "Approved" in review and "Reviewed by a member of the Medical Advisory Board" in review
    assert live_server.reviewer not in review  # the login name is never shown to the public
    pages.shot("question-approved")
    pages.logout()

    # every page left a real PNG behind
    assert len(pages.shots) == 11
    for path in pages.shots:
        data = path.read_bytes()
        assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 2000, path
