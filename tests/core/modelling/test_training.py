import numpy as np
import pytest

from core.catalog import data, genre_groups
from core.jobs import Job
from core.modelling import tasks
from core.modelling.experiment import RunConfig, cross_validate, run_experiment
from core.modelling.training import fit_model
from core.progress import Progress
from tests.conftest import make_synthetic_tracks


@pytest.fixture(scope="module")
def lab_df():
    raw = make_synthetic_tracks(400, 3, seed=2)
    return data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df


def _target(df, task="valence"):
    t = tasks.make_target(df, task)
    return t.rows, t.y


@pytest.mark.parametrize(
    ("model_id", "params", "unit", "planned"),
    [
        ("xgboost", {"n_estimators": 40, "early_stopping_rounds": 0}, "round", 40),
        ("rf", {"n_estimators": 30}, "trees", 30),
        ("mlp", {"max_epochs": 8, "patience": 0}, "epoch", 8),
        ("knn", {}, "fit", 1),
    ],
)
def test_progress_is_reported_every_step(lab_df, model_id, params, unit, planned):
    rows, y = _target(lab_df)
    seen: list[Progress] = []
    fit = fit_model(rows, y, model_id, "valence", params, on_progress=seen.append)
    assert seen and all(p.unit == unit and p.metric == "mae" for p in seen)
    assert [p.step for p in seen] == sorted(p.step for p in seen)
    assert seen[-1].step == planned and seen[-1].fraction == 1.0
    assert fit.steps_done == planned and not fit.stopped
    assert len(fit.history) == len(seen)
    if unit != "fit":
        assert fit.n_validation > 0 and fit.history["validation"].notna().all()


@pytest.mark.parametrize(
    ("model_id", "params"),
    [
        ("xgboost", {"n_estimators": 200, "early_stopping_rounds": 0}),
        ("rf", {"n_estimators": 100}),
        ("mlp", {"max_epochs": 50, "patience": 0}),
    ],
)
def test_stop_keeps_a_partial_model(lab_df, model_id, params):
    rows, y = _target(lab_df, "genre")
    calls = []

    def should_stop():
        calls.append(1)
        return len(calls) >= 3

    fit = fit_model(rows, y, model_id, "genre", params, should_stop=should_stop)
    assert fit.stopped
    assert fit.steps_done < fit.steps_planned
    assert len(fit.history) == 3
    pred = fit.model.predict(rows.head(5))
    assert set(pred) <= set(fit.model.classes_)
    if model_id == "xgboost":
        assert fit.model.estimator.get_booster().num_boosted_rounds() == 3


def test_xgboost_early_stopping_records_best_round(lab_df):
    rows, y = _target(lab_df)
    fit = fit_model(
        rows,
        y,
        "xgboost",
        "valence",
        {"n_estimators": 400, "learning_rate": 0.5, "early_stopping_rounds": 5},
    )
    assert fit.best_step is not None and fit.steps_done < 400


def test_random_split_is_compared_with_grouped(lab_df):
    res = run_experiment(lab_df, RunConfig(model_id="tree", split="random", folds=3))
    assert res.comparison is not None and set(res.comparison) == set(res.metrics)
    assert res.cv is not None and "mae_sd" in res.cv and len(res.fold_metrics) == 3
    assert res.importances is not None and set(res.importances["feature"]) == set(
        res.model.input_columns
    )


def test_cross_validate_can_be_stopped(lab_df):
    out = cross_validate(lab_df, RunConfig(model_id="linear", folds=4), should_stop=lambda: True)
    assert out["folds_done"] == 0 and out["metrics"] == {}
    full = cross_validate(lab_df, RunConfig(model_id="linear", folds=4))
    assert full["folds_done"] == 4 and full["metrics"]["mae"] > 0


def test_tasks_valence_class_and_genre_groups(lab_df, sample_catalog):
    t = tasks.make_target(lab_df, "valence-class")
    counts = {c: int(np.sum(t.y == c)) for c in tasks.VALENCE_CLASSES}
    assert all(abs(n - len(t.y) / 3) <= 2 for n in counts.values())
    assert "genre-group" not in tasks.available_tasks(lab_df)  # g0/g1/g2 are not HF genres
    assert "genre-group" in tasks.available_tasks(sample_catalog.df)
    grouped = tasks.make_target(sample_catalog.df, "genre-group")
    assert set(grouped.y) <= set(genre_groups.GROUPS)
    with pytest.raises(ValueError):
        tasks.make_target(lab_df, "subgenre")


def test_genre_group_mapping_is_complete():
    assert len(genre_groups.GENRE_TO_GROUP) == 114
    assert set(genre_groups.GENRE_TO_GROUP.values()) == set(genre_groups.GROUPS)
    assert genre_groups.GENRE_TO_GROUP["black-metal"] == "metal"
    assert genre_groups.covers(["pop", "K-Pop "]) and not genre_groups.covers(["pop", "edm-ish"])


def test_job_runs_in_background_and_stops():
    def work(on_progress, should_stop):
        for i in range(1, 10_000):
            on_progress(Progress("fit", i, 10_000, "round", "mae"))
            if should_stop():
                return i
        return -1

    job = Job(work, "t").start()
    job.stop()
    assert job.wait(10) and 0 < job.result < 10_000 and job.error is None
    latest, points = job.snapshot()
    assert latest is not None and latest.step == job.result and len(points) == job.result
    failing = Job(lambda p, s: 1 / 0, "bad").start()
    assert failing.wait(10) and "ZeroDivisionError" in failing.error
