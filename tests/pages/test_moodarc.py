"""Track lookup's Mood arc through AppTest: an Exportify playlist, its timeline, and reorders."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import make_synthetic_tracks
from tests.fakes import fake_apis_fixture  # noqa: F401
from tests.pages.helpers import app_test, texts

PAGE = "app_pages/track_lookup.py"


@pytest.fixture(scope="module")
def catalog_tracks() -> pd.DataFrame:
    return make_synthetic_tracks(200, n_genres=3, seed=41)


def _open(catalog_tracks: pd.DataFrame):
    at = app_test(timeout=300)
    csv = catalog_tracks.to_csv(index=False).encode()
    at.file_uploader(key="upload_file").set_value(("catalog.csv", csv, "text/csv")).run()
    at.switch_page(PAGE)
    at.run()
    assert not at.exception
    return at


def _playlist(tracks: pd.DataFrame) -> bytes:
    dates = pd.date_range("2023-01-03", periods=len(tracks), freq="9D")
    frame = pd.DataFrame(
        {
            "Track URI": ["spotify:track:" + t for t in tracks["track_id"]],
            "Track Name": tracks["track_name"].to_numpy(),
            "Artist Name(s)": tracks["artists"].to_numpy(),
            "Added At": dates.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    return frame.to_csv(index=False).encode()


def _preview(at) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if "old position" in d.value)


def test_mood_arc_of_an_exportify_playlist(fake_apis, catalog_tracks):
    at = _open(catalog_tracks)
    playlist = catalog_tracks.sample(30, random_state=2)
    at.segmented_control(key="look_mode").set_value("Upload a CSV").run()
    at.file_uploader(key="look_upload").set_value(("mine.csv", _playlist(playlist), "text/csv"))
    at.run()
    at.button(key="look_upload_go").click().run()
    assert not at.exception
    shown = texts(at)
    assert "Mood arc" in [h.value for h in at.subheader]
    assert "Spotify playlists are not modified" in shown
    assert "Your tracks sound most like" in shown  # the genre profile of the playlist
    assert len(at.get("plotly_chart")) >= 4  # mood map, arc, timeline, reorder (+ waterfall)
    metrics = {m.label: m.value for m in at.metric}
    first = playlist["valence"].iloc[:10].mean()
    assert metrics["Opening third, mean valence"] == f"{first:.2f}"
    assert metrics["Valence predicted"] == "0 of 30"
    rising = _preview(at)
    assert rising["valence"].is_monotonic_increasing
    expected = np.argsort(playlist["valence"].to_numpy(), kind="stable") + 1
    assert rising["old position"].tolist() == expected.tolist()
    at.segmented_control(key="arc_shape").set_value("smooth").run()
    assert not at.exception
    smooth = _preview(at)
    assert smooth["old position"].iloc[0] == 1 and sorted(smooth["old position"]) == list(
        range(1, 31)
    )
    before = float(next(m.value for m in at.metric if m.label == "Mean jump now"))
    after = float(next(m.value for m in at.metric if m.label == "Mean jump after"))
    assert after < before


def test_too_few_tracks_for_an_arc(fake_apis, catalog_tracks):
    at = _open(catalog_tracks)
    at.text_area(key="look_ids").set_value("\n".join(catalog_tracks["track_id"].head(2)))
    at.button(key="look_paste_go").click().run()
    assert not at.exception
    assert "The mood arc needs at least 3 tracks" in texts(at)
