"""Genre profile chart: Cohen's d bars with asymmetric intervals, coloured by the higher group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.catalog import profiles
from core.charts.profiles import A_COLOR, B_COLOR, plot_effect_sizes
from tests.conftest import make_synthetic_tracks


def _table() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "feature": ["energy", "valence", "tempo", "mode"],
            "mean_a": [0.7, 0.4, 120.0, 0.5],
            "mean_b": [0.4, 0.6, 118.0, 0.5],
            "cohens_d": [1.2, -0.6, 0.1, np.nan],
            "d_low": [0.9, -0.8, -0.2, np.nan],
            "d_high": [1.6, -0.3, 0.4, np.nan],
            "size": ["large", "medium", "negligible", "n/a"],
        }
    )


def test_bars_skip_undefined_effects_and_draw_the_largest_on_top():
    fig = plot_effect_sizes(_table(), "mine", "pop")
    bar = fig.data[0]
    assert list(bar.y) == ["tempo", "valence", "energy"]  # mode has no d; plotly draws bottom-up
    assert list(bar.x) == pytest.approx([0.1, -0.6, 1.2])
    assert list(bar.marker.color) == [A_COLOR, B_COLOR, A_COLOR]  # right: higher in group a
    assert fig.layout.height == 140 + 30 * 3


def test_intervals_are_asymmetric_error_bars_around_d():
    bar = plot_effect_sizes(_table(), "mine", "pop").data[0]
    assert bar.error_x.symmetric is False
    assert list(bar.error_x.array) == pytest.approx([0.3, 0.3, 0.4])  # d_high - d
    assert list(bar.error_x.arrayminus) == pytest.approx([0.3, 0.2, 0.3])  # d - d_low
    assert [list(row) for row in bar.customdata][2] == [0.7, 0.4, "large"]


def test_reference_lines_and_group_names_in_the_labels():
    fig = plot_effect_sizes(_table(), "mine", "pop")
    xs = sorted(s.x0 for s in fig.layout.shapes)
    assert xs == [-0.8, -0.5, -0.2, 0, 0.2, 0.5, 0.8]  # small / medium / large and zero
    assert fig.layout.title.text == "mine vs pop, feature by feature"
    assert fig.layout.xaxis.title.text == "Cohen's d  (← higher in pop · higher in mine →)"
    assert "mine: %{customdata[0]:.3g} · pop: %{customdata[1]:.3g}" in fig.data[0].hovertemplate


def test_group_names_are_escaped_and_shortened():
    fig = plot_effect_sizes(_table(), "<i>g0</i>", "<a href='x'>" + "b" * 60)
    title = fig.layout.title.text
    assert "&lt;i&gt;g0&lt;/i&gt;" in title and "<i>" not in title and "<a" not in title
    b_name = title.split(" vs ")[1].removesuffix(", feature by feature")
    assert len(b_name) == 40 and b_name.startswith("&lt;a href=")


def test_the_chart_of_a_computed_comparison():
    cat = make_synthetic_tracks(600, n_genres=3, seed=3)  # energy rises with the genre index
    t = profiles.compare_groups(cat[cat["genre"] == "g2"], cat[cat["genre"] == "g0"])
    bar = plot_effect_sizes(t, "g2", "g0").data[0]
    energy = list(bar.y).index("energy")
    assert bar.x[energy] > 0.8 and bar.marker.color[energy] == A_COLOR
    assert len(bar.y) == t["cohens_d"].notna().sum()
