"""Auto-tune: a bounded random search with successive halving over a model's space.

Candidates are drawn from the slider grid of each hyperparameter (so the winner maps exactly
onto the sliders), scored on a grouped validation split of the training rows, and the best third
of each rung moves on to a rung with three times as many rows.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd

from core.modelling import distributed, metrics, models, splits, tasks
from core.modelling.leaderboard import tune_plan
from core.modelling.training import fit_model, only_waits
from core.progress import Progress, ProgressFn, StopFn

TUNING_SKIP = frozenset({"early_stopping_rounds", "patience"})


def candidate_params(model_id: str, regression: bool, n: int, seed: int) -> list[dict[str, Any]]:
    """``n`` distinct parameter sets: the defaults first, then random draws from the grid."""
    space = [
        p for p in models.get_spec(model_id).params_for(regression) if p.name not in TUNING_SKIP
    ]
    rng = np.random.default_rng(seed)
    seen, out = set(), []
    defaults = models.default_params(model_id, regression)
    for attempt in range(n * 20):
        cand = (
            dict(defaults)
            if attempt == 0
            else {**defaults, **{p.name: p.sample(rng) for p in space}}
        )
        key = tuple(sorted(cand.items()))
        if key not in seen:
            seen.add(key)
            out.append(cand)
        if len(out) >= n or not space:
            break
    return out


def auto_tune(
    df: pd.DataFrame,
    task: str,
    model_id: str,
    feature_set: str = "audio",
    n_candidates: int = 9,
    seed: int = models.DEFAULT_SEED,
    max_seconds: float = 120.0,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    target_transform: str = "none",
) -> dict[str, Any]:
    """Search for better hyperparameters on the training part of the grouped split.

    Returns
    -------
    dict
        ``best_params``, ``best_score``, ``metric`` and ``trials`` (a DataFrame: rung, rows,
        score and the params of every evaluation).
    """
    target = tasks.make_target(df, task)
    rows = target.rows
    train, _ = splits.grouped_split(rows, 0.2, seed)  # the test part is never seen while tuning
    rows, y = rows.iloc[train], target.y[train]
    fit_pos, val_pos = splits.grouped_split(rows, 0.2, seed + 2)
    metric = metrics.primary_metric(target.regression)
    pool = candidate_params(model_id, target.regression, n_candidates, seed)
    n_settings = len(pool)
    plan = tune_plan(n_settings, len(fit_pos))  # (settings, rows) per rung: one source of counts
    total = sum(n for n, _ in plan)
    rng = np.random.default_rng(seed)
    order = rng.permutation(fit_pos)
    trials, done, t0 = [], 0, time.perf_counter()
    client = distributed.active_client()
    shared = [distributed.scatter(client, rows), distributed.scatter(client, y)] if client else []
    settings = (model_id, task, feature_set, seed, metric, target_transform)
    for rung, (_, n_rows) in enumerate(plan):
        use = np.sort(order[:n_rows])
        scored = []
        if client is not None:  # every candidate of the rung is a Dask task

            def finished(
                i: int,
                score: float,
                pool: list = pool,
                use: np.ndarray = use,
                rung: int = rung,
                scored: list = scored,
            ) -> None:
                nonlocal done
                scored.append((score, pool[i]))
                trials.append({"rung": rung, "rows": len(use), metric: score, **pool[i]})
                done += 1
                if on_progress is not None:
                    on_progress(Progress("tune", done, total, "fit", metric, None, score))

            distributed.map_tasks(
                client,
                _trial,
                (*shared, use, val_pos, settings),
                pool,
                finished,
                should_stop,
                deadline=time.monotonic() + max(0.0, max_seconds - (time.perf_counter() - t0)),
            )
            pool_iter: list = []
        else:
            pool_iter = pool
        for cand in pool_iter:
            out_of_time = time.perf_counter() - t0 > max_seconds
            if (should_stop is not None and should_stop()) or out_of_time:
                break
            score = _trial(rows, y, use, val_pos, settings, cand, on_progress)
            scored.append((score, cand))
            trials.append({"rung": rung, "rows": len(use), metric: score, **cand})
            done += 1
            if on_progress is not None:
                on_progress(Progress("tune", done, total, "fit", metric, None, score))
        if not scored:
            break
        scored.sort(key=lambda t: t[0], reverse=metric not in metrics.LOWER_IS_BETTER)
        pool = [c for _, c in scored[: max(1, int(np.ceil(len(scored) / 3)))]]
    table = pd.DataFrame(trials)
    if table.empty:
        return {
            "best_params": models.default_params(model_id, target.regression),
            "best_score": None,
            "metric": metric,
            "trials": table,
            "n_settings": 0,
            "n_fits": 0,
            "planned_fits": total,
        }
    last = table[table["rung"] == table["rung"].max()]
    best = last.sort_values(metric, ascending=metric in metrics.LOWER_IS_BETTER).iloc[0]
    names = list(models.default_params(model_id, target.regression))
    params = models.check_params(
        model_id, target.regression, {n: _plain(best[n]) for n in names if n in best}
    )  # validation casts back to each param's kind (the trials table may hold 34.0 for 34)
    settings = table[[n for n in names if n in table]].astype(str).drop_duplicates()
    return {
        "best_params": params,
        "best_score": float(best[metric]),
        "metric": metric,
        "trials": table,
        "seconds": round(time.perf_counter() - t0, 2),
        "n_settings": len(settings),
        "n_fits": len(table),
        "planned_fits": total,
    }


def _trial(
    rows: pd.DataFrame,
    y: np.ndarray,
    use: np.ndarray,
    val_pos: np.ndarray,
    settings: tuple[str, str, str, int, str, str],
    cand: dict[str, Any],
    on_progress: ProgressFn | None = None,
) -> float:
    """One auto-tune trial, locally or as a Dask task: fit on ``use``, score on ``val_pos``."""
    model_id, task, feature_set, seed, metric, target_transform = settings
    early = model_id in ("xgboost", "lightgbm", "catboost", "blend")  # early stopping: a split
    fit = fit_model(
        rows.iloc[use],
        y[use],
        model_id,
        task,
        cand,
        feature_set,
        seed,
        on_progress=only_waits(on_progress),
        validation_size=0.15 if early else 0.0,
        target_transform=target_transform,
    )
    return metrics.score(metric, y[val_pos], fit.model.predict(rows.iloc[val_pos]))


def _plain(value: Any) -> Any:
    if isinstance(value, np.integer):
        return int(value)
    if isinstance(value, np.floating):
        return float(value)
    return value
