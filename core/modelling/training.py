"""Training with live progress and a stop switch, for every model in the registry.

``fit_model`` fits one model on labelled rows, calling ``on_progress`` after every boosting
round (XGBoost), batch of trees (random forest), epoch (MLP) or single fit (baselines), and
stopping early, keeping the partial model, as soon as ``should_stop()`` returns True. Iterative
models learn on a grouped validation split carved from the training rows, which drives the
validation curve and XGBoost's early stopping.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.catalog.sampling import sample_positions
from core.modelling import features, metrics, models, splits, tasks
from core.progress import Progress, ProgressFn, StopFn

log = logging.getLogger(__name__)

TRAIN_CURVE_ROWS = 5_000  # rows of the training part scored for the train curve
N_FOREST_BATCHES = 10


@dataclass
class FitResult:
    """A fitted (possibly partial) model and its learning curve."""

    model: models.TrainedModel
    history: pd.DataFrame  # step, train, validation
    stopped: bool
    steps_done: int
    steps_planned: int
    unit: str
    fit_seconds: float
    best_step: int | None = None
    n_fit: int = 0
    n_validation: int = 0
    notes: list[str] = field(default_factory=list)


class _Live:
    """Collects curve points and forwards them as ``Progress``."""

    def __init__(
        self,
        phase: str,
        unit: str,
        total: int,
        metric: str,
        on_progress: ProgressFn | None,
        should_stop: StopFn | None,
    ) -> None:
        self.phase, self.unit, self.total, self.metric = phase, unit, total, metric
        self.on_progress, self.should_stop = on_progress, should_stop
        self.rows: list[dict[str, float | int | None]] = []

    def report(self, step: int, train: float | None, validation: float | None) -> bool:
        """Record a point; return True when the caller should stop."""
        self.rows.append({"step": step, "train": train, "validation": validation})
        if self.on_progress is not None:
            self.on_progress(
                Progress(self.phase, step, self.total, self.unit, self.metric, train, validation)
            )
        return bool(self.should_stop is not None and self.should_stop())

    def history(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows, columns=["step", "train", "validation"])


def fit_model(
    rows: pd.DataFrame,
    y: np.ndarray,
    model_id: str,
    task: str,
    params: dict[str, Any] | None = None,
    feature_set: str = "audio",
    seed: int = models.DEFAULT_SEED,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    validation_size: float = 0.15,
    phase: str = "fit",
) -> FitResult:
    """Fit one registry model on labelled rows with live progress.

    Parameters
    ----------
    rows : pandas.DataFrame
        Catalog rows to learn from.
    y : numpy.ndarray
        Target per row: valence floats, or string labels for classification tasks.
    model_id, task : str
        Registry id and task name.
    params : dict, optional
        Hyperparameters (validated; defaults fill the gaps).
    feature_set : str
        ``audio``, ``context`` or ``all``.
    seed : int
        Seed for the model and the validation split.
    on_progress : callable, optional
        Called with a :class:`Progress` after every step.
    should_stop : callable, optional
        Polled after every step; when it returns True training ends with the partial model.
    validation_size : float
        Share of artists held out for the validation curve (iterative models only).
    phase : str
        Label passed through to ``Progress.phase``.

    Returns
    -------
    FitResult
        The model, its learning curve and whether it was stopped.
    """
    regression = tasks.is_regression(task)
    spec = models.get_spec(model_id)
    params = models.check_params(model_id, regression, params)
    cols = features.input_columns(rows, feature_set, task)
    levels = features.categorical_levels(rows, cols)
    X = features.build_matrix(rows, cols, levels)
    fit_pos, val_pos = np.arange(len(rows)), np.array([], dtype=int)
    if spec.training != "single" and validation_size > 0:
        try:
            fit_pos, val_pos = splits.grouped_split(rows, validation_size, seed + 1)
        except ValueError:
            log.info("too few artists for a validation split; training without one")
    classes: list[str] | None = None
    y_fit = np.asarray(y)[fit_pos]
    if not regression:
        classes = sorted({str(v) for v in y_fit})
        if len(classes) < 2 and model_id != "mean":
            raise ValueError("The training rows hold fewer than two classes; use more data.")
        code_of = {c: i for i, c in enumerate(classes)}
        codes = np.array([code_of.get(str(v), -1) for v in np.asarray(y)])
        y_all = codes
    else:
        y_all = np.asarray(y, dtype=float)
    val_pos = val_pos[y_all[val_pos] >= 0] if not regression else val_pos
    metric = metrics.primary_metric(regression)
    ctx = _Ctx(
        X,
        y_all,
        fit_pos,
        val_pos,
        regression,
        classes,
        metric,
        seed,
        model_id,
        params,
        phase,
        on_progress,
        should_stop,
    )
    trainer = {"boosting": _fit_boosting, "forest": _fit_forest, "epochs": _fit_epochs}.get(
        spec.training, _fit_single
    )
    t0 = time.perf_counter()
    estimator, live, stopped, planned, best = trainer(ctx)
    seconds = time.perf_counter() - t0
    model = models.TrainedModel(
        model_id, task, feature_set, params, estimator, cols, levels, classes
    )
    hist = live.history()
    return FitResult(
        model,
        hist,
        stopped,
        int(hist["step"].max()) if len(hist) else 0,
        planned,
        live.unit,
        seconds,
        best,
        len(fit_pos),
        len(val_pos),
    )


@dataclass
class _Ctx:
    X: pd.DataFrame
    y: np.ndarray
    fit: np.ndarray
    val: np.ndarray
    regression: bool
    classes: list[str] | None
    metric: str
    seed: int
    model_id: str = ""
    params: dict[str, Any] = field(default_factory=dict)
    phase: str = "fit"
    on_progress: ProgressFn | None = None
    should_stop: StopFn | None = None

    def live(self, unit: str, total: int, stoppable: bool = True) -> _Live:
        """The curve collector of this fit, forwarding ``Progress`` under its phase."""
        stop = self.should_stop if stoppable else None
        return _Live(self.phase, unit, total, self.metric, self.on_progress, stop)

    def estimator(self, params: dict[str, Any] | None = None) -> Any:
        """An unfitted registry estimator for this fit (``params`` override the fit's)."""
        return models.make_estimator(
            self.model_id, self.regression, params or self.params, self.seed
        )

    @property
    def curve_rows(self) -> np.ndarray:
        return self.fit[sample_positions(len(self.fit), TRAIN_CURVE_ROWS, self.seed)]

    def scores(self, estimator: Any) -> tuple[float, float | None]:
        tr = self.curve_rows
        train = metrics.score(self.metric, self.y[tr], estimator.predict(self.X.iloc[tr]))
        if not len(self.val):
            return train, None
        return train, metrics.score(
            self.metric, self.y[self.val], estimator.predict(self.X.iloc[self.val])
        )


def _fit_boosting(ctx: _Ctx) -> tuple:
    from xgboost.callback import TrainingCallback

    params = ctx.params
    total = int(params["n_estimators"])
    live = ctx.live("round", total)
    key = "mae" if ctx.regression else "merror"

    class _Report(TrainingCallback):
        stopped = False

        def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
            values = [evals_log[name][key][-1] for name in evals_log]
            if not ctx.regression:
                values = [1.0 - v for v in values]
            val = values[1] if len(values) > 1 else None
            stop = live.report(epoch + 1, float(values[0]), None if val is None else float(val))
            _Report.stopped = _Report.stopped or stop
            return stop

    est = ctx.estimator()
    rounds = int(params.get("early_stopping_rounds", 0))
    tr = ctx.curve_rows
    eval_set = [(ctx.X.iloc[tr], ctx.y[tr])]
    if len(ctx.val):
        eval_set.append((ctx.X.iloc[ctx.val], ctx.y[ctx.val]))
    eval_metrics = ["mae"] if ctx.regression else ["merror", "mlogloss"]
    # plain attribute assignment: set_params on a fitted XGBoost model would touch the booster
    est.eval_metric, est.callbacks = eval_metrics, [_Report()]
    est.early_stopping_rounds = rounds if rounds and len(ctx.val) else None
    est.fit(ctx.X.iloc[ctx.fit], ctx.y[ctx.fit], eval_set=eval_set, verbose=False)
    est.callbacks = None  # keep the fitted model free of closures (serialisable)
    best = getattr(est, "best_iteration", None) if rounds and len(ctx.val) else None
    return est, live, _Report.stopped, total, None if best is None else int(best) + 1


def _fit_forest(ctx: _Ctx) -> tuple:
    total = int(ctx.params["n_estimators"])
    live = ctx.live("trees", total)
    est = ctx.estimator({**ctx.params, "n_estimators": 1})
    est.set_params(warm_start=True)
    batch = max(1, math.ceil(total / N_FOREST_BATCHES))
    stopped, n = False, 0
    while n < total and not stopped:
        n = min(total, n + batch)
        est.set_params(n_estimators=n)
        est.fit(ctx.X.iloc[ctx.fit], ctx.y[ctx.fit])
        stopped = live.report(n, *ctx.scores(est)) and n < total
    est.set_params(warm_start=False)
    return est, live, stopped, total, None


def _fit_epochs(ctx: _Ctx) -> tuple:
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    total = int(ctx.params["max_epochs"])
    patience = int(ctx.params.get("patience", 0))
    live = ctx.live("epoch", total)
    pipe = ctx.estimator()
    X_fit = ctx.X.iloc[ctx.fit]
    prep = pipe[:-1].fit(X_fit)
    net = pipe[-1]
    net.batch_size = min(int(net.batch_size), len(ctx.fit))
    Z = prep.transform(X_fit)
    kwargs = {} if ctx.regression else {"classes": np.arange(len(ctx.classes or []))}
    best, best_epoch, stopped = None, 0, False
    for epoch in range(1, total + 1):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            net.partial_fit(Z, ctx.y[ctx.fit], **kwargs)
        train, val = ctx.scores(pipe)
        if live.report(epoch, train, val) and epoch < total:
            stopped = True
            break
        score = val if val is not None else train
        if best is None or (score < best if ctx.regression else score > best):
            best, best_epoch = score, epoch
        elif patience and epoch - best_epoch >= patience:
            break
    return pipe, live, stopped, total, best_epoch or None


def _fit_single(ctx: _Ctx) -> tuple:
    live = ctx.live("fit", 1, stoppable=False)
    est = ctx.estimator()
    est.fit(ctx.X.iloc[ctx.fit], ctx.y[ctx.fit])
    live.report(1, *ctx.scores(est))
    return est, live, False, 1, None
