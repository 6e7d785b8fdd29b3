"""The Model lab leaderboard as a table: metrics first, one column per hyperparameter, best marked.

Runs are plain dicts (``ui.lab.record_run`` makes them); every task's runs are kept and a view
shows one task at a time, ranked by the task's primary metric.
"""

from __future__ import annotations

import json
from typing import Any

import pandas as pd

from core.modelling import metrics

#: Metric columns in display order (those a run has).
METRIC_ORDER = (
    "mae",
    "rmse",
    "r2",
    "accuracy",
    "balanced_accuracy",
    "macro_f1",
    "top3_accuracy",
    "log_loss",
)
PARAM_PREFIX = "param: "


def board_tasks(runs: list[dict[str, Any]]) -> list[str]:
    """Tasks that have runs, in the order first seen."""
    return list(dict.fromkeys(r["task"] for r in runs))


def leaderboard_frame(runs: list[dict[str, Any]], task: str) -> tuple[pd.DataFrame, str | None]:
    """One task's runs, best first: run, model, metrics, CV, setup, one column per parameter.

    Returns
    -------
    (DataFrame, str or None)
        The table and the metric it is ranked by (None when the task has no runs).
    """
    rows = [r for r in runs if r.get("task") == task]
    if not rows:
        return pd.DataFrame(), None
    board = pd.DataFrame(rows).dropna(axis=1, how="all")
    metric = "mae" if "mae" in board else "accuracy" if "accuracy" in board else None
    params = pd.DataFrame(
        [json.loads(p) if isinstance(p, str) else dict(p or {}) for p in board.pop("params")],
        index=board.index,
    )
    params = params.rename(columns=lambda c: f"{PARAM_PREFIX}{c}")
    params = params.astype(object).where(params.notna(), None)
    metric_cols = [c for c in METRIC_ORDER if c in board]
    cv_cols = [c for c in board if c.startswith(("cv_", "grouped_"))]
    lead = ["run", "model", *metric_cols, *cv_cols]
    setup = [c for c in ("features", "split", "steps", "stopped", "fit_s", "wall_s") if c in board]
    rest = [c for c in board if c not in lead and c not in setup and c not in ("task",)]
    out = pd.concat([board[[c for c in lead + setup + rest if c in board]], params], axis=1)
    if metric is not None:
        out = out.sort_values(metric, ascending=metric in metrics.LOWER_IS_BETTER, kind="stable")
    return out.reset_index(drop=True), metric


def best_run(frame: pd.DataFrame, metric: str | None) -> int | None:
    """Run number of the best row (the first after ranking)."""
    if frame.empty or metric is None or metric not in frame:
        return None
    return int(frame["run"].iloc[0])


def tune_plan(n_candidates: int, n_fit_rows: int) -> list[tuple[int, int]]:
    """Successive-halving rungs of an auto-tune: (settings evaluated, rows used) per rung.

    Mirrors :func:`core.modelling.tuning.auto_tune`: rungs at 1/9, 1/3 and all of the fit rows
    (a rung needs at least 30 rows), the best third of each rung moving on.
    """
    fractions = [f for f in (1 / 9, 1 / 3, 1.0) if f * n_fit_rows >= 30] or [1.0]
    plan, pool = [], max(1, n_candidates)
    for frac in fractions:
        plan.append((pool, max(30, int(frac * n_fit_rows))))
        pool = max(1, -(-pool // 3))
    return plan


def describe_plan(plan: list[tuple[int, int]], seconds_per_full_fit: float | None) -> str:
    """'9 settings, 13 fits (9 on 2,000 rows, 3 on 6,000, 1 on 18,000) · about 40 s'."""
    n_settings = plan[0][0]
    n_fits = sum(n for n, _ in plan)
    rungs = ", ".join(
        f"{n} on {rows:,} rows" if i == 0 else f"{n} on {rows:,}"
        for i, (n, rows) in enumerate(plan)
    )
    text = f"{n_settings} settings, {n_fits} fits ({rungs})"
    if seconds_per_full_fit:
        full = plan[-1][1]
        est = sum(n * seconds_per_full_fit * rows / full for n, rows in plan)
        text += f" · about {max(1, round(est)):,} s at your last fit's speed"
    return text
