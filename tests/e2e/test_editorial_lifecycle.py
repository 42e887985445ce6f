"""The editorial lifecycle in headless Chromium against the real server, on the demo corpus.

A visitor asks (nothing is stored, the page says "Not reviewed") -> an editor saves it as a
draft -> edits a sentence (marked edited) and re-links it to the passage that supports it ->
submits -> a reviewer reviews with the evidence beside each sentence and approves -> visitors
asking the question land on its published address, which shows the approved version -> a new
label version is ingested -> the page turns stale -> the reviewer regenerates it, so it is back in
review while visitors keep the approved version. Screenshots of each step go to test-output/e2e/.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from medref.deps import demo_files
from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser_flow import Pages

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]

KIDNEY_Q = "Is belatacept used after kidney transplantation?"


def _new_label_version(folder: Path) -> Path:
    """The demo belatacept label as a version 3 (a later date, one changed sentence)."""
    current = next(p for p in demo_files() if p.name == "spl_belatacept.xml")
    text = current.read_text(encoding="utf-8")
    text = text.replace('<versionNumber value="2"/>', '<versionNumber value="3"/>', 1)
    text = text.replace('<effectiveTime value="20250315"/>', '<effectiveTime value="20260901"/>', 1)
    assert '<versionNumber value="3"/>' in text
    out = folder / "spl_belatacept_v3.xml"
    out.write_text(text, encoding="utf-8")
    return out


def _ingest(server: LiveServer, path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_")}
    env.update(
        MEDREF_DATA_DIR=str(server.data_dir), MEDREF_INDEX__DENSE="numpy", MEDREF_INDEX__EMBEDDER="hashing"
    )
    medref = Path(sys.executable).parent / "medref"
    done = subprocess.run(
        [str(medref), "ingest", "--quiet", str(path)], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _shorter(text: str) -> str:
    """The sentence without its last clause (still the source's words, so still supported)."""
    body = text.rstrip(". ")
    cut = max(body.rfind(", "), body.rfind("; "))
    if cut < len(body) // 3:  # no clause to drop: keep the first two thirds of the words
        words = body.split()
        return " ".join(words[: max(6, len(words) * 2 // 3)]) + "."
    return body[:cut] + "."


def test_ask_draft_edit_relink_review_publish_stale(
    browser: WebDriver, live_server: LiveServer, e2e_output: Path, tmp_path: Path
) -> None:
    pages = Pages(browser, live_server, e2e_output)
    browser.set_window_size(1280, 1000)

    # a visitor asks: the answer is shown, not stored, and says it is not reviewed
    pages.ask(KIDNEY_Q, "clinician")
    assert "Not reviewed." in pages.text(".unreviewed")
    assert not pages.all("form.save-draft")
    pages.shot("lifecycle-01-visitor-not-reviewed")

    # an editor saves it as a draft
    pages.login(live_server.editor)
    pages.open("/ask?q=" + KIDNEY_Q.replace(" ", "+").replace("?", "%3F"))
    pages.submit("form.save-draft")
    path = pages.wait_path(r"^/questions/[0-9a-f-]{36}$")
    item = path.rsplit("/", 1)[1]
    stored = httpx.get(f"{live_server.url}/questions/{item}.json", timeout=30).json()
    first = stored["bottom_line"]["summary"][0]
    passage_id = first["spans"][0]["passage_id"]

    # edits the first sentence and re-links it to the passage it came from
    pages.open(f"/review/{item}")
    new_text = _shorter(first["text"])
    box = pages.css("#text-0")
    box.clear()
    box.send_keys(new_text)
    relink = pages.css("#passage-0")
    relink.clear()
    relink.send_keys(passage_id)
    pages.submit("form.review-edit")
    assert not pages.all(".notice.warn[role=alert]"), pages.text(".notice.warn[role=alert]")
    assert "Edited, re-linked" in pages.text("main")
    pages.shot("lifecycle-02-edited-relinked")
    pages.step("submit")
    pages.logout()

    # a reviewer reviews with the evidence in front of them, and approves
    pages.login(live_server.reviewer, next_path=f"/review/{item}")
    pages.wait_path(f"^/review/{item}$")
    marks = [m.get_attribute("textContent") or "" for m in pages.all(".ev-passage mark")]
    assert marks and any(new_text.rstrip(".") in m for m in marks), marks[:3]
    pages.shot("lifecycle-03-review-with-evidence")
    pages.step("start")
    pages.step("approve")
    pages.logout()

    # visitors asking the question get its published address, approved, with the edited sentence
    pages.ask(KIDNEY_Q, "clinician")
    public = pages.wait_path(r"^/pages/[a-z0-9-]+$")
    main = pages.text("main")
    assert "Approved" in pages.text(".tracker") and "Not reviewed." not in main
    assert new_text in " ".join(main.split())
    assert live_server.reviewer not in pages.text(".tracker")  # a profile or role title, never the login
    pages.shot("lifecycle-04-published")

    # a new label version arrives: the published page turns stale
    _ingest(live_server, _new_label_version(tmp_path))
    pages.open(public)
    assert "due for another review" in pages.text(".tracker")
    pages.shot("lifecycle-05-stale")

    # the reviewer regenerates it: back in review; visitors keep the approved version meanwhile
    pages.login(live_server.reviewer, next_path=f"/review/{item}")
    pages.wait_path(f"^/review/{item}$")
    pages.submit(f"form.review-step[action$='/{item}/regenerate']")
    status = pages.text(".review-status .status")
    assert not status.startswith("Approved"), status
    pages.shot("lifecycle-06-back-in-review")
    pages.logout()
    pages.open(public)
    assert "A revised version of this page is in review" in pages.text("main")
    assert re.search(r"approved", pages.text(".tracker"), re.I)
