"""Training with live progress and a stop switch, for every model in the registry.

``fit_model`` fits one model on labelled rows, calling ``on_progress`` after every boosting
round (XGBoost, LightGBM; each member of a blend in turn), batch of trees (random forest),
epoch (MLP) or single fit (baselines), and stopping early, keeping the partial model, as soon
as ``should_stop()`` returns True. Iterative models learn on a grouped validation split carved
from the training rows, which drives the validation curve and the boosters' early stopping.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from threadpoolctl import threadpool_limits

from core import compute
from core.catalog.sampling import sample_positions
from core.modelling import features, metrics, models, splits, tasks, textscore
from core.modelling.blend import BlendEstimator
from core.progress import Progress, ProgressFn, StopFn

log = logging.getLogger(__name__)

TRAIN_CURVE_ROWS = 5_000  # rows of the training part scored for the train curve
#: Boosting curves keep at most this many points: past it, rounds are scored every k-th round
#: (XGBoost scoring the train-curve rows every round made a fit 1.35-1.5x slower).
MAX_CURVE_POINTS = 100
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
    target_transform: str = "none",
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
        ``audio``, ``context``, ``all`` or ``engineered``.
    seed : int
        Seed for the model, the validation split and the text score's inner folds.
    on_progress : callable, optional
        Called with a :class:`Progress` after every step.
    should_stop : callable, optional
        Polled after every step; when it returns True training ends with the partial model.
    validation_size : float
        Share of artists held out for the validation curve (iterative models only).
    phase : str
        Label passed through to ``Progress.phase``.
    target_transform : str
        ``none`` or ``logit`` (valence only): the model learns the transformed target;
        curves and metrics stay on the valence scale.

    Returns
    -------
    FitResult
        The model, its learning curve and whether it was stopped.
    """
    regression = tasks.is_regression(task)
    tasks.check_transform(target_transform, task)
    spec = models.get_spec(model_id)
    params = models.check_params(model_id, regression, params)
    members = _blend_members(rows, model_id, params, feature_set, task)
    cols = list(dict.fromkeys(c for _, member_cols in members for c in member_cols))
    cols = cols or features.input_columns(rows, feature_set, task)
    fit_pos, val_pos = np.arange(len(rows)), np.array([], dtype=int)
    if spec.training == "blend" and params.get("validation") == "none":
        validation_size = 0.0  # members train on every row at their shipped rounds
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
        y_all = tasks.transform_target(np.asarray(y, dtype=float), target_transform)
    val_pos = val_pos[y_all[val_pos] >= 0] if not regression else val_pos
    levels = features.categorical_levels(rows, cols)
    t0 = time.perf_counter()
    X, text_model = _training_matrix(rows, y_all, cols, levels, classes, seed)
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
        target_transform,
    )
    trainer = _trainer(spec.training)
    text_seconds = time.perf_counter() - t0  # the stacked text score (if any) is part of the fit
    waiting = waiting_progress(on_progress, phase, metric)
    with compute.slot(f"fit {model_id}", waiting, should_stop=should_stop) as threads:
        ctx.threads = threads
        t0 = time.perf_counter()
        if spec.training == "blend":
            estimator, live, stopped, planned, best = _fit_blend(ctx, members)
        else:
            estimator, live, stopped, planned, best = trainer(ctx)
        seconds = text_seconds + time.perf_counter() - t0
    model = models.TrainedModel(
        model_id,
        task,
        feature_set,
        params,
        estimator,
        cols,
        levels,
        classes,
        target_transform=target_transform,
        text_model=text_model,
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


def _blend_members(
    rows: pd.DataFrame, model_id: str, params: dict[str, Any], feature_set: str, task: str
) -> list[tuple[str, list[str]]]:
    """(member id, input columns) of a blend's members; empty for other models."""
    if models.get_spec(model_id).training != "blend":
        return []
    other = params["other_features"]
    if other == "plain":
        other = "all" if feature_set == "engineered" else feature_set
    other = feature_set if other == "same" else other
    out = []
    for member in models.BLEND_MEMBERS[params["members"]]:
        fs = feature_set if member == "lightgbm" else other
        out.append((member, features.input_columns(rows, fs, task)))
    return out


def _training_matrix(
    rows: pd.DataFrame,
    y: np.ndarray,
    cols: list[str],
    levels: dict[str, list[str]],
    classes: list[str] | None,
    seed: int,
) -> tuple[pd.DataFrame, Any]:
    """The training matrix; a stacked text score gets out-of-fold values for these rows."""
    if features.TEXT_SCORE not in cols:
        return features.build_matrix(rows, cols, levels), None
    if classes is not None:
        levels[features.TEXT_SCORE] = list(classes)
    known = np.flatnonzero(np.asarray(y) >= 0) if classes is not None else np.arange(len(rows))
    oof_part, text_model = textscore.fit_text_score(
        rows.iloc[known], np.asarray(y)[known], classes is None, seed, n_classes=len(classes or [])
    )
    oof = np.full((len(rows), oof_part.shape[1]), np.nan)
    oof[known] = oof_part
    return features.build_matrix(rows, cols, levels, oof), text_model


def waiting_progress(on_progress: ProgressFn | None, phase: str, metric: str) -> compute.WaitFn:
    """Turn the CPU gate's queue position into a ``Progress`` with phase ``wait``."""

    def report(ahead: int) -> None:
        if on_progress is not None:
            on_progress(
                Progress(
                    "wait",
                    0,
                    1,
                    "job",
                    metric,
                    message=f"{phase}: {compute.waiting_message(ahead)}",
                )
            )

    return report


def only_waits(on_progress: ProgressFn | None) -> ProgressFn | None:
    """Forward only the gate's "waiting behind N jobs" updates (for fits inside a larger job)."""
    if on_progress is None:
        return None
    return lambda p: on_progress(p) if p.phase == "wait" else None


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
    transform: str = "none"  # target transform of a regression target
    threads: int | None = None  # from the CPU gate (core.compute)

    def live(self, unit: str, total: int, stoppable: bool = True) -> _Live:
        """The curve collector of this fit, forwarding ``Progress`` under its phase."""
        stop = self.should_stop if stoppable else None
        return _Live(self.phase, unit, total, self.metric, self.on_progress, stop)

    def estimator(self, params: dict[str, Any] | None = None) -> Any:
        """An unfitted registry estimator for this fit (``params`` override the fit's)."""
        return models.make_estimator(
            self.model_id, self.regression, params or self.params, self.seed, n_jobs=self.threads
        )

    @property
    def curve_rows(self) -> np.ndarray:
        return self.fit[sample_positions(len(self.fit), TRAIN_CURVE_ROWS, self.seed)]

    def score(self, positions: np.ndarray, pred: np.ndarray) -> float:
        """The curve metric of predictions for some rows, on the target's own scale."""
        if not self.regression:
            return metrics.score(self.metric, self.y[positions], pred)
        inv = tasks.inverse_target
        y_true = inv(self.y[positions], self.transform)
        return metrics.score(self.metric, y_true, inv(pred, self.transform))

    def scores(self, estimator: Any) -> tuple[float, float | None]:
        tr = self.curve_rows
        train = self.score(tr, np.ravel(estimator.predict(self.X.iloc[tr])))
        if not len(self.val):
            return train, None
        return train, self.score(self.val, np.ravel(estimator.predict(self.X.iloc[self.val])))

    def mae_metric(self) -> Callable[[np.ndarray, np.ndarray], float]:
        """A boosting eval metric: MAE of (inverted) predictions on the valence scale."""
        transform = self.transform

        def mae(y_true: np.ndarray, y_pred: np.ndarray) -> float:
            inv = tasks.inverse_target
            p = np.clip(inv(np.asarray(y_pred, float), transform), 0.0, 1.0)
            return float(np.mean(np.abs(p - inv(np.asarray(y_true, float), transform))))

        return mae


def _fit_boosting(ctx: _Ctx) -> tuple:
    """XGBoost with a live curve, scored at most ``MAX_CURVE_POINTS`` times.

    Past that many rounds the curve is scored every k-th round (the first and last always) from
    the booster itself; XGBoost then evaluates only the validation rows each round, and only
    when early stopping needs them.
    """
    from core.modelling import distributed

    params, should_stop = ctx.params, ctx.should_stop
    total = int(params["n_estimators"])
    every = math.ceil(total / MAX_CURVE_POINTS) if total > MAX_CURVE_POINTS else 1
    live = ctx.live("round", total)
    client = distributed.active_client() if ctx.model_id == "xgboost" else None
    rounds = int(params.get("early_stopping_rounds", 0))
    early = bool(rounds and len(ctx.val))
    tr = ctx.curve_rows
    if client is not None:  # VALENCE_LAB_DASK_SCHEDULER / --engine dask: xgboost.dask
        est, stopped, best = distributed.fit_xgboost(
            client,
            ctx.X,
            ctx.y,
            ctx.fit,
            ctx.val if early else ctx.val[:0],
            tr,
            ctx.regression,
            len(ctx.classes or []),
            params,
            ctx.seed,
            live.report,
        )
        if len(ctx.val) and not early:  # the curve scored afterwards, as the local path does
            _rescore(ctx, live, est.get_booster(), tr, every)
        return est, live, stopped, total, best
    key = "mae" if ctx.regression else "merror"
    if every == 1:
        eval_set = [(ctx.X.iloc[tr], ctx.y[tr])]
        if len(ctx.val):
            eval_set.append((ctx.X.iloc[ctx.val], ctx.y[ctx.val]))
    else:
        eval_set = [(ctx.X.iloc[ctx.val], ctx.y[ctx.val])] if early else []
    sampled = _BoosterScores(ctx, tr, every > 1 and not early)
    stopped = [False]

    def after_round(booster: Any, epoch: int, evals_log: dict) -> bool:
        step = epoch + 1
        if every > 1 and early:
            sampled.note(evals_log, key)
        if every == 1:
            values = [evals_log[name][key][-1] for name in evals_log]
            if not ctx.regression:
                values = [1.0 - v for v in values]
            val = float(values[1]) if len(values) > 1 else None
            stop = live.report(step, float(values[0]), val)
        elif step == 1 or step % every == 0 or step == total:
            val = sampled.validation(booster, step)
            stop = live.report(step, sampled.train(booster, step), val)
        else:
            stop = bool(should_stop is not None and should_stop())
        stopped[0] = stopped[0] or stop
        return stop

    est = ctx.estimator()
    plain_metrics = ["mae"] if ctx.regression else ["merror", "mlogloss"]
    eval_metrics: Any = plain_metrics
    if ctx.regression and ctx.transform != "none":
        eval_metrics = ctx.mae_metric()  # named "mae": curves stay on the valence scale
    # plain attribute assignment: set_params on a fitted XGBoost model would touch the booster
    est.eval_metric, est.callbacks = eval_metrics, [_callback(after_round)]
    est.early_stopping_rounds = rounds if early else None
    est.fit(ctx.X.iloc[ctx.fit], ctx.y[ctx.fit], eval_set=eval_set or None, verbose=False)
    # keep the fitted model free of closures (serialisable)
    est.callbacks, est.eval_metric = None, plain_metrics
    done = est.get_booster().num_boosted_rounds()
    if every > 1 and live.rows and live.rows[-1]["step"] < done:  # early stopping ended it
        booster = est.get_booster()
        live.report(done, sampled.train(booster, done), sampled.validation(booster, done))
    best = getattr(est, "best_iteration", None) if early else None
    return est, live, stopped[0], total, None if best is None else int(best) + 1


def _rescore(ctx: _Ctx, live: _Live, booster: Any, train_rows: np.ndarray, every: int) -> None:
    """Replace a finished fit's curve by the local path's points.

    Train and validation are scored from the booster at the first, every ``every``-th and the
    last round.
    """
    done = booster.num_boosted_rounds()
    scores = _BoosterScores(ctx, train_rows, score_validation=True)
    steps = sorted({1, done, *range(every, done + 1, every)})
    points = [(s, scores.train(booster, s), scores.validation(booster, s)) for s in steps]
    live.rows = [{"step": s, "train": t, "validation": v} for s, t, v in points[:-1]]
    live.report(*points[-1])  # the last point also goes out as progress


def _callback(fn: Callable[[Any, int, dict], bool]) -> Any:
    from xgboost.callback import TrainingCallback

    class _Report(TrainingCallback):
        def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
            return fn(model, epoch, evals_log)

    return _Report()


class _BoosterScores:
    """Train (and validation) metrics of the first ``step`` rounds, from the booster.

    Margins are accumulated: each call predicts only the rounds added since the last one (on a
    matrix with a zero base margin, so XGBoost's intercept is not added twice), which costs about
    what XGBoost's own cached per-round evaluation does, but only every k-th round.
    """

    def __init__(self, ctx: _Ctx, train_rows: np.ndarray, score_validation: bool) -> None:
        self.ctx = ctx
        self.sets: dict[str, _Scored] = {
            "train": _Scored(ctx.X.iloc[train_rows], ctx.y[train_rows])
        }
        if score_validation and len(ctx.val):
            self.sets["val"] = _Scored(ctx.X.iloc[ctx.val], ctx.y[ctx.val])
        self.last_val: float | None = None

    def _metric(self, booster: Any, name: str, step: int) -> float:
        margin = self.sets[name].margin(booster, step)
        if self.ctx.regression:  # XGBoost's own "mae" on the (identity-link) prediction
            if self.ctx.transform != "none":  # on the valence scale, like the eval metric
                return self.ctx.mae_metric()(self.sets[name].y, margin)
            return float(np.mean(np.abs(margin - self.sets[name].y)))
        labels = margin.argmax(axis=1) if margin.ndim == 2 else (margin > 0).astype(int)
        return float(np.mean(labels == self.sets[name].y))

    def train(self, booster: Any, step: int) -> float:
        return self._metric(booster, "train", step)

    def note(self, evals_log: dict, key: str) -> None:
        """Remember XGBoost's validation score of this round (early stopping computes it)."""
        if evals_log:
            value = float(next(iter(evals_log.values()))[key][-1])
            self.last_val = value if self.ctx.regression else 1.0 - value

    def validation(self, booster: Any, step: int) -> float | None:
        if "val" in self.sets:
            return self._metric(booster, "val", step)
        return self.last_val


class _Scored:
    """Rows scored along a boosting run, with their margin accumulated round by round."""

    def __init__(self, X: pd.DataFrame, y: np.ndarray) -> None:
        import xgboost as xgb

        self.X, self.y = X, y
        self.dm = xgb.DMatrix(X)
        self.dm_zero: Any = None
        self.done = 0
        self.total: np.ndarray | None = None

    def margin(self, booster: Any, step: int) -> np.ndarray:
        import xgboost as xgb

        if self.total is None or step < self.done:  # first call: the intercept included
            self.total = np.asarray(
                booster.predict(self.dm, output_margin=True, iteration_range=(0, step)), dtype=float
            )
        elif step > self.done:
            if self.dm_zero is None:
                self.dm_zero = xgb.DMatrix(self.X, base_margin=np.zeros(self.total.size))
            self.total = self.total + np.asarray(
                booster.predict(
                    self.dm_zero, output_margin=True, iteration_range=(self.done, step)
                ),
                dtype=float,
            ).reshape(self.total.shape)
        self.done = step
        return self.total


def _fit_lightgbm(ctx: _Ctx) -> tuple:
    import lightgbm as lgb

    params = ctx.params
    total = int(params["n_estimators"])
    live = ctx.live("round", total)
    rounds = int(params.get("early_stopping_rounds", 0))
    state = {"stopped": False}

    def report(env: Any) -> None:
        by_set: dict[str, float] = {}
        for data_name, metric_name, value, _ in env.evaluation_result_list:
            if metric_name in ("mae", "accuracy") and data_name not in by_set:
                by_set[data_name] = float(value)
        if live.report(env.iteration + 1, by_set.get("training"), by_set.get("validation")):
            state["stopped"] = True
            raise lgb.callback.EarlyStopException(env.iteration, env.evaluation_result_list)

    if ctx.regression:
        mae = ctx.mae_metric()

        def feval(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[str, float, bool]:
            return "mae", mae(y_true, y_pred), False
    else:

        def feval(y_true: np.ndarray, y_pred: np.ndarray) -> tuple[str, float, bool]:
            pred = np.argmax(y_pred, axis=1) if np.ndim(y_pred) == 2 else (y_pred > 0.5)
            return "accuracy", float(np.mean(np.asarray(pred, int) == y_true)), True

    est = ctx.estimator()
    if ctx.regression:
        est.set_params(metric="None")  # only the valence-scale MAE: it drives early stopping
    tr = ctx.curve_rows
    eval_x, eval_y, names = [ctx.X.iloc[tr]], [ctx.y[tr]], ["training"]
    if len(ctx.val):
        eval_x.append(ctx.X.iloc[ctx.val])
        eval_y.append(ctx.y[ctx.val])
        names.append("validation")
    callbacks: list[Any] = [report]
    if rounds and len(ctx.val):
        callbacks.append(lgb.early_stopping(rounds, first_metric_only=True, verbose=False))
    est.fit(
        ctx.X.iloc[ctx.fit],
        ctx.y[ctx.fit],
        eval_X=tuple(eval_x),
        eval_y=tuple(eval_y),
        eval_names=names,
        eval_metric=feval,
        callbacks=callbacks,
    )
    best = getattr(est, "best_iteration_", None) if rounds and len(ctx.val) else None
    return est, live, state["stopped"], total, int(best) if best else None


def _fit_catboost(ctx: _Ctx) -> tuple:
    """CatBoost with progress every round and its curve scored once the fit ends.

    CatBoost's callbacks see its own loss (on the logit scale under the logit transform), not
    the model, so the curve on the target's scale comes from ``staged_predict`` afterwards, at
    most ``MAX_CURVE_POINTS`` points; during the fit progress carries the round only.
    """
    params = ctx.params
    total = int(params["n_estimators"])
    every = math.ceil(total / MAX_CURVE_POINTS) if total > MAX_CURVE_POINTS else 1
    rounds = int(params.get("early_stopping_rounds", 0))
    early = bool(rounds and len(ctx.val))
    progress = ctx.live("round", total)
    state = {"stopped": False}

    class _Report:
        def after_iteration(self, info: Any) -> bool:
            step = int(info.iteration)
            if step == 1 or step % every == 0 or step == total:
                state["stopped"] = progress.report(step, None, None) or state["stopped"]
            elif ctx.should_stop is not None and ctx.should_stop():
                state["stopped"] = True
            return not state["stopped"]

    est = ctx.estimator()
    eval_set = (ctx.X.iloc[ctx.val], ctx.y[ctx.val]) if early else None
    est.fit(
        ctx.X.iloc[ctx.fit],
        ctx.y[ctx.fit],
        eval_set=eval_set,
        early_stopping_rounds=rounds if early else None,
        use_best_model=early,
        callbacks=[_Report()],
    )
    live = _Live(ctx.phase, "round", total, ctx.metric, None, None)
    tr, done = ctx.curve_rows, int(est.tree_count_)
    sets = [(tr, est.staged_predict(ctx.X.iloc[tr], eval_period=every))]
    if len(ctx.val):
        sets.append((ctx.val, est.staged_predict(ctx.X.iloc[ctx.val], eval_period=every)))
    positions = [pos for pos, _ in sets]
    staged = [list(preds) for _, preds in sets]
    for i in range(len(staged[0])):
        step = min(every * (i + 1), done)
        values = [ctx.score(p, np.ravel(s[i])) for p, s in zip(positions, staged, strict=True)]
        live.report(step, values[0], values[1] if len(values) > 1 else None)
    if ctx.on_progress is not None and live.rows:  # the scored curve, once
        last = live.rows[-1]
        step, train, validation = int(last["step"]), last["train"], last["validation"]
        ctx.on_progress(Progress(ctx.phase, step, total, "round", ctx.metric, train, validation))
    best = int(est.get_best_iteration()) + 1 if early and est.get_best_iteration() else None
    return est, live, state["stopped"], total, best


def _fit_blend(ctx: _Ctx, members: list[tuple[str, list[str]]]) -> tuple:
    """Fit each member on its own columns in turn (curves per member round), then average."""
    params, should_stop = ctx.params, ctx.should_stop
    names = list(ctx.X.columns)
    base = [n.split("=")[0] for n in names]
    ids = [m for m, _ in members]
    w_lgb = float(params["lightgbm_weight"])
    others = len(ids) - 1
    weights = [w_lgb if m == "lightgbm" else (1.0 - w_lgb) / max(others, 1) for m in ids]
    plans = []
    for (member, cols), w in zip(members, weights, strict=True):
        if w <= 0:
            continue
        wanted = set(cols)
        positions = [i for i, b in enumerate(base) if b in wanted]
        defaults = models.default_params(member, ctx.regression)
        if member in ("lightgbm", "xgboost", "catboost"):
            defaults["n_estimators"] = min(defaults["n_estimators"], int(params["max_rounds"]))
        spec = models.get_spec(member)
        steps = int(defaults.get("n_estimators", defaults.get("max_epochs", 1)))
        plans.append((member, positions, defaults, spec, steps, w))
    total = sum(p[4] for p in plans)
    live = ctx.live("round", total)
    fitted, stopped, offset = [], False, 0
    for member, positions, defaults, spec, steps, w in plans:

        def forward(p: Progress, offset: int = offset) -> None:
            live.report(offset + p.step, p.train, p.validation)

        sub = _Ctx(
            ctx.X.iloc[:, positions],
            ctx.y,
            ctx.fit,
            ctx.val,
            ctx.regression,
            ctx.classes,
            ctx.metric,
            ctx.seed,
            member,
            defaults,
            ctx.phase,
            forward,
            should_stop,
            ctx.transform,
            ctx.threads,
        )
        trainer = _trainer(spec.training)
        est, _, member_stopped, _, _ = trainer(sub)
        fitted.append((member, est, positions, w))
        offset += steps
        if member_stopped or (should_stop is not None and should_stop()):
            stopped = True
            break
    total_w = sum(f[3] for f in fitted)
    blend = BlendEstimator(
        [f[0] for f in fitted],
        [f[1] for f in fitted],
        [f[2] for f in fitted],
        [f[3] / total_w for f in fitted],
        len(names),
        len(ctx.classes or []),
    )
    live.report(offset, *ctx.scores(blend))
    return blend, live, stopped, total, None


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
    threads = ctx.threads or 1
    with threadpool_limits(limits=threads, user_api="blas"):  # numpy matmuls in partial_fit
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


def _trainer(training: str) -> Callable[[_Ctx], tuple]:
    """The fitting loop for a model spec's ``training`` kind (a single fit by default)."""
    return {
        "boosting": _fit_boosting,
        "lightgbm": _fit_lightgbm,
        "catboost": _fit_catboost,
        "forest": _fit_forest,
        "epochs": _fit_epochs,
    }.get(training, _fit_single)
