"""Long boosting curves are scored every k-th round and still match the every-round curve."""

from __future__ import annotations

import numpy as np
import pytest

from core.catalog import data
from core.modelling import tasks, training
from core.modelling.training import fit_model
from tests.conftest import make_synthetic_tracks


@pytest.fixture(scope="module")
def df():
    raw = make_synthetic_tracks(600, 3, seed=5)
    return data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df


def _both(df, monkeypatch, task, params):
    t = tasks.make_target(df, task)
    sampled = fit_model(t.rows, t.y, "xgboost", task, params)
    monkeypatch.setattr(training, "MAX_CURVE_POINTS", 10_000)  # every round, as before
    full = fit_model(t.rows, t.y, "xgboost", task, params)
    return sampled, full, t


@pytest.mark.parametrize(
    ("task", "params"),
    [
        ("valence", {"n_estimators": 350, "early_stopping_rounds": 0, "max_depth": 3}),
        ("valence", {"n_estimators": 600, "early_stopping_rounds": 20, "max_depth": 3}),
        ("genre", {"n_estimators": 250, "early_stopping_rounds": 0, "max_depth": 3}),
    ],
)
def test_sampled_curve_matches_every_round_curve(df, monkeypatch, task, params):
    limit = training.MAX_CURVE_POINTS
    sampled, full, t = _both(df, monkeypatch, task, params)
    hs, hf = sampled.history, full.history
    assert len(hf) > limit  # the full curve really was long
    assert len(hs) <= limit + 2
    assert hs["step"].iloc[0] == 1 and hs["step"].iloc[-1] == hf["step"].iloc[-1]
    assert sampled.steps_done == full.steps_done and sampled.best_step == full.best_step
    merged = hs.merge(hf, on="step", suffixes=("_s", "_f"))
    assert len(merged) == len(hs)  # every sampled step is a real round
    np.testing.assert_allclose(merged["train_s"], merged["train_f"], atol=1e-5)
    np.testing.assert_allclose(merged["validation_s"], merged["validation_f"], atol=1e-5)
    gaps = np.diff(hs["step"].to_numpy())
    assert gaps.max() <= int(np.ceil(params["n_estimators"] / limit))
    # same model either way
    np.testing.assert_allclose(
        sampled.model.estimator.predict(sampled.model.matrix(t.rows)),
        full.model.estimator.predict(full.model.matrix(t.rows)),
    )


def test_short_curves_keep_every_round(df):
    t = tasks.make_target(df, "valence")
    fit = fit_model(
        t.rows, t.y, "xgboost", "valence", {"n_estimators": 60, "early_stopping_rounds": 0}
    )
    assert fit.history["step"].tolist() == list(range(1, 61))
