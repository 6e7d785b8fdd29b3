"""SHAP paths add up, frames are well-formed, and the charts draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor
from xgboost import XGBClassifier, XGBRegressor

from core.catalog.sampling import sample_rows
from core.charts import explain as charts
from core.explain import shapley
from core.modelling import features
from core.modelling.models import TrainedModel
from tests.fakes.gate import held_gate_fixture  # noqa: F401


def _fit(df: pd.DataFrame, est, task: str = "valence") -> TrainedModel:
    cols = features.input_columns(df, "audio", task)
    X = features.build_matrix(df, cols, {})
    if task == "genre":
        classes = sorted(df["genre"].unique())
        y = pd.Categorical(df["genre"], categories=classes).codes
        est.fit(X, y)
        return TrainedModel("t", task, "audio", {}, est, cols, {}, classes)
    est.fit(X, df["valence"].to_numpy(float))
    return TrainedModel("t", task, "audio", {}, est, cols, {})


@pytest.fixture(scope="module")
def xgb_model(synthetic_tracks):
    est = XGBRegressor(n_estimators=40, max_depth=4, random_state=0, n_jobs=1)
    return _fit(synthetic_tracks, est)


@pytest.fixture(scope="module")
def xgb_result(xgb_model, synthetic_tracks):
    return shapley.shap_values(xgb_model, synthetic_tracks, max_rows=250, seed=1)


def test_xgboost_shap_is_exact_and_additive(xgb_model, xgb_result, synthetic_tracks):
    r = xgb_result
    assert r.n_explained == 250 == len(r.values) == len(r.data)
    assert list(r.values.columns) == xgb_model.feature_names
    assert "exact" in r.method
    # prediction is the model's own output, not derived from the values
    rows = synthetic_tracks.loc[r.values.index]
    np.testing.assert_allclose(r.prediction, xgb_model.estimator.predict(xgb_model.matrix(rows)))
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-4)
    # the planted signal: danceability and energy drive valence, key does not
    imp = shapley.mean_abs_shap(r).set_index("feature")["mean_abs_shap"]
    assert imp.index[0] == "danceability"
    assert imp["danceability"] > 5 * imp["key"]
    assert shapley.mean_abs_shap(r).set_index("feature").loc["danceability", "mean_shap_corr"] > 0.9


def test_sampling_is_seeded(xgb_model, synthetic_tracks):
    a = shapley.shap_values(xgb_model, synthetic_tracks, max_rows=50, seed=3)
    b = shapley.shap_values(xgb_model, synthetic_tracks, max_rows=50, seed=3)
    assert a.values.index.equals(b.values.index)
    assert a.n_explained == 50


def test_xgboost_classifier_explains_the_chosen_class(synthetic_tracks):
    model = _fit(synthetic_tracks, XGBClassifier(n_estimators=20, max_depth=3, n_jobs=1), "genre")
    margins = model.estimator.predict(model.matrix(synthetic_tracks), output_margin=True)
    for k, cls in enumerate(model.classes_):
        r = shapley.shap_values(model, synthetic_tracks, class_name=cls, max_rows=100)
        assert r.class_name == cls and "log-odds" in r.output
        np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-4)
        pos = synthetic_tracks.index.get_indexer(r.values.index)
        np.testing.assert_allclose(r.prediction, margins[pos, k], atol=1e-5)
    with pytest.raises(ValueError, match="Unknown class"):
        shapley.shap_values(model, synthetic_tracks, class_name="nope")


def test_forest_uses_tree_explainer(synthetic_tracks):
    model = _fit(
        synthetic_tracks, RandomForestRegressor(n_estimators=5, max_depth=5, random_state=0)
    )
    r = shapley.shap_values(model, synthetic_tracks, max_rows=80)
    assert "TreeExplainer" in r.method and r.n_explained == 80
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-6)


def test_single_decision_tree_uses_tree_explainer(synthetic_tracks):
    model = _fit(synthetic_tracks, DecisionTreeRegressor(max_depth=4, random_state=0))
    r = shapley.shap_values(model, synthetic_tracks, max_rows=40)
    assert "TreeExplainer" in r.method
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-6)


def test_forest_classifier_probability(synthetic_tracks):
    est = RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)
    model = _fit(synthetic_tracks, est, "genre")
    r = shapley.shap_values(model, synthetic_tracks, class_name=model.classes_[1], max_rows=60)
    assert "probability" in r.output
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-6)


def test_forest_row_cap_shrinks_for_deep_forests(synthetic_tracks):
    shallow = _fit(synthetic_tracks, RandomForestRegressor(n_estimators=3, max_depth=2)).estimator
    deep = _fit(synthetic_tracks, RandomForestRegressor(n_estimators=200, random_state=0)).estimator
    assert shapley.forest_row_cap(shallow, 2000) == 2000
    assert shapley.forest_row_cap(deep, 2000) < shapley.forest_row_cap(shallow, 2000)


@pytest.mark.parametrize(
    "est",
    [
        make_pipeline(StandardScaler(), LinearRegression()),
        make_pipeline(
            StandardScaler(), MLPRegressor(hidden_layer_sizes=(16,), max_iter=300, random_state=0)
        ),
    ],
    ids=["linear", "mlp"],
)
def test_sampled_path_is_additive(synthetic_tracks, est):
    model = _fit(synthetic_tracks, est)
    r = shapley.shap_values(model, synthetic_tracks, max_rows=30, seed=0)
    assert "sampled permutation" in r.method and "background of 50" in r.method
    assert r.n_explained == 30
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-3)
    if isinstance(est[-1], LinearRegression):
        # a linear model's interventional Shapley value is w_j (x_j - mean of the background)
        scaler, lin = est
        w = lin.coef_ / scaler.scale_
        bg = model.matrix(sample_rows(synthetic_tracks, shapley.AGNOSTIC_BACKGROUND, 1))
        expected = (r.data - bg.mean()) * w
        np.testing.assert_allclose(r.values.to_numpy(), expected.to_numpy(), atol=1e-8)
        assert shapley.mean_abs_shap(r)["feature"].iloc[0] == "danceability"


def test_single_track_uses_the_given_background(synthetic_tracks):
    """One track explained against itself would give all zeros; the catalog background does not."""
    model = _fit(synthetic_tracks, make_pipeline(StandardScaler(), LinearRegression()))
    one = synthetic_tracks.iloc[[3]]
    alone = shapley.shap_values(model, one, max_rows=1)
    assert np.allclose(alone.values.to_numpy(), 0.0)
    r = shapley.shap_values(model, one, max_rows=1, background=synthetic_tracks)
    assert r.n_explained == 1 and "background of 50" in r.method
    assert np.abs(r.values.to_numpy()).max() > 1e-3
    np.testing.assert_allclose(r.values.sum(axis=1) + r.base_value, r.prediction, atol=1e-6)


def test_empty_frame_is_a_clear_error(xgb_model, synthetic_tracks):
    with pytest.raises(ValueError, match="no rows"):
        shapley.shap_values(xgb_model, synthetic_tracks.iloc[:0])


def test_frames_and_charts(xgb_result, synthetic_tracks):
    bees = shapley.beeswarm_frame(xgb_result, max_points=100, top_n=5)
    assert len(bees) == 500 and bees["colour"].between(0, 1).all()
    frame, other = shapley.dependence_frame(xgb_result, "danceability")
    assert other is not None and other != "danceability" and len(frame) == 250
    drivers = shapley.genre_drivers(xgb_result, synthetic_tracks["genre"], top_n=4)
    assert set(drivers.index) <= {"g0", "g1", "g2"} and drivers.shape[1] == 4
    # every genre's mean SHAP for danceability follows that genre's mean danceability
    empty = shapley.genre_drivers(xgb_result, pd.Series(pd.NA, index=synthetic_tracks.index))
    assert empty.empty
    fig = charts.plot_waterfall(xgb_result, 0, top_n=4, title="t")
    wf = fig.data[0]
    assert len(wf.y) == 4 + 1 + 2  # top 4, "others", base and prediction
    assert wf.x[-1] == pytest.approx(xgb_result.prediction[0], abs=1e-4)
    with pytest.raises(IndexError):
        charts.plot_waterfall(xgb_result, 10_000)
    charts.plot_importance(shapley.mean_abs_shap(xgb_result))
    charts.plot_beeswarm(bees)
    charts.plot_dependence(frame, "danceability", other)
    charts.plot_genre_drivers(drivers)


@pytest.mark.parametrize("kind", ["xgboost", "forest", "mlp"])
def test_one_track_never_waits_behind_a_job_but_a_sample_queues(synthetic_tracks, kind, held_gate):
    # One track (the One track tab, a lookup's track, the what-if of a non-XGBoost model) is
    # interactive: it took a gate slot, so a slider waited behind another visitor's training.
    import threading

    est = {
        "xgboost": XGBRegressor(n_estimators=40, max_depth=4, random_state=0, n_jobs=1),
        "forest": RandomForestRegressor(n_estimators=10, max_depth=5, random_state=0, n_jobs=1),
        "mlp": make_pipeline(
            StandardScaler(), MLPRegressor(hidden_layer_sizes=(8,), max_iter=200, random_state=0)
        ),
    }[kind]
    model = _fit(synthetic_tracks, est)
    release = held_gate.hold()
    done: list[shapley.ShapResult] = []
    one = synthetic_tracks.iloc[[3]]
    worker = threading.Thread(
        target=lambda: done.append(
            shapley.shap_values(model, one, max_rows=1, background=synthetic_tracks)
        )
    )
    worker.start()
    worker.join(20)
    try:
        assert done and done[0].n_explained == 1  # it did not wait for the held slot
        shapley.shap_values(model, synthetic_tracks, max_rows=30, on_wait=held_gate.waiting)
        assert held_gate.heard[:1] == [1]  # a sample still queues
    finally:
        release.set()
