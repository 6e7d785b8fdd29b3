import pytest

from core.modelling import tasks
from core.modelling.training import fit_model
from core.progress import Progress


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
