"""Experiments as used by the Model lab, the CLI and the bench.

A holdout run (optionally with grouped CV and a leaky-split comparison) and cross-validation.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import compute
from core.modelling import distributed, importance, metrics, models, splits, tasks
from core.modelling.training import FitResult, fit_model, only_waits, waiting_progress
from core.progress import Progress, ProgressFn, StopFn, relabelled


@dataclass
class RunConfig:
    """Everything that defines a run (what the leaderboard records)."""

    task: str = "valence"
    model_id: str = "xgboost"
    params: dict[str, Any] = field(default_factory=dict)
    feature_set: str = "audio"
    split: str = "grouped"  # "grouped" | "random"
    test_size: float = 0.2
    folds: int = 0  # 0: holdout only; k >= 2: also k-fold CV
    seed: int = models.DEFAULT_SEED
    target: str = "none"  # target transform of valence: "none" | "logit"

    def as_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-friendly)."""
        return asdict(self)


@dataclass
class RunResult:
    """A finished (or stopped) run: model, metrics, predictions and diagnostics."""

    config: RunConfig
    fit: FitResult
    metrics: dict[str, float]
    predictions: pd.DataFrame  # test rows: actual, predicted (+ genre, names)
    n_rows: int
    n_train: int
    n_test: int
    timings: dict[str, float]
    comparison: dict[str, float] | None = None  # grouped-split metrics when split == "random"
    cv: dict[str, float] | None = None
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    importances: pd.DataFrame | None = None
    proba: pd.DataFrame | None = None
    stopped: bool = False

    @property
    def model(self) -> models.TrainedModel:
        """The trained model."""
        return self.fit.model


def score_model(model: models.TrainedModel, rows: pd.DataFrame, y: np.ndarray) -> dict[str, float]:
    """Metrics of a trained model on labelled rows."""
    if not model.is_classifier:
        return metrics.regression_metrics(y, model.predict(rows))
    return metrics.classification_metrics(y, model.predict(rows), model.predict_proba(rows))


def _predictions(model: models.TrainedModel, rows: pd.DataFrame, y: np.ndarray) -> pd.DataFrame:
    keep = [c for c in ("track_id", "track_name", "primary_artist", "genre") if c in rows]
    out = rows[keep].copy()
    out["actual"] = y
    out["predicted"] = model.predict(rows)
    if not model.is_classifier:
        out["residual"] = out["predicted"] - out["actual"]
    return out.reset_index(drop=True)


def _fit(
    config: RunConfig,
    rows: pd.DataFrame,
    y: np.ndarray,
    positions: np.ndarray,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> FitResult:
    """Fit the configured model on the rows at ``positions``."""
    return fit_model(
        rows.iloc[positions],
        y[positions],
        config.model_id,
        config.task,
        config.params,
        config.feature_set,
        config.seed,
        on_progress,
        should_stop,
        target_transform=config.target,
    )


def run_experiment(
    df: pd.DataFrame,
    config: RunConfig,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> RunResult:
    """Train on a split of ``df``, score the held-out part, and add what the config asks for.

    A stopped run keeps its partial model and is scored like any other. With
    ``config.split == "random"`` the same model is also trained on the grouped split so the
    leaky and honest numbers can be shown side by side; ``config.folds >= 2`` adds grouped (or
    random) k-fold CV.
    """
    t0 = time.perf_counter()
    tasks.check_class_sizes(df, config.task, config.split, config.folds)
    target = tasks.make_target(df, config.task)
    rows = target.rows
    train, test = splits.make_split(rows, config.split, config.test_size, config.seed)
    metric = metrics.primary_metric(tasks.is_regression(config.task))
    waiting = waiting_progress(on_progress, "fit", metric)
    # One slot for the fit and the work on its model (scores, importances): they use the fit's
    # threads, and the gate samples the machine's load once. The comparison and CV below take
    # slots of their own (CV's folds run in other threads).
    with compute.slot(f"fit {config.model_id}", waiting, should_stop=should_stop):
        fit = _fit(config, rows, target.y, train, on_progress, should_stop)
        model, test_rows, y_test = fit.model, rows.iloc[test], target.y[test]
        result = RunResult(
            config,
            fit,
            score_model(model, test_rows, y_test),
            _predictions(model, test_rows, y_test),
            len(rows),
            len(train),
            len(test),
            {"fit_s": round(fit.fit_seconds, 3)},
            stopped=fit.stopped,
        )
        model.metrics = dict(result.metrics)
        if model.is_classifier:
            result.proba = model.predict_proba(test_rows).reset_index(drop=True)
        stop = should_stop or (lambda: False)
        # A stopped run (Stop pressed, or its session gone) skips the extra work of importances.
        result.importances = (
            None if stop() else _importances(model, test_rows, y_test, config, on_progress, stop)
        )
    if config.split == "random" and not fit.stopped and not stop():
        g_train, g_test = splits.make_split(rows, "grouped", config.test_size, config.seed)
        compare = relabelled(on_progress, "compare")
        other = _fit(config, rows, target.y, g_train, compare, should_stop)
        result.comparison = score_model(other.model, rows.iloc[g_test], target.y[g_test])
    if config.folds >= 2 and not fit.stopped and not stop():
        cv = cross_validate(df, config, relabelled(on_progress, "cv"), should_stop)
        result.cv, result.fold_metrics = cv["metrics"], cv["fold_metrics"]
    result.timings["total_s"] = round(time.perf_counter() - t0, 3)
    return result


def _importances(
    model: models.TrainedModel,
    rows: pd.DataFrame,
    y: np.ndarray,
    config: RunConfig,
    on_progress: ProgressFn | None,
    should_stop: StopFn,
) -> pd.DataFrame | None:
    """The run's importance table, on the threads of the run's CPU-gate slot.

    Called outside a slot it queues for one; None when the run is stopped while it queues (the
    fitted model is kept).
    """
    metric = metrics.primary_metric(not model.is_classifier)
    waiting = waiting_progress(on_progress, "importances", metric)
    try:
        return importance.importance_table(
            model, rows, y, config.seed, on_wait=waiting, should_stop=should_stop
        )
    except compute.WaitCancelledError:
        return None


def _cv_fold(
    rows: pd.DataFrame, y: np.ndarray, config: RunConfig, fold: tuple[np.ndarray, np.ndarray]
) -> tuple[dict[str, float], float]:
    """One CV fold (a Dask task): fit on the train part, score the test part."""
    train, test = fold
    fit = fit_model(
        rows.iloc[train],
        y[train],
        config.model_id,
        config.task,
        config.params,
        config.feature_set,
        config.seed,
    )
    return score_model(fit.model, rows.iloc[test], y[test]), fit.fit_seconds


def cross_validate(
    df: pd.DataFrame,
    config: RunConfig,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> dict[str, Any]:
    """K-fold CV (grouped by artist unless ``config.split == "random"``).

    Returns
    -------
    dict
        ``metrics`` (mean and ``<name>_sd`` per metric), ``fold_metrics``, ``folds_done``,
        ``n_rows`` and ``fit_s`` (mean fit seconds per fold).
    """
    k = config.folds if config.folds >= 2 else 5
    target = tasks.make_target(df, config.task)
    rows = target.rows
    folds = splits.make_folds(rows, config.split, k, config.seed)
    scores, fit_times = [], []
    metric = metrics.primary_metric(target.regression)
    client = distributed.active_client()
    if client is not None:  # each fold is a Dask task; progress as they finish, stop cancels

        def done(_: int, out: tuple[dict[str, float], float]) -> None:
            scores.append(out[0])
            fit_times.append(out[1])
            if on_progress is not None:
                on_progress(
                    Progress("cv", len(scores), len(folds), "fold", metric, None, out[0][metric])
                )

        distributed.map_tasks(client, _cv_fold, (rows, target.y, config), folds, done, should_stop)
        folds_iter: list = []
    else:
        folds_iter = folds
    for i, (train, test) in enumerate(folds_iter, start=1):
        if should_stop is not None and should_stop():
            break
        fit = _fit(config, rows, target.y, train, only_waits(on_progress))
        scores.append(score_model(fit.model, rows.iloc[test], target.y[test]))
        fit_times.append(fit.fit_seconds)
        if on_progress is not None:
            on_progress(Progress("cv", i, len(folds), "fold", metric, None, scores[-1][metric]))
    return {
        "metrics": metrics.summarize_folds(scores) if scores else {},
        "fold_metrics": scores,
        "folds_done": len(scores),
        "folds": len(folds),
        "n_rows": len(rows),
        "fit_s": float(np.mean(fit_times)) if fit_times else None,
    }
