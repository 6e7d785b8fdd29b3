"""The engineered feature set, the stacked text score in a model and the logit target transform."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.catalog import data
from core.catalog.schema import REQUIRED_COLUMNS
from core.modelling import features, tasks
from core.modelling.experiment import RunConfig, run_experiment
from tests.conftest import make_synthetic_tracks


def _tidy_like() -> bytes:
    """Three TidyTuesday-schema rows: one track listed in two playlists of two genres."""
    base = make_synthetic_tracks(3, 1, seed=3)
    raw = pd.DataFrame(
        {
            "track_id": [base.track_id[0], base.track_id[0], base.track_id[1]],
            "track_name": ["Last Christmas - Remix", "Last Christmas - Remix", "Love Me (feat. X)"],
            "track_artist": ["Wham!", "Wham!", "Someone"],
            "track_popularity": [70, 70, 40],
            "track_album_id": ["a", "a", "b"],
            "track_album_name": ["Xmas Hits", "Xmas Hits", "Love Me"],
            "track_album_release_date": ["1984-12-03", "1984-12-03", "2019"],
            "playlist_name": ["p1", "p2", "p3"],
            "playlist_id": ["1", "2", "3"],
            "playlist_genre": ["pop", "edm", "pop"],
            "playlist_subgenre": ["dance pop", "big room", "dance pop"],
        }
    )
    for col in REQUIRED_COLUMNS:
        raw[col] = [base[col][0], base[col][0], base[col][1]]
    return raw.to_csv(index=False).encode()


def test_catalog_keeps_playlists_subgenres_and_month_before_collapsing():
    df = data.load_upload(_tidy_like(), "tidy.csv").df.set_index("track_name")
    xmas = df.loc["Last Christmas - Remix"]
    assert xmas["n_playlists"] == 2
    assert set(xmas["genres"].split(";")) == {"pop", "edm"}
    assert set(xmas["subgenres"].split(";")) == {"dance pop", "big room"}
    assert xmas["release_month"] == 12
    love = df.loc["Love Me (feat. X)"]
    assert love["n_playlists"] == 1 and pd.isna(love["release_month"])  # year-only date


def test_engineered_matrix_has_multi_hot_flags_and_lengths():
    df = data.load_upload(_tidy_like(), "tidy.csv").df
    cols = features.input_columns(df, "engineered", "valence")
    levels = features.categorical_levels(df, cols)
    X = features.build_matrix(df, cols, levels).set_index(df["track_name"])
    xmas, love = X.loc["Last Christmas - Remix"], X.loc["Love Me (feat. X)"]
    assert xmas["genres=edm"] == 1 and xmas["genres=pop"] == 1 and love["genres=edm"] == 0
    assert xmas["subgenres=big room"] == 1 and love["subgenres=big room"] == 0
    assert xmas["title_christmas"] == 1 and xmas["title_remix"] == 1 and love["title_remix"] == 0
    assert love["title_feat"] == 1 and love["title_love"] == 1 and love["album_is_title"] == 1
    assert xmas["album_christmas"] == 1 and xmas["album_hits"] == 1
    assert xmas["title_words"] == 4 and love["title_length"] == len("Love Me (feat. X)")
    assert np.isnan(xmas[features.TEXT_SCORE])  # no text model given: unknown, not zero


def test_genre_tasks_never_see_genre_lists(tidy_catalog):
    cols = features.input_columns(tidy_catalog.df, "engineered", "genre")
    assert not {"genre", "genres", "subgenre", "subgenres"} & set(cols)
    assert {"n_playlists", "release_month", "title_remix", features.TEXT_SCORE} <= set(cols)
    valence_cols = features.input_columns(tidy_catalog.df, "engineered", "valence")
    assert {"genres", "subgenres"} <= set(valence_cols)
    assert features.missing_inputs(tidy_catalog.df, "engineered", "valence") == {}


def test_sample_without_subgenres_or_dates_says_what_is_missing(sample_catalog):
    missing = features.missing_inputs(sample_catalog.df, "engineered", "valence")
    assert set(missing) == {"subgenres", "release_month"}
    assert "no subgenres column" in missing["subgenres"]
    cols = features.input_columns(sample_catalog.df, "engineered", "valence")
    assert "genres" in cols and "subgenres" not in cols and "release_month" not in cols
    assert features.missing_inputs(sample_catalog.df, "all", "valence") == {}


def test_logit_transform_round_trips_and_clips():
    y = np.array([0.0, 0.005, 0.2, 0.5, 0.97, 1.0])
    z = tasks.transform_target(y, "logit")
    back = tasks.inverse_target(z, "logit")
    assert np.all(np.isfinite(z))
    assert np.allclose(back[2:5], y[2:5])
    assert back[0] == pytest.approx(tasks.LOGIT_EPS) and back[-1] == pytest.approx(
        1 - tasks.LOGIT_EPS
    )
    with pytest.raises(ValueError, match="valence regression only"):
        tasks.check_transform("logit", "genre")


@pytest.fixture(scope="module")
def lab_df():
    raw = make_synthetic_tracks(400, 3, seed=2)
    return data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df


@pytest.mark.parametrize("model_id", ["xgboost", "lightgbm"])
def test_logit_models_learn_logits_but_report_valence(lab_df, model_id):
    params = {"n_estimators": 80}
    res = run_experiment(
        lab_df,
        RunConfig(model_id=model_id, params=params, feature_set="engineered", target="logit"),
    )
    model = res.model
    assert model.target_transform == "logit"
    raw = model.estimator.predict(model.matrix(lab_df.head(50)))
    assert raw.min() < 0 < raw.max()  # the estimator's own output is on the logit scale
    pred = model.predict(lab_df.head(50))
    assert np.allclose(pred, tasks.inverse_target(raw, "logit"))
    hist = res.fit.history.dropna()
    assert hist["validation"].between(0, 1).all()  # curves are MAE on the valence scale
    assert abs(hist["validation"].iloc[-1] - res.metrics["mae"]) < 0.1


def test_engineered_genre_model_stacks_one_text_score_per_class(lab_df):
    res = run_experiment(
        lab_df,
        RunConfig(
            task="genre", model_id="lightgbm", params={"n_estimators": 40}, feature_set="engineered"
        ),
    )
    names = res.model.feature_names
    assert [n for n in names if n.startswith("text_score=")] == [
        f"text_score={c}" for c in res.model.classes_
    ]
    assert "top3_accuracy" in res.metrics
    X = res.model.matrix(lab_df.head(20))
    assert X.filter(like="text_score=").notna().all().all()


def test_recipe_takes_engineered_inputs_but_not_the_label_fitted_ones(tidy_catalog):
    from core.explain.recipe import recipe_columns

    kinds = recipe_columns(tidy_catalog.df, "engineered")
    assert kinds["title_length"] == "spline" and kinds["title_remix"] == "linear"
    assert "n_playlists" in kinds and "release_month" in kinds
    assert not {features.TEXT_SCORE, "genres", "subgenres", "genre"} & set(kinds)
