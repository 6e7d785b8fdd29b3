"""A blend: the weighted average of fitted models, each reading its own columns of one matrix.

Regression members are averaged on the scale they learned (the logit of valence under the
logit transform), so the blend's output is a linear combination of its members' outputs and
its SHAP values are the same combination of theirs (Shapley values are linear in the model).
Classifiers are averaged on the margin (log-odds) scale: the blend's class probabilities are
``softmax(sum_i w_i * margin_i)``; for a member without native margins its log-probabilities
serve (softmax ignores the per-row constant that separates the two).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd


def member_kind(est: Any) -> str:
    """``xgboost``, ``lightgbm``, ``catboost`` or ``other``: how margins and SHAP are computed."""
    module = type(est).__module__
    for kind in ("xgboost", "lightgbm", "catboost"):
        if module.startswith(kind):
            return kind
    return "other"


def margins(est: Any, X: pd.DataFrame, n_classes: int) -> np.ndarray:
    """Rows x classes raw scores of a fitted classifier (log-odds scale)."""
    kind = member_kind(est)
    if kind == "xgboost":
        raw = np.asarray(est.predict(X, output_margin=True), float)
    elif kind == "lightgbm":
        raw = np.asarray(est.predict(X, raw_score=True), float)
    elif kind == "catboost":
        raw = np.asarray(est.predict(X, prediction_type="RawFormulaVal"), float)
    else:
        raw = np.log(np.clip(np.asarray(est.predict_proba(X), float), 1e-12, 1.0))
    if raw.ndim == 1:  # binary: the margin of class 1
        raw = np.column_stack([np.zeros(len(raw)), raw])
    if raw.shape[1] != n_classes:
        raise ValueError(f"member gives {raw.shape[1]} classes, expected {n_classes}")
    return raw


def _softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


class BlendEstimator:
    """Weighted average of fitted estimators; member ``i`` reads columns ``columns[i]``.

    Parameters
    ----------
    members : list of str
        Registry ids of the members (for cards and messages).
    estimators : list
        Fitted estimators, in ``members`` order.
    columns : list of list of int
        Positions in the blend matrix each member reads.
    weights : list of float
        Non-negative weights summing to 1.
    n_features : int
        Width of the blend matrix.
    n_classes : int
        0 for regression, else the number of classes.
    """

    def __init__(
        self,
        members: list[str],
        estimators: list[Any],
        columns: list[list[int]],
        weights: list[float],
        n_features: int,
        n_classes: int = 0,
    ) -> None:
        self.members = list(members)
        self.estimators = list(estimators)
        self.columns = [list(map(int, c)) for c in columns]
        self.weights = [float(w) for w in weights]
        self.n_features = int(n_features)
        self.n_classes = int(n_classes)

    def _part(self, X: pd.DataFrame, i: int) -> pd.DataFrame:
        return X.iloc[:, self.columns[i]]

    def decision(self, X: pd.DataFrame) -> np.ndarray:
        """The blended output: transformed-scale prediction, or rows x classes margins."""
        total: np.ndarray | None = None
        for i, (est, w) in enumerate(zip(self.estimators, self.weights, strict=True)):
            part = self._part(X, i)
            out = (
                margins(est, part, self.n_classes)
                if self.n_classes
                else np.asarray(est.predict(part), float)
            )
            total = w * out if total is None else total + w * out
        assert total is not None
        return total

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Regression: the weighted mean; classification: the class code of highest probability."""
        out = self.decision(X)
        return np.argmax(out, axis=1) if self.n_classes else out

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """Class probabilities: softmax of the weighted margins."""
        if not self.n_classes:
            raise ValueError("predict_proba needs a classification blend")
        return _softmax(self.decision(X))

    @property
    def feature_importances_(self) -> np.ndarray:
        """Members' normalised importances, weighted and placed on the blend's columns."""
        out = np.zeros(self.n_features)
        for est, cols, w in zip(self.estimators, self.columns, self.weights, strict=True):
            values = getattr(est, "feature_importances_", None)
            if values is None or len(values) != len(cols):
                continue
            values = np.asarray(values, float)
            if values.sum() > 0:
                out[cols] += w * values / values.sum()
        return out

    def describe(self, feature_names: list[str]) -> list[dict[str, Any]]:
        """One line per member: id, weight and how many of the blend's inputs it reads."""
        return [
            {
                "member": m,
                "weight": round(w, 4),
                "n_inputs": len(cols),
                "inputs": sorted(
                    {feature_names[c].split("=")[0] for c in cols},
                    key=lambda n: [f.split("=")[0] for f in feature_names].index(n),
                ),
            }
            for m, w, cols in zip(self.members, self.weights, self.columns, strict=True)
        ]
