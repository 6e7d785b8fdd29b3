"""Explore figures: no repeated percent ticks, fits above markers, no band markers, no overlap."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.catalog import explore
from core.charts import explore as charts


def test_percent_ticks_never_repeat():
    for max_share in (0.004, 0.02, 0.035, 0.08, 0.3):
        fmt = charts.percent_tickformat(max_share)  # d3 ".1%" reads like Python's ".1%"
        labels = [format(float(t), fmt) for t in np.linspace(0, max_share, 6)]
        assert len(set(labels)) == len(labels), (max_share, labels)


def test_fit_lines_are_drawn_above_the_webgl_markers():
    rng = np.random.default_rng(0)
    df = pd.DataFrame({"x": rng.random(200), "y": rng.random(200)})
    fit = explore.polynomial_fit(df["x"], df["y"], 1)
    fig = charts.plot_scatter(df, "x", "y", None, None, [fit])
    assert fig.data[0].type == "scattergl" and fig.data[-1].type == "scattergl"


def test_decade_band_has_no_markers():
    stats = pd.DataFrame(
        {
            "period": [1990, 2000, 2010],
            "mean": [0.5, 0.52, 0.48],
            "sem": [0.01, 0.01, 0.02],
            "tracks": [50, 60, 70],
        }
    )
    fig = charts.plot_period_trend(stats, "decade")
    assert fig.data[0].mode == "lines"


def test_many_genres_become_small_multiples():
    rng = np.random.default_rng(1)
    df = pd.DataFrame({"valence": rng.random(3000), "genre": [f"g{i % 16}" for i in range(3000)]})
    counts = explore.histogram_counts(df, "valence", "genre")
    fig = charts.plot_histogram(counts, "valence", {})
    assert len(fig.data) == 16 and len({t.xaxis for t in fig.data}) == 16  # one panel each
    few = explore.histogram_counts(df[df["genre"].isin(["g1", "g2"])], "valence", "genre")
    assert len({t.xaxis for t in charts.plot_histogram(few, "valence", {}).data}) == 1
