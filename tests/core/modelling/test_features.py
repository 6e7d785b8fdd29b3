"""core.modelling.features: feature sets and the model input matrix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.modelling import features


def _rows() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "danceability": [0.1, 0.5, 0.9],
            "energy": [0.2, 0.4, 0.6],
            "valence": [0.3, 0.6, 0.9],
            "explicit": [True, False, pd.NA],
            "release_year": [1990, np.nan, 2010],
            "popularity": [np.nan, np.nan, np.nan],
            "genre": ["pop", "rock", None],
        }
    )


def test_feature_sets_never_leak_the_target():
    df = _rows()
    audio = features.input_columns(df, "audio", "valence")
    assert audio == ["danceability", "energy"]
    assert "valence" in features.input_columns(df, "audio", "genre")
    every = features.input_columns(df, "all", "valence")
    assert "genre" in every and "popularity" not in every  # all-missing context is left out
    assert "genre" not in features.input_columns(df, "all", "genre")
    with pytest.raises(ValueError, match="Unknown feature set"):
        features.input_columns(df, "everything")


def test_matrix_one_hot_on_fixed_levels_and_nan_for_unknowns():
    df = _rows()
    cols = ["danceability", "explicit", "release_year", "genre"]
    levels = features.categorical_levels(df, cols)
    assert levels == {"genre": ["pop", "rock"]}
    X = features.build_matrix(df, cols, levels)
    assert list(X.columns) == [
        "danceability",
        "explicit",
        "release_year",
        "genre=pop",
        "genre=rock",
    ]
    assert X["genre=pop"].tolist() == [1.0, 0.0, 0.0] and X["explicit"].iloc[0] == 1.0
    assert np.isnan(X["release_year"].iloc[1])
    new = features.build_matrix(pd.DataFrame({"genre": ["jazz"]}), cols, levels)
    assert new[["genre=pop", "genre=rock"]].sum().sum() == 0 and new["danceability"].isna().all()
