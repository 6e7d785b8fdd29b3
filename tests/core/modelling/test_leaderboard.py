import json

from core.modelling.leaderboard import (
    PARAM_PREFIX,
    best_run,
    board_tasks,
    describe_plan,
    leaderboard_frame,
    tune_plan,
)


def _run(n, task, model, **metrics):
    return {
        "run": n,
        "model": model,
        "task": task,
        "features": "audio",
        "split": "grouped",
        "params": json.dumps({"max_depth": n, "lr": 0.1}),
        **metrics,
        "fit_s": 1.0,
    }


RUNS = [
    _run(1, "valence", "xgboost", mae=0.16, rmse=0.2, r2=0.3),
    _run(2, "genre", "rf", accuracy=0.5),
    _run(3, "valence", "rf", mae=0.15, rmse=0.19, r2=0.33),
    _run(4, "genre", "xgboost", accuracy=0.56),
]


def test_every_tasks_runs_are_kept_and_ranked_with_metrics_first():
    assert board_tasks(RUNS) == ["valence", "genre"]
    frame, metric = leaderboard_frame(RUNS, "valence")
    assert metric == "mae" and frame["run"].tolist() == [3, 1]  # lower MAE first
    assert list(frame.columns[:5]) == ["run", "model", "mae", "rmse", "r2"]
    assert f"{PARAM_PREFIX}max_depth" in frame and "params" not in frame
    assert frame[f"{PARAM_PREFIX}max_depth"].tolist() == [3, 1]
    assert best_run(frame, metric) == 3
    genre, metric = leaderboard_frame(RUNS, "genre")
    assert metric == "accuracy" and genre["run"].tolist() == [4, 2]  # higher accuracy first
    assert "mae" not in genre
    empty, none = leaderboard_frame(RUNS, "subgenre")
    assert empty.empty and none is None and best_run(empty, none) is None


def test_tune_plan_counts_settings_and_fits():
    assert tune_plan(9, 18_000) == [(9, 2000), (3, 6000), (1, 18000)]
    assert tune_plan(3, 18_000) == [(3, 2000), (1, 6000), (1, 18000)]
    assert tune_plan(5, 60) == [(5, 60)]  # too few rows for the smaller rungs
    text = describe_plan(tune_plan(9, 18_000), 2.0)
    assert text.startswith("9 settings, 13 fits (9 on 2,000 rows, 3 on 6,000, 1 on 18,000)")
    assert "about 6 s" in text  # 9*2/9 + 3*2/3 + 1*2
