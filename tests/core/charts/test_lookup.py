"""Track lookup charts: the mood map over the catalog and the taste drivers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.charts import ACCENT
from core.charts.lookup import QUADRANTS, plot_mood_map, plot_taste_drivers
from tests.conftest import make_synthetic_tracks

CATALOG = make_synthetic_tracks(300, 3, seed=31)


def _mine() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "track_id": ["id0", "id1", "id2", "id3", "id4"],
            "track_name": ["Song A", None, "Song C", "Song D", "<a href='x'>E</a>"],
            "artists": ["X;Y", "Z", None, "W", "V"],
            "valence": [0.2, np.nan, np.nan, 0.9, 0.5],
            "predicted_valence": [0.8, 0.6, np.nan, 0.1, 0.5],
            "energy": [0.3, 0.7, 0.5, "n/a", 0.4],
            "feature_source": ["catalog", "reccobeats", "catalog", "catalog", "spotify"],
        }
    )


def test_mood_map_draws_a_seeded_catalog_sample_under_the_users_tracks():
    fig = plot_mood_map(CATALOG, _mine(), sample=100, seed=4)
    cloud, mine = fig.data
    assert cloud.name == "catalog" and len(cloud.x) == 100 and cloud.hoverinfo == "skip"
    assert set(cloud.x) <= set(CATALOG["valence"])
    assert list(plot_mood_map(CATALOG, _mine(), sample=100, seed=4).data[0].x) == list(cloud.x)
    assert len(plot_mood_map(CATALOG, _mine(), sample=1000).data[0].x) == len(CATALOG)
    assert mine.name == "your tracks" and mine.marker.color == ACCENT


def test_mood_map_uses_known_valence_then_the_prediction_and_drops_unplaceable_rows():
    mine = plot_mood_map(CATALOG, _mine(), sample=50).data[1]
    # id2 has no valence at all and id3 no numeric energy: both are left out.
    assert list(mine.x) == [0.2, 0.6, 0.5] and list(mine.y) == [0.3, 0.7, 0.4]
    assert list(mine.text[:2]) == ["Song A — X, Y", "id1 — Z"]  # no name: the id
    assert [c[0] for c in mine.customdata] == ["catalog", "reccobeats", "spotify"]
    assert "features: %{customdata[0]}" in mine.hovertemplate
    assert "<a" not in mine.text[2] and "&lt;a" in mine.text[2]  # links neutralised


def test_mood_map_without_a_prediction_column_or_matching_rows():
    only_known = _mine().drop(columns="predicted_valence")
    assert list(plot_mood_map(CATALOG, only_known, sample=50).data[1].x) == [0.2, 0.5]
    none = _mine().assign(energy=np.nan)
    assert len(plot_mood_map(CATALOG, none, sample=50).data[1].x) == 0


def test_mood_map_frames_the_unit_square_with_quadrant_labels():
    fig = plot_mood_map(CATALOG, _mine(), sample=50)
    labels = {a.text: (a.x, a.y, a.xanchor) for a in fig.layout.annotations}
    assert set(labels) == {q[2] for q in QUADRANTS}
    assert labels["happy · energetic"] == (0.97, 0.97, "right")
    assert labels["sad · low"] == (0.03, 0.03, "left")
    assert tuple(fig.layout.xaxis.range) == (0, 1) and tuple(fig.layout.yaxis.range) == (0, 1)
    assert [s.type for s in fig.layout.shapes] == ["line", "line"]  # the 0.5 cross


def test_taste_drivers_show_the_top_features_largest_on_top_coloured_by_direction():
    importance = pd.DataFrame(
        {
            "feature": ["danceability", "energy", "tempo", "loudness"],
            "mean_abs_shap": [0.9, 0.5, 0.3, 0.1],
            "direction": [1.0, -0.4, 0.0, 1.0],
        }
    )
    fig = plot_taste_drivers(importance, top=3)
    bar = fig.data[0]
    assert bar.type == "bar" and bar.orientation == "h"
    assert list(bar.y) == ["tempo", "energy", "danceability"]  # plotly draws bottom-up
    assert list(bar.x) == pytest.approx([0.3, 0.5, 0.9])
    assert list(bar.marker.color) == [ACCENT, "#9467bd", ACCENT]  # zero counts as liked
    assert fig.layout.height == 120 + 26 * 3
    assert len(plot_taste_drivers(importance).data[0].y) == 4
