"""Clickable heatmap cells: one invisible marker per cell, and a click mapped back to labels."""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from core.charts.cellpick import CELL_TRACE, add_cell_targets, picked_cell
from core.charts.explain import plot_interaction_matrix
from core.charts.models import plot_confusion

ROWS = ["pop", "rock", "<b>rap</b>"]
COLS = ["pop", "rock", "<b>rap</b>"]


def _cm() -> pd.DataFrame:
    z = np.array([[0.7, 0.2, 0.1], [0.3, 0.6, 0.1], [0.05, 0.15, 0.8]])
    return pd.DataFrame(z, index=ROWS, columns=COLS)


def test_every_cell_gets_a_marker_carrying_its_position_and_value():
    fig = add_cell_targets(plot_confusion(_cm()))
    heat, cells = fig.data[0], fig.data[-1]
    assert cells.name == CELL_TRACE and len(cells.x) == 9
    assert heat.hoverinfo == "skip" and "customdata[2]" in cells.hovertemplate
    # marker k sits on row k // 3, column k % 3 and carries that cell's value
    for k, (x, y, custom) in enumerate(zip(cells.x, cells.y, cells.customdata, strict=True)):
        i, j = divmod(k, 3)
        assert (y, x) == (html.escape(ROWS[i]), html.escape(COLS[j]))  # the escaped ticks
        assert custom[:2] == [i, j] and custom[2] == _cm().iloc[i, j]
    assert cells.marker.color == "rgba(0,0,0,0)"


def test_text_traces_keep_their_colour_when_a_cell_is_selected():
    matrix = pd.DataFrame(np.eye(3) + 0.1, index=ROWS, columns=COLS)
    fig = add_cell_targets(plot_interaction_matrix(matrix))
    text = next(t for t in fig.data if t.type == "scatter" and t.mode == "text")
    assert text.unselected.textfont.color == "#555"
    # the escaped tick labels are the heatmap's; the click maps back to the raw labels
    assert fig.data[-1].y[-1] == "&lt;b&gt;rap&lt;/b&gt;"


def test_a_click_maps_back_to_the_callers_labels():
    point = {"x": "rock", "y": "pop", "customdata": [0, 1, 0.2], "curve_number": 1}
    assert picked_cell({"points": [point]}, ROWS, COLS) == ("pop", "rock")
    escaped = {"customdata": [2.0, 2.0, 0.8]}  # JSON numbers may arrive as floats
    assert picked_cell({"points": [point, escaped]}, ROWS, COLS) == ("<b>rap</b>", "<b>rap</b>")


def test_empty_foreign_or_out_of_range_points_pick_nothing():
    assert picked_cell(None, ROWS, COLS) is None
    assert picked_cell({}, ROWS, COLS) is None
    assert picked_cell({"points": []}, ROWS, COLS) is None
    for bad in ([3, 0], [0, -1], [0.5, 1], ["a", "b"], [1], "01", None):
        assert picked_cell({"points": [{"customdata": bad}]}, ROWS, COLS) is None
    assert picked_cell({"points": [{"x": 1, "y": 2}]}, ROWS, COLS) is None  # another trace


def test_a_figure_without_a_heatmap_is_left_alone():
    import plotly.graph_objects as go

    fig = go.Figure(go.Scatter(x=[1], y=[1]))
    assert len(add_cell_targets(fig).data) == 1
