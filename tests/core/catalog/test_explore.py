"""core.catalog.explore: filters, summaries, fits and labels behind the Explore page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.catalog import explore


def _tracks() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "track_id": ["a" * 22, "b" * 22, "c" * 22, "d" * 22, "e" * 22, "f" * 22],
            "track_name": ["One", None, "Three", "Four", "Five", "Six"],
            "artists": ["X;Y", "Z", None, "X", "Z", "Y"],
            "primary_artist": ["x", "z", None, "x", "z", "y"],
            "genre": ["pop", "pop", "rock", "rock", "jazz", "jazz"],
            "popularity": [10, 50, np.nan, 90, 30, 70],
            "release_year": [1975, 1985, 1995, 2005, 2015, np.nan],
            "energy": [0.1, 0.2, 0.3, 0.4, 0.5, 0.6],
            "valence": [0.2, 0.4, 0.6, 0.8, 1.0, 0.0],
        }
    )


def test_filters_keep_unknown_values_and_combine():
    df = _tracks()
    assert explore.filter_mask(df, ["pop"]).tolist() == [True, True, False, False, False, False]
    pop = explore.filter_mask(df, popularity=(40, 100))
    assert pop.tolist() == [False, True, True, True, False, True]  # unknown popularity kept
    both = explore.filter_mask(df, ["rock", "jazz"], years=(1990, 2010))
    assert both.tolist() == [False, False, True, True, False, True]


def test_kpis_and_strongest_correlations():
    df = _tracks()
    k = explore.kpis(df)
    assert (k["tracks"], k["artists"], k["genres"]) == (6, 3, 3)
    assert k["mean_valence"] == pytest.approx(0.5)
    corr = explore.correlation_matrix(df, ["energy", "popularity", "valence"])
    top = explore.strongest_correlations(corr, "valence", 2)
    assert list(top.index) == sorted(top.index, key=lambda c: -abs(corr.loc[c, "valence"]))
    assert "valence" not in top.index and len(top) == 2


def test_fit_lines_recover_a_planted_line_and_skip_impossible_fits():
    x = pd.Series(np.linspace(0, 1, 50))
    df = pd.DataFrame({"x": x, "y": 2 * x + 1})
    fits = explore.fit_lines(df, "x", "y", ["linear", "quadratic"])
    assert [f.degree for f in fits] == [1, 2]
    assert fits[0].coefficients == pytest.approx([2, 1]) and fits[0].r2 == pytest.approx(1)
    assert explore.fit_lines(df.head(2), "x", "y", ["quadratic"]) == []


def test_genre_order_by_median_and_period_means():
    df = _tracks()
    assert explore.genre_order(df, "energy") == ["pop", "rock", "jazz"]
    decades = explore.valence_by_period(df, "decade", min_tracks=1)
    assert decades["period"].tolist() == [1970, 1980, 1990, 2000, 2010]
    assert explore.valence_by_period(df, "decade").empty  # fewer than 5 tracks a decade


def test_track_labels_fall_back_to_ids_and_question_marks():
    labels = explore.track_labels(_tracks())
    assert labels.iloc[0] == "One — X, Y"
    assert labels.iloc[1] == f"{'b' * 22} — Z"
    assert labels.iloc[2] == "Three — ?"
    no_names = _tracks().drop(columns=["track_name"])
    assert explore.track_labels(no_names).iloc[0] == "a" * 22
    assert explore.track_labels(pd.DataFrame({"x": [1, 2]})).tolist() == ["row 0", "row 1"]
