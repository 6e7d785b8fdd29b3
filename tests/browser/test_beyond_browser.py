"""Real browser checks of issue 14's views, with screenshots at 1400 and 800 px.

What-if, Mood arc, classifier diagnostics (a click on a confusion cell lists its tracks),
Compare runs, the interaction matrix (a click on a cell draws its dependence plot) and the
genre profiles of looked-up tracks.

Reuses the server fixture of ``test_browser.py`` and the browser of ``tests.fakes.browser``;
screenshots go to artifacts/screenshots/ (git-ignored).
"""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.browser.test_browser import SHOTS, server  # noqa: F401
from tests.conftest import shared_file
from tests.fakes.browser import browser_fixture, open_page, scroll_to, settle  # noqa: F401

pytestmark = pytest.mark.browser
WIDTHS = (1400, 800)


def _no_errors(page) -> None:
    exceptions = page.locator("[data-testid='stException']")
    assert exceptions.count() == 0, exceptions.first.inner_text()
    errors = page.locator("[data-testid='stAlertContentError']")
    assert errors.count() == 0, errors.first.inner_text()


def _no_error_boundary(page) -> None:
    """No element replaced by the frontend's error boundary (an error box of any kind)."""
    boxes = page.locator("[data-testid*='Error'], [data-testid*='error']")
    assert boxes.count() == 0, boxes.first.inner_text()


def _shoot(page, name: str, width: int, top=None) -> None:
    """Screenshot the page (Streamlit scrolls inside it: ``top`` is scrolled to the top first)."""
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.mouse.move(1, 1)  # no hover label or mode bar in the picture
    if top is not None:
        top.first.evaluate("el => el.scrollIntoView({block: 'start'})")
        page.wait_for_timeout(300)
    page.screenshot(path=str(SHOTS / f"{name}-{width}.png"), full_page=True)


def _select_value(page, label: str) -> str:
    return page.locator(
        f"[data-testid='stSelectbox'] input[aria-label='{label}']"
    ).first.get_attribute("value")


CELL_CENTRE_JS = """([nth, i, j]) => {
    const charts = [...document.querySelectorAll('.js-plotly-plot')]
        .filter(gd => (gd.data || []).some(t => t.name === 'cells'));
    const gd = charts[nth];
    gd.scrollIntoView({block: 'center'});
    const cells = gd.data.find(t => t.name === 'cells');
    const k = cells.customdata.findIndex(c => c[0] === i && c[1] === j);
    const xa = gd._fullLayout.xaxis, ya = gd._fullLayout.yaxis;
    const box = gd.getBoundingClientRect();
    return [box.left + xa._offset + xa.d2p(cells.x[k]), box.top + ya._offset + ya.d2p(cells.y[k])];
}"""


def _click_cell(page, i: int, j: int, nth: int = 0) -> None:
    """Click the centre of cell (row ``i``, column ``j``) of the ``nth`` clickable heatmap."""
    page.wait_for_function(
        "() => [...document.querySelectorAll('.js-plotly-plot')]"
        ".some(gd => (gd.data || []).some(t => t.name === 'cells'))",
        timeout=60_000,
    )
    x, y = page.evaluate(CELL_CENTRE_JS, [nth, i, j])
    page.mouse.move(x, y)
    page.wait_for_timeout(300)
    page.mouse.click(x, y)
    settle(page)


def _labels(page, nth: int = 0) -> list[str]:
    """The row labels of the ``nth`` clickable heatmap, as drawn (plotly's y categories)."""
    return page.evaluate(
        """nth => [...document.querySelectorAll('.js-plotly-plot')]
            .filter(gd => (gd.data || []).some(t => t.name === 'cells'))[nth]
            ._fullLayout.yaxis._categories""",
        nth,
    )


def _metric(page, label: str) -> str:
    box = page.locator("[data-testid='stMetric']").filter(has_text=label).first
    return box.locator("[data-testid='stMetricValue']").inner_text()


@pytest.mark.parametrize("width", WIDTHS)
def test_whatif_link_opens_and_a_slider_moves_the_prediction(server, browser, width):  # noqa: F811
    tracks = pd.read_csv(shared_file("tidytuesday_spotify_songs.csv"), nrows=50)
    track_id = tracks["track_id"].iloc[0]
    with open_page(
        browser,
        f"{server}/why-valence?why_tab=What-if&wi_track={track_id}&wi_set=energy%3D0.9",
        width,
        1100,
    ) as page:
        _no_errors(page)
        page.get_by_text("Predicted valence").first.wait_for(timeout=60_000)
        before = _metric(page, "Predicted valence")
        assert re.fullmatch(r"0\.\d{3}", before)
        page.screenshot(path=str(SHOTS / f"whatif-{width}.png"), full_page=True)
        slider = page.get_by_role("slider").first  # danceability
        slider.focus()
        for _ in range(15):
            page.keyboard.press("ArrowRight")
        settle(page)
        _no_errors(page)
        after = _metric(page, "Predicted valence")
        assert after != before
        assert "wi_set=" in page.url and "danceability" in page.url


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
    with open_page(browser, f"{server}/track-lookup?look_mode=Upload+a+CSV", width, 1100) as page:
        uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']").last
        uploader.set_input_files(_playlist_csv(tmp_path))
        page.get_by_role("button", name=re.compile(r"Look up 40 tracks")).click()
        page.get_by_role("heading", name="Mood arc").wait_for(
            timeout=600_000
        )  # a cold server trains the default models
        download = page.get_by_role("button", name=re.compile("Download the reordered"))
        download.wait_for(timeout=120_000)  # the reorder is drawn after the arc (a loaded CI)
        settle(page)
        _no_errors(page)
        assert page.get_by_text("Spotify playlists are not modified").count() == 1
        assert download.count() == 1
        scroll_to(page.get_by_role("heading", name="Mood arc"))
        page.screenshot(path=str(SHOTS / f"moodarc-{width}.png"), full_page=True)
        page.get_by_text("Smoothest transitions", exact=True).first.click()
        settle(page)
        _no_errors(page)
        assert _metric(page, "Mean jump after") != _metric(page, "Mean jump now")


def _train(page, model_label: str) -> None:
    """Pick a model by its label and train it; wait for the run to finish."""
    box = page.locator("[data-testid='stSelectbox']").filter(
        has=page.locator("input[aria-label='Model']")
    )
    box.click()
    page.get_by_role("option", name=model_label, exact=True).click()
    settle(page)
    runs = page.get_by_role("heading", name=re.compile(r"^Run \\d+")).count()
    page.get_by_role("button", name="Train").click()
    page.get_by_role("heading", name=re.compile(rf"^Run {runs + 1}:")).wait_for(timeout=300_000)
    settle(page, 300)


@pytest.mark.parametrize("width", WIDTHS)
def test_genre_diagnostics_and_a_click_on_a_confusion_cell(server, browser, width):  # noqa: F811
    with open_page(
        browser, f"{server}/model-lab?lab_task=Genre+%28classification%29", width, 1100
    ) as page:
        _train(page, "Linear (OLS / logistic)")
        page.get_by_role("tab", name="Predictions").click()
        settle(page)
        page.get_by_text("Inside the confusion matrix").first.wait_for(timeout=30_000)
        _no_errors(page)
        _no_error_boundary(page)
        for title in ("ROC, one class against the rest", "Precision-recall per class"):
            assert page.get_by_text(title).count() >= 1
        assert page.get_by_text("Reliability").count() + page.get_by_text("calibrat").count()
        labels = _labels(page)
        assert len(labels) >= 2
        before = (_select_value(page, "Actual genre"), _select_value(page, "Predicted as"))
        i = next(k for k, g in enumerate(labels) if (g, g) != before)
        _click_cell(page, i, i)  # a diagonal cell: the tracks it got right
        _no_errors(page)
        assert (_select_value(page, "Actual genre"), _select_value(page, "Predicted as")) == (
            labels[i],
            labels[i],
        )
        caption = page.get_by_text(re.compile(r"test track\(s\) are .* predicted as"))
        caption.first.wait_for(timeout=30_000)
        assert labels[i] in caption.first.inner_text()
        table = page.locator("[data-testid='stDataFrame']").last
        scroll_to(table)
        assert table.is_visible()
        _shoot(page, "diagnostics-examples", width, page.get_by_text("Inside the confusion matrix"))
        _shoot(page, "diagnostics", width, page.locator("[data-testid='stPlotlyChart']"))


@pytest.mark.parametrize("width", WIDTHS)
def test_compare_two_runs(server, browser, width):  # noqa: F811
    with open_page(browser, f"{server}/model-lab", width, 1100) as page:  # valence
        _train(page, "Linear (OLS / logistic)")
        _train(page, "XGBoost")  # boosted: it has a learning curve to overlay
        _no_errors(page)
        heading = page.get_by_role("heading", name="Compare runs")
        scroll_to(heading)
        page.get_by_text("What differs between their settings").wait_for(timeout=30_000)
        charts = page.locator("[data-testid='stPlotlyChart']")
        # the metric overlay, the learning curves and predicted vs actual of the two runs
        assert (
            page.locator(".js-plotly-plot").evaluate_all(
                "gds => gds.filter(gd => (gd.data || []).length >= 2).length"
            )
            >= 3
        )
        assert charts.count() >= 3
        _no_errors(page)
        _no_error_boundary(page)
        _shoot(page, "compare-runs", width, page.get_by_text("What differs between"))


@pytest.mark.parametrize("width", WIDTHS)
def test_a_click_on_an_interaction_cell_draws_its_dependence_plot(server, browser, width):  # noqa: F811
    with open_page(
        browser, f"{server}/why-valence?why_tab=Interactions", width, 1100, timeout_s=300
    ) as page:
        page.get_by_text("Which features act together").first.wait_for(timeout=300_000)
        _no_errors(page)
        labels = _labels(page)
        before = (_select_value(page, "Cell: row"), _select_value(page, "column"))
        i, j = next(
            (a, b)
            for a in range(len(labels))
            for b in range(len(labels))
            if a != b and (labels[a], labels[b]) != before
        )
        _click_cell(page, i, j)
        _no_errors(page)
        _no_error_boundary(page)
        a, b = _select_value(page, "Cell: row"), _select_value(page, "column")
        assert (a, b) == (labels[i], labels[j])
        title = page.get_by_text(f"How {a} and {b} act together")
        title.first.wait_for(timeout=30_000)
        _shoot(page, "interactions", width, page.get_by_text("Tracks explained"))


@pytest.mark.parametrize("width", WIDTHS)
def test_genre_profile_of_looked_up_tracks(server, browser, width, tmp_path):  # noqa: F811
    with open_page(browser, f"{server}/track-lookup?look_mode=Upload+a+CSV", width, 1100) as page:
        uploader = page.locator("[data-testid='stFileUploaderDropzoneInput']").last
        uploader.set_input_files(_playlist_csv(tmp_path))
        page.get_by_role("button", name=re.compile(r"Look up 40 tracks")).click()
        heading = page.get_by_role("heading", name="Genre profile")
        heading.wait_for(timeout=600_000)
        settle(page)
        _no_errors(page)
        _no_error_boundary(page)
        verdict = page.get_by_text(re.compile("Your tracks sound most like"))
        assert verdict.count() == 1
        scroll_to(heading)
        assert page.get_by_text("Cohen's d", exact=False).count() >= 1
        assert _select_value(page, "Compare your tracks with")
        _shoot(page, "genre-profile", width, heading)
        page.goto(f"{server}/explore?exp_tab=Genre+profiles", wait_until="domcontentloaded")
        settle(page)
        _no_errors(page)
        assert page.get_by_text("Cohen's d", exact=False).count() >= 1
        _shoot(page, "genre-profiles-explore", width)
