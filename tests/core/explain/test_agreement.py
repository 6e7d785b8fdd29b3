"""Importance ranks side by side and the generated summary."""

from __future__ import annotations

import pandas as pd
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from xgboost import XGBRegressor

from core.explain import agreement, inference, shapley
from core.modelling import features
from core.modelling.models import TrainedModel


def _model(df: pd.DataFrame, est) -> TrainedModel:
    cols = features.input_columns(df, "audio", "valence")
    est.fit(features.build_matrix(df, cols, {}), df["valence"].to_numpy(float))
    return TrainedModel("t", "valence", "audio", {}, est, cols, {})


def test_ranks_and_summary_follow_the_numbers(synthetic_tracks):
    model = _model(synthetic_tracks, XGBRegressor(n_estimators=40, max_depth=3, n_jobs=1))
    result = shapley.shap_values(model, synthetic_tracks)
    importance = shapley.mean_abs_shap(result)
    X, y, _ = inference.design(synthetic_tracks)
    ols = inference.ols_table(X, y)[0]
    perm = agreement.permutation_importance(model, synthetic_tracks, n_repeats=2)
    impurity = agreement.impurity_importance(model)
    assert impurity is not None and abs(float(impurity.sum()) - 1.0) < 1e-3
    table = agreement.agreement_table(importance, ols, perm, impurity)
    assert set(table["feature"]) == set(model.feature_names)
    # the planted driver is first for every measure
    first = table.set_index("feature").loc["danceability"]
    assert (first[["rank_shap", "rank_ols", "rank_permutation", "rank_impurity"]] == 1).all()
    assert perm["danceability"] > 10 * abs(perm["key"])
    text = agreement.summarise(table, importance)
    assert text.startswith("The model leans most on danceability (higher raises valence)")
    assert "All 4 measures agree that danceability matters most" in text
    weakest = table.sort_values("rank_shap")["feature"].tail(2).tolist()
    assert all(w in text.split("weakest drivers are")[1] for w in weakest)


def test_summary_reports_disagreement_and_missing_measures(synthetic_tracks):
    model = _model(synthetic_tracks, make_pipeline(StandardScaler(), LinearRegression()))
    assert agreement.impurity_importance(model) is None
    importance = pd.DataFrame(
        {
            "feature": ["a", "b", "c", "d"],
            "mean_abs_shap": [4.0, 3, 2, 1],
            "mean_shap_corr": [0.9, -0.9, 0.0, 0.5],
        }
    )
    ols = pd.DataFrame(
        {"feature": ["const", "a", "b", "c", "d"], "std_coef": [0, 0.1, -0.5, 0.2, 0.4]}
    )
    table = agreement.agreement_table(importance, ols, None, None)
    assert table.set_index("feature")["rank_ols"].to_dict() == {"a": 4, "b": 1, "c": 3, "d": 2}
    text = agreement.summarise(table, importance)
    assert "disagree" in text and "shap: a" in text and "ols: b" in text
    assert "a ranks much higher for the model than for OLS" in text
    assert "b (higher lowers valence)" in text and "c (mixed direction)" in text
    assert agreement.summarise(table.iloc[:0], importance).startswith("There is nothing")
