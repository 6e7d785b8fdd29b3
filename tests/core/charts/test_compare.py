"""Run comparison charts: curves, metric bars with fold error bars, predictions, class recall."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.charts import PALETTE
from core.charts import compare as charts
from core.modelling.compare import RunSummary


def _run(i: int, history: pd.DataFrame | None = None, n_pred: int = 20) -> RunSummary:
    rng = np.random.default_rng(i)
    actual = rng.uniform(0.1, 0.9, n_pred)
    return RunSummary(
        run=i,
        label=f"run {i}: tree",
        task="valence",
        classifier=False,
        settings={},
        metrics={"mae": 0.1},
        history=history if history is not None else pd.DataFrame(),
        predictions=pd.DataFrame({"actual": actual, "predicted": actual + 0.05}),
    )


def _history(steps: int, train: bool = True) -> pd.DataFrame:
    step = np.arange(1, steps + 1)
    return pd.DataFrame(
        {
            "step": step,
            "validation": 0.3 / step,
            "train": 0.2 / step if train else np.nan,
        }
    )


def test_curves_draw_validation_solid_and_train_dotted_per_run_in_its_colour():
    a, b = _run(1, _history(5)), _run(2, _history(3, train=False))
    fig = charts.plot_curves([a, b, _run(3)], "MAE")  # run 3 has no history: no lines
    names = [t.name for t in fig.data]
    assert names == ["run 1: tree · validation", "run 1: tree · train", "run 2: tree · validation"]
    val, train, other = fig.data
    assert list(val.x) == [1, 2, 3, 4, 5] and list(val.y) == pytest.approx(0.3 / np.arange(1, 6))
    assert (val.line.dash, val.line.width, train.line.dash, train.line.width) == (
        "solid",
        2,
        "dot",
        1,
    )
    assert val.line.color == train.line.color == PALETTE[0] and other.line.color == PALETTE[1]
    assert fig.layout.yaxis.title.text == "MAE" and fig.layout.legend.orientation == "h"
    assert fig.layout.title.text == "Learning curves"


def test_metric_bars_carry_fold_error_bars_and_test_diamonds():
    table = pd.DataFrame(
        {
            "run": ["run 1: tree", "run 2: tree"],
            "folds": [3, 0],
            "cv_mean": [0.12, np.nan],
            "cv_sd": [0.01, np.nan],
            "test": [0.11, 0.13],
        }
    )
    fig = charts.plot_metric(table, "MAE")
    bars, test = fig.data
    assert bars.type == "bar" and list(bars.x) == table["run"].tolist()
    assert bars.y[0] == pytest.approx(0.12) and np.isnan(bars.y[1])  # no CV: no bar
    assert list(bars.error_y.array) == [pytest.approx(0.01), 0.0]
    assert test.marker.symbol == "diamond" and list(test.y) == [0.11, 0.13]
    assert fig.layout.title.text == "MAE by run" and fig.layout.yaxis.title.text == "MAE"


def test_predictions_are_sampled_to_1000_points_with_a_diagonal_over_the_range():
    big, small = _run(1, n_pred=1500), _run(2, n_pred=30)
    small.predictions.loc[0, "actual"] = 1.4  # beyond the unit range: the diagonal follows
    fig = charts.plot_predictions([big, small], seed=0)
    first, second, diagonal = fig.data
    assert len(first.x) == 1000 and len(second.x) == 30
    assert set(first.x) <= set(big.predictions["actual"])
    again = charts.plot_predictions([big, small], seed=0).data[0]
    assert list(again.x) == list(first.x)  # the sample is seeded
    assert diagonal.name == "perfect" and list(diagonal.x) == [0.0, 1.4] == list(diagonal.y)
    assert first.marker.color == PALETTE[0] and second.marker.color == PALETTE[1]


def test_predictions_of_runs_without_rows_keep_the_unit_diagonal():
    empty = _run(1, n_pred=0)
    fig = charts.plot_predictions([empty])
    assert len(fig.data[0].x) == 0 and list(fig.data[-1].x) == [0.0, 1.0]


def test_class_recall_groups_bars_by_class_with_escaped_names():
    a, b = _run(1), _run(2)
    frame = pd.DataFrame(
        {
            "run": [a.label, a.label, b.label, b.label],
            "class": ["pop", "<a href='x'>rock</a>", "pop", "<a href='x'>rock</a>"],
            "recall": [0.5, 0.25, 0.75, 1.0],
        }
    )
    fig = charts.plot_class_recall(frame, [a, b])
    assert fig.layout.barmode == "group" and [t.name for t in fig.data] == [a.label, b.label]
    assert list(fig.data[0].x) == ["pop", "&lt;a href=&#x27;x&#x27;&gt;rock&lt;/a&gt;"]
    assert list(fig.data[1].y) == [0.75, 1.0]
    assert tuple(fig.layout.yaxis.range) == (0, 1)


def test_charts_take_summaries_of_real_runs(synthetic_tracks):
    from core.modelling import compare
    from core.modelling.experiment import RunConfig, run_experiment

    res = run_experiment(
        synthetic_tracks, RunConfig(model_id="tree", params={"max_depth": 3}, folds=3, seed=0)
    )
    s = compare.summarise_run(1, res)
    table = compare.metric_table([s], "mae")
    folds = [f["mae"] for f in res.fold_metrics]
    bars = charts.plot_metric(table, "MAE").data[0]
    assert list(bars.error_y.array) == [pytest.approx(np.std(folds, ddof=1))]
    lines = charts.plot_curves([s], "MAE").data
    assert lines and list(lines[0].x) == s.history["step"].tolist()
    points = charts.plot_predictions([s]).data[0]
    assert len(points.x) == min(1000, len(s.predictions))
