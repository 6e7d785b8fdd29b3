"""SHAP interaction values: they add up to the prediction and find a planted interaction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from xgboost import XGBRegressor

from core.charts.explain import plot_interaction_matrix, plot_pair_dependence
from core.explain import interactions
from core.modelling import features
from core.modelling.models import TrainedModel
from tests.fakes.gate import held_gate_fixture  # noqa: F401


def _fit(df: pd.DataFrame, est) -> TrainedModel:
    cols = features.input_columns(df, "audio", "valence")
    est.fit(features.build_matrix(df, cols, {}), df["valence"].to_numpy(float))
    return TrainedModel("xgboost", "valence", "audio", {}, est, cols, {})


@pytest.fixture(scope="module")
def planted():
    """Valence driven by danceability x energy (a pure interaction) plus noise."""
    rng = np.random.default_rng(1)
    from tests.conftest import make_synthetic_tracks

    df = make_synthetic_tracks(800, seed=4)
    df["energy"] = rng.uniform(0, 1, len(df))
    df["valence"] = np.clip(
        0.5
        + 0.8 * (df["danceability"] - 0.55) * (df["energy"] - 0.5) * 4
        + rng.normal(0, 0.02, len(df)),
        0,
        1,
    )
    return df, _fit(df, XGBRegressor(n_estimators=120, max_depth=4, n_jobs=1))


def test_values_add_up_and_find_the_planted_pair(planted):
    df, model = planted
    res = interactions.interaction_values(model, df, max_rows=200)
    assert res.values.shape == (200, len(res.features), len(res.features)) and res.n_rows == 200
    rows = df.loc[res.data.index]
    margin = model.estimator.predict(model.matrix(rows))
    bias = margin - res.values.sum(axis=(1, 2))
    assert np.allclose(bias, bias[0], atol=1e-4)  # the rest is the constant bias term
    matrix = interactions.interaction_matrix(res)
    assert np.allclose(matrix.to_numpy(), matrix.to_numpy().T)
    top = interactions.top_pairs(matrix).iloc[0]
    assert {top["a"], top["b"]} == {"danceability", "energy"}
    pair = interactions.pair_frame(res, "danceability", "energy")
    assert len(pair) == 200 and pair["interaction"].abs().mean() == pytest.approx(
        matrix.loc["danceability", "energy"]
    )
    plot_interaction_matrix(matrix)
    plot_pair_dependence(pair, "danceability", "energy")
    with pytest.raises(KeyError):
        interactions.pair_frame(res, "danceability", "nope")


def test_non_xgboost_models_are_refused_clearly(planted):
    df, _ = planted
    linear = _fit(df, LinearRegression())
    with pytest.raises(ValueError, match="XGBoost and LightGBM valence models only"):
        interactions.interaction_values(linear, df)
    assert not interactions.supports(linear)


def test_lightgbm_values_add_up_and_find_the_planted_pair(planted):
    from lightgbm import LGBMRegressor

    df, _ = planted
    model = _fit(df, LGBMRegressor(n_estimators=120, num_leaves=15, n_jobs=1, verbose=-1))
    assert interactions.supports(model)
    res = interactions.interaction_values(model, df, max_rows=100)
    assert res.values.shape == (100, len(res.features), len(res.features))
    assert "LightGBM" in res.method
    raw = model.estimator.predict(model.matrix(df.loc[res.data.index]), raw_score=True)
    bias = raw - res.values.sum(axis=(1, 2))
    assert np.allclose(bias, bias[0], atol=1e-6)
    top = interactions.top_pairs(interactions.interaction_matrix(res)).iloc[0]
    assert {top["a"], top["b"]} == {"danceability", "energy"}


@pytest.mark.parametrize("kind", ["xgboost", "lightgbm"])
def test_interaction_values_queue_on_the_cpu_gate(planted, kind, held_gate):
    # 500 rows take ~7 s of both cores on the 28k default model: they ran beside the gate,
    # so a visitor's Interactions tab slowed every queued training without being counted
    from lightgbm import LGBMRegressor

    df, model = planted
    if kind == "lightgbm":
        model = _fit(df, LGBMRegressor(n_estimators=60, num_leaves=8, verbose=-1, n_jobs=1))
    held_gate.hold(10)
    res = interactions.interaction_values(model, df, max_rows=50, on_wait=held_gate.waiting)
    ahead = held_gate.heard
    assert ahead and ahead[0] == 1 and res.n_rows == 50
