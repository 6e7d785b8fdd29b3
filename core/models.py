"""Model registry, honest splits, training with progress, metrics.

CONTRACT used by other modules (explain.py, spotify lookup, pages) - keep these names stable:
- ``TrainedModel``: a fitted model plus everything needed to apply it to a catalog-shaped frame.
- ``fit_default_valence_model(df)`` / ``fit_default_genre_model(df)``: XGBoost at the shipped
  defaults on all rows of a catalog (for explanation and prediction of new tracks).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import features

DEFAULT_SEED = 0


@dataclass
class TrainedModel:
    """A fitted estimator and the recipe for building its input matrix."""

    model_id: str  # registry id, e.g. "xgboost"
    task: str  # "valence" | "genre" | "valence-class" | ...
    feature_set: str  # "audio" | "context" | "all"
    params: dict[str, Any]
    estimator: Any  # fitted; takes matrix(df) as input
    input_columns: list[str]  # raw catalog columns used
    levels: dict[str, list[str]]  # categorical levels fixed at fit time
    classes_: list[str] | None = None  # class labels (classification), in predict_proba order
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def is_classifier(self) -> bool:
        """Whether the task predicts a label."""
        return self.classes_ is not None

    def matrix(self, df: pd.DataFrame) -> pd.DataFrame:
        """Numeric model input for catalog-shaped rows (missing columns become NaN)."""
        return features.build_matrix(df, self.input_columns, self.levels)

    @property
    def feature_names(self) -> list[str]:
        """Columns of ``matrix(df)``, in order."""
        names: list[str] = []
        for col in self.input_columns:
            if col in self.levels:
                names += [f"{col}={lv}" for lv in self.levels[col]]
            else:
                names.append(col)
        return names

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Valence (regression) or class label (classification) for each row."""
        pred = self.estimator.predict(self.matrix(df))
        if self.is_classifier:
            return np.asarray(self.classes_, dtype=object)[np.asarray(pred, dtype=int)]
        return np.clip(np.asarray(pred, dtype=float), 0.0, 1.0) if self.task == "valence" else pred

    def predict_proba(self, df: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class (classification only)."""
        if not self.is_classifier:
            raise ValueError("predict_proba needs a classification model")
        proba = self.estimator.predict_proba(self.matrix(df))
        return pd.DataFrame(proba, columns=self.classes_, index=df.index)


def _xgb_defaults(task: str) -> dict[str, Any]:
    return {
        "n_estimators": 300,
        "max_depth": 6,
        "learning_rate": 0.05,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 5,
    }


def fit_default_valence_model(
    df: pd.DataFrame, feature_set: str = "audio", seed: int = DEFAULT_SEED
) -> TrainedModel:
    """XGBoost valence regressor at the shipped defaults, fitted on every row of ``df``."""
    from xgboost import XGBRegressor

    cols = features.input_columns(df, feature_set, "valence")
    levels = features.categorical_levels(df, cols)
    params = _xgb_defaults("valence")
    est = XGBRegressor(**params, random_state=seed, n_jobs=2, tree_method="hist")
    est.fit(features.build_matrix(df, cols, levels), df["valence"].to_numpy(float))
    return TrainedModel("xgboost", "valence", feature_set, params, est, cols, levels)


def fit_default_genre_model(
    df: pd.DataFrame, feature_set: str = "audio", seed: int = DEFAULT_SEED
) -> TrainedModel:
    """XGBoost genre classifier at the shipped defaults, fitted on every labelled row."""
    from xgboost import XGBClassifier

    rows = df[df["genre"].notna()]
    classes = sorted(rows["genre"].astype(str).unique().tolist())
    y = pd.Categorical(rows["genre"].astype(str), categories=classes).codes
    cols = features.input_columns(rows, feature_set, "genre")
    levels = features.categorical_levels(rows, cols)
    params = _xgb_defaults("genre")
    est = XGBClassifier(**params, random_state=seed, n_jobs=2, tree_method="hist")
    est.fit(features.build_matrix(rows, cols, levels), y)
    return TrainedModel("xgboost", "genre", feature_set, params, est, cols, levels, classes)
