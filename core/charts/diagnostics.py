"""Classifier diagnostics figures: one-vs-rest ROC and precision-recall, reliability diagram.

Frames in (from ``core.modelling.diagnostics``), figures out. Class names can come from a
user's upload: they are HTML-escaped before they reach legends and hover labels.
"""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from core.charts import ACCENT, diagonal, genre_colors, style


def _curves(
    curves: pd.DataFrame, table: pd.DataFrame, x: str, y: str, score: str, fmt: str
) -> go.Figure:
    colors = genre_colors(table["class"])
    fig = go.Figure()
    for row in table.itertuples():
        part = curves[curves["class"] == row[1]]
        name = f"{html.escape(str(row[1]))[:40]} ({fmt.format(getattr(row, score))})"
        fig.add_scatter(
            x=part[x],
            y=part[y],
            mode="lines",
            name=name,
            line={"color": colors[str(row[1])], "width": 2},
            hovertemplate=f"{x} %{{x:.2f}}<br>{y} %{{y:.2f}}<extra>{name}</extra>",
        )
    fig.update_xaxes(range=[0, 1])
    fig.update_yaxes(range=[0, 1.02])
    return fig


def plot_roc(curves: pd.DataFrame, table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """One ROC curve per class (legend: AUC), with the chance diagonal."""
    fig = _curves(curves, table, "fpr", "tpr", "auc", "AUC {:.3f}")
    fig.add_trace(diagonal("chance", color="#999", hoverinfo="skip"))
    fig.update_xaxes(title="false positive rate")
    fig.update_yaxes(title="true positive rate")
    return style(fig, height=420, title=title)


def plot_pr(curves: pd.DataFrame, table: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """One precision-recall curve per class (legend: average precision)."""
    fig = _curves(curves, table, "recall", "precision", "average_precision", "AP {:.3f}")
    fig.update_xaxes(title="recall")
    fig.update_yaxes(title="precision")
    return style(fig, height=420, title=title)


def plot_reliability(bins: pd.DataFrame, ece: float, *, title: str | None = None) -> go.Figure:
    """Accuracy against confidence per bin (marker size: rows), with the perfect diagonal."""
    fig = go.Figure(diagonal("perfectly calibrated", color="#999", hoverinfo="skip"))
    if len(bins):
        size = 8 + 22 * (bins["count"] / bins["count"].max()) ** 0.5
        fig.add_scatter(
            x=bins["confidence"],
            y=bins["accuracy"],
            mode="lines+markers",
            name="model",
            line={"color": ACCENT, "width": 2},
            marker={"size": size, "color": ACCENT},
            customdata=bins[["count", "bin_lo", "bin_hi"]].to_numpy(),
            hovertemplate="confidence %{customdata[1]:.1f}-%{customdata[2]:.1f}: mean %{x:.2f}"
            "<br>accuracy %{y:.2f}<br>%{customdata[0]} tracks<extra></extra>",
        )
    fig.update_xaxes(title="confidence (top class probability)", range=[0, 1])
    fig.update_yaxes(title="share correct", range=[0, 1.02])
    return style(fig, height=420, title=title or f"Reliability (ECE {ece:.3f})")
