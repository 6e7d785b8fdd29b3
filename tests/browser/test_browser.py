"""A real browser: start `streamlit run app.py`, open every registered page in headless Chromium.

Screenshots go to artifacts/screenshots/ (git-ignored). Needs Debian's chromium at
/usr/bin/chromium (or CHROMIUM_PATH) and the playwright package; `.ci/run` installs both.
"""

from __future__ import annotations

import pytest

from tests.conftest import ROOT
from tests.fakes.browser import browser_fixture, open_page, settle, streamlit_server  # noqa: F401
from ui.layout import CHART_MIN_REM
from ui.registry import registered_pages

pytestmark = pytest.mark.browser
SHOTS = ROOT / "artifacts" / "screenshots"
CHART_MIN_PX = CHART_MIN_REM * 16 - 32  # a column's chart is its width less the padding


@pytest.fixture(scope="module")
def server():
    with streamlit_server(ROOT / "artifacts" / "streamlit-server.log") as url:
        yield url


# Deep links first: the server's very first session is where routing by URL path can break.
@pytest.mark.parametrize("spec", registered_pages()[::-1], ids=lambda s: s.url_path)
def test_page_renders_in_browser(server, browser, spec):
    SHOTS.mkdir(parents=True, exist_ok=True)
    default_page = registered_pages()[0]
    path = "" if spec == default_page else spec.url_path
    with open_page(browser, f"{server}/{path}") as page:
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


def test_first_page_has_its_own_path_too(server, browser):
    first = registered_pages()[0]
    with open_page(browser, f"{server}/{first.url_path}") as page:
        assert page.get_by_text("Page not found").count() == 0
        assert page.get_by_role("heading", level=1).first.inner_text().strip() == first.title


def test_share_button_copies_the_link_with_every_control(server, browser):
    context = browser.new_context(viewport={"width": 1440, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server)
    page = context.new_page()
    try:
        page.goto(f"{server}/explore?exp_tab=Scatter&exp_x=tempo", wait_until="domcontentloaded")
        settle(page)
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


# Charts narrower than CHART_MIN_PX while the main area is wider: at 800 px Why valence?'s two
# side-by-side charts were ~230 px each, their axis labels and titles cut off.
CRAMPED_CHARTS = """
(() => {
  const main = document.querySelector("[data-testid='stMainBlockContainer']");
  if (!main) return [];
  const pad = getComputedStyle(main);
  const inner = main.clientWidth - parseFloat(pad.paddingLeft) - parseFloat(pad.paddingRight);
  const room = Math.min(inner, CHART_MIN_PX);
  return [...main.querySelectorAll("[data-testid='stPlotlyChart']")]
    .filter((el) => el.offsetParent !== null && el.getBoundingClientRect().width < room - 1)
    .map((el) => Math.round(el.getBoundingClientRect().width));
})()
""".replace("CHART_MIN_PX", str(CHART_MIN_PX))


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
            settle(page)
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
            cramped = page.evaluate(CRAMPED_CHARTS)
            assert not cramped, f"{spec.url_path}: charts squeezed at {width}px: {cramped}"
            if spec.url_path == "model-lab":  # "Valence (regress" was cut off at 800 px
                task = page.locator("[data-testid='stSelectbox'] input[aria-label='Task']")
                cut = task.evaluate("el => el.scrollWidth - el.clientWidth")
                assert cut <= 1, f"the Task value is cut off by {cut}px at {width}px"
    finally:
        page.close()
