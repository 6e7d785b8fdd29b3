"""core.charts (the package's theme): every figure the builders make carries one template."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core import charts
from core.charts import explore


def _white(fig: go.Figure) -> bool:
    return fig.layout.template.layout.plot_bgcolor == "white"


def test_figures_of_every_kind_get_the_theme_template():
    frame = pd.DataFrame({"genre": ["a", "a", "b", "b"], "valence": [0.1, 0.4, 0.6, 0.9]})
    figures = [
        charts.style(go.Figure(go.Bar(x=[1], y=[2]))),
        charts.style(make_subplots(rows=1, cols=2)),
        explore.plot_box(frame, "valence", "genre", ["a", "b"], {}, violin=False),  # px
    ]
    assert all(_white(fig) for fig in figures)


def test_style_sets_the_font_margins_and_title_without_a_per_figure_template():
    fig = charts.style(go.Figure(), height=300, title="Valence <a href='x'>by</a> genre")
    assert fig.layout.font.size == 13 and fig.layout.height == 300
    assert fig.layout.margin.t == 50 and fig.layout.title.x == 0.0
    assert "<a" not in fig.layout.title.text  # links from uploads and APIs are neutralised
    assert _white(fig)


def test_the_template_holds_when_streamlit_changed_plotlys_default():
    import plotly.io as pio
    import streamlit.elements.plotly_chart  # noqa: F401  (registers the "streamlit" template)

    saved = pio.templates.default
    pio.templates.default = "streamlit"  # as it is right after that import
    try:
        assert _white(charts.style(go.Figure(go.Bar(x=[1], y=[2]))))
    finally:
        pio.templates.default = saved
