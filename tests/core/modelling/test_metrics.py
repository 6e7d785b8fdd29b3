import math

import numpy as np
import pandas as pd
import pytest

from core.modelling import metrics


def test_regression_metrics_by_hand():
    out = metrics.regression_metrics(np.array([0.0, 0.5, 1.0]), np.array([0.1, 0.5, 0.7]))
    assert out["mae"] == pytest.approx((0.1 + 0.0 + 0.3) / 3)
    assert out["rmse"] == pytest.approx(math.sqrt((0.01 + 0 + 0.09) / 3))
    # ss_tot = 0.25 + 0 + 0.25 = 0.5; ss_res = 0.1
    assert out["r2"] == pytest.approx(1 - 0.1 / 0.5)


def test_classification_metrics_by_hand():
    t = ["a", "a", "a", "b", "b", "c"]
    p = ["a", "a", "b", "b", "c", "c"]
    out = metrics.classification_metrics(t, p)
    assert out["accuracy"] == pytest.approx(4 / 6)
    # recalls: a 2/3, b 1/2, c 1/1
    assert out["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 1) / 3)
    # precisions: a 1, b 1/2, c 1/2 -> F1: a 0.8, b 0.5, c 2/3
    assert out["macro_f1"] == pytest.approx((0.8 + 0.5 + 2 / 3) / 3)


def test_probability_metrics_by_hand():
    proba = pd.DataFrame([[0.7, 0.2, 0.1, 0.0], [0.1, 0.2, 0.3, 0.4]], columns=["a", "b", "c", "d"])
    out = metrics.probability_metrics(["a", "a"], proba)
    assert out["top3_accuracy"] == pytest.approx(0.5)  # row 2: a is 4th
    assert out["log_loss"] == pytest.approx(-(math.log(0.7) + math.log(0.1)) / 2)
    unseen = metrics.probability_metrics(["z"], proba.iloc[:1])
    assert unseen["top3_accuracy"] == 0.0 and unseen["log_loss"] == pytest.approx(-math.log(1e-15))


def test_summarize_folds_and_ordering_helpers():
    out = metrics.summarize_folds([{"mae": 0.1}, {"mae": 0.3}])
    assert out["mae"] == pytest.approx(0.2)
    assert out["mae_sd"] == pytest.approx(np.std([0.1, 0.3], ddof=1))
    assert metrics.better("mae", 0.1, 0.2) and metrics.better("accuracy", 0.9, 0.8)


def test_confusion_is_row_normalised_and_groups_similar_classes():
    t = ["rock"] * 10 + ["metal"] * 10 + ["pop"] * 10 + ["edm"] * 10
    p = (
        ["rock"] * 6
        + ["metal"] * 4
        + ["metal"] * 6
        + ["rock"] * 4
        + ["pop"] * 6
        + ["edm"] * 4
        + ["edm"] * 6
        + ["pop"] * 4
    )
    cm = metrics.confusion_frame(t, p)
    assert np.allclose(cm.sum(axis=1), 1.0)
    assert cm.loc["rock", "metal"] == pytest.approx(0.4)
    order = list(cm.index)
    assert abs(order.index("rock") - order.index("metal")) == 1
    assert abs(order.index("pop") - order.index("edm")) == 1


def test_per_group_tables():
    table = metrics.per_group_regression(
        np.array([0.2, 0.4, 0.6]), np.array([0.3, 0.4, 0.9]), ["x", "x", "y"]
    )
    row = table.set_index("group").loc["y"]
    assert row["mae"] == pytest.approx(0.3) and row["bias"] == pytest.approx(0.3)
    cls = metrics.per_class_table(["a", "b"], ["a", "a"]).set_index("class")
    assert cls.loc["a", "precision"] == pytest.approx(0.5) and cls.loc["b", "recall"] == 0.0


def test_primary_score_clips_valence_and_compares_codes_or_labels():
    assert metrics.score("mae", np.array([0.0, 1.0]), np.array([-0.5, 1.4])) == 0.0  # clipped
    assert metrics.score("mae", np.array([0.2, 0.4]), np.array([0.3, 0.1])) == pytest.approx(0.2)
    assert metrics.score(
        "accuracy", np.array([0, 1, 2]), np.array([0.0, 1.0, 1.0])
    ) == pytest.approx(2 / 3)
    assert (
        metrics.score("accuracy", ["pop", "rock"], np.array(["pop", "jazz"], dtype=object)) == 0.5
    )
    with pytest.raises(ValueError, match="Unknown primary metric"):
        metrics.score("r2", [1], [1])
