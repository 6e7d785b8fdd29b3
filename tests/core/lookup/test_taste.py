"""core.lookup.taste: the taste model."""

from __future__ import annotations

import pandas as pd
import pytest

from core.lookup.resolve import resolve_tracks
from core.lookup.taste import MIN_ROWS, TasteError, fit_taste, taste_inputs
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401


def test_taste_model_reports_spread_and_refuses_tiny_data(catalog_df) -> None:
    df = catalog_df.head(60)
    table = resolve_tracks(df["track_id"].tolist(), catalog_df).table
    ratings = pd.Series((df["danceability"] * 10).round().to_numpy(), index=df["track_id"])
    X, y, n_spotify = taste_inputs(table, ratings)
    assert len(X) == 60 and n_spotify == 0
    res = fit_taste(X, y, n_repeats=2)
    assert res.mae_std > 0 and res.mae_mean < res.baseline_mae  # it learns the planted signal
    assert (
        res.importance["feature"].iloc[0] == "danceability"
        and res.importance["direction"].iloc[0] > 0
    )
    with pytest.raises(TasteError, match=str(MIN_ROWS)):
        fit_taste(X.head(MIN_ROWS - 1), y.head(MIN_ROWS - 1))


def test_taste_inputs_leave_out_spotify_features(catalog_df) -> None:
    table = resolve_tracks(catalog_df["track_id"].head(5).tolist(), catalog_df).table
    table.loc[0, "feature_source"] = "spotify"
    X, _, n_spotify = taste_inputs(table, pd.Series(1.0, index=table["track_id"]))
    assert n_spotify == 1 and len(X) == 4
