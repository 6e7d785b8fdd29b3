"""The "Interactions" tab of Why valence?: the SHAP interaction matrix and one pair's plot.

Computation: ``core.explain.interactions``; cached by ``ui.cache.memo``.
"""

from __future__ import annotations

import html

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.charts.explain import plot_interaction_matrix, plot_pair_dependence
from core.explain import interactions
from core.modelling.models import TrainedModel
from ui import cellpick, keys
from ui.cache import memo
from ui.progress import QueueNote

CELL_KEYS = (keys.WHY_INTER_A, keys.WHY_INTER_B)
ROWS = (50, 100, 200, 500)  # pred_interactions costs ~features x SHAP: 200 rows take seconds


def render(model: TrainedModel, catalog: Catalog, model_key: str, personal: bool) -> None:
    """Draw the interaction matrix of ``model`` on a sample of the catalog and one pair's plot.

    Results are cached by ``ui.cache.memo``: shared for public data and the default model,
    per session for a Model lab model or an upload.
    """
    df = catalog.df
    if not interactions.supports(model):
        st.info(
            f"Exact interaction values are computed for {interactions.SUPPORTED} valence "
            "models: use the default model or train one of those in the Model lab."
        )
        return
    rows = st.segmented_control(
        "Tracks explained", ROWS, default=100, key=keys.WHY_INTER_ROWS, bind="query-params"
    )
    rows = int(rows or 100)
    with st.spinner(f"Computing interaction values for {rows:,} tracks…"), QueueNote() as queued:
        result = memo(
            catalog,
            "interactions",
            (model_key, rows),
            lambda: interactions.interaction_values(
                model, df, max_rows=rows, seed=0, on_wait=queued
            ),
            personal=personal,
        )
    matrix = interactions.interaction_matrix(result)
    st.caption(
        f"Method: {result.method} (a seeded sample). Cells: mean |interaction| of a pair in "
        "valence units; the diagonal's numbers are the main effects."
    )
    features = list(matrix.columns)
    cellpick.draw(
        plot_interaction_matrix(matrix, title="Which features act together"),
        features,
        features,
        chart_key=keys.WHY_INTER_MATRIX,
        cell_keys=CELL_KEYS,
        seen_key=keys.WHY_INTER_SEEN,
    )
    left, right = st.columns([3, 2])  # the matrix is full width: beside a table it was squeezed
    pairs = interactions.top_pairs(matrix)
    left.markdown("**Strongest pairs**")
    left.dataframe(pairs.round(4), hide_index=True, width="stretch")
    top = pairs.iloc[0] if len(pairs) else pd.Series({"a": features[0], "b": features[0]})
    right.caption("Click a cell of the matrix, or pick it here, to see its dependence plot.")
    cellpick.seed(CELL_KEYS, (features, features), (top["a"], top["b"]), keys.WHY_INTER_SEEN)
    c = right.columns(2)
    a = c[0].selectbox("Cell: row", features, key=keys.WHY_INTER_A)
    b = c[1].selectbox("column", features, key=keys.WHY_INTER_B)
    frame = interactions.pair_frame(result, a, b)
    ea, eb = html.escape(a), html.escape(b)  # plotly titles render HTML
    title = f"Main effect of {ea}" if a == b else f"How {ea} and {eb} act together"
    st.plotly_chart(
        plot_pair_dependence(frame, a, b, title=title), width="stretch", key="why_inter_pair"
    )
