"""Clickable heatmap cells: an invisible marker per cell, and the cell a click chose.

Plotly heatmaps report no points to a selection (streamlit/streamlit#8760: ``on_select`` returns
an empty selection for ``go.Heatmap``), so ``add_cell_targets`` lays a transparent scatter
marker on every cell centre; its hover label replaces the heatmap's and a click on the cell
selects the marker. Each marker carries its cell's (row, column) position in ``customdata``,
which ``picked_cell`` maps back to the caller's own labels, so escaped or shortened tick
labels never need to be parsed back.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

CELL_TRACE = "cells"  # name of the overlay trace


def add_cell_targets(fig: go.Figure, *, marker_size: int = 26) -> go.Figure:
    """Overlay the first heatmap of ``fig`` with one clickable, invisible marker per cell.

    The heatmap's hover template moves to the markers (``%{z}`` becomes the cell's value), so
    the hover label is unchanged. Modifies and returns ``fig``; a figure without a heatmap is
    returned as it is.
    """
    heat = next((t for t in fig.data if t.type == "heatmap"), None)
    if heat is None:
        return fig
    z = np.asarray(heat.z, dtype=float)
    n_rows, n_cols = z.shape
    xs = list(heat.x) if heat.x is not None else list(range(n_cols))
    ys = list(heat.y) if heat.y is not None else list(range(n_rows))
    rows, cols = np.divmod(np.arange(n_rows * n_cols), n_cols)
    custom = np.column_stack([rows, cols, z.ravel()]).tolist()
    template = (heat.hovertemplate or "%{y} × %{x}: %{z}<extra></extra>").replace(
        "%{z", "%{customdata[2]"
    )
    heat.update(hoverinfo="skip", hovertemplate=None)
    fig.add_scatter(
        x=[xs[c] for c in cols],
        y=[ys[r] for r in rows],
        customdata=custom,
        mode="markers",
        marker={"symbol": "square", "size": marker_size, "color": "rgba(0,0,0,0)"},
        # a click dims the unselected points of every trace; these stay invisible, and text
        # traces (cell numbers) keep their colour
        selected={"marker": {"opacity": 0}},
        unselected={"marker": {"opacity": 0}},
        hovertemplate=template,
        showlegend=False,
        name=CELL_TRACE,
    )
    for trace in fig.data:
        if trace.type == "scatter" and trace.mode == "text":
            color = trace.textfont.color if trace.textfont else None
            trace.update(unselected={"textfont": {"color": color or "#555"}})
    return fig


def picked_cell(
    selection: Mapping[str, Any] | None, rows: Sequence[str], cols: Sequence[str]
) -> tuple[str, str] | None:
    """The (row, column) label of the cell a click selected, or ``None``.

    ``selection`` is Streamlit's ``event.selection`` of a chart drawn with
    ``add_cell_targets``; ``rows`` and ``columns`` are the labels in the heatmap's order. The
    last valid point wins; points of other traces or positions out of range are ignored.
    """
    points = (selection or {}).get("points") or []
    for point in reversed(list(points)):
        custom = point.get("customdata") if isinstance(point, Mapping) else None
        if not isinstance(custom, Sequence) or isinstance(custom, str) or len(custom) < 2:
            continue
        try:
            i, j = int(custom[0]), int(custom[1])
        except (TypeError, ValueError):
            continue
        if custom[0] != i or custom[1] != j or not (0 <= i < len(rows) and 0 <= j < len(cols)):
            continue
        return str(rows[i]), str(cols[j])
    return None
