"""Layout rules that keep pages usable on narrow screens (800 px with the sidebar, 390 px phones).

Streamlit stacks columns only below 640 px; between that and a wide desktop, three or four
columns in a 500 px main area truncate their controls ("Valence (regress"). One rule fixes it
everywhere: a column is never narrower than ``MIN_COLUMN_REM``; columns wrap onto the next line
instead, keeping their share of the width on wide screens. A column holding a chart is never
narrower than ``CHART_MIN_REM``.
"""

from __future__ import annotations

import streamlit as st

MIN_COLUMN_REM = 11
#: A column holding a chart is never narrower than this: side by side below it, two charts lost
#: their axis labels and titles (Why valence? at 800 px: ~230 px each); they stack instead.
CHART_MIN_REM = 25

_CSS = f"""
<style>
[data-testid="stHorizontalBlock"] {{ flex-wrap: wrap; }}
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"] {{
  min-width: min(100%, {MIN_COLUMN_REM}rem);
}}
[data-testid="stHorizontalBlock"] > [data-testid="stColumn"]:has([data-testid="stPlotlyChart"]) {{
  min-width: min(100%, {CHART_MIN_REM}rem);
}}
</style>
"""


def apply_responsive_layout() -> None:
    """Inject the column rule (style only: it takes no space on the page)."""
    st.html(_CSS)
