"""Metrics for regression and classification, fold summaries, per-genre errors, confusion."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

REGRESSION_METRICS: tuple[str, ...] = ("mae", "rmse", "r2")
CLASSIFICATION_METRICS: tuple[str, ...] = (
    "accuracy",
    "balanced_accuracy",
    "macro_f1",
    "top3_accuracy",
    "log_loss",
)
#: Metrics where lower is better (everything else: higher is better).
LOWER_IS_BETTER = frozenset({"mae", "rmse", "log_loss"})
LABELS: dict[str, str] = {
    "mae": "MAE",
    "rmse": "RMSE",
    "r2": "R²",
    "accuracy": "Accuracy",
    "balanced_accuracy": "Balanced accuracy",
    "macro_f1": "Macro-F1",
    "top3_accuracy": "Top-3 accuracy",
    "log_loss": "Log-loss",
}
_EPS = 1e-15


def regression_metrics(y_true: np.ndarray, y_pred: np.ndarray) -> dict[str, float]:
    """MAE, RMSE and R² of numeric predictions."""
    y_true = np.asarray(y_true, dtype=float)
    err = np.asarray(y_pred, dtype=float) - y_true
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    r2 = 1.0 - float(np.sum(err**2)) / ss_tot if ss_tot > 0 else float("nan")
    return {
        "mae": float(np.mean(np.abs(err))),
        "rmse": float(np.sqrt(np.mean(err**2))),
        "r2": r2,
    }


def classification_metrics(
    y_true: Sequence[str], y_pred: Sequence[str], proba: pd.DataFrame | None = None
) -> dict[str, float]:
    """Accuracy, balanced accuracy, macro-F1 and, given probabilities, top-3 and log-loss.

    Labels are compared as strings. Classes that appear in ``y_true`` or ``y_pred`` all count in
    the macro averages. ``proba`` has one column per class the model knows; a true label the
    model never saw gets probability 0 (clipped to 1e-15 in the log-loss) and misses top-3.
    """
    t = np.asarray(y_true, dtype=object).astype(str)
    p = np.asarray(y_pred, dtype=object).astype(str)
    classes = sorted(set(t) | set(p))
    recalls, f1s = [], []
    for c in classes:
        tp = float(np.sum((t == c) & (p == c)))
        support, predicted = float(np.sum(t == c)), float(np.sum(p == c))
        recall = tp / support if support else 0.0
        precision = tp / predicted if predicted else 0.0
        if support:
            recalls.append(recall)
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    out = {
        "accuracy": float(np.mean(t == p)),
        "balanced_accuracy": float(np.mean(recalls)) if recalls else float("nan"),
        "macro_f1": float(np.mean(f1s)),
    }
    if proba is not None:
        out |= probability_metrics(t, proba)
    return out


def probability_metrics(y_true: Sequence[str], proba: pd.DataFrame) -> dict[str, float]:
    """Top-3 accuracy and log-loss from a rows x classes probability frame."""
    t = np.asarray(y_true, dtype=object).astype(str)
    columns = [str(c) for c in proba.columns]
    values = proba.to_numpy(float)
    col_of = {c: i for i, c in enumerate(columns)}
    idx = np.array([col_of.get(label, -1) for label in t])
    known = idx >= 0
    p_true = np.zeros(len(t))
    p_true[known] = values[np.flatnonzero(known), idx[known]]
    k = min(3, values.shape[1])
    top = np.argsort(-values, axis=1, kind="stable")[:, :k]
    in_top = np.array([known[i] and idx[i] in top[i] for i in range(len(t))])
    return {
        "top3_accuracy": float(np.mean(in_top)),
        "log_loss": float(-np.mean(np.log(np.clip(p_true, _EPS, 1.0)))),
    }


def score(metric: str, y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """The primary metric of one set of predictions: ``mae`` or ``accuracy``.

    MAE clips predictions to valence's range [0, 1] (valence is the only regression target).
    Accuracy compares integer codes when both sides are numeric, else labels as strings.
    """
    if metric == "mae":
        pred = np.clip(np.asarray(y_pred, dtype=float), 0.0, 1.0)
        return float(np.mean(np.abs(pred - np.asarray(y_true, dtype=float))))
    if metric == "accuracy":
        t, p = np.asarray(y_true), np.asarray(y_pred)
        if np.issubdtype(t.dtype, np.number) and np.issubdtype(p.dtype, np.number):
            return float(np.mean(p.astype(int) == t.astype(int)))
        return float(np.mean(p.astype(str) == t.astype(str)))
    raise ValueError(f"Unknown primary metric {metric!r}; use 'mae' or 'accuracy'")


def summarize_folds(fold_metrics: list[dict[str, float]]) -> dict[str, float]:
    """Mean of each metric over folds, plus ``<metric>_sd`` (sample sd; 0 for one fold)."""
    frame = pd.DataFrame(fold_metrics)
    out: dict[str, float] = {}
    for col in frame.columns:
        values = frame[col].to_numpy(float)
        out[col] = float(np.nanmean(values))
        out[f"{col}_sd"] = float(np.nanstd(values, ddof=1)) if len(values) > 1 else 0.0
    return out


def primary_metric(task_is_regression: bool) -> str:
    """The metric a task is ranked and tuned by (MAE or accuracy)."""
    return "mae" if task_is_regression else "accuracy"


def better(metric: str, a: float, b: float) -> bool:
    """Whether score ``a`` beats score ``b`` on ``metric``."""
    return a < b if metric in LOWER_IS_BETTER else a > b


def per_group_regression(
    y_true: np.ndarray, y_pred: np.ndarray, groups: Sequence[str]
) -> pd.DataFrame:
    """Per-genre table: tracks, MAE, bias (mean predicted - actual), mean valence."""
    frame = pd.DataFrame(
        {
            "group": np.asarray(groups, dtype=object).astype(str),
            "err": np.asarray(y_pred, float) - np.asarray(y_true, float),
            "y": np.asarray(y_true, float),
        }
    )
    table = frame.groupby("group").agg(
        tracks=("err", "size"),
        mae=("err", lambda e: float(np.mean(np.abs(e)))),
        bias=("err", "mean"),
        mean_valence=("y", "mean"),
    )
    return table.sort_values("mae", ascending=False).reset_index()


def per_class_table(y_true: Sequence[str], y_pred: Sequence[str]) -> pd.DataFrame:
    """Per-class support, precision, recall and F1, sorted by F1 (worst first)."""
    t = np.asarray(y_true, dtype=object).astype(str)
    p = np.asarray(y_pred, dtype=object).astype(str)
    rows = []
    for c in sorted(set(t) | set(p)):
        tp = float(np.sum((t == c) & (p == c)))
        support, predicted = int(np.sum(t == c)), float(np.sum(p == c))
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append(
            {"class": c, "support": support, "precision": precision, "recall": recall, "f1": f1}
        )
    return pd.DataFrame(rows).sort_values("f1").reset_index(drop=True)


def confusion_frame(
    y_true: Sequence[str], y_pred: Sequence[str], classes: Sequence[str] | None = None
) -> pd.DataFrame:
    """Row-normalised confusion matrix (rows: actual, columns: predicted), similar classes adjacent.

    Classes are ordered by average-linkage clustering of their confusion rows (optimal leaf
    order), so genres a model mixes up sit next to each other.
    """
    t = np.asarray(y_true, dtype=object).astype(str)
    p = np.asarray(y_pred, dtype=object).astype(str)
    labels = list(classes) if classes is not None else sorted(set(t) | set(p))
    counts = pd.crosstab(pd.Categorical(t, labels), pd.Categorical(p, labels), dropna=False)
    counts = counts.reindex(index=labels, columns=labels, fill_value=0).astype(float)
    totals = counts.sum(axis=1).replace(0, np.nan)
    norm = counts.div(totals, axis=0).fillna(0.0)
    order = _similarity_order(norm.to_numpy())
    ordered = [labels[i] for i in order]
    norm = norm.loc[ordered, ordered]
    norm.index.name, norm.columns.name = "actual", "predicted"
    return norm


def _similarity_order(matrix: np.ndarray) -> list[int]:
    n = matrix.shape[0]
    if n < 3:
        return list(range(n))
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import pdist

    sym = (matrix + matrix.T) / 2.0
    dist = pdist(sym, metric="euclidean")
    if not np.any(dist > 0):
        return list(range(n))
    tree = optimal_leaf_ordering(linkage(dist, method="average"), dist)
    return [int(i) for i in leaves_list(tree)]
