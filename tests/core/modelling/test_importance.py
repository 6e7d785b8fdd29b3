"""core.modelling.importance: permutation and impurity importances on a planted driver."""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression
from xgboost import XGBClassifier, XGBRegressor

from core.modelling import features, importance
from core.modelling.models import TrainedModel


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
