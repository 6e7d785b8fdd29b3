"""Fixtures shared by the lookup tests."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.catalog.schema import AUDIO_COLUMNS
from core.modelling import features, models
from tests.conftest import make_synthetic_tracks
from tests.fakes import records_from_frame


@pytest.fixture(scope="module")
def records() -> dict:
    """Fake-server records of 90 synthetic tracks."""
    return records_from_frame(make_synthetic_tracks(90, seed=11))


@pytest.fixture(scope="module")
def catalog_df() -> pd.DataFrame:
    df = make_synthetic_tracks(300, n_genres=3, seed=21)
    df["primary_artist"] = df["artists"].str.lower()
    return df


@pytest.fixture(scope="module")
def valence_model(catalog_df) -> models.TrainedModel:
    """A small XGBoost valence model (the default's recipe with fewer trees)."""
    from xgboost import XGBRegressor

    cols = features.input_columns(catalog_df, "audio", "valence")
    est = XGBRegressor(n_estimators=30, max_depth=3, random_state=0, n_jobs=1)
    est.fit(features.build_matrix(catalog_df, cols, {}), catalog_df["valence"])
    return models.TrainedModel("xgboost", "valence", "audio", {}, est, cols, {})


@pytest.fixture(scope="module")
def genre_model(catalog_df) -> models.TrainedModel:
    from xgboost import XGBClassifier

    classes = sorted(catalog_df["genre"].unique())
    cols = features.input_columns(catalog_df, "audio", "genre")
    est = XGBClassifier(n_estimators=10, max_depth=3, random_state=0, n_jobs=1)
    est.fit(features.build_matrix(catalog_df, cols, {}), catalog_df["genre"].map(classes.index))
    return models.TrainedModel("xgboost", "genre", "audio", {}, est, cols, {}, classes)


@pytest.fixture(scope="module")
def outside() -> pd.DataFrame:
    """Tracks that are not in the catalog (known to the fake APIs)."""
    return make_synthetic_tracks(60, n_genres=3, seed=22)


def exportify_csv(df: pd.DataFrame, *, with_features: bool) -> bytes:
    """An Exportify-shaped export: BOM, padded headers, undefined cells, a local file."""
    rows = {
        " Track URI ": ["spotify:track:" + t for t in df["track_id"]],
        "Track Name": df["track_name"],
        "Artist Name(s)": df["artists"].str.replace(";", ","),
        "Album Name": df["album_name"],
        "Track Duration (ms)": df["duration_ms"],
        "Popularity": ["undefined"] * len(df),
        "rating": np.arange(len(df)) % 10 + 1,
    }
    if with_features:
        for col in (c for c in AUDIO_COLUMNS if c != "duration_ms"):
            rows[col.replace("_", " ").title()] = df[col]
    frame = pd.DataFrame(rows)
    extra = pd.DataFrame(
        [
            {" Track URI ": "spotify:local:Me:Demo:Song:200", "Track Name": "Song"},
            {" Track URI ": "undefined", "Track Name": "undefined"},
            {" Track URI ": "not-a-track", "Track Name": "Broken"},
            {" Track URI ": "spotify:track:" + df["track_id"].iloc[0], "Track Name": "dup"},
        ]
    )
    buf = io.StringIO()
    pd.concat([frame, extra], ignore_index=True).to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")
