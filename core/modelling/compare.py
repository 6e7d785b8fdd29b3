"""Run comparison: what the Model lab keeps of each run, and tables that set runs side by side.

A :class:`RunSummary` is a small, per-session record of a finished run (settings, test and
fold metrics, learning curve, a seeded sample of test predictions), so a session can keep many
without holding their models. :func:`settings_diff` lists only the settings that differ;
:func:`metric_table` gives each run's test score and its cross-validation mean ± sd.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core.modelling.experiment import RunResult

#: Test predictions kept per run (a seeded sample) for the prediction-vs-actual overlay.
MAX_PREDICTIONS = 2000


@dataclass
class RunSummary:
    """What a comparison needs of one run."""

    run: int
    label: str
    task: str
    classifier: bool
    settings: dict[str, Any]
    metrics: dict[str, float]
    fold_metrics: list[dict[str, float]] = field(default_factory=list)
    history: pd.DataFrame = field(default_factory=pd.DataFrame)
    unit: str = "step"
    predictions: pd.DataFrame = field(default_factory=pd.DataFrame)


def summarise_run(run: int, result: RunResult, seed: int = 0) -> RunSummary:
    """Keep the comparable parts of a finished run (no model)."""
    cfg = result.config
    settings: dict[str, Any] = {
        "model": cfg.model_id,
        "features": cfg.feature_set,
        "target": cfg.target,
        "split": cfg.split,
        "folds": cfg.folds,
        "seed": cfg.seed,
        "test share": cfg.test_size,
        **{f"param: {k}": v for k, v in sorted(result.model.params.items())},
    }
    pred = result.predictions[["actual", "predicted"]]
    if len(pred) > MAX_PREDICTIONS:
        pred = pred.sample(MAX_PREDICTIONS, random_state=seed)
    return RunSummary(
        run=run,
        label=f"run {run}: {cfg.model_id}",
        task=cfg.task,
        classifier=result.model.is_classifier,
        settings=settings,
        metrics=dict(result.metrics),
        fold_metrics=list(result.fold_metrics),
        history=result.fit.history.copy(),
        unit=result.fit.unit,
        predictions=pred.reset_index(drop=True),
    )


def _same(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return bool(np.isclose(a, b)) or (np.isnan(a) and np.isnan(b))
    return a == b


def settings_diff(runs: list[RunSummary]) -> pd.DataFrame:
    """The settings whose values differ between ``runs`` (a missing one shows as "—").

    Returns
    -------
    pd.DataFrame
        One row per differing setting (``setting`` then one column per run label); empty
        when the runs were set up identically.
    """
    names: list[str] = []
    for r in runs:
        names += [n for n in r.settings if n not in names]
    rows = []
    for name in names:
        values = [r.settings.get(name, "—") for r in runs]
        if not all(_same(values[0], v) for v in values[1:]):
            rows.append(
                {"setting": name, **{r.label: str(v) for r, v in zip(runs, values, strict=True)}}
            )
    return pd.DataFrame(rows, columns=["setting", *[r.label for r in runs]])


def metric_table(runs: list[RunSummary], metric: str) -> pd.DataFrame:
    """Each run's test ``metric`` and, where it ran k-fold CV, the fold mean, sd and count."""
    rows = []
    for r in runs:
        folds = [f[metric] for f in r.fold_metrics if metric in f]
        rows.append(
            {
                "run": r.label,
                "test": r.metrics.get(metric, np.nan),
                "cv_mean": float(np.mean(folds)) if folds else np.nan,
                "cv_sd": float(np.std(folds, ddof=1)) if len(folds) > 1 else np.nan,
                "folds": len(folds),
            }
        )
    return pd.DataFrame(rows, columns=["run", "test", "cv_mean", "cv_sd", "folds"])


def per_class_recall(runs: list[RunSummary]) -> pd.DataFrame:
    """Share of each actual class predicted right, per classification run (long format)."""
    rows = []
    for r in runs:
        p = r.predictions
        if p.empty:
            continue
        right = (p["actual"].astype(str) == p["predicted"].astype(str)).groupby(
            p["actual"].astype(str)
        )
        for cls, share in right.mean().items():
            rows.append({"run": r.label, "class": cls, "recall": float(share)})
    return pd.DataFrame(rows, columns=["run", "class", "recall"])
