"""The Explore page reacts to filters and renders every tab."""

from __future__ import annotations

import pytest

from tests.pages.helpers import app_test, each_distribution_kind, render_explore_tab, texts

TABS = ["Distributions", "Correlations", "Genre means", "Scatter", "Over time", "Table"]


@pytest.fixture(scope="module")
def at():
    return app_test("app_pages/explore.py")


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_kpis_and_genre_filter(at):
    assert _metric(at, "Tracks") == "27,700"
    at.multiselect(key="exp_genres").set_value(["rock", "latin"]).run()
    assert not at.exception
    assert _metric(at, "Genres") == "2"
    tracks = int(_metric(at, "Tracks").replace(",", ""))
    assert 0 < tracks < 27_700
    at.multiselect(key="exp_genres").set_value([]).run()
    assert _metric(at, "Tracks") == "27,700"


def test_year_and_popularity_filters(at):
    at.slider(key="exp_years").set_value((2010, 2020)).run()
    narrowed = int(_metric(at, "Tracks").replace(",", ""))
    at.slider(key="exp_pop").set_value((50, 100)).run()
    both = int(_metric(at, "Tracks").replace(",", ""))
    assert 0 < both < narrowed < 27_700
    at.slider(key="exp_years").set_value((1957, 2020)).run()
    at.slider(key="exp_pop").set_value((0, 100)).run()


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_renders(at, tab):
    render_explore_tab(at, tab)


def test_scatter_reports_fit_r2_and_sample(at):
    at.session_state["exp_tab"] = "Scatter"
    at.run()
    at.number_input(key="exp_cap").set_value(1000).run()
    assert "1,000 of 27,700 tracks shown" in texts(at)
    at.selectbox(key="exp_x").set_value("danceability").run()
    assert not at.exception


def test_distribution_kinds(at):
    for _kind in each_distribution_kind(at):
        assert len(at.get("plotly_chart")) == 1


def test_empty_filter_result_gives_message(at):
    at.slider(key="exp_pop").set_value((100, 100)).run()
    at.multiselect(key="exp_genres").set_value(["edm"]).run()
    assert not at.exception
    if "No track matches" not in texts(at):  # some edm track may have popularity 100
        assert int(_metric(at, "Tracks").replace(",", "")) < 50


def test_a_link_restores_every_chart_control():
    from streamlit.testing.v1 import AppTest

    from tests.conftest import ROOT

    link = {
        "exp_tab": "Scatter",
        "exp_x": "tempo",
        "exp_y": "energy",
        "exp_color": "danceability",
        "exp_size": "popularity",
        "exp_fits": "quadratic",
        "exp_dist_feature": "energy",
    }
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.query_params.update(link)
    at.run()
    assert not at.exception
    for key in ("exp_x", "exp_y", "exp_color", "exp_size"):
        assert at.selectbox(key=key).value == link[key], key
    assert at.pills(key="exp_fits").value == ["quadratic"]
    bad = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    bad.query_params.update({"exp_tab": "Scatter", "exp_x": "no-such-feature"})
    bad.run()
    assert not bad.exception and bad.selectbox(key="exp_x").value == "energy"  # default kept
