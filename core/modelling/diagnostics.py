"""Classifier diagnostics: one-vs-rest ROC and precision-recall, calibration, confusion examples.

Pure functions over a run's test predictions (``RunResult.predictions``: ``actual``,
``predicted`` and track columns) and class probabilities (``RunResult.proba``: one column per
class, rows aligned with the predictions). The Model lab draws them for genre tasks.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.metrics import auc, average_precision_score, precision_recall_curve, roc_curve

#: Points kept per curve (curves on 5,000+ test rows are thinned for drawing).
MAX_CURVE_POINTS = 400


def _thin(frame: pd.DataFrame, n: int = MAX_CURVE_POINTS) -> pd.DataFrame:
    if len(frame) <= n:
        return frame
    keep = np.unique(np.linspace(0, len(frame) - 1, n).round().astype(int))
    return frame.iloc[keep]


def _check(actual: pd.Series, proba: pd.DataFrame) -> np.ndarray:
    if len(actual) != len(proba):
        raise ValueError(f"{len(actual)} labels but {len(proba)} probability rows")
    return np.asarray(actual, dtype=object).astype(str)


def roc_curves(actual: pd.Series, proba: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-vs-rest ROC curve and AUC for every class that occurs in the test rows.

    Returns
    -------
    tuple
        Curves (``class``, ``fpr``, ``tpr``, thinned for drawing) and a table (``class``,
        ``auc``, ``support``) sorted by AUC, best first. A class absent from the test rows has
        no ROC and is left out.
    """
    y = _check(actual, proba)
    curves, rows = [], []
    for cls in proba.columns:
        pos = y == str(cls)
        if pos.all() or not pos.any():
            continue
        fpr, tpr, _ = roc_curve(pos, proba[cls].to_numpy(float))
        rows.append({"class": str(cls), "auc": float(auc(fpr, tpr)), "support": int(pos.sum())})
        curves.append(_thin(pd.DataFrame({"class": str(cls), "fpr": fpr, "tpr": tpr})))
    table = pd.DataFrame(rows, columns=["class", "auc", "support"])
    table = table.sort_values("auc", ascending=False, ignore_index=True)
    return (pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()), table


def pr_curves(actual: pd.Series, proba: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """One-vs-rest precision-recall curves and average precision per class.

    Returns
    -------
    tuple
        Curves (``class``, ``recall``, ``precision``) and a table (``class``,
        ``average_precision``, ``prevalence``: the precision of guessing at random).
    """
    y = _check(actual, proba)
    curves, rows = [], []
    for cls in proba.columns:
        pos = y == str(cls)
        if not pos.any():
            continue
        scores = proba[cls].to_numpy(float)
        precision, recall, _ = precision_recall_curve(pos, scores)
        rows.append(
            {
                "class": str(cls),
                "average_precision": float(average_precision_score(pos, scores)),
                "prevalence": float(pos.mean()),
            }
        )
        curves.append(
            _thin(pd.DataFrame({"class": str(cls), "recall": recall, "precision": precision}))
        )
    table = pd.DataFrame(rows, columns=["class", "average_precision", "prevalence"])
    table = table.sort_values("average_precision", ascending=False, ignore_index=True)
    return (pd.concat(curves, ignore_index=True) if curves else pd.DataFrame()), table


def calibration(
    actual: pd.Series, proba: pd.DataFrame, bins: int = 10
) -> tuple[pd.DataFrame, float]:
    """Reliability of the top-label confidence, and the expected calibration error.

    Each test row's confidence is its largest class probability; rows are binned by it
    (``bins`` equal-width bins on [0, 1]) and each bin's mean confidence is compared with the
    share of its rows whose top class is right.

    Returns
    -------
    tuple
        Bins (``bin_lo``, ``bin_hi``, ``confidence``, ``accuracy``, ``count``; empty bins left
        out) and ECE = sum over bins of (count / n) x |accuracy - confidence|.
    """
    y = _check(actual, proba)
    if len(y) == 0:
        return pd.DataFrame(columns=["bin_lo", "bin_hi", "confidence", "accuracy", "count"]), 0.0
    P = proba.to_numpy(float)
    conf = P.max(axis=1)
    top = np.asarray(proba.columns.astype(str))[P.argmax(axis=1)]
    correct = (top == y).astype(float)
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(conf, edges[1:-1], right=True), 0, bins - 1)
    rows = []
    for b in range(bins):
        mask = which == b
        if mask.any():
            rows.append(
                {
                    "bin_lo": edges[b],
                    "bin_hi": edges[b + 1],
                    "confidence": float(conf[mask].mean()),
                    "accuracy": float(correct[mask].mean()),
                    "count": int(mask.sum()),
                }
            )
    table = pd.DataFrame(rows)
    ece = float((table["count"] / len(y) * (table["accuracy"] - table["confidence"]).abs()).sum())
    return table, ece


def most_confused(predictions: pd.DataFrame) -> tuple[str, str] | None:
    """The (actual, predicted) pair with the most wrong test rows, or None when all are right."""
    wrong = predictions[predictions["actual"].astype(str) != predictions["predicted"].astype(str)]
    if wrong.empty:
        return None
    counts = wrong.groupby([wrong["actual"].astype(str), wrong["predicted"].astype(str)]).size()
    return tuple(counts.sort_values(ascending=False, kind="stable").index[0])


def cell_examples(
    predictions: pd.DataFrame,
    proba: pd.DataFrame | None,
    actual: str,
    predicted: str,
    limit: int = 50,
) -> tuple[pd.DataFrame, int]:
    """The test tracks in one confusion-matrix cell, most confident first.

    Parameters
    ----------
    predictions
        ``RunResult.predictions`` (``actual``, ``predicted`` and track columns).
    proba
        ``RunResult.proba`` (rows aligned with ``predictions``), or None.
    actual, predicted
        The cell: true class and predicted class.
    limit
        Rows returned at most.

    Returns
    -------
    tuple
        The rows (track columns, ``actual``, ``predicted``, ``p_predicted`` and ``p_actual``
        when probabilities exist) and how many tracks the cell holds in all.
    """
    mask = (predictions["actual"].astype(str) == str(actual)) & (
        predictions["predicted"].astype(str) == str(predicted)
    )
    rows = predictions.loc[mask].copy()
    if proba is not None and len(proba) == len(predictions):
        cols = {str(c): c for c in proba.columns}
        if str(predicted) in cols:
            rows["p_predicted"] = proba.loc[mask, cols[str(predicted)]].to_numpy(float)
        if str(actual) in cols:
            rows["p_actual"] = proba.loc[mask, cols[str(actual)]].to_numpy(float)
        if "p_predicted" in rows:
            rows = rows.sort_values("p_predicted", ascending=False, kind="stable")
    keep = [c for c in ("track_name", "primary_artist", "track_id") if c in rows]
    keep += ["actual", "predicted"] + [c for c in ("p_predicted", "p_actual") if c in rows]
    return rows[keep].head(limit).reset_index(drop=True), int(mask.sum())
