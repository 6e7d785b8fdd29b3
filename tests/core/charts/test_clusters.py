"""core.charts.clusters: projection and dendrogram figures."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.charts import clusters as charts
from core.genremap import clusters
from tests.conftest import make_tree_data


def test_projection_figure_uses_webgl_and_maps_points_back(synthetic_tracks):
    frame = synthetic_tracks.head(60).reset_index(drop=True).assign(x=np.arange(60), y=0.0)
    fig = charts.plot_projection(frame, "x", "y", "genre")
    assert {t.type for t in fig.data} == {"scattergl"}
    assert sorted(t.name for t in fig.data) == sorted(frame["genre"].unique())
    for trace in fig.data:
        positions = [int(c[0]) for c in trace.customdata]
        assert (frame.loc[positions, "genre"] == trace.name).all()
    numeric = charts.plot_projection(frame, "x", "y", "energy")
    assert len(numeric.data) == 1 and numeric.data[0].marker.colorscale is not None


def test_dendrogram_figure_labels_follow_the_tree():
    X, labels = make_tree_data(0)
    cent = clusters.genre_centroids(X, labels, ["x", "y", "z"])
    link = clusters.genre_linkage(cent)
    fig = charts.plot_dendrogram(link, list(cent.index))
    assert list(fig.layout.yaxis.ticktext) == clusters.dendrogram_order(link, list(cent.index))
    assert len(fig.data) == len(cent) - 1  # one bracket per merge


def test_radar_labels_are_short_and_the_legend_below():
    from core.charts.clusters import plot_profiles

    profiles = pd.DataFrame(
        [[0.1, -0.2, 0.3, 0.0], [0.5, 0.1, -0.4, 0.2]],
        columns=["instrumentalness", "acousticness", "danceability", "energy"],
    )
    fig = plot_profiles(profiles)
    assert max(len(t) for t in fig.data[0].theta) <= 12
    assert list(fig.data[0].customdata)[0] == "instrumentalness"  # full name on hover
    assert fig.layout.legend.orientation == "h"
