"""Run comparison figures: overlaid learning curves, metrics with fold error bars, predictions."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import PALETTE, diagonal, legend_below, style
from core.modelling.compare import RunSummary


def _legend_below(fig: go.Figure) -> go.Figure:
    """A horizontal legend under the plot: side legends squeezed the plot at 800 px."""
    return legend_below(fig, yanchor="top", y=-0.22, x=0)


def _colors(runs: list[RunSummary]) -> dict[str, str]:
    return {r.label: PALETTE[i % len(PALETTE)] for i, r in enumerate(runs)}


def plot_curves(runs: list[RunSummary], metric_label: str) -> go.Figure:
    """Validation (solid) and train (dotted) curves of every run on one axis."""
    colors = _colors(runs)
    fig = go.Figure()
    for r in runs:
        h = r.history
        for col, dash in (("validation", "solid"), ("train", "dot")):
            if col in h and h[col].notna().any():
                fig.add_scatter(
                    x=h["step"],
                    y=h[col],
                    mode="lines",
                    name=f"{r.label} · {col}",
                    line={
                        "color": colors[r.label],
                        "dash": dash,
                        "width": 2 if dash == "solid" else 1,
                    },
                )
    fig.update_xaxes(title="step (see each run's unit)")
    fig.update_yaxes(title=metric_label)
    return _legend_below(style(fig, height=420, title="Learning curves"))


def plot_metric(table: pd.DataFrame, metric_label: str) -> go.Figure:
    """Cross-validation mean ± sd per run (bars with error bars) and the test score (diamonds)."""
    fig = go.Figure()
    has_cv = table["cv_mean"].notna()
    fig.add_bar(
        x=table["run"],
        y=table["cv_mean"].where(has_cv),
        name="k-fold mean ± sd",
        error_y={"type": "data", "array": table["cv_sd"].fillna(0).to_numpy()},
        marker_color="rgba(29,185,84,0.55)",
    )
    fig.add_scatter(
        x=table["run"],
        y=table["test"],
        mode="markers",
        name="test split",
        marker={"symbol": "diamond", "size": 12, "color": "#222"},
    )
    fig.update_yaxes(title=metric_label)
    return _legend_below(style(fig, height=380, title=f"{metric_label} by run"))


def plot_predictions(runs: list[RunSummary], seed: int = 0) -> go.Figure:
    """Predicted against actual valence for each run (up to 1,000 points each)."""
    colors = _colors(runs)
    fig = go.Figure()
    for r in runs:
        p = r.predictions
        if len(p) > 1000:
            p = p.sample(1000, random_state=seed)
        fig.add_scattergl(
            x=p["actual"],
            y=p["predicted"],
            mode="markers",
            name=r.label,
            marker={"size": 4, "opacity": 0.4, "color": colors[r.label]},
        )
    lo = min(
        [0.0] + [float(np.nanmin(r.predictions["actual"])) for r in runs if len(r.predictions)]
    )
    hi = max(
        [1.0] + [float(np.nanmax(r.predictions["actual"])) for r in runs if len(r.predictions)]
    )
    fig.add_trace(diagonal("perfect", lo=lo, hi=hi))
    fig.update_xaxes(title="actual")
    fig.update_yaxes(title="predicted")
    return _legend_below(style(fig, height=460, title="Predicted vs actual (test tracks)"))


def plot_class_recall(frame: pd.DataFrame, runs: list[RunSummary]) -> go.Figure:
    """Per-class recall of each classification run, grouped by class."""
    colors = _colors(runs)
    fig = go.Figure()
    for r in runs:
        part = frame[frame["run"] == r.label]
        fig.add_bar(
            x=[html.escape(str(c)) for c in part["class"]],
            y=part["recall"],
            name=r.label,
            marker_color=colors[r.label],
        )
    fig.update_layout(barmode="group")
    fig.update_yaxes(title="share of the class predicted right", range=[0, 1])
    return style(fig, height=380, title="Predicted vs actual: recall per class")
