"""Model lab: classifier diagnostics of a finished genre run (ROC, PR, calibration, examples).

Computation: ``core.modelling.diagnostics``; figures: ``core.charts.diagnostics``.
"""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.charts.diagnostics import plot_pr, plot_reliability, plot_roc
from core.modelling import diagnostics
from core.modelling.experiment import RunResult
from core.safety import escape_markdown
from ui import cellpick, keys

CELL_KEYS = (keys.LAB_CELL_ACTUAL, keys.LAB_CELL_PRED)


def confusion_chart(fig: go.Figure, cm: pd.DataFrame) -> None:
    """The confusion matrix; a click on a cell picks it for "Inside the confusion matrix"."""
    cellpick.draw(
        fig,
        [str(c) for c in cm.index],
        [str(c) for c in cm.columns],
        chart_key=keys.LAB_CONFUSION,
        cell_keys=CELL_KEYS,
        seen_key=keys.LAB_CELL_SEEN,
    )


def render(result: RunResult) -> None:
    """Draw the diagnostics of a classification run (a note for runs without probabilities)."""
    pred, proba = result.predictions, result.proba
    if proba is None or pred.empty:
        st.caption("This run has no test probabilities to diagnose.")
        return
    roc, roc_table = diagnostics.roc_curves(pred["actual"], proba)
    pr, pr_table = diagnostics.pr_curves(pred["actual"], proba)
    bins, ece = diagnostics.calibration(pred["actual"], proba)
    m = st.columns(3)
    macro = roc_table["auc"].mean() if len(roc_table) else float("nan")
    m[0].metric("Macro ROC AUC (one-vs-rest)", f"{macro:.3f}", border=True)
    m[1].metric(
        "Mean average precision", f"{pr_table['average_precision'].mean():.3f}", border=True
    )
    m[2].metric("Expected calibration error", f"{ece:.3f}", border=True)
    left, right = st.columns(2)
    if len(roc_table):
        left.plotly_chart(
            plot_roc(roc, roc_table, title="ROC, one class against the rest"),
            width="stretch",
            key="lab_diag_roc",
        )
    right.plotly_chart(
        plot_pr(pr, pr_table, title="Precision-recall per class"),
        width="stretch",
        key="lab_diag_pr",
    )
    left, right = st.columns(2)
    left.plotly_chart(plot_reliability(bins, ece), width="stretch", key="lab_diag_calib")
    right.caption(
        f"Computed on the {len(pred):,} test tracks. ECE: the test rows are binned by the "
        "model's top-class probability; in each bin the mean probability is compared with the "
        "share it got right, weighted by the bin's size (0 = perfectly calibrated)."
    )
    table = roc_table.merge(pr_table, on="class", how="outer")
    right.dataframe(table.round(3), hide_index=True, width="stretch")

    st.markdown(
        "**Inside the confusion matrix**: click a cell of the matrix above, or pick one here, "
        "to see its tracks"
    )
    classes = sorted(set(pred["actual"].astype(str)) | set(pred["predicted"].astype(str)))
    worst = diagnostics.most_confused(pred) or (classes[0], classes[0])
    cellpick.seed(CELL_KEYS, (classes, classes), tuple(worst), keys.LAB_CELL_SEEN)
    c1, c2 = st.columns(2)
    actual = c1.selectbox("Actual genre", classes, key=keys.LAB_CELL_ACTUAL)
    predicted = c2.selectbox("Predicted as", classes, key=keys.LAB_CELL_PRED)
    rows, total = diagnostics.cell_examples(pred, proba, actual, predicted)
    if total == 0:
        st.info("No test track is in this cell.")
        return
    st.caption(
        f"{total:,} test track(s) are {escape_markdown(actual)} predicted as "
        f"{escape_markdown(predicted)}"
        + (
            f"; the {len(rows)} the model was surest about are listed."
            if total > len(rows)
            else "."
        )
    )
    st.dataframe(rows, hide_index=True, width="stretch")
