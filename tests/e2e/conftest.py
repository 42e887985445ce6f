"""Fixtures for the end-to-end tests: the real app under uvicorn and headless Debian Chromium.

``live_server`` stores and indexes the demo corpus in a fresh data folder (numpy dense index,
hashing embedder: fast, no model), adds an editor and a reviewer, then runs
``uvicorn --factory medref.web.app:create_app`` in a subprocess on 127.0.0.1 and a free port,
configured only through ``MEDREF_*`` variables, as an operator would run it. Its log goes to
``test-output/e2e/server.log``.

``browser`` is Selenium driving /usr/bin/chromium through the system /usr/bin/chromedriver
(``scripts/install-browser.sh`` installs both; ``make test`` runs it). When the browser, the
driver or the selenium package is missing, or Chromium cannot start here, the tests are
skipped with the reason.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from medref.deps import demo_files
from medref.review.users import add_user
from tests.web.conftest import indexed_settings

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "test-output" / "e2e"
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
CHROMIUM_FLAGS = (
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",
    "--window-size=1280,1000",
)
EDITOR, REVIEWER = ("edna", "editor"), ("rafael", "reviewer")
PASSWORD = "e2e password, long enough"
START_TIMEOUT = 30.0


@dataclass(frozen=True)
class LiveServer:
    url: str
    data_dir: Path
    editor: str
    reviewer: str
    password: str


def browser_missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    for path, what in ((CHROMIUM, "Chromium"), (CHROMEDRIVER, "ChromeDriver")):
        if not (path.is_file() and os.access(path, os.X_OK)):
            return f"{what} is not installed at {path} (run scripts/install-browser.sh as root)"
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "the selenium package is not installed (pip install -e '.[dev]')"
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_until_up(url: str, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url + "/index.json", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer within {START_TIMEOUT:.0f} s:\n{log.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def e2e_output() -> Path:
    """test-output/e2e, emptied of the last run's screenshots."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for old in OUTPUT.glob("*.png"):
        old.unlink()
    return OUTPUT


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory, e2e_output: Path) -> Iterator[LiveServer]:
    reason = browser_missing()
    if reason:  # no point in building the server
        pytest.skip(reason)
    data_dir = tmp_path_factory.mktemp("e2e-data")
    settings, retriever = indexed_settings(data_dir, demo_files())
    try:
        for name, role in (EDITOR, REVIEWER):
            add_user(retriever.store.engine, name, PASSWORD, role=role)
    finally:
        retriever.close()

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("MEDREF_")}
    env.update(
        MEDREF_DATA_DIR=str(settings.data_dir),
        MEDREF_INDEX__DENSE="numpy",
        MEDREF_INDEX__EMBEDDER="hashing",
        MEDREF_LOG_LEVEL="INFO",
    )
    log = e2e_output / "server.log"
    command = [sys.executable, "-m", "uvicorn", "--factory", "medref.web.app:create_app"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--no-server-header"]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT, cwd=ROOT)
    try:
        wait_until_up(url, process, log)
        yield LiveServer(url, settings.data_dir, EDITOR[0], REVIEWER[0], PASSWORD)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


@pytest.fixture(scope="module")
def browser(live_server: LiveServer) -> Iterator[WebDriver]:
    from selenium import webdriver
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.chrome.service import Service

    profile = tempfile.mkdtemp(prefix="medref-e2e-chromium-")
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (*CHROMIUM_FLAGS, f"--user-data-dir={profile}"):
        options.add_argument(flag)
    try:
        driver = webdriver.Chrome(service=Service(str(CHROMEDRIVER)), options=options)
    except WebDriverException as exc:
        shutil.rmtree(profile, ignore_errors=True)
        pytest.skip(f"Chromium could not be started here: {exc.msg or exc}")
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile, ignore_errors=True)
