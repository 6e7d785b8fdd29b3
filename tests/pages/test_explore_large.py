"""Explore on an out-of-core catalog: every tab renders from DuckDB, filters narrow the counts."""

from __future__ import annotations

import pytest

from core.catalog import large
from tests.conftest import make_synthetic_tracks
from tests.pages.helpers import app_test, texts

TABS = [
    "Distributions",
    "Correlations",
    "Genre means",
    "Genre profiles",
    "Scatter",
    "Over time",
    "Table",
]


@pytest.fixture(scope="module")
def at(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bigdata")
    raw = make_synthetic_tracks(3000, seed=11)
    raw["release_date"] = [f"{1990 + i % 30}-01-01" for i in range(len(raw))]
    raw.to_csv(folder / "big_catalog.csv", index=False)
    mp = pytest.MonkeyPatch()
    mp.setenv("VALENCE_LAB_DATA_DIR", str(folder))
    mp.setenv("VALENCE_LAB_CACHE_DIR", str(folder / "cache"))
    mp.setenv(large.THRESHOLD_ENV, "1000")
    mp.setenv(large.SAMPLE_ENV, "500")
    yield app_test("app_pages/explore.py")
    mp.undo()


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_counts_come_from_every_row_not_the_sample(at):
    assert not at.exception
    assert _metric(at, "Tracks") == "3,000"
    assert "Out-of-core" in texts(at)
    at.multiselect(key="exp_genres").set_value(["g1"]).run()
    n = int(_metric(at, "Tracks").replace(",", ""))
    assert 500 < n < 3000 and _metric(at, "Genres") == "1"
    at.multiselect(key="exp_genres").set_value([]).run()


@pytest.mark.parametrize("tab", TABS)
def test_each_tab_renders(at, tab):
    at.session_state["exp_tab"] = tab
    at.run()
    assert not at.exception
    if tab != "Table":
        assert len(at.get("plotly_chart")) >= 1
    else:
        assert "Rows 1–1,000 of 3,000" in texts(at)


def test_box_and_violin(at):
    at.session_state["exp_tab"] = "Distributions"
    at.run()
    for kind in ("Box", "Violin", "Histogram"):
        at.button_group(key="exp_dist_kind").set_value(kind).run()
        assert not at.exception, kind
