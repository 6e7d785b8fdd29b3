"""Mood arc figures: traces, escaped names, the timeline's count axis."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.charts import moodarc as charts
from core.lookup import moodarc
from tests.core.lookup.test_moodarc import _table


def test_arc_figures_draw_and_escape_names():
    t = _table(10)
    t.loc[0, "track_name"] = "<img src=x onerror=alert(1)>"
    t.loc[3, "valence"] = np.nan
    f = moodarc.arc_frame(t)
    fig = charts.plot_arc(f, moodarc.smooth(f["valence"]))
    names = [tr.name for tr in fig.data]
    assert names == ["valence", "valence (predicted)", "mood arc (smoothed valence)", "energy"]
    assert "<img" not in fig.to_json() and "&lt;img" in fig.to_json()
    r = moodarc.reorder(f, "peak")
    charts.plot_reorder(f, f.iloc[r.order])


def test_timeline_counts_sit_under_the_points():
    t = _table(6)
    up = pd.DataFrame(
        {
            "track_id": t["track_id"],
            "Added At": pd.date_range("2021-01-01", periods=6, freq="20D").strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
        }
    )
    f = moodarc.arc_frame(t, up)
    months = moodarc.monthly(f)
    fig = charts.plot_timeline(f, months)
    assert [tr.name for tr in fig.data] == ["tracks added", "a track", "mean valence that month"]
    assert fig.layout.yaxis2.range[1] == months["tracks"].max() * 2.5
    assert np.isclose(fig.data[2].y, months["valence"]).all()
