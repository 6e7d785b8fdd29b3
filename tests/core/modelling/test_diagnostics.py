"""Classifier diagnostics: ROC/PR against known cases, calibration error, confusion examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.modelling import diagnostics


def _perfect() -> tuple[pd.Series, pd.DataFrame]:
    actual = pd.Series(["a", "b", "c"] * 20)
    proba = pd.DataFrame({c: (actual == c).astype(float) * 0.8 + 0.1 for c in ["a", "b", "c"]})
    return actual, proba.div(proba.sum(axis=1), axis=0)


def test_roc_and_pr_of_a_perfect_and_a_random_classifier():
    actual, proba = _perfect()
    curves, table = diagnostics.roc_curves(actual, proba)
    assert table["auc"].tolist() == [1.0, 1.0, 1.0]
    assert set(curves["class"]) == {"a", "b", "c"} and table["support"].tolist() == [20, 20, 20]
    _, pr = diagnostics.pr_curves(actual, proba)
    assert pr["average_precision"].tolist() == [1.0, 1.0, 1.0]
    assert pr["prevalence"].round(3).tolist() == [0.333] * 3
    rng = np.random.default_rng(0)
    noise = pd.DataFrame(rng.dirichlet([1, 1, 1], size=3000), columns=["a", "b", "c"])
    labels = pd.Series(rng.choice(["a", "b", "c"], 3000))
    _, table = diagnostics.roc_curves(labels, noise)
    assert table["auc"].between(0.45, 0.55).all()  # chance


def test_roc_matches_a_hand_computed_case():
    actual = pd.Series(["x", "x", "y", "y"])
    proba = pd.DataFrame({"x": [0.9, 0.4, 0.6, 0.2], "y": [0.1, 0.6, 0.4, 0.8]})
    _, table = diagnostics.roc_curves(actual, proba)
    # x scores: positives 0.9, 0.4; negatives 0.6, 0.2 -> 3 of 4 pairs ordered right
    assert table.set_index("class").loc["x", "auc"] == pytest.approx(0.75)


def test_a_class_missing_from_the_test_rows_has_no_roc():
    actual = pd.Series(["a", "a", "b"])
    proba = pd.DataFrame({"a": [0.7, 0.6, 0.2], "b": [0.2, 0.3, 0.7], "c": [0.1, 0.1, 0.1]})
    _, table = diagnostics.roc_curves(actual, proba)
    assert set(table["class"]) == {"a", "b"}
    with pytest.raises(ValueError, match="labels but"):
        diagnostics.roc_curves(actual.head(2), proba)


def test_calibration_error_of_an_overconfident_model():
    # always 90 % sure, right half the time: ECE = |0.5 - 0.9| = 0.4
    actual = pd.Series(["a", "b"] * 50)
    proba = pd.DataFrame({"a": [0.9] * 100, "b": [0.1] * 100})
    bins, ece = diagnostics.calibration(actual, proba)
    assert ece == pytest.approx(0.4)
    assert bins[["confidence", "accuracy", "count"]].iloc[0].tolist() == pytest.approx(
        [0.9, 0.5, 100]
    )
    actual, proba = _perfect()  # 80 % sure... and always right
    assert diagnostics.calibration(actual, proba)[1] == pytest.approx(1 - proba.max(axis=1).mean())


def test_confusion_cell_examples_are_the_cells_tracks_surest_first():
    pred = pd.DataFrame(
        {
            "track_name": ["t0", "t1", "t2", "t3", "t4"],
            "actual": ["rock", "rock", "rock", "pop", "pop"],
            "predicted": ["pop", "pop", "rock", "pop", "rock"],
        }
    )
    proba = pd.DataFrame({"pop": [0.6, 0.9, 0.2, 0.8, 0.3], "rock": [0.4, 0.1, 0.8, 0.2, 0.7]})
    assert diagnostics.most_confused(pred) == ("rock", "pop")
    rows, total = diagnostics.cell_examples(pred, proba, "rock", "pop")
    assert total == 2 and rows["track_name"].tolist() == ["t1", "t0"]
    assert rows["p_predicted"].tolist() == [0.9, 0.6] and rows["p_actual"].tolist() == [0.1, 0.4]
    assert diagnostics.cell_examples(pred, None, "pop", "pop")[1] == 1
    assert diagnostics.cell_examples(pred, proba, "jazz", "pop")[1] == 0
    assert diagnostics.most_confused(pred.assign(predicted=pred["actual"])) is None
