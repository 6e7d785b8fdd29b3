"""Figures of the Track lookup page's Mood arc: the arc, the Added At timeline, a reorder.

Track names come from users' files and APIs: they are HTML-escaped before they reach a hover
label (Plotly renders a subset of HTML there).
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.charts import ACCENT, legend_below, lines, markers, style

ENERGY = "#ff7f0e"
PREDICTED = "#9467bd"
VALENCE_RANGE = [-0.02, 1.02]
MONTHLY = {"xperiod": "M1", "xperiodalignment": "middle"}  # a month's value drawn mid-month


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
            markers(
                pos[mask],
                frame["valence"][mask],
                {"size": 7, "color": color, "symbol": symbol},
                name=name,
                text=[t for t, m in zip(text, mask, strict=True) if m],
                customdata=frame["valence_source"][mask],
                hovertemplate="#%{x}: %{text}<br>valence %{y:.2f} (%{customdata})<extra></extra>",
            )
        )
    arc = {"color": ACCENT, "width": 4}
    fig.add_trace(lines(pos, smoothed, arc, name="mood arc (smoothed valence)", hoverinfo="skip"))
    fig.add_trace(
        lines(
            pos,
            frame["energy"],
            {"color": ENERGY, "width": 1.5, "dash": "dot"},
            name="energy",
            text=text,
            hovertemplate="#%{x}: %{text}<br>energy %{y:.2f}<extra></extra>",
        )
    )
    fig.update_xaxes(title="position in the playlist")
    fig.update_yaxes(title="valence / energy", range=VALENCE_RANGE)
    return style(legend_below(fig), height=420, title=title)


def plot_timeline(
    frame: pd.DataFrame, months: pd.DataFrame, *, title: str | None = None
) -> go.Figure:
    """Each track's valence at the date it was added, with the monthly mean and count."""
    dated = frame.dropna(subset=["added_at", "valence"])
    counts = go.Bar(
        x=months["month"],
        y=months["tracks"],
        name="tracks added",
        yaxis="y2",
        marker_color="rgba(150,150,150,0.35)",
        hovertemplate="%{x|%b %Y}: %{y} tracks added<extra></extra>",
        **MONTHLY,
    )
    fig = go.Figure(counts)
    fig.add_trace(
        markers(
            dated["added_at"].dt.tz_convert(None),
            dated["valence"],
            {"size": 6, "color": ACCENT, "opacity": 0.6},
            name="a track",
            text=_hover_text(dated["label"]),
            hovertemplate="%{x|%d %b %Y}: %{text}<br>valence %{y:.2f}<extra></extra>",
        )
    )
    fig.add_trace(
        lines(
            months["month"],
            months["valence"],
            {"color": "#222", "width": 2},
            name="mean valence that month",
            mode="lines+markers",
            hovertemplate="%{x|%b %Y}: mean valence %{y:.2f}<extra></extra>",
            **MONTHLY,
        )
    )
    fig.update_layout(
        yaxis={"title": "valence", "range": VALENCE_RANGE},
        yaxis2={
            "title": "tracks added",
            "overlaying": "y",
            "side": "right",
            "showgrid": False,
            "range": [0, max(1, int(months["tracks"].max()) if len(months) else 1) * 2.5],
            "tickformat": "d",
            "rangemode": "tozero",
        },  # bars kept in the lower part, under the valence points
    )
    fig.update_xaxes(title="added to the playlist")
    return style(legend_below(fig), height=400, title=title)


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
            lines(
                np.arange(1, len(frame) + 1),
                frame["valence"],
                {"color": color, "width": width},
                name=name,
                mode="lines+markers",
                marker={"size": 4},
                text=_hover_text(frame["label"]),
                hovertemplate="#%{x}: %{text}<br>valence %{y:.2f}<extra></extra>",
            )
        )
    fig.update_xaxes(title="position")
    fig.update_yaxes(title="valence", range=VALENCE_RANGE)
    return style(legend_below(fig), height=360, title=title)
