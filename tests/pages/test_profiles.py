"""Genre profiles on Explore (two genres) through AppTest."""

from __future__ import annotations

from core.catalog import profiles
from tests.pages.helpers import app_test, texts


def test_two_genres_feature_by_feature(tidy_catalog):
    at = app_test("app_pages/explore.py", timeout=300)
    at.session_state["exp_tab"] = "Genre profiles"
    at.run()
    assert not at.exception
    at.selectbox(key="prof_a").set_value("edm").run()
    at.selectbox(key="prof_b").set_value("rock").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "cohens_d" in d.value)
    df = tidy_catalog.df
    want = profiles.compare_groups(df[df["genre"] == "edm"], df[df["genre"] == "rock"])
    assert table["feature"].tolist() == want["feature"].tolist()
    assert table["cohens_d"].round(3).tolist() == want["cohens_d"].round(3).tolist()
    assert any("edm vs rock" in str(c.proto.spec) for c in at.get("plotly_chart"))
    at.selectbox(key="prof_b").set_value("edm").run()
    assert "Pick two different genres." in texts(at)


def test_the_two_genres_outlive_another_tab_and_ride_in_the_link():
    # the pickers were not bound: Streamlit drops a widget's state in a run that does not draw
    # it, so a visit to another Explore tab put them back to the first two genres
    at = app_test("app_pages/explore.py", timeout=300)
    at.session_state["exp_tab"] = "Genre profiles"
    at.run()
    at.selectbox(key="prof_a").set_value("rap").run()
    at.selectbox(key="prof_b").set_value("rock").run()
    for tab in ("Scatter", "Genre profiles"):
        at.session_state["exp_tab"] = tab
        at.run()
    assert not at.exception
    assert (at.selectbox(key="prof_a").value, at.selectbox(key="prof_b").value) == ("rap", "rock")
    assert at.query_params["prof_a"] == "rap" and at.query_params["prof_b"] == "rock"
