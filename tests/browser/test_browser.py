"""A real browser: start `streamlit run app.py`, open every registered page in headless Chromium.

Screenshots go to artifacts/screenshots/ (git-ignored). Needs Debian's chromium at
/usr/bin/chromium (or CHROMIUM_PATH) and the playwright package; `.ci/run` installs both.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import ROOT
from ui.registry import registered_pages

pytestmark = pytest.mark.browser
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
SHOTS = ROOT / "artifacts" / "screenshots"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-dev-shm-usage",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server():
    port = int(os.environ.get("VALENCE_LAB_BROWSER_PORT") or 0) or _free_port()
    log = (ROOT / "artifacts").joinpath("streamlit-server.log")
    log.parent.mkdir(exist_ok=True)
    with log.open("w") as fh:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "app.py",
                "--server.port",
                str(port),
                "--server.headless",
                "true",
                "--server.address",
                "127.0.0.1",
                "--browser.gatherUsageStats",
                "false",
            ],
            cwd=ROOT,
            stdout=fh,
            stderr=subprocess.STDOUT,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                time.sleep(0.3)
        else:
            proc.terminate()
            pytest.fail(f"streamlit did not start; log:\n{log.read_text()[-3000:]}")
        yield url
        proc.terminate()
        proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    playwright = pytest.importorskip("playwright.sync_api")
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install chromium"
    with playwright.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        yield b
        b.close()


def _settle(page, timeout_s: float = 120) -> None:
    """Wait until the sidebar navigation is drawn and the app has stopped running.

    Streamlit draws no navigation menu while only one page is registered.
    """
    anchor = "stSidebarNav" if len(registered_pages()) > 1 else "stSidebarUserContent"
    # attached, not visible: on a phone the sidebar starts collapsed
    page.wait_for_selector(f"[data-testid='{anchor}']", state="attached", timeout=timeout_s * 1000)
    deadline = time.time() + timeout_s
    quiet_since = None
    while time.time() < deadline:
        running = page.locator("[data-testid='stStatusWidget']").count() > 0
        if running:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = time.time()
        elif time.time() - quiet_since > 1.5:
            return
        time.sleep(0.25)
    raise AssertionError(f"the page kept running: {page.url}")


# Deep links first: the server's very first session is where routing by URL path can break.
@pytest.mark.parametrize("spec", registered_pages()[::-1], ids=lambda s: s.url_path)
def test_page_renders_in_browser(server, browser, spec):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        default_page = registered_pages()[0]
        path = "" if spec == default_page else spec.url_path
        page.goto(f"{server}/{path}", wait_until="domcontentloaded")
        _settle(page)
        page.screenshot(path=str(SHOTS / f"{spec.url_path}.png"), full_page=True)
        assert page.get_by_text("Page not found").count() == 0, f"{spec.url_path} is not routed"
        exceptions = page.locator("[data-testid='stException']")
        assert exceptions.count() == 0, exceptions.first.inner_text()
        errors = page.locator("[data-testid='stAlertContentError']")
        assert errors.count() == 0, errors.first.inner_text()
        assert page.get_by_role("heading", level=1).count() >= 1
        if len(registered_pages()) > 1:
            nav = page.locator("[data-testid='stSidebarNav']").inner_text()
            for other in registered_pages():
                assert other.title in nav
    finally:
        page.close()


def test_first_page_has_its_own_path_too(server, browser):
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    try:
        first = registered_pages()[0]
        page.goto(f"{server}/{first.url_path}", wait_until="domcontentloaded")
        _settle(page)
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("heading", level=1).first.inner_text().strip() == first.title
    finally:
        page.close()


def test_share_button_copies_the_link_with_every_control(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    try:
        page.goto(f"{server}/explore?exp_tab=Scatter&exp_x=tempo", wait_until="domcontentloaded")
        _settle(page)
        x_box = page.locator("[data-testid='stSelectbox'] input[aria-label='x']")
        assert x_box.get_attribute("value") == "tempo"  # the link's scatter axis was applied
        page.locator("#vl-share-btn").click()
        page.wait_for_function("document.getElementById('vl-share-msg').textContent !== ''")
        copied = page.evaluate("navigator.clipboard.readText()")
        assert copied.startswith(server) and "exp_x=tempo" in copied and "exp_tab=Scatter" in copied
        note = page.locator("[data-testid='stSidebarUserContent']").inner_text()
        assert "does not carry uploaded files" in note
    finally:
        context.close()


# Buttons, segmented controls and selects whose right edge lies past the main area's (a
# "Histogram | Box | Violin" control in a narrow column lost "Violin" at 390 px).
CLIPPED_CONTROLS = """
(() => {
  const main = document.querySelector("[data-testid='stMain']");
  if (!main) return [];
  const edge = main.getBoundingClientRect().right + 1;
  const sel = ["stButtonGroup'] button", "stButton'] button", "stSelectbox'] input"]
    .map((id) => `[data-testid='${id}`).join(", ");
  return [...main.querySelectorAll(sel)]
    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().right > edge)
    .map((el) => (el.innerText || el.getAttribute("aria-label") || "?").slice(0, 40));
})()
"""


@pytest.mark.parametrize("width", [800, 430, 390])
def test_narrow_screens_stay_usable(server, browser, width):
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 900})
    try:
        for spec in registered_pages():
            page.goto(f"{server}/{spec.url_path}", wait_until="domcontentloaded")
            _settle(page)
            page.screenshot(path=str(SHOTS / f"{spec.url_path}-{width}.png"), full_page=True)
            assert page.locator("[data-testid='stException']").count() == 0
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 1, f"{spec.url_path} scrolls sideways by {overflow}px at {width}px"
            if width < 640:  # a phone: the sidebar starts collapsed, the page is not behind it
                assert not page.locator("[data-testid='stSidebarNav']").is_visible()
                assert page.get_by_role("heading", level=1).first.is_visible()
            clipped = page.evaluate(CLIPPED_CONTROLS)
            assert not clipped, f"{spec.url_path}: controls cut at the right edge: {clipped}"
            if spec.url_path == "model-lab":  # "Valence (regress" was cut off at 800 px
                task = page.locator("[data-testid='stSelectbox'] input[aria-label='Task']")
                cut = task.evaluate("el => el.scrollWidth - el.clientWidth")
                assert cut <= 1, f"the Task value is cut off by {cut}px at {width}px"
    finally:
        page.close()
