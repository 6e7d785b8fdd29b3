"""Figures for the Explore page."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.catalog.explore import Fit
from core.charts import ACCENT, DIVERGING, style

#: Above this many groups the histogram becomes small multiples (one panel per group).
OVERLAY_MAX_GROUPS = 6


def percent_tickformat(max_share: float) -> str:
    """A percent tick format with enough decimals that neighbouring ticks never read the same."""
    if max_share >= 0.1:
        return ".0%"
    if max_share >= 0.01:
        return ".1%"
    return ".2%"


def plot_histogram(counts: pd.DataFrame, feature: str, colors: dict[str, str]) -> go.Figure:
    """Density outlines of pre-binned counts: overlaid for a few groups, small multiples beyond."""
    groups = list(dict.fromkeys(counts["group"]))
    if len(groups) > OVERLAY_MAX_GROUPS:
        return _histogram_panels(counts, feature, colors, groups)
    fig = go.Figure()
    for name, part in counts.groupby("group", sort=False):
        fig.add_trace(
            go.Scatter(
                x=part["center"],
                y=part["share"],
                mode="lines",
                line={"shape": "hvh", "width": 2, "color": colors.get(str(name))},
                name=str(name),
                customdata=part["count"],
                hovertemplate=f"{name}<br>{feature} %{{x:.3g}}<br>share %{{y:.1%}}"
                "<br>tracks %{customdata}<extra></extra>",
            )
        )
    fig.update_layout(xaxis_title=feature, yaxis_title="share of the genre's tracks")
    fig.update_yaxes(tickformat=percent_tickformat(float(counts["share"].max() or 0)))
    return style(fig, height=420)


def _histogram_panels(
    counts: pd.DataFrame, feature: str, colors: dict[str, str], groups: list[str]
) -> go.Figure:
    cols = 3
    rows = -(-len(groups) // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        subplot_titles=[str(g) for g in groups],
        shared_xaxes=True,
        shared_yaxes=True,
        vertical_spacing=min(0.08, 0.6 / rows),
        horizontal_spacing=0.04,
    )
    for i, name in enumerate(groups):
        part = counts[counts["group"] == name]
        fig.add_trace(
            go.Scatter(
                x=part["center"],
                y=part["share"],
                mode="lines",
                line={"shape": "hvh", "width": 1.5, "color": colors.get(str(name), ACCENT)},
                fill="tozeroy",
                name=str(name),
                showlegend=False,
                customdata=part["count"],
                hovertemplate=f"{name}<br>{feature} %{{x:.3g}}<br>share %{{y:.1%}}"
                "<br>tracks %{customdata}<extra></extra>",
            ),
            row=i // cols + 1,
            col=i % cols + 1,
        )
    fig.update_yaxes(tickformat=percent_tickformat(float(counts["share"].max() or 0)), nticks=3)
    fig.update_xaxes(title_text=feature, row=rows)
    fig.update_annotations(font_size=12)
    return style(fig, height=120 * rows + 80)


def plot_box(
    df: pd.DataFrame,
    feature: str,
    group: str,
    order: list[str],
    colors: dict[str, str],
    violin: bool,
) -> go.Figure:
    """Box or violin plot of a feature by group (``df`` should already be sampled)."""
    import plotly.express as px  # 0.2-0.4 s to import: only the charts that use it

    maker = px.violin if violin else px.box
    kwargs = {"box": True, "points": False} if violin else {"points": False}
    fig = maker(
        df,
        x=group,
        y=feature,
        color=group,
        category_orders={group: order},
        color_discrete_map=colors,
        **kwargs,
    )
    fig.update_layout(showlegend=False, xaxis_title="")
    return style(fig, height=420)


def plot_correlation(corr: pd.DataFrame, method: str) -> go.Figure:
    """Annotated correlation heatmap on a fixed −1..1 diverging scale."""
    import plotly.express as px

    fig = px.imshow(
        corr.round(2),
        text_auto=".2f",
        color_continuous_scale=DIVERGING,
        zmin=-1,
        zmax=1,
        aspect="auto",
    )
    fig.update_layout(coloraxis_colorbar={"title": method.title()})
    fig.update_traces(textfont_size=10)
    return style(fig, height=520)


def plot_genre_means(z: pd.DataFrame, raw: pd.DataFrame) -> go.Figure:
    """Heatmap of genre means z-scored across genres; hover shows the raw mean."""
    fig = go.Figure(
        go.Heatmap(
            z=z.to_numpy(),
            x=list(z.columns),
            y=list(z.index),
            customdata=raw.loc[z.index, z.columns].to_numpy(),
            colorscale=DIVERGING,
            zmid=0,
            colorbar={"title": "z"},
            hovertemplate="%{y} · %{x}<br>z = %{z:.2f}<br>mean = %{customdata:.3g}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return style(fig, height=max(320, 26 * len(z) + 120))


def plot_scatter(
    df: pd.DataFrame,
    x: str,
    y: str,
    color: str | None,
    size: str | None,
    fits: list[Fit],
    colors: dict[str, str] | None = None,
    hover: list[str] | None = None,
) -> go.Figure:
    """WebGL scatter with optional colour/size encodings and fitted curves."""
    plot_df = df.copy()
    if size is not None:
        vals = plot_df[size].astype("float64")
        span = (vals.max() - vals.min()) or 1.0
        plot_df["_size"] = 3 + 12 * (vals - vals.min()) / span
    import plotly.express as px

    fig = px.scatter(
        plot_df,
        x=x,
        y=y,
        color=color,
        size="_size" if size is not None else None,
        size_max=12,
        color_discrete_map=colors,
        color_continuous_scale="Viridis",
        hover_data=hover,
        render_mode="webgl",
        opacity=0.55,
    )
    if size is None:
        fig.update_traces(marker={"size": 4})
    for fit, dash in zip(fits, ("solid", "dash"), strict=False):
        fig.add_trace(  # WebGL too: WebGL markers would otherwise paint over an SVG line
            go.Scattergl(
                x=fit.x,
                y=fit.y,
                mode="lines",
                name=fit.label,
                line={"color": "#111111", "width": 2.5, "dash": dash},
            )
        )
    return style(fig, height=540)


def plot_period_trend(stats: pd.DataFrame, period: str) -> go.Figure:
    """Mean valence per period with a ±1.96 SE band."""
    lo = stats["mean"] - 1.96 * stats["sem"].fillna(0)
    hi = stats["mean"] + 1.96 * stats["sem"].fillna(0)
    fig = go.Figure(
        [
            go.Scatter(
                x=np.concatenate([stats["period"], stats["period"][::-1]]),
                y=np.concatenate([hi, lo[::-1]]),
                fill="toself",
                fillcolor="rgba(29,185,84,0.18)",
                mode="lines",  # no markers on the band's outline
                line={"width": 0},
                hoverinfo="skip",
                name="95% CI",
            ),
            go.Scatter(
                x=stats["period"],
                y=stats["mean"],
                mode="lines+markers",
                line={"color": ACCENT, "width": 2.5},
                customdata=stats["tracks"],
                hovertemplate="%{x}: mean valence %{y:.3f}<br>%{customdata} tracks<extra></extra>",
                name="mean valence",
            ),
        ]
    )
    fig.update_layout(xaxis_title=f"release {period}", yaxis_title="mean valence", showlegend=False)
    return style(fig, height=380)
