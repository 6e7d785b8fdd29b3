"""Plotly figure builders (pure: frame in, figure out) sharing one theme.

Each page area has its own module (``explore``, ``models``, ``explain``, ``clusters``,
``lookup``); they style figures with ``style``, colour genres with ``genre_colors`` and build
their common traces with ``markers``, ``lines``, ``hbars`` and ``diagonal`` (a property left
``None`` is not set, so the traces are the same as written out in full).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import plotly.graph_objects as go
import plotly.io as pio
from plotly.colors import qualitative

from core.safety import neutralise_plotly_links

TEMPLATE = "plotly_white"
# Every figure gets plotly's default template at creation, attached without validation; setting
# ``template=`` per figure deep-copies and validates the whole template (~12 ms a figure: a
# quarter of the Why valence? page's server time). So the theme's template is made the default
# here, and ``style`` sets it per figure only when something changed the default since
# (importing ``streamlit.elements.plotly_chart`` makes it "streamlit").
pio.templates.default = TEMPLATE
FONT = "Inter, Source Sans Pro, sans-serif"
ACCENT = "#1DB954"  # Spotify green, used for valence itself
DIVERGING = "RdBu_r"
SEQUENTIAL = "Viridis"
PALETTE: list[str] = qualitative.Bold + qualitative.Pastel + qualitative.Dark24


def style(fig: go.Figure, *, height: int | None = None, title: str | None = None) -> go.Figure:
    """Apply the app theme in place and return the figure.

    Also neutralises ``<a>`` tags in every text of the figure (names from uploads and APIs
    reach titles, legends and hover labels): see ``core.safety.neutralise_plotly_links``.
    """
    if pio.templates.default != TEMPLATE:
        fig.update_layout(template=TEMPLATE)
    fig.update_layout(
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


#: Above this many points ``markers(gl=None)`` draws with WebGL. Below it SVG is quicker to
#: first paint: each WebGL chart pays for its own context (~0.3 s in a browser without a GPU),
#: while SVG draws 1,000 points in ~0.2 s and 3,000 in ~0.35 s.
GL_POINTS = 3000


def markers(
    x: Any, y: Any, marker: dict, *, name: str | None = None, gl: bool | None = False, **props: Any
) -> go.Scatter | go.Scattergl:
    """Points only; ``props``: more trace settings.

    ``gl=True`` draws with WebGL (for thousands of points), ``gl=None`` only when there are
    more than :data:`GL_POINTS` of them.
    """
    if gl is None:
        gl = len(x) > GL_POINTS
    trace = go.Scattergl if gl else go.Scatter
    return trace(x=x, y=y, mode="markers", name=name, marker=marker, **props)


def lines(
    x: Any, y: Any, line: dict, *, name: str | None = None, mode: str = "lines", **props: Any
) -> go.Scatter:
    """A line (``mode="lines+markers"`` to mark its points); ``props``: more trace settings."""
    return go.Scatter(x=x, y=y, mode=mode, name=name, line=line, **props)


def hbars(x: Any, y: Any, *, name: str | None = None, color: Any = None, **props: Any) -> go.Bar:
    """Horizontal bars, one per feature on the y axis (importances, SHAP drivers)."""
    return go.Bar(x=x, y=y, orientation="h", name=name, marker_color=color, **props)


def diagonal(
    name: str, *, lo: float = 0, hi: float = 1, color: str = "#444", **props: Any
) -> go.Scatter:
    """The dashed identity line from (lo, lo) to (hi, hi): perfect prediction, chance."""
    return lines([lo, hi], [lo, hi], {"color": color, "dash": "dash"}, name=name, **props)


def legend_below(fig: go.Figure, **legend: Any) -> go.Figure:
    """A horizontal legend under the plot (side legends squeeze it in a narrow column)."""
    return fig.update_layout(legend={"orientation": "h", "y": -0.2, **legend})
