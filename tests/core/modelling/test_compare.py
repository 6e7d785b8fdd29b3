"""Run comparison: summaries keep what a comparison needs; diffs and tables are exact."""

from __future__ import annotations

import numpy as np
import pytest

from core.modelling import compare
from core.modelling.experiment import RunConfig, run_experiment


@pytest.fixture(scope="module")
def runs(synthetic_tracks):
    a = run_experiment(
        synthetic_tracks, RunConfig(model_id="tree", params={"max_depth": 3}, folds=3, seed=0)
    )
    b = run_experiment(
        synthetic_tracks, RunConfig(model_id="tree", params={"max_depth": 6}, folds=0, seed=0)
    )
    return a, b


def test_summaries_and_the_settings_diff(runs):
    a, b = (compare.summarise_run(i + 1, r) for i, r in enumerate(runs))
    assert a.label == "run 1: tree" and not a.classifier
    assert len(a.predictions) == len(runs[0].predictions)
    diff = compare.settings_diff([a, b])
    assert diff["setting"].tolist() == ["folds", "param: max_depth"]
    assert diff.set_index("setting").loc["param: max_depth"].tolist() == ["3", "6"]
    assert compare.settings_diff([a, a]).empty


def test_metric_table_has_fold_error_bars_only_with_cv(runs):
    a, b = (compare.summarise_run(i + 1, r) for i, r in enumerate(runs))
    table = compare.metric_table([a, b], "mae").set_index("run")
    folds = [f["mae"] for f in runs[0].fold_metrics]
    assert table.loc[a.label, "folds"] == 3
    assert table.loc[a.label, "cv_mean"] == pytest.approx(np.mean(folds))
    assert table.loc[a.label, "cv_sd"] == pytest.approx(np.std(folds, ddof=1))
    assert table.loc[b.label, "folds"] == 0 and np.isnan(table.loc[b.label, "cv_mean"])
    assert table.loc[b.label, "test"] == pytest.approx(runs[1].metrics["mae"])


def test_per_class_recall_of_classification_runs(synthetic_tracks):
    res = run_experiment(synthetic_tracks, RunConfig(task="genre", model_id="linear", seed=0))
    s = compare.summarise_run(1, res)
    recall = compare.per_class_recall([s])
    p = res.predictions
    for row in recall.itertuples():
        mask = p["actual"] == row[2]
        assert row.recall == pytest.approx((p.loc[mask, "predicted"] == row[2]).mean())
