"""The What-if tab of Why valence?: sliders move the prediction, reset, and the view is a link."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT
from tests.pages.helpers import texts

PAGE = "app_pages/why_valence.py"


def _metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def _open(params: dict[str, str]) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(PAGE)
    for name, value in {"why_tab": "What-if", **params}.items():
        at.query_params[name] = value
    at.run()
    assert not at.exception
    return at


def test_sliders_move_the_prediction_and_the_link(tidy_catalog):
    at = _open({})
    assert _metric(at, "Predicted valence") == _metric(at, "Predicted at start")
    assert at.query_params["wi_track"] == "median"
    start = at.slider(key="wi_k_danceability").value
    assert abs(start - tidy_catalog.df["danceability"].median()) < 0.006
    at.slider(key="wi_k_danceability").set_value(0.95).run()
    assert not at.exception
    high = float(_metric(at, "Predicted valence"))
    at.slider(key="wi_k_danceability").set_value(0.1).run()
    low = float(_metric(at, "Predicted valence"))
    assert high > low  # danceability is the strongest positive driver of valence
    assert at.query_params["wi_set"] == "danceability=0.1"
    assert "What you moved" in texts(at)
    at.button(key="wi_reset").click().run()
    assert at.slider(key="wi_k_danceability").value == start
    assert _metric(at, "Predicted valence") == _metric(at, "Predicted at start")
    assert "wi_set" not in at.query_params


def test_a_shared_link_reopens_the_view(tidy_catalog):
    df = tidy_catalog.df
    row = df[df["track_name"].astype(str).str.contains("Someone You Loved", regex=False)].iloc[0]
    at = _open({"wi_track": row["track_id"], "wi_set": "energy=0.9;tempo=oops;bogus=1"})
    assert at.selectbox(key="wi_base").value == row.name
    assert at.slider(key="wi_k_energy").value == 0.9
    assert at.slider(key="wi_k_danceability").value == round(float(row["danceability"]), 2)
    assert _metric(at, "Measured at start") == f"{float(row['valence']):.3f}"
    shown = texts(at)
    assert "tempo is not a number" in shown and "bogus" in shown
    assert at.query_params["wi_set"] == "energy=0.9"


def test_an_unknown_track_in_a_link_falls_back_to_the_median():
    at = _open({"wi_track": "zzzzzzzzzzzzzzzzzzzzzz", "wi_set": "energy=" + "9" * 30})
    assert "not in this dataset" in texts(at)
    assert at.selectbox(key="wi_base").value == "median"
    assert at.slider(key="wi_k_energy").value == 1.0  # clamped to the catalog's range
