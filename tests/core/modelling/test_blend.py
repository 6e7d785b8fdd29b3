"""LightGBM, CatBoost and the Blend: curves, predictions, SHAP additivity and safe export."""

from __future__ import annotations

import numpy as np
import pytest

from core.catalog import data
from core.explain import shapley
from core.modelling import export, tasks
from core.modelling.blend import BlendEstimator
from core.modelling.experiment import RunConfig, run_experiment
from core.modelling.training import fit_model
from tests.conftest import make_synthetic_tracks


@pytest.fixture(scope="module")
def lab_df():
    raw = make_synthetic_tracks(360, 3, seed=4)
    return data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df


@pytest.fixture(scope="module")
def blend_run(lab_df):
    return run_experiment(
        lab_df,
        RunConfig(
            model_id="blend",
            feature_set="engineered",
            target="logit",
            params={"other_features": "audio", "max_rounds": 60},
        ),
    )


def test_lightgbm_reports_every_round_and_stops_on_request(lab_df):
    seen = []
    fit = fit_model(
        lab_df,
        lab_df["valence"].to_numpy(),
        "lightgbm",
        "valence",
        {"n_estimators": 200, "early_stopping_rounds": 0},
        on_progress=seen.append,
        should_stop=lambda: len(seen) >= 15,
    )
    assert fit.stopped and fit.steps_done == 15 and len(seen) == 15
    assert [p.step for p in seen] == list(range(1, 16))
    assert all(p.validation is not None and 0 <= p.validation <= 1 for p in seen)
    assert fit.model.estimator.booster_.num_trees() == 15  # the partial model is kept


def test_blend_averages_members_on_their_own_inputs(lab_df, blend_run):
    model = blend_run.model
    blend = model.estimator
    assert isinstance(blend, BlendEstimator)
    assert blend.members == ["lightgbm", "catboost"] and np.isclose(sum(blend.weights), 1.0)
    parts = {d["member"]: d for d in blend.describe(model.feature_names)}
    assert "text_score" in parts["lightgbm"]["inputs"]
    assert "text_score" not in parts["catboost"]["inputs"]  # audio only
    assert parts["catboost"]["n_inputs"] < parts["lightgbm"]["n_inputs"]
    X = model.matrix(lab_df.head(30))
    by_hand = sum(
        w * est.predict(X.iloc[:, cols])
        for est, cols, w in zip(blend.estimators, blend.columns, blend.weights, strict=True)
    )
    assert np.allclose(model.predict(lab_df.head(30)), tasks.inverse_target(by_hand, "logit"))
    steps = blend_run.fit.history["step"]
    assert steps.is_monotonic_increasing and len(steps) > 20  # curves run through both members


def test_blend_shap_is_exact_and_adds_up(lab_df, blend_run):
    result = shapley.shap_values(blend_run.model, lab_df, max_rows=80)
    assert "exact TreeSHAP of each blend member" in result.method
    assert result.output == "logit of valence"
    total = result.values.to_numpy().sum(axis=1) + result.base_value
    assert np.allclose(total, result.prediction, atol=1e-4)
    decision = blend_run.model.estimator.decision(
        blend_run.model.matrix(lab_df.loc[result.values.index])
    )
    assert np.allclose(result.prediction, decision, atol=1e-5)


def test_catboost_reports_progress_then_its_scored_curve_and_stops(lab_df, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # CatBoost would write catboost_info/ here
    seen = []
    fit = fit_model(
        lab_df,
        lab_df["valence"].to_numpy(),
        "catboost",
        "valence",
        {"n_estimators": 300},
        on_progress=seen.append,
        should_stop=lambda: len(seen) >= 12,
        target_transform="logit",
    )
    assert fit.stopped and fit.model.estimator.tree_count_ < 300  # stopped early, model kept
    hist = fit.history
    assert hist["train"].notna().all() and hist["validation"].notna().all()
    assert hist["validation"].between(0, 1).all()  # MAE on the valence scale, not logits
    assert seen[-1].validation == pytest.approx(hist["validation"].iloc[-1])
    assert not (tmp_path / "catboost_info").exists()


def test_catboost_uses_the_gates_threads():
    from core.modelling import models

    est = models.make_estimator("catboost", True, models.default_params("catboost"), 0, n_jobs=1)
    assert est.get_params()["thread_count"] == 1


def test_blend_without_carve_out_trains_on_every_row(lab_df):
    y = lab_df["valence"].to_numpy()
    fit = fit_model(lab_df, y, "blend", "valence", {"max_rounds": 30})
    assert fit.n_validation == 0 and fit.n_fit == len(lab_df)
    held = fit_model(lab_df, y, "blend", "valence", {"max_rounds": 30, "validation": "carve-out"})
    assert held.n_validation > 0 and held.n_fit + held.n_validation == len(lab_df)


@pytest.mark.parametrize("model_id", ["lightgbm", "catboost"])
def test_boosted_classifier_shap_explains_class_log_odds(lab_df, model_id):
    res = run_experiment(
        lab_df, RunConfig(task="genre", model_id=model_id, params={"n_estimators": 40})
    )
    cls = res.model.classes_[1]
    result = shapley.shap_values(res.model, lab_df, class_name=cls, max_rows=60)
    engine = {"lightgbm": "LightGBM", "catboost": "CatBoost"}[model_id]
    assert f"{engine} native" in result.method and result.output == f"log-odds of {cls!r}"
    total = result.values.to_numpy().sum(axis=1) + result.base_value
    assert np.allclose(total, result.prediction, atol=1e-4)


def test_lightgbm_classifier_shap_explains_class_log_odds(lab_df):
    res = run_experiment(
        lab_df, RunConfig(task="genre", model_id="lightgbm", params={"n_estimators": 40})
    )
    cls = res.model.classes_[1]
    result = shapley.shap_values(res.model, lab_df, class_name=cls, max_rows=60)
    assert "LightGBM native" in result.method and result.output == f"log-odds of {cls!r}"
    total = result.values.to_numpy().sum(axis=1) + result.base_value
    assert np.allclose(total, result.prediction, atol=1e-4)


def test_blend_classifier_probabilities(lab_df):
    res = run_experiment(
        lab_df,
        RunConfig(
            task="valence-class",
            model_id="blend",
            params={"lightgbm_weight": 0.7, "max_rounds": 40},
        ),
    )
    proba = res.model.predict_proba(lab_df.head(40))
    assert np.allclose(proba.sum(axis=1), 1.0)
    assert list(res.model.predict(lab_df.head(40))) == list(proba.idxmax(axis=1))
    assert res.model.estimator.weights == pytest.approx([0.7, 0.3])
    assert {"accuracy", "top3_accuracy"} <= set(res.metrics)


def test_blend_and_lightgbm_survive_the_safe_export(lab_df, blend_run):
    model = blend_run.model
    loaded = export.load_model(export.dump_model(model))
    assert np.allclose(loaded.predict(lab_df.head(40)), model.predict(lab_df.head(40)))
    assert loaded.text_model is not None and loaded.target_transform == "logit"


def test_importance_agreement_works_on_the_valence_scale(lab_df, blend_run):
    from core.explain import agreement

    perm = agreement.permutation_importance(blend_run.model, lab_df, max_rows=200, n_repeats=2)
    assert perm.idxmax() == "danceability"  # the planted driver
    assert 0.01 < perm.max() < 0.5  # an MAE increase in valence units, not logits
    impurity = agreement.impurity_importance(blend_run.model)
    assert impurity is not None and np.isclose(impurity.sum(), 1.0)
