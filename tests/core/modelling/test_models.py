import numpy as np
import pandas as pd
import pytest

from core.catalog import data
from core.modelling import models, tasks
from core.modelling.experiment import RunConfig, run_experiment
from tests.conftest import make_synthetic_tracks

SMALL = {
    "xgboost": {"n_estimators": 20},
    "lightgbm": {"n_estimators": 20},
    "catboost": {"n_estimators": 20},
    "blend": {"max_rounds": 20},
    "rf": {"n_estimators": 10},
    "mlp": {"max_epochs": 5},
}


@pytest.fixture(scope="module")
def lab_df():
    raw = make_synthetic_tracks(300, 3, seed=1)
    return data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df


@pytest.mark.parametrize("model_id", list(models.REGISTRY))
@pytest.mark.parametrize("task", ["valence", "valence-class", "genre"])
def test_every_model_fits_and_predicts_every_task(lab_df, model_id, task):
    spec = models.REGISTRY[model_id]
    kind = "regression" if tasks.is_regression(task) else "classification"
    assert kind in spec.tasks
    res = run_experiment(
        lab_df, RunConfig(task=task, model_id=model_id, params=SMALL.get(model_id, {}))
    )
    pred = res.model.predict(lab_df.head(25))
    assert len(pred) == 25
    if kind == "regression":
        assert np.all((pred >= 0) & (pred <= 1))
        assert {"mae", "rmse", "r2"} <= set(res.metrics)
    else:
        assert set(pred) <= set(res.model.classes_)
        proba = res.model.predict_proba(lab_df.head(25))
        assert np.allclose(proba.sum(axis=1), 1.0)
        assert {"accuracy", "balanced_accuracy", "macro_f1", "top3_accuracy", "log_loss"} <= set(
            res.metrics
        )
    assert res.n_train + res.n_test == res.n_rows


def test_models_beat_the_mean_baseline_on_planted_signal(lab_df):
    base = run_experiment(lab_df, RunConfig(model_id="mean")).metrics["mae"]
    for model_id in ("xgboost", "rf", "linear"):
        mae = run_experiment(
            lab_df, RunConfig(model_id=model_id, params=SMALL.get(model_id, {}))
        ).metrics["mae"]
        assert mae < 0.8 * base, model_id


def test_check_params_fills_defaults_and_coerces():
    out = models.check_params("rf", True, {"n_estimators": "40"})
    assert out["n_estimators"] == 40 and isinstance(out["n_estimators"], int)
    assert out["max_depth"] == models.default_params("rf")["max_depth"]
    # C only applies to the logistic model
    assert models.default_params("linear", True) == {}
    assert "C" in models.default_params("linear", False)


def test_spaces_are_sane_and_forest_stays_explainable():
    for spec in models.REGISTRY.values():
        for p in spec.space:
            ticks = p.ticks()
            assert p.default in ticks, (spec.id, p.name)
            assert p.validate(p.default) == p.default
            if p.kind != "choice":
                assert ticks == sorted(ticks) and ticks[0] >= p.low and ticks[-1] <= p.high
    assert models.default_params("rf")["max_depth"] <= 12


def test_default_models_keep_the_contract(lab_df):
    reg = models.fit_default_valence_model(lab_df)
    assert reg.task == "valence" and not reg.is_classifier
    assert reg.feature_names == list(reg.matrix(lab_df.head(3)).columns)
    clf = models.fit_default_genre_model(lab_df)
    assert clf.classes_ == sorted(lab_df["genre"].unique())
    assert set(clf.predict(lab_df.head(10))) <= set(clf.classes_)


def test_thread_limited_views_predict_the_same_and_leave_the_model_alone():
    # permutation importance predicts with the CPU gate's threads on models other sessions
    # may be using (the shared defaults): a view, never a change to the fitted estimator
    import json

    from lightgbm import LGBMRegressor
    from sklearn.neighbors import KNeighborsRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from xgboost import XGBRegressor

    from core.modelling.blend import BlendEstimator

    rng = np.random.default_rng(0)
    X, y = pd.DataFrame(rng.random((300, 4)), columns=list("abcd")), rng.random(300)
    xgb = XGBRegressor(n_estimators=20, max_depth=3, n_jobs=2).fit(X, y)
    lgbm = LGBMRegressor(n_estimators=20, num_leaves=8, n_jobs=2, verbose=-1).fit(X, y)
    pipe = make_pipeline(StandardScaler(), KNeighborsRegressor(n_jobs=2)).fit(X, y)
    blend = BlendEstimator(["xgboost", "lightgbm"], [xgb, lgbm], [[0, 1, 2, 3]] * 2, [0.5, 0.5], 4)

    def nthread(est) -> int:
        config = json.loads(est.get_booster().save_config())
        return int(config["learner"]["generic_param"]["nthread"])

    for est in (xgb, lgbm, pipe, blend):
        view = models.thread_limited(est, 1)
        assert view is not est
        assert np.allclose(view.predict(X), est.predict(X))
    assert nthread(models.thread_limited(xgb, 1)) == 1 and nthread(xgb) == 2
    assert models.thread_limited(lgbm, 1).n_jobs == 1 and lgbm.n_jobs == 2
    assert models.thread_limited(pipe, 1).steps[-1][1].n_jobs == 1 and pipe.steps[-1][1].n_jobs == 2
    limited = models.thread_limited(blend, 1)
    assert [nthread(limited.estimators[0]), limited.estimators[1].n_jobs] == [1, 1]
    assert nthread(blend.estimators[0]) == 2 and blend.estimators[1].n_jobs == 2


def test_a_thread_limited_catboost_passes_its_threads_to_every_prediction(monkeypatch):
    # CatBoost predicts on every core unless each call says otherwise (thread_count=-1)
    from catboost import CatBoostClassifier, CatBoostRegressor

    from core.modelling.blend import margins

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.random((200, 3)), columns=list("abc"))
    reg = CatBoostRegressor(iterations=20, depth=3, verbose=0, allow_writing_files=False)
    clf = CatBoostClassifier(iterations=20, depth=3, verbose=0, allow_writing_files=False)
    reg.fit(X, rng.random(200))
    clf.fit(X, rng.integers(0, 3, 200))
    seen: list[int] = []
    for cls in (CatBoostRegressor, CatBoostClassifier):
        for name in ("predict", "predict_proba"):
            if hasattr(cls, name):
                original = getattr(cls, name)

                def spy(self, *args, _original=original, **kwargs):
                    seen.append(kwargs.get("thread_count", -1))
                    return _original(self, *args, **kwargs)

                monkeypatch.setattr(cls, name, spy)
    for est in (reg, clf):
        view = models.thread_limited(est, 1)
        assert view is not est and type(view) is type(est)
        assert np.allclose(view.predict(X), est.predict(X))
    assert np.allclose(models.thread_limited(clf, 1).predict_proba(X), clf.predict_proba(X))
    assert np.allclose(margins(models.thread_limited(clf, 1), X, 3), margins(clf, X, 3))
    assert seen == [1, -1, 1, -1, 1, -1, 1, -1]
