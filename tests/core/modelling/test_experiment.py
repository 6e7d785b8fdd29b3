"""core.modelling.experiment: holdout runs with a leaky-split comparison, and cross-validation."""

from __future__ import annotations

from core.modelling.experiment import RunConfig, cross_validate, run_experiment


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


def test_a_run_holds_one_slot_for_its_fit_scores_and_importances(lab_df, monkeypatch):
    # the importances after the fit took a second slot, and with it a second 0.1 s sample of
    # the machine's load: every training got slower by it, alone as much as under load
    from core import compute

    probes: list[int] = []
    gate = compute.Gate(2, probe=lambda: probes.append(1) or 0.0)
    monkeypatch.setattr(compute, "_gate", gate)
    config = RunConfig(model_id="xgboost", params={"n_estimators": 20})
    result = run_experiment(lab_df, config)
    assert result.importances is not None and len(result.importances)
    assert len(probes) == 1 and gate.held == 0
