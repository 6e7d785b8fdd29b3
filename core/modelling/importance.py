"""Feature importances of a trained model: permutation (any model) and impurity (tree models).

The one home of both measures: the Model lab's diagnostics and the "Why valence?" agreement
table call these. Importances are per raw input column: one-hot levels of a categorical column
are shuffled together and their impurity importances summed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd

from core import compute
from core.catalog.sampling import sample_positions
from core.modelling import metrics
from core.modelling.models import TrainedModel, thread_limited

PERMUTATION_ROWS = 2_000
PERMUTATION_REPEATS = 3


def _level_columns(model: TrainedModel, per_level: bool) -> dict[str, list[int]]:
    """Raw input column (or, ``per_level``, matrix column) -> its positions in ``model.matrix``."""
    names = model.feature_names
    if per_level:
        return {name: [i] for i, name in enumerate(names)}
    return {
        col: [i for i, n in enumerate(names) if n == col or n.startswith(f"{col}=")]
        for col in model.input_columns
    }


def permutation_importance(
    model: TrainedModel,
    rows: pd.DataFrame,
    y: np.ndarray,
    *,
    max_rows: int = PERMUTATION_ROWS,
    n_repeats: int = PERMUTATION_REPEATS,
    seed: int = 0,
    per_level: bool = False,
    on_wait: compute.WaitFn | None = None,
    should_stop: compute.StopFn | None = None,
) -> pd.DataFrame:
    """Loss in the primary metric (MAE or accuracy) when each input column is shuffled.

    A heavy job (~40 predictions of ``max_rows`` rows: 0.3 s for XGBoost, 1.3 s for a forest
    on 2,000 rows): it queues on the CPU gate and predicts with the threads it is given, on a
    thread-limited view of the model (:func:`core.modelling.models.thread_limited`), so a
    shared model is never changed.

    Parameters
    ----------
    model
        A fitted model (regressor or classifier).
    rows
        Catalog rows to score on (a seeded sample of ``max_rows`` is used).
    y
        The true target of each row (valence, or class labels).
    max_rows, n_repeats, seed
        Sample size, shuffles per column, and the seed of both.
    per_level
        Shuffle each column of ``model.matrix`` on its own (one-hot levels separately), as the
        SHAP tables name them.
    on_wait, should_stop
        The CPU gate's queue callbacks (:func:`core.compute.slot`); a stop while queued raises
        :class:`core.compute.WaitCancelledError`.

    Returns
    -------
    pandas.DataFrame
        ``feature``, ``importance`` (mean loss, in metric units; higher = more important) and
        ``sd`` over repeats, most important first.
    """
    pos = sample_positions(len(rows), max_rows, seed)
    X = model.matrix(rows.iloc[pos])  # built once; a raw column's one-hot levels move together
    y_s = np.asarray(y)[pos]
    with compute.slot("permutation importance", on_wait, should_stop=should_stop) as threads:
        view = dataclasses.replace(model, estimator=thread_limited(model.estimator, threads))
        return _shuffled_losses(view, X, y_s, _level_columns(model, per_level), n_repeats, seed)


def _shuffled_losses(
    model: TrainedModel,
    X: pd.DataFrame,
    y_s: np.ndarray,
    columns: dict[str, list[int]],
    n_repeats: int,
    seed: int,
) -> pd.DataFrame:
    """The permutation importance table of ``columns`` (see :func:`permutation_importance`)."""
    metric = metrics.primary_metric(not model.is_classifier)
    sign = -1.0 if metric in metrics.LOWER_IS_BETTER else 1.0

    def score(frame: pd.DataFrame) -> float:
        pred = model.predict_matrix(frame)  # valence scale, also for logit models and blends
        if model.is_classifier:
            pred = np.asarray(model.classes_, dtype=object)[np.asarray(pred, dtype=int)]
            return metrics.score(metric, y_s.astype(str), pred.astype(str))
        return metrics.score(metric, y_s, pred)

    base = score(X)
    rng = np.random.default_rng(seed)
    out = []
    for col, idx in columns.items():
        drops = []
        for _ in range(n_repeats):
            shuffled = X.copy()
            shuffled.iloc[:, idx] = X.iloc[rng.permutation(len(X)), idx].to_numpy()
            drops.append(sign * (base - score(shuffled)))
        out.append(
            {"feature": col, "importance": float(np.mean(drops)), "sd": float(np.std(drops))}
        )
    table = pd.DataFrame(out, columns=["feature", "importance", "sd"])
    return table.sort_values("importance", ascending=False).reset_index(drop=True)


def impurity_importance(model: TrainedModel, per_level: bool = False) -> pd.DataFrame | None:
    """Impurity / gain importances of tree models, summed over one-hot levels; else None.

    Looks inside a pipeline's last step; returns ``feature`` and ``importance``, most important
    first, or None for models without ``feature_importances_``. ``per_level`` keeps one row per
    column of ``model.matrix``.
    """
    est = model.estimator
    values = getattr(est, "feature_importances_", None)
    if values is None and hasattr(est, "steps"):
        values = getattr(est.steps[-1][1], "feature_importances_", None)
    if values is None or len(values) != len(model.feature_names):
        return None
    frame = pd.DataFrame({"name": model.feature_names, "importance": np.asarray(values, float)})
    frame["feature"] = frame["name"] if per_level else frame["name"].str.split("=").str[0]
    table = frame.groupby("feature", as_index=False, sort=False)["importance"].sum()
    return table.sort_values("importance", ascending=False).reset_index(drop=True)


def importance_table(
    model: TrainedModel,
    rows: pd.DataFrame,
    y: np.ndarray,
    seed: int = 0,
    on_wait: compute.WaitFn | None = None,
    should_stop: compute.StopFn | None = None,
) -> pd.DataFrame:
    """Permutation importance (``permutation``, ``permutation_sd``) and, for trees, ``impurity``.

    ``on_wait``, ``should_stop``: the CPU gate's queue callbacks (see
    :func:`permutation_importance`).
    """
    perm = permutation_importance(
        model, rows, y, seed=seed, on_wait=on_wait, should_stop=should_stop
    ).rename(columns={"importance": "permutation", "sd": "permutation_sd"})
    imp = impurity_importance(model)
    if imp is not None:
        perm = perm.merge(imp.rename(columns={"importance": "impurity"}), on="feature", how="left")
    return perm
