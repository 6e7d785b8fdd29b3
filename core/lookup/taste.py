"""A small model of one user's taste: their rating of each track from its audio features.

Repeated k-fold cross-validation gives MAE / R² with their spread (and a predict-the-mean
baseline for scale); a final fit gives exact TreeSHAP contributions of what they like. Tracks
whose features came from Spotify's API are left out (its developer policy forbids training on
API content).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.metrics import mean_absolute_error, r2_score
from sklearn.model_selection import RepeatedKFold

from core.catalog.schema import AUDIO_COLUMNS
from core.progress import Progress, ProgressFn

log = logging.getLogger(__name__)

MIN_ROWS = 20
TASTE_FEATURES: tuple[str, ...] = tuple(c for c in AUDIO_COLUMNS if c != "time_signature")
#: Feature sources a taste model may learn from.
TRAINABLE_SOURCES = frozenset({"catalog", "upload", "reccobeats"})


class TasteError(ValueError):
    """Not enough usable rated tracks for an honest estimate."""


@dataclass
class TasteResult:
    """Cross-validated quality of the taste model and what drives it.

    Attributes
    ----------
    n
        Rated tracks used.
    mae_mean, mae_std, r2_mean, r2_std
        Over every fold of every repeat.
    baseline_mae
        MAE of always predicting the mean rating (same folds).
    importance
        feature, mean_abs_shap, direction (+1: higher values → higher rating) sorted by impact.
    """

    n: int
    mae_mean: float
    mae_std: float
    r2_mean: float
    r2_std: float
    baseline_mae: float
    importance: pd.DataFrame


def _model(seed: int):  # noqa: ANN202 - an XGBRegressor
    from xgboost import XGBRegressor

    return XGBRegressor(
        n_estimators=120,
        max_depth=2,
        learning_rate=0.05,
        subsample=0.8,
        min_child_weight=2,
        random_state=seed,
        n_jobs=1,
    )


def taste_inputs(table: pd.DataFrame, ratings: pd.Series) -> tuple[pd.DataFrame, pd.Series, int]:
    """Rows usable for training: rated, with features from a trainable source.

    Parameters
    ----------
    table
        ``Resolution.table`` (one row per id).
    ratings
        Numeric ratings indexed by track_id.

    Returns
    -------
    tuple
        ``(X, y, n_excluded_spotify)``.
    """
    rated = table.assign(_r=table["track_id"].map(pd.to_numeric(ratings, errors="coerce")))
    spotify = int((rated["feature_source"] == "spotify").sum())
    ok = rated["feature_source"].isin(TRAINABLE_SOURCES) & rated["_r"].notna()
    cols = [c for c in TASTE_FEATURES if c in rated]
    return rated.loc[ok, cols].astype(float), rated.loc[ok, "_r"].astype(float), spotify


def fit_taste(
    X: pd.DataFrame,
    y: pd.Series,
    *,
    seed: int = 0,
    n_splits: int = 5,
    n_repeats: int = 3,
    on_progress: ProgressFn | None = None,
) -> TasteResult:
    """Cross-validate and fit the taste model.

    Raises
    ------
    TasteError
        With fewer than ``MIN_ROWS`` rows or a constant rating.
    """
    if len(X) < MIN_ROWS:
        raise TasteError(
            f"Only {len(X)} rated track(s) with audio features: at least {MIN_ROWS} are needed "
            "before a taste model says anything more than noise."
        )
    if y.nunique() < 2:
        raise TasteError("Every track has the same rating, so there is nothing to learn.")
    import xgboost as xgb

    splits = min(n_splits, len(X) // 4)
    cv = RepeatedKFold(n_splits=splits, n_repeats=n_repeats, random_state=seed)
    maes, r2s, base = [], [], []
    total = splits * n_repeats
    Xv, yv = X.to_numpy(), y.to_numpy()
    for i, (tr, te) in enumerate(cv.split(Xv)):
        model = _model(seed + i).fit(Xv[tr], yv[tr])
        pred = model.predict(Xv[te])
        maes.append(mean_absolute_error(yv[te], pred))
        r2s.append(r2_score(yv[te], pred))
        base.append(mean_absolute_error(yv[te], np.full(len(te), yv[tr].mean())))
        if on_progress is not None:
            on_progress(Progress("taste model", i + 1, total, "fold"))
    final = _model(seed).fit(Xv, yv)
    contrib = final.get_booster().predict(xgb.DMatrix(X), pred_contribs=True)[:, :-1]
    direction = [
        float(np.sign(np.corrcoef(Xv[:, j], contrib[:, j])[0, 1]))
        if Xv[:, j].std() > 0 and contrib[:, j].std() > 0
        else 0.0
        for j in range(Xv.shape[1])
    ]
    imp = pd.DataFrame(
        {
            "feature": list(X.columns),
            "mean_abs_shap": np.abs(contrib).mean(axis=0),
            "direction": direction,
        }
    ).sort_values("mean_abs_shap", ascending=False, ignore_index=True)
    return TasteResult(
        n=len(X),
        mae_mean=float(np.mean(maes)),
        mae_std=float(np.std(maes)),
        r2_mean=float(np.mean(r2s)),
        r2_std=float(np.std(r2s)),
        baseline_mae=float(np.mean(base)),
        importance=imp,
    )
