"""Classifier diagnostics figures: one curve per class, escaped names, the ECE in the title."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.charts import diagnostics as charts
from core.modelling import diagnostics


def test_figures_draw_and_escape_class_names():
    actual = pd.Series(["<b>x</b>", "y"] * 10)
    proba = pd.DataFrame({"<b>x</b>": np.linspace(0.1, 0.9, 20), "y": np.linspace(0.9, 0.1, 20)})
    fig = charts.plot_roc(*diagnostics.roc_curves(actual, proba))
    assert "&lt;b&gt;" in fig.data[0].name
    charts.plot_pr(*diagnostics.pr_curves(actual, proba))
    bins, ece = diagnostics.calibration(actual, proba)
    fig = charts.plot_reliability(bins, ece)
    assert f"ECE {ece:.3f}" in fig.layout.title.text
    assert len(fig.data[1].x) == len(bins)
