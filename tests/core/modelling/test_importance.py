"""core.modelling.importance: permutation and impurity importances on a planted driver."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestRegressor
from sklearn.linear_model import LinearRegression
from xgboost import XGBClassifier, XGBRegressor

from core import compute
from core.modelling import features, importance
from core.modelling.models import TrainedModel
from tests.fakes.gate import held_gate_fixture  # noqa: F401


def _planted(n: int = 600, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "danceability": rng.uniform(0, 1, n),
            "energy": rng.uniform(0, 1, n),
            "genre": rng.choice(["pop", "rock", "jazz"], n),
        }
    )
    df["valence"] = np.clip(0.1 + 0.8 * df["danceability"] + rng.normal(0, 0.02, n), 0, 1)
    return df


def _fit(df: pd.DataFrame, est, cols: list[str], y, classes=None) -> TrainedModel:
    levels = features.categorical_levels(df, cols)
    est.fit(features.build_matrix(df, cols, levels), y)
    task = "valence" if classes is None else "genre"
    return TrainedModel("t", task, "all", {}, est, cols, levels, classes)


def test_permutation_finds_the_planted_driver_and_groups_one_hot_levels():
    df = _planted()
    cols = ["danceability", "energy", "genre"]
    model = _fit(df, XGBRegressor(n_estimators=60, max_depth=3, n_jobs=1), cols, df["valence"])
    table = importance.permutation_importance(model, df, df["valence"].to_numpy(), n_repeats=2)
    assert table["feature"].tolist()[0] == "danceability"
    assert set(table["feature"]) == set(cols)  # genre's three levels shuffled as one column
    by = table.set_index("feature")["importance"]
    assert by["danceability"] > 0.1 > abs(by["energy"])
    per_level = importance.permutation_importance(
        model, df, df["valence"].to_numpy(), n_repeats=1, per_level=True
    )
    assert set(per_level["feature"]) == set(model.feature_names)


def test_classifier_importance_is_an_accuracy_drop():
    df = _planted()
    df["label"] = np.where(df["energy"] > 0.5, "loud", "soft")
    classes = ["loud", "soft"]
    codes = (df["label"] == "soft").astype(int)
    model = _fit(
        df,
        XGBClassifier(n_estimators=30, max_depth=2, n_jobs=1),
        ["danceability", "energy"],
        codes,
        classes,
    )
    table = importance.permutation_importance(model, df, df["label"].to_numpy(), n_repeats=2)
    by = table.set_index("feature")["importance"]
    assert 0.3 < by["energy"] <= 1.0 and abs(by["danceability"]) < 0.05


def test_impurity_sums_levels_and_is_none_without_trees():
    df = _planted()
    cols = ["danceability", "energy", "genre"]
    model = _fit(df, XGBRegressor(n_estimators=30, max_depth=3, n_jobs=1), cols, df["valence"])
    table = importance.impurity_importance(model)
    assert set(table["feature"]) == set(cols)
    assert abs(table["importance"].sum() - 1.0) < 1e-3
    levels = importance.impurity_importance(model, per_level=True)
    assert len(levels) == len(model.feature_names)
    linear = _fit(df, LinearRegression(), ["danceability", "energy"], df["valence"])
    assert importance.impurity_importance(linear) is None
    both = importance.importance_table(linear, df, df["valence"].to_numpy())
    assert list(both.columns) == ["feature", "permutation", "permutation_sd"]


def _nthread(est) -> int:
    config = json.loads(est.get_booster().save_config())
    return int(config["learner"]["generic_param"]["nthread"])


@pytest.mark.parametrize("kind", ["xgboost", "forest"])
def test_permutation_importance_queues_on_the_cpu_gate_and_leaves_the_model_alone(
    kind, held_gate, monkeypatch
):
    # ~40 predictions of 2,000 rows (1.3 s for a forest on 28k tracks) ran beside the gate:
    # after each training, and on Why valence?'s Agreement tab for a Model lab model
    df = _planted()
    cols = ["danceability", "energy", "genre"]
    est = (
        XGBRegressor(n_estimators=40, max_depth=3, n_jobs=2)
        if kind == "xgboost"
        else RandomForestRegressor(n_estimators=20, max_depth=4, n_jobs=2, random_state=0)
    )
    model = _fit(df, est, cols, df["valence"])
    used: list[int] = []
    predict = type(est).predict

    def spy(self, X, *args, **kwargs):
        used.append(_nthread(self) if kind == "xgboost" else self.n_jobs)
        return predict(self, X, *args, **kwargs)

    monkeypatch.setattr(type(est), "predict", spy)
    held_gate.hold(10)
    table = importance.permutation_importance(
        model, df, df["valence"].to_numpy(), n_repeats=1, on_wait=held_gate.waiting
    )
    assert held_gate.heard and held_gate.heard[0] == 1  # it waited behind the held job
    assert table["feature"].tolist()[0] == "danceability"
    assert used and set(used) == {1}  # the one thread of the gate's one core
    # the model itself (a shared default model, perhaps) keeps its threads
    assert (_nthread(est) if kind == "xgboost" else est.n_jobs) == 2


def test_a_run_stopped_while_its_importances_queue_skips_them(held_gate):
    # the fitted model is already the run's: a Stop pressed while the importances wait for a
    # core ends the wait and leaves the run without them, not without its model
    from core.modelling import experiment

    df = _planted()
    cols = ["danceability", "energy"]
    model = _fit(df, XGBRegressor(n_estimators=20, max_depth=2, n_jobs=1), cols, df["valence"])
    y = df["valence"].to_numpy()
    held_gate.hold(10)
    with pytest.raises(compute.WaitCancelledError):
        importance.importance_table(model, df, y, should_stop=lambda: True)
    config = experiment.RunConfig()
    assert experiment._importances(model, df, y, config, None, lambda: True) is None
