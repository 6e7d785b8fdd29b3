"""A heatmap whose cells are picked by a click or by two dropdowns, kept in sync.

The figure gets an invisible marker per cell (``core.charts.cellpick.add_cell_targets``);
a click selects a marker and sets the two pickers (select boxes, the keyboard way in). A click
is applied once: a later change of a picker is not undone by the chart's stale selection.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from core.charts.cellpick import add_cell_targets, picked_cell
from ui.widgets import keep

Cell = tuple[str, str]


def draw(
    fig: go.Figure,
    rows: Sequence[str],
    cols: Sequence[str],
    *,
    chart_key: str,
    cell_keys: tuple[str, str],
    seen_key: str,
    container: Any = st,
) -> None:
    """Draw ``fig`` (a heatmap of ``rows`` x ``cols``) so that a click on a cell picks it."""
    event = container.plotly_chart(
        add_cell_targets(fig),
        width="stretch",
        on_select="rerun",
        selection_mode=("points",),
        key=chart_key,
    )
    apply_click(picked_cell(event.selection, rows, cols), cell_keys, seen_key)


def apply_click(cell: Cell | None, cell_keys: tuple[str, str], seen_key: str) -> bool:
    """Set the two pickers to a newly clicked ``cell``; True when they changed.

    Call before the pickers are drawn in this run.
    """
    seen = st.session_state.get(seen_key) or {}
    fresh = cell is not None and cell != seen.get("click")
    if fresh:
        st.session_state[cell_keys[0]], st.session_state[cell_keys[1]] = cell
    st.session_state[seen_key] = {**seen, "click": cell}
    return fresh


def seed(
    cell_keys: tuple[str, str],
    options: tuple[Sequence[str], Sequence[str]],
    default: Cell,
    seen_key: str,
) -> None:
    """Give the pickers ``default`` when it changed (a new run or matrix) or their value is gone.

    A pick made before the pickers' tab was closed comes back (``ui.widgets.keep``).
    Call before the pickers are drawn; draw them with ``key`` only (no ``index``).
    """
    keep(*cell_keys)
    seen = st.session_state.get(seen_key) or {}
    renewed = seen.get("default") != default
    for key, values, value in zip(cell_keys, options, default, strict=True):
        if renewed or st.session_state.get(key) not in values:
            st.session_state[key] = value
    st.session_state[seen_key] = {**seen, "default": default}
