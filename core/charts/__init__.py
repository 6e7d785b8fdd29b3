"""Plotly figure builders (pure: frame in, figure out) sharing one theme.

Each page area has its own module (``explore``, ``models``, ``explain``, ``clusters``,
``lookup``); they style figures with ``style`` and colour genres with ``genre_colors``.
"""

from __future__ import annotations

from collections.abc import Iterable

import plotly.express as px
import plotly.graph_objects as go

from core.safety import neutralise_plotly_links

TEMPLATE = "plotly_white"
FONT = "Inter, Source Sans Pro, sans-serif"
ACCENT = "#1DB954"  # Spotify green, used for valence itself
DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
PALETTE: list[str] = (
    px.colors.qualitative.Bold + px.colors.qualitative.Pastel + px.colors.qualitative.Dark24
)


def style(fig: go.Figure, *, height: int | None = None, title: str | None = None) -> go.Figure:
    """Apply the app theme in place and return the figure.

    Also neutralises ``<a>`` tags in every text of the figure (names from uploads and APIs
    reach titles, legends and hover labels): see ``core.safety.neutralise_plotly_links``.
    """
    fig.update_layout(
        template=TEMPLATE,
        font={"family": FONT, "size": 13},
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
        legend={"title": {"text": ""}},
        hoverlabel={"font_size": 12},
    )
    if title is not None:
        fig.update_layout(title={"text": title, "x": 0.0, "xanchor": "left"})
    if height is not None:
        fig.update_layout(height=height)
    return neutralise_plotly_links(fig)


def genre_colors(genres: Iterable[str]) -> dict[str, str]:
    """A stable colour per genre (sorted order), cycling the palette for many genres."""
    return {g: PALETTE[i % len(PALETTE)] for i, g in enumerate(sorted(set(map(str, genres))))}
