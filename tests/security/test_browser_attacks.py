"""Finding 3 in a real browser: crafted links and uploaded cells never become links or images.

Every query parameter every page reads is set to an injection string (markdown links, images,
bare URLs, raw HTML); then a hostile CSV is uploaded through the sidebar and hostile ids are
pasted into Track lookup. Each time the DOM must hold no ``<a>``/``<img>`` (or any ``href``/
``src``) pointing at the attacker's host, and the browser must never contact it.
"""

from __future__ import annotations

import io
import os
import time
import urllib.parse
from pathlib import Path

import pandas as pd
import pytest

from core.modelling import models
from tests.conftest import ROOT
from tests.fakes.browser import browser_fixture, streamlit_server  # noqa: F401
from tests.fakes.browser import settle as settle_page
from tests.security.hostile import ATTACKER, MARKDOWN_ATTACKS, hostile_tracks
from ui.registry import registered_pages

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = ROOT / "artifacts" / "screenshots" / "security"
#: Query parameters the pages read (bound widgets and the ones read by hand).
PARAMS = {
    "explore": ["exp_genres", "exp_pop", "exp_years", "exp_tab", "prof_a", "prof_b"],
    "model-lab": ["lab_task", "lab_model", "lab_features", "lab_split", "lab_folds"]
    + [f"lab_{m}_{p.name}" for m, spec in models.REGISTRY.items() for p in spec.space],
    "why-valence": ["why_tab", "why_rows", "why_criterion", "why_feature", "why_inter_rows"],
    "genre-map": [
        "map_features",
        "map_sample",
        "map_k",
        "map_gmm",
        "map_cov",
        "map_section",
        "map_projection",
        "map_color",
        "map_linkage",
        "map_neighbors",
        "map_min_dist",
        "map_inspect",
        "map_groups",
        "map_biplot",
    ],
    "track-lookup": ["look_mode"],
}
LINKY = """(host) => {
  const hits = [];
  const linky = ['href', 'xlink:href', 'src', 'srcset', 'action', 'formaction', 'poster', 'data'];
  for (const el of document.querySelectorAll('*')) {
    for (const at of el.attributes) {
      if (linky.includes(at.name.toLowerCase()) && at.value.includes(host)) {
        hits.push(el.tagName + ' ' + at.name + '=' + at.value);
      }
    }
  }
  return hits;
}"""


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    """The app on a small public dataset only (the 6-genre sample), so pages settle fast."""
    data_dir = tmp_path_factory.mktemp("data")
    sample = Path(os.environ["VALENCE_LAB_DATA_DIR"]) / "spotify_tracks_6genres_sample.csv"
    (data_dir / sample.name).symlink_to(sample)
    log = ROOT / "artifacts" / "streamlit-security.log"
    with streamlit_server(log, {"VALENCE_LAB_DATA_DIR": str(data_dir)}) as url:
        yield url


@pytest.fixture
def page(browser):
    """A fresh tab that records (and blocks) every request to the attacker's host."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    tab = context.new_page()
    tab.contacted = []  # type: ignore[attr-defined]

    def block(route) -> None:
        tab.contacted.append(route.request.url)  # type: ignore[attr-defined]
        route.abort()

    tab.route(lambda url: (urllib.parse.urlparse(url).hostname or "").endswith(ATTACKER), block)
    yield tab
    context.close()


def settle(tab, timeout_s: float = 400) -> None:
    settle_page(tab, timeout_s, anchor="stSidebarNav", state="visible")


def assert_inert(tab, where: str) -> None:
    hits = tab.evaluate(LINKY, ATTACKER)
    assert hits == [], f"{where}: links/images to {ATTACKER}: {hits}"
    assert tab.contacted == [], f"{where}: the browser contacted {tab.contacted}"
    assert tab.locator("[data-testid='stException']").count() == 0, where
    body = tab.locator("body").inner_text()
    assert "Traceback" not in body and "/work/" not in body, where


def _path(url_path: str) -> str:
    return "" if url_path == registered_pages()[0].url_path else url_path


@pytest.mark.parametrize("attack", MARKDOWN_ATTACKS, ids=range(len(MARKDOWN_ATTACKS)))
def test_crafted_links_on_every_page(server, page, attack: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    n = MARKDOWN_ATTACKS.index(attack)
    for url_path, names in PARAMS.items():
        query = urllib.parse.urlencode({"dataset": attack, **dict.fromkeys(names, attack)})
        page.goto(f"{server}/{_path(url_path)}?{query}", wait_until="domcontentloaded")
        settle(page)
        where = f"{url_path} with {attack!r}"
        assert_inert(page, where)
        if n in (0, 1):
            page.screenshot(path=str(SHOTS / f"link-{n}-{url_path}.png"), full_page=True)
        # The notice is still shown, as text: the sidebar says the dataset is unknown.
        assert "from the link is not available" in page.locator("body").inner_text(), where


def _hostile_upload() -> bytes:
    df = hostile_tracks(300, 3, seed=11)
    attacks = list(MARKDOWN_ATTACKS)
    df["track_name"] = [attacks[i % len(attacks)] for i in range(len(df))]
    df["artists"] = [attacks[(i + 3) % len(attacks)] for i in range(len(df))]
    df["genre"] = [
        f'<a href="https://{ATTACKER}/g{g}">g{g}</a>' for g in range(3) for _ in range(100)
    ]
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _go(tab, title: str) -> None:
    tab.locator("[data-testid='stSidebarNav']").get_by_text(title, exact=True).click()
    time.sleep(1)
    settle(tab)


def test_uploaded_cells_on_every_page(server, page) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.goto(server, wait_until="domcontentloaded")
    settle(page)
    page.get_by_text("Use your own CSV").click()
    page.locator("[data-testid='stSidebar'] input[type='file']").set_input_files(
        {
            "name": "[x](https:--evil.example-f).csv",
            "mimeType": "text/csv",
            "buffer": _hostile_upload(),
        }
    )
    time.sleep(2)
    settle(page)
    page.locator("[data-testid='stSidebar']").get_by_text("3 genres").wait_for(timeout=120_000)
    for spec in registered_pages():
        _go(page, spec.title)
        assert_inert(page, f"{spec.url_path} with a hostile upload")
        page.screenshot(path=str(SHOTS / f"upload-{spec.url_path}.png"), full_page=True)
    # Track lookup: hostile lines pasted as ids, echoed in the "not track ids" warning.
    _go(page, "Track lookup")
    ids = pd.read_csv(io.BytesIO(_hostile_upload()))["track_id"].head(2).tolist()
    text = "\n".join([*MARKDOWN_ATTACKS, "`a` [b](https://evil.example/c) `", *ids])
    page.locator("textarea").first.fill(text)
    page.get_by_role("button", name="Look up").first.click()
    time.sleep(1)
    settle(page)
    assert "Not track ids" in page.locator("body").inner_text()
    assert_inert(page, "track lookup paste")
    page.screenshot(path=str(SHOTS / "lookup-paste.png"), full_page=True)


def test_oversized_upload_keeps_the_expander_open(server, page, tmp_path) -> None:
    """Finding 7b: a file over the upload cap must not fold away the box that explains it."""
    page.goto(server, wait_until="domcontentloaded")
    settle(page)
    page.get_by_text("Use your own CSV").click()
    side = page.locator("[data-testid='stSidebar']")
    side.locator("input[type='file']").set_input_files(
        {"name": "junk.csv", "mimeType": "text/csv", "buffer": b"a,b\n1,2\n"}
    )
    time.sleep(2)
    settle(page)
    assert side.locator("[data-testid='stAlertContentError']").count() >= 1  # schema error
    big = tmp_path / "big.csv"
    with big.open("wb") as fh:
        fh.write(b"a,b\n" + b"1,2\n" * (14 * 1024 * 1024))  # ~59 MB, over the 50 MB cap
    side.locator("input[type='file']").set_input_files(str(big))
    time.sleep(3)
    settle(page)
    details = side.locator("[data-testid='stExpander'] details")
    assert details.count() == 1 and details.get_attribute("open") is not None
    assert "must be 50.0MB or smaller" in side.inner_text()
    page.screenshot(path=str(SHOTS / "upload-over-cap.png"))


def test_closing_the_tab_stops_its_training(server, page) -> None:
    """Finding 7a: a Model lab job stops within 15 s of its tab closing (server log)."""
    log = ROOT / "artifacts" / "streamlit-security.log"
    query = urllib.parse.urlencode(
        {
            "lab_model": "Random forest",  # a bound select keeps its label in the URL
            "lab_rf_n_estimators": "500",
            "lab_rf_max_depth": "16",
            "lab_rf_min_samples_leaf": "1",  # the slowest forest the sliders allow, so the
            "lab_rf_max_features": "1.0",  # job outlasts the close on a quiet machine too
            "lab_folds": "10",
        }
    )
    page.goto(f"{server}/model-lab?{query}", wait_until="domcontentloaded")
    settle(page)
    before = log.read_text().count("stopped: its session ended")
    page.get_by_role("button", name="Train").click()
    main = page.get_by_test_id("stMainBlockContainer")
    main.get_by_role("button", name="Stop").wait_for(timeout=120_000)  # the job is running
    page.close()
    closed = time.monotonic()
    while time.monotonic() - closed < 30:
        if log.read_text().count("stopped: its session ended") > before:
            break
        time.sleep(0.5)
    took = time.monotonic() - closed
    assert log.read_text().count("stopped: its session ended") > before, "the job kept running"
    assert took < 15, f"the job stopped {took:.1f} s after its tab closed"
