"""SHAP interaction values: which pairs of features act together, exactly, for boosted trees.

XGBoost computes exact TreeSHAP interaction values natively (``pred_interactions=True``): for
each row a (features + 1) x (features + 1) matrix whose off-diagonal cell (i, j) is half the
interaction effect of i and j, whose diagonal holds the main effects, and whose entries add up
to the prediction. LightGBM has no native interaction output; shap's ``TreeExplainer`` computes
the same exact values from its trees (checked against the model's raw score). They cost about
(features) times plain SHAP, so they run on a stated, seeded sample. Other models have no exact
tree path here and are refused with a clear error.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import compute
from core.catalog.sampling import sample_rows
from core.explain.shapley import _is_xgboost, xgb_native
from core.modelling.blend import member_kind
from core.modelling.models import TrainedModel

SUPPORTED = "XGBoost and LightGBM"  # the models whose valence regressors are explained here


@dataclass
class Interactions:
    """Interaction values of a sample: ``values[row, i, j]`` over ``features`` (bias dropped)."""

    values: np.ndarray
    data: pd.DataFrame
    features: list[str]
    n_rows: int
    method: str


def interaction_values(
    model: TrainedModel,
    df: pd.DataFrame,
    *,
    max_rows: int = 100,
    seed: int = 0,
    on_wait: compute.WaitFn | None = None,
) -> Interactions:
    """Exact SHAP interaction values of an XGBoost or LightGBM regressor on a seeded sample.

    The work runs on the CPU gate (``core.compute``), like every SHAP job: ``on_wait`` is
    called with the number of jobs ahead while it queues.

    Raises
    ------
    ValueError
        For a model that is not an XGBoost or LightGBM regressor, or no rows.
    """
    if not supports(model):
        raise ValueError(
            f"Exact interaction values are computed for {SUPPORTED} valence models only; "
            "train one in the Model lab or use the default model."
        )
    if len(df) == 0:
        raise ValueError("There are no rows to explain.")
    if member_kind(model.estimator) == "lightgbm":
        with compute.slot("SHAP interactions", on_wait, max_threads=1):  # shap: one thread
            return _lightgbm_interactions(model, df, max_rows=max_rows, seed=seed)
    rows = sample_rows(df, max_rows, seed)
    X = model.matrix(rows)
    with compute.slot("SHAP interactions", on_wait) as threads:
        vals = xgb_native(model.estimator, X, threads)(pred_interactions=True)
    names = model.feature_names
    return Interactions(
        values=vals[:, :-1, :-1],
        data=X.set_axis(names, axis=1),
        features=names,
        n_rows=len(rows),
        method=f"exact TreeSHAP interaction values (XGBoost native) on {len(rows):,} rows"
        + (" (on the logit of valence)" if model.target_transform == "logit" else ""),
    )


def supports(model: TrainedModel) -> bool:
    """Whether ``model`` has exact interaction values here (an XGBoost or LightGBM regressor)."""
    est = model.estimator
    return not model.is_classifier and (_is_xgboost(est) or member_kind(est) == "lightgbm")


def _lightgbm_interactions(
    model: TrainedModel, df: pd.DataFrame, *, max_rows: int, seed: int
) -> Interactions:
    """Exact TreeSHAP interaction values of a LightGBM regressor by shap (raw-score scale)."""
    import shap

    rows = sample_rows(df, max_rows, seed)
    X = model.matrix(rows)
    est = model.estimator
    explainer = shap.TreeExplainer(est)
    vals = np.asarray(explainer.shap_interaction_values(X), dtype=float)
    raw = np.asarray(est.predict(X, raw_score=True), dtype=float)
    base = float(np.ravel(explainer.expected_value)[0])
    gap = float(np.max(np.abs(vals.sum(axis=(1, 2)) + base - raw))) if len(raw) else 0.0
    if gap > 1e-6 * max(1.0, float(np.max(np.abs(raw)))):
        raise ValueError(f"LightGBM interaction values do not add up to its score ({gap:.2g}).")
    names = model.feature_names
    return Interactions(
        values=vals,
        data=X.set_axis(names, axis=1),
        features=names,
        n_rows=len(rows),
        method=f"exact TreeSHAP interaction values (shap, LightGBM trees) on {len(rows):,} rows"
        + (" (on the logit of valence)" if model.target_transform == "logit" else ""),
    )


def interaction_matrix(result: Interactions) -> pd.DataFrame:
    """Mean |interaction| per pair (off-diagonal: both halves summed) and mean |main effect|.

    Returns
    -------
    pd.DataFrame
        Square, features x features, symmetric; the diagonal holds main effects.
    """
    mean_abs = np.abs(result.values).mean(axis=0)
    matrix = mean_abs + mean_abs.T
    np.fill_diagonal(matrix, np.diag(mean_abs))
    return pd.DataFrame(matrix, index=result.features, columns=result.features)


def top_pairs(matrix: pd.DataFrame, n: int = 5) -> pd.DataFrame:
    """The ``n`` strongest off-diagonal pairs: ``a``, ``b``, ``strength``."""
    rows = [
        (a, b, float(matrix.loc[a, b]))
        for i, a in enumerate(matrix.index)
        for b in matrix.columns[i + 1 :]
    ]
    out = pd.DataFrame(rows, columns=["a", "b", "strength"])
    return (
        out.sort_values("strength", ascending=False, kind="stable").head(n).reset_index(drop=True)
    )


def pair_frame(result: Interactions, a: str, b: str) -> pd.DataFrame:
    """Dependence of one pair: ``a``'s value, the pair's interaction and ``b``'s value.

    The interaction sums both halves (cells ``a, b`` and ``b, a``); ``b``'s value colours the
    plot. For ``a == b`` it is the main effect of ``a``.
    """
    if a not in result.features or b not in result.features:
        raise KeyError(f"{a!r} or {b!r} is not an explained feature")
    i, j = result.features.index(a), result.features.index(b)
    effect = result.values[:, i, i] if i == j else result.values[:, i, j] + result.values[:, j, i]
    return pd.DataFrame(
        {
            "value": result.data[a].to_numpy(float),
            "interaction": effect,
            "other_value": result.data[b].to_numpy(float),
        }
    )
