"""Real browser checks of the What-if tab and the Mood arc, with screenshots at 1400 and 800 px.

Reuses the server and browser fixtures of ``test_browser.py``; screenshots go to
artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.browser.test_browser import SHOTS, _settle, browser, server  # noqa: F401
from tests.conftest import shared_file

pytestmark = pytest.mark.browser
WIDTHS = (1400, 800)


def _no_errors(page) -> None:
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()
    errors = page.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, errors.first.inner_text()


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_whatif_link_opens_and_a_slider_moves_the_prediction(server, browser, width):  # noqa: F811
    tracks = pd.read_csv(shared_file("tidytuesday_spotify_songs.csv"), nrows=50)
    track_id = tracks["track_id"].iloc[0]
    page = browser.new_page(viewport={"width": width, "height": 1100})
    try:
        page.goto(
            f"{server}/why-valence?why_tab=What-if&wi_track={track_id}&wi_set=energy%3D0.9",
            wait_until="domcontentloaded",
        )
        _settle(page)
        _no_errors(page)
        page.get_by_text("Predicted valence").first.wait_for(timeout=60_000)
        before = _metric(page, "Predicted valence")
        assert re.fullmatch(r"0\.\d{3}", before)
        page.screenshot(path=str(SHOTS / f"whatif-{width}.png"), full_page=True)
        slider = page.get_by_role("slider").first  # danceability
        slider.focus()
        for _ in range(15):
            page.keyboard.press("ArrowRight")
        _settle(page)
        _no_errors(page)
        after = _metric(page, "Predicted valence")
        assert after != before
        assert "wi_set=" in page.url and "danceability" in page.url
    finally:
        page.close()


def _playlist_csv(tmp_path) -> str:
    tracks = pd.read_csv(shared_file("tidytuesday_spotify_songs.csv"), nrows=400)
    tracks = tracks.drop_duplicates("track_id").head(40)
    frame = pd.DataFrame(
        {
            "Track URI": "spotify:track:" + tracks["track_id"],
            "Track Name": tracks["track_name"],
            "Artist Name(s)": tracks["track_artist"],
            "Added At": pd.date_range("2022-02-01", periods=len(tracks), freq="11D").strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
    )
    path = tmp_path / "my playlist.csv"
    frame.to_csv(path, index=False)
    return str(path)


@pytest.mark.parametrize("width", WIDTHS)
def test_mood_arc_of_an_uploaded_playlist(server, browser, width, tmp_path):  # noqa: F811
    SHOTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": width, "height": 1100})
    try:
        page.goto(f"{server}/track-lookup?look_mode=Upload+a+CSV", wait_until="domcontentloaded")
        _settle(page)
        uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']").last
        uploader.set_input_files(_playlist_csv(tmp_path))
        page.get_by_role("button", name=re.compile(r"Look up 40 tracks")).click()
        page.get_by_role("heading", name="Mood arc").wait_for(
            timeout=600_000
        )  # a cold server trains the default models
        _settle(page)
        _no_errors(page)
        assert page.get_by_text("Spotify playlists are not modified").count() == 1
        assert page.get_by_role("button", name=re.compile("Download the reordered")).count() == 1
        page.get_by_role("heading", name="Mood arc").scroll_into_view_if_needed()
        page.screenshot(path=str(SHOTS / f"moodarc-{width}.png"), full_page=True)
        page.get_by_text("Smoothest transitions", exact=True).first.click()
        _settle(page)
        _no_errors(page)
        assert _metric(page, "Mean jump after") != _metric(page, "Mean jump now")
    finally:
        page.close()
