"""What-if: knobs span the catalog, scoring matches the model, links are checked both ways."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression
from xgboost import XGBRegressor

from core.explain import whatif
from core.lookup.results import fit_neighbours
from core.modelling import features
from core.modelling.models import TrainedModel


def _fit(df: pd.DataFrame, est) -> TrainedModel:
    cols = features.input_columns(df, "audio", "valence")
    est.fit(features.build_matrix(df, cols, {}), df["valence"].to_numpy(float))
    return TrainedModel("t", "valence", "audio", {}, est, cols, {})


@pytest.fixture(scope="module")
def model(synthetic_tracks):
    return _fit(synthetic_tracks, XGBRegressor(n_estimators=60, max_depth=3, n_jobs=1))


@pytest.fixture(scope="module")
def index(synthetic_tracks):
    return fit_neighbours(synthetic_tracks)


def test_knobs_cover_every_catalog_value(synthetic_tracks, model):
    knob_list = whatif.knobs(synthetic_tracks, model)
    names = [k.name for k in knob_list]
    assert names == [c for c in model.input_columns]  # audio inputs, valence left out
    assert "valence" not in names
    for k in knob_list:
        col = synthetic_tracks[k.name]
        assert k.lo <= col.min() and col.max() <= k.hi, k
        assert k.integer == (k.name in whatif.INTEGER_COLUMNS)
    key = next(k for k in knob_list if k.name == "key")
    assert (key.step, key.fmt) == (1.0, "%d")
    assert next(k for k in knob_list if k.name == "energy").fmt == "%.2f"


def test_baseline_is_the_track_or_the_median(synthetic_tracks, model):
    knob_list = whatif.knobs(synthetic_tracks, model)
    row = synthetic_tracks.iloc[7]
    own = whatif.baseline(synthetic_tracks, knob_list, row)
    assert own["danceability"] == pytest.approx(row["danceability"], abs=0.005)
    assert own["key"] == row["key"]
    med = whatif.baseline(synthetic_tracks, knob_list)
    assert med["energy"] == pytest.approx(synthetic_tracks["energy"].median(), abs=0.005)
    partial = row.copy()
    partial["tempo"] = np.nan  # a missing value falls back to the median
    assert whatif.baseline(synthetic_tracks, knob_list, partial)["tempo"] == med["tempo"]


def test_evaluate_matches_the_model_and_follows_the_planted_signal(synthetic_tracks, model, index):
    knob_list = whatif.knobs(synthetic_tracks, model)
    row = synthetic_tracks.iloc[3]
    start = whatif.baseline(synthetic_tracks, knob_list, row)
    same = whatif.evaluate(model, start, start, synthetic_tracks, index, base_row=row)
    frame = whatif.track_frame(start, row)
    assert same.prediction == pytest.approx(float(model.predict(frame)[0]))
    assert same.changed.empty
    shap_sum = same.shap.base_value + same.shap.values.iloc[0].sum()
    assert shap_sum == pytest.approx(
        float(model.estimator.predict(model.matrix(frame))[0]), abs=1e-4
    )
    # valence = 0.1 + 0.6 danceability + ...: more danceable, happier
    low = whatif.evaluate(model, {**start, "danceability": 0.2}, start, synthetic_tracks, index)
    high = whatif.evaluate(model, {**start, "danceability": 0.95}, start, synthetic_tracks, index)
    assert high.prediction > low.prediction + 0.2
    assert high.changed.to_dict("records") == [
        {"feature": "danceability", "from": start["danceability"], "to": 0.95}
    ]
    near = same.neighbours
    assert len(near) == 5 and near["distance"].is_monotonic_increasing
    assert row["track_id"] not in set(near["track_id"])


def test_evaluate_explains_a_non_tree_model(synthetic_tracks, index):
    linear = _fit(synthetic_tracks, LinearRegression())
    knob_list = whatif.knobs(synthetic_tracks, linear)
    start = whatif.baseline(synthetic_tracks, knob_list)
    out = whatif.evaluate(linear, start, start, synthetic_tracks, index)
    assert "permutation" in out.shap.method
    assert np.isfinite(out.shap.values.to_numpy()).all()


def test_evaluate_refuses_a_classifier(synthetic_tracks, model, index):
    clf = TrainedModel("t", "genre", "audio", {}, None, model.input_columns, {}, ["a", "b"])
    with pytest.raises(ValueError, match="valence model"):
        whatif.evaluate(clf, {}, {}, synthetic_tracks, index)


def test_link_round_trip(synthetic_tracks, model):
    knob_list = whatif.knobs(synthetic_tracks, model)
    row = synthetic_tracks.iloc[11]
    start = whatif.baseline(synthetic_tracks, knob_list, row)
    moved = {**start, "energy": 0.81, "key": 3.0}
    params = whatif.encode_link(row["track_id"], moved, start)
    assert params["wi_track"] == row["track_id"]
    assert "danceability" not in params["wi_set"]  # only moved knobs travel
    label, values, notices = whatif.decode_link(params, knob_list, synthetic_tracks["track_id"])
    assert notices == []
    assert label == synthetic_tracks.index[11]
    assert values == {"energy": 0.81, "key": 3.0}
    assert whatif.encode_link(None, start, start) == {"wi_track": "median"}


def test_bad_links_fall_back_with_notices(synthetic_tracks, model):
    knob_list = whatif.knobs(synthetic_tracks, model)
    energy = next(k for k in knob_list if k.name == "energy")
    params = {
        "wi_track": "0000000000000000000000",
        "wi_set": "energy=7;tempo=abc;__import__=1;valence=0.9;mode",
    }
    label, values, notices = whatif.decode_link(params, knob_list, synthetic_tracks["track_id"])
    assert label is None
    assert values == {"energy": energy.hi}  # clamped to the knob's range
    text = " ".join(notices)
    assert "not in this dataset" in text and "outside" in text
    assert "tempo is not a number" in text and "'__import__'" in text and "'valence'" in text
    assert "mode is not a number" in text
    long = {"wi_set": "energy=0.5;" * 200}
    assert whatif.decode_link(long, knob_list)[1:] == (
        {},
        ["The link's settings are too long and were ignored."],
    )


def test_the_fast_scorer_agrees_with_the_model(synthetic_tracks):
    from core.explain import shapley

    model = _fit(synthetic_tracks, XGBRegressor(n_estimators=60, max_depth=3, n_jobs=2))
    rows = synthetic_tracks.iloc[[0, 40, 90]]
    scorer = whatif.Scorer(model)
    for i in range(len(rows)):
        frame = rows.iloc[[i]]
        prediction, fast = scorer.score(frame, synthetic_tracks)
        assert prediction == pytest.approx(float(model.predict(frame)[0]), abs=1e-5)
        slow = shapley.shap_values(model, frame, max_rows=1)
        np.testing.assert_allclose(fast.values.to_numpy(), slow.values.to_numpy(), atol=1e-5)
        assert fast.base_value == pytest.approx(slow.base_value, abs=1e-5)
    import json

    def nthread(booster) -> str:
        return json.loads(booster.save_config())["learner"]["generic_param"]["nthread"]

    assert nthread(scorer._booster) == "1"
    assert nthread(model.estimator.get_booster()) == "2"  # the shared model is untouched
