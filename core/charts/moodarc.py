"""Figures of the Track lookup page's Mood arc: the arc, the Added At timeline, a reorder.

Track names come from users' files and APIs: they are HTML-escaped before they reach a hover
label (Plotly renders a subset of HTML there).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import ACCENT, style

ENERGY = "#ff7f0e"
PREDICTED = "#9467bd"


def _hover_text(labels: pd.Series) -> list[str]:
    return [html.escape(str(v))[:120] for v in labels.fillna("?")]


def plot_arc(frame: pd.DataFrame, smoothed: np.ndarray, *, title: str | None = None) -> go.Figure:
    """Valence by playlist position, its smoothed arc, and energy beside it.

    Measured valence is drawn filled, predicted valence hollow.

    Parameters
    ----------
    frame
        ``core.lookup.moodarc.arc_frame`` output, in the order to draw.
    smoothed
        The smoothed valence, one value per row (``moodarc.smooth``).
    title
        Optional figure title.
    """
    fig = go.Figure()
    pos = frame["position"] if "position" in frame else pd.Series(np.arange(1, len(frame) + 1))
    text = _hover_text(frame["label"])
    predicted = frame["valence_source"].eq("predicted").to_numpy()
    for name, mask, symbol, color in (
        ("valence", ~predicted, "circle", ACCENT),
        ("valence (predicted)", predicted, "circle-open", PREDICTED),
    ):
        if not mask.any():
            continue
        fig.add_trace(
            go.Scatter(
                x=pos[mask],
                y=frame["valence"][mask],
                mode="markers",
                name=name,
                marker={"size": 7, "color": color, "symbol": symbol},
                text=[t for t, m in zip(text, mask, strict=True) if m],
                customdata=frame["valence_source"][mask],
                hovertemplate="#%{x}: %{text}<br>valence %{y:.2f} (%{customdata})<extra></extra>",
            )
        )
    fig.add_trace(
        go.Scatter(
            x=pos,
            y=smoothed,
            mode="lines",
            name="mood arc (smoothed valence)",
            line={"color": ACCENT, "width": 4},
            hoverinfo="skip",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=pos,
            y=frame["energy"],
            mode="lines",
            name="energy",
            line={"color": ENERGY, "width": 1.5, "dash": "dot"},
            text=text,
            hovertemplate="#%{x}: %{text}<br>energy %{y:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="position in the playlist")
    fig.update_yaxes(title="valence / energy", range=[-0.02, 1.02])
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return style(fig, height=420, title=title)


def plot_timeline(
    frame: pd.DataFrame, months: pd.DataFrame, *, title: str | None = None
) -> go.Figure:
    """Each track's valence at the date it was added, with the monthly mean and count."""
    dated = frame.dropna(subset=["added_at", "valence"])
    fig = go.Figure()
    fig.add_trace(
        go.Bar(
            x=months["month"],
            y=months["tracks"],
            name="tracks added",
            yaxis="y2",
            marker_color="rgba(150,150,150,0.35)",
            xperiod="M1",
            xperiodalignment="middle",
            hovertemplate="%{x|%b %Y}: %{y} tracks added<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=dated["added_at"].dt.tz_convert(None),
            y=dated["valence"],
            mode="markers",
            name="a track",
            marker={"size": 6, "color": ACCENT, "opacity": 0.6},
            text=_hover_text(dated["label"]),
            hovertemplate="%{x|%d %b %Y}: %{text}<br>valence %{y:.2f}<extra></extra>",
        )
    )
    fig.add_trace(
        go.Scatter(
            x=months["month"],
            y=months["valence"],
            mode="lines+markers",
            name="mean valence that month",
            line={"color": "#222", "width": 2},
            xperiod="M1",
            xperiodalignment="middle",
            hovertemplate="%{x|%b %Y}: mean valence %{y:.2f}<extra></extra>",
        )
    )
    fig.update_layout(
        yaxis={"title": "valence", "range": [-0.02, 1.02]},
        yaxis2={
            "title": "tracks added",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "range": [0, max(1, int(months["tracks"].max()) if len(months) else 1) * 2.5],
            "tickformat": "d",
            "rangemode": "tozero",
        },  # bars kept in the lower part, under the valence points
        legend={"orientation": "h", "y": -0.2},
    )
    fig.update_xaxes(title="added to the playlist")
    return style(fig, height=400, title=title)


def plot_reorder(
    before: pd.DataFrame, after: pd.DataFrame, *, title: str | None = None
) -> go.Figure:
    """Valence by position in the current order (grey) and in the new one (green)."""
    fig = go.Figure()
    for frame, name, color, width in (
        (before, "current order", "rgba(120,120,120,0.7)", 1.5),
        (after, "new order", ACCENT, 3),
    ):
        fig.add_trace(
            go.Scatter(
                x=np.arange(1, len(frame) + 1),
                y=frame["valence"],
                mode="lines+markers",
                name=name,
                line={"color": color, "width": width},
                marker={"size": 4},
                text=_hover_text(frame["label"]),
                hovertemplate="#%{x}: %{text}<br>valence %{y:.2f}<extra></extra>",
            )
        )
    fig.update_xaxes(title="position")
    fig.update_yaxes(title="valence", range=[-0.02, 1.02])
    fig.update_layout(legend={"orientation": "h", "y": -0.2})
    return style(fig, height=360, title=title)
