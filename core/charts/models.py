"""Model lab figures: learning curves, predicted vs actual, residuals, confusion, importances."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.catalog.sampling import sample_rows
from core.charts import ACCENT, SEQUENTIAL, diagonal, hbars, markers, style

METRIC_LABELS = {"mae": "MAE", "accuracy": "Accuracy"}
MAX_POINTS = 3_000


def plot_learning_curve(history: pd.DataFrame, metric: str, unit: str = "round") -> go.Figure:
    """Train and validation metric per step (round, trees, epoch)."""
    fig = go.Figure()
    for col, color, dash in (("train", "#888888", "dot"), ("validation", ACCENT, "solid")):
        if col in history and history[col].notna().any():
            fig.add_scatter(
                x=history["step"],
                y=history[col],
                mode="lines",
                name=col,
                line={"color": color, "dash": dash},
            )
    fig.update_xaxes(title=unit)
    fig.update_yaxes(title=METRIC_LABELS.get(metric, metric))
    return style(fig, height=300)


def _sampled_tracks(
    pred: pd.DataFrame, x: str, y: str, color: str, seed: int, *, hover_names: bool = False
) -> go.Figure:
    """A figure of (a sample of) the test tracks as faint points, column ``y`` against ``x``."""
    sample = sample_rows(pred, MAX_POINTS, seed)
    marker = {"size": 4, "opacity": 0.35, "color": color}
    text = sample.get("track_name") if hover_names else None
    return go.Figure(markers(sample[x], sample[y], marker, name="tracks", text=text))


def plot_predicted_vs_actual(pred: pd.DataFrame, seed: int = 0) -> go.Figure:
    """Predicted against actual valence (a sample of points) with the identity line."""
    fig = _sampled_tracks(pred, "actual", "predicted", ACCENT, seed, hover_names=True)
    fig.add_trace(diagonal("perfect"))
    fig.update_xaxes(title="actual valence", range=[0, 1])
    fig.update_yaxes(title="predicted valence", range=[0, 1])
    return style(fig, height=380)


def plot_residuals(pred: pd.DataFrame, seed: int = 0) -> go.Figure:
    """Residual (predicted - actual) against predicted valence."""
    fig = _sampled_tracks(pred, "predicted", "residual", "#5b6ee1", seed)
    fig.add_hline(y=0, line_dash="dash", line_color="#444")
    fig.update_xaxes(title="predicted valence")
    fig.update_yaxes(title="residual (predicted - actual)")
    return style(fig, height=380)


def plot_confusion(cm: pd.DataFrame) -> go.Figure:
    """Row-normalised confusion matrix heatmap (order as given)."""
    # class names come from the data (an upload's genres): plotly renders some HTML in labels
    labels_x = [html.escape(str(c)) for c in cm.columns]
    labels_y = [html.escape(str(i)) for i in cm.index]
    fig = go.Figure(
        go.Heatmap(
            z=cm.to_numpy(),
            x=labels_x,
            y=labels_y,
            colorscale=SEQUENTIAL,
            zmin=0,
            zmax=1,
            text=np.round(cm.to_numpy(), 2),
            texttemplate="%{text}" if len(cm) <= 12 else "",
            hovertemplate="actual %{y}<br>predicted %{x}<br>share %{z:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted", tickangle=-45)
    fig.update_yaxes(title="actual", autorange="reversed")
    return style(fig, height=max(360, 28 * len(cm) + 120))


def plot_importances(imp: pd.DataFrame) -> go.Figure:
    """Permutation (and impurity, when present) importance per input column."""
    order = imp.sort_values("permutation")
    error = {"type": "data", "array": order.get("permutation_sd")}
    fig = go.Figure(
        hbars(
            order["permutation"], order["feature"], name="permutation", color=ACCENT, error_x=error
        )
    )
    if "impurity" in order and order["impurity"].notna().any():
        fig.add_trace(
            hbars(order["impurity"], order["feature"], name="impurity (share)", color="#9aa5b1")
        )
    fig.update_layout(barmode="group")
    fig.update_xaxes(title="importance (drop in score when shuffled / impurity share)")
    return style(fig, height=max(300, 26 * len(order) + 100))


def plot_leaderboard(board: pd.DataFrame, metric: str) -> go.Figure:
    """The primary metric of each run as bars (run number on the axis)."""
    fig = go.Figure()
    fig.add_bar(
        x=board["run"].astype(str),
        y=board[metric],
        marker_color=ACCENT,
        text=board["model"],
        hovertemplate="run %{x}: %{text}<br>%{y:.4f}<extra></extra>",
    )
    fig.update_xaxes(title="run")
    fig.update_yaxes(title=METRIC_LABELS.get(metric, metric))
    return style(fig, height=260)
