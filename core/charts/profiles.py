"""Genre profile figures: effect sizes (Cohen's d with 95 % intervals) of two groups."""

from __future__ import annotations

import html

import pandas as pd
import plotly.graph_objects as go

from core.charts import style

A_COLOR = "#d6604d"  # group a higher
B_COLOR = "#4393c3"  # group b higher


def plot_effect_sizes(table: pd.DataFrame, name_a: str, name_b: str) -> go.Figure:
    """Horizontal bars of Cohen's d per feature (right: higher in ``name_a``), with intervals."""
    t = table.dropna(subset=["cohens_d"]).iloc[::-1]
    a, b = html.escape(str(name_a))[:40], html.escape(str(name_b))[:40]
    fig = go.Figure(
        go.Bar(
            x=t["cohens_d"],
            y=t["feature"],
            orientation="h",
            marker_color=[A_COLOR if d > 0 else B_COLOR for d in t["cohens_d"]],
            error_x={
                "type": "data",
                "symmetric": False,
                "array": (t["d_high"] - t["cohens_d"]).to_numpy(),
                "arrayminus": (t["cohens_d"] - t["d_low"]).to_numpy(),
            },
            customdata=t[["mean_a", "mean_b", "size"]].to_numpy(),
            hovertemplate="%{y}: d = %{x:.2f} (%{customdata[2]})<br>"
            + f"{a}: %{{customdata[0]:.3g}} · {b}: %{{customdata[1]:.3g}}<extra></extra>",
        )
    )
    for x in (-0.8, -0.5, -0.2, 0.2, 0.5, 0.8):
        fig.add_vline(x=x, line={"color": "#ddd", "dash": "dot", "width": 1})
    fig.add_vline(x=0, line={"color": "#888", "width": 1})
    fig.update_xaxes(title=f"Cohen's d  (← higher in {b} · higher in {a} →)")
    return style(fig, height=140 + 30 * len(t), title=f"{a} vs {b}, feature by feature")
