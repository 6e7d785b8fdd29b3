"""The "Why valence?" page's tabs: drivers, one track, statistics, agreement and the recipe.

Statistics and the recipe are drawn by :mod:`ui.why_valence_stats_views`.

The page picks the model and builds a :class:`WhyView`; each tab reads its widgets, takes the
precomputed defaults of a public dataset (:mod:`ui.warm`) or asks ``core.explain`` through the
one UI cache (:mod:`ui.cache`: shared for public data, per session for uploads and lab models),
and draws the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.catalog.explore import track_labels
from core.charts import explain as charts
from core.explain import agreement, inference, shapley
from core.modelling.models import TrainedModel
from core.safety import escape_markdown
from core.warm import SHAP_ROWS as STORED_ROWS
from ui import keys
from ui.cache import memo
from ui.interactions import render as render_interactions
from ui.progress import QueueNote
from ui.warm import precomputed
from ui.whatif import render as render_whatif
from ui.why_valence_stats_views import ols_table, recipe_tab, stats_tab

SHAP_ROWS = (500, 1000, 2000, 5000)
TABS = ["Drivers", "One track", "What-if", "Interactions", "Statistics", "Agreement", "Recipe"]


@dataclass
class WhyView:
    """The model explained, the data, and the cache key of the model."""

    catalog: Catalog
    model: TrainedModel
    class_name: str | None
    model_key: str  # cache key of the model (the catalog is part of every key)
    personal: bool  # results of a Model lab model belong to this user only (uploads always do)

    @property
    def df(self) -> pd.DataFrame:
        """The catalog's tracks."""
        return self.catalog.df


def link_notice(name: str, allowed: list[Any]) -> None:
    """Say so when a shared link carries a value this page cannot use (Streamlit ignores it)."""
    value = st.query_params.get(name)
    if value is not None and value not in [str(a) for a in allowed]:
        st.warning(
            f"The link's {name}='{escape_markdown(value, 60)}' is not valid here, so the "
            "default is used."
        )


def global_shap(v: WhyView, rows: int) -> shapley.ShapResult:
    """SHAP of ``rows`` sampled tracks for the current model (precomputed or cached)."""
    if not v.personal and v.class_name is None and rows == STORED_ROWS:
        stored = precomputed(v.catalog, "shap")
        if stored is not None:
            return stored
    with st.spinner(f"Computing SHAP values for {rows:,} tracks…"), QueueNote() as queued:
        return memo(
            v.catalog,
            "shap",
            (v.model_key, v.class_name, rows),
            lambda: shapley.shap_values(
                v.model, v.df, class_name=v.class_name, max_rows=rows, seed=0, on_wait=queued
            ),
            personal=v.personal,
        )


def drivers_tab(v: WhyView) -> None:
    """Global SHAP importance, beeswarm, dependence plot and per-genre drivers."""
    rows = st.segmented_control(
        "Tracks explained", SHAP_ROWS, default=1000, key=keys.WHY_ROWS, bind="query-params"
    )
    result = global_shap(v, int(rows or 1000))
    st.caption(f"Method: {result.method}. Values are in units of {result.output}.")
    importance = shapley.mean_abs_shap(result)
    left, right = st.columns(2)
    left.plotly_chart(
        charts.plot_importance(importance, title="Average effect (mean |SHAP|)"), width="stretch"
    )
    bees = shapley.beeswarm_frame(result, max_points=1000)
    right.plotly_chart(
        charts.plot_beeswarm(bees, title="Every track's SHAP, coloured by the feature's value"),
        width="stretch",
    )
    st.caption(
        f"Red bars: higher values raise valence; blue: lower it. The beeswarm shows "
        f"{min(result.n_explained, 1000):,} of {result.n_explained:,} explained tracks."
    )
    link_notice("why_feature", importance["feature"].tolist())
    feature = st.selectbox(
        "Dependence plot for",
        importance["feature"].tolist(),
        key="why_feature",
        bind="query-params",
    )
    frame, other = shapley.dependence_frame(result, feature)
    st.plotly_chart(
        charts.plot_dependence(frame, feature, other, title=f"How {feature} moves the prediction"),
        width="stretch",
    )
    st.caption(f"Colour: {other}, the feature that interacts most with {feature}." if other else "")
    if not v.catalog.genres:
        st.info("This dataset has no genre labels, so there are no per-genre drivers.")
        return
    level = "genre"
    if "subgenre" in v.df and v.df["subgenre"].notna().any():
        level = st.segmented_control(
            "Group by", ["genre", "subgenre"], default="genre", key="why_group", bind="query-params"
        )
    drivers = shapley.genre_drivers(result, v.df[level or "genre"])
    st.plotly_chart(
        charts.plot_genre_drivers(
            drivers, title=f"What drives valence within each {level or 'genre'} (mean SHAP)"
        ),
        width="stretch",
    )
    st.caption(
        "Red cells: in that group the feature pushes valence up on average; blue: down. "
        f"Based on the {result.n_explained:,} explained tracks."
    )


def track_tab(v: WhyView) -> None:
    """One searched track's prediction and its SHAP waterfall."""
    labels = track_labels(v.df)
    query = st.text_input("Search a track by name or artist", key="why_search", bind="query-params")
    hits = labels[labels.str.contains(query, case=False, regex=False)] if query else labels
    if hits.empty:
        st.info(
            f"No track matches “{escape_markdown(query)}”. Try part of the title or an "
            "artist's name."
        )
        return
    options = hits.index[:200].tolist()
    picked = st.selectbox(
        f"Track ({len(hits):,} match{'es' if len(hits) != 1 else ''}; first 200 listed)",
        options,
        format_func=lambda i: str(labels[i]),
        key="why_track",
        bind="query-params",
    )
    if picked is None:
        return
    one = shapley.shap_values(
        v.model, v.df.loc[[picked]], class_name=v.class_name, max_rows=1, background=v.df
    )
    a, b, c = st.columns(3)
    if v.model.is_classifier:
        proba = float(v.model.predict_proba(v.df.loc[[picked]])[v.class_name].iloc[0])
        a.metric(f"P({v.class_name})", f"{proba:.3f}", border=True)
        actual = v.df.at[picked, "genre"] if "genre" in v.df else None
        b.metric("Actual genre", str(actual) if pd.notna(actual) else "unknown", border=True)
    else:
        predicted = float(v.model.predict(v.df.loc[[picked]])[0])
        a.metric("Predicted valence", f"{predicted:.3f}", border=True)
        b.metric("Actual valence", f"{float(v.df.at[picked, 'valence']):.3f}", border=True)
    c.metric(f"Base value ({one.output})", f"{one.base_value:.3f}", border=True)
    st.plotly_chart(charts.plot_waterfall(one, 0, title=f"Why {labels[picked]}"), width="stretch")
    st.caption(f"Method: {one.method}. Red bars push valence up, blue down.")


def agreement_tab(v: WhyView) -> None:
    """Ranks of SHAP, OLS, permutation and impurity importance, and their summary."""
    if v.model.is_classifier:
        st.info("The agreement table compares valence measures: switch to the valence model.")
        return
    result = global_shap(v, int(st.session_state.get(keys.WHY_ROWS) or 1000))
    importance = shapley.mean_abs_shap(result)
    X, y, _ = inference.design(v.df, "audio")
    ols = ols_table(v, X, y)[0]
    perm = None if v.personal else precomputed(v.catalog, "permutation")
    with st.spinner("Permutation importance…"), QueueNote() as queued:
        perm = (
            perm
            if perm is not None
            else memo(
                v.catalog,
                "perm",
                v.model_key,
                lambda: agreement.permutation_importance(v.model, v.df, on_wait=queued),
                personal=v.personal,
            )
        )
    table = agreement.agreement_table(importance, ols, perm, agreement.impurity_importance(v.model))
    st.markdown(agreement.summarise(table, importance))
    st.dataframe(table.round(4), hide_index=True, width="stretch")
    st.caption(
        "Ranks: 1 = most important. OLS ranks by |standardised coefficient| (linear effects "
        "only); permutation = MAE increase when the feature is shuffled (2,000 tracks); "
        "impurity = the trees' own split gain (tree models only)."
    )


def whatif_tab(v: WhyView) -> None:
    """Sliders per input, live prediction, SHAP and neighbours (``ui.whatif``)."""
    render_whatif(v.catalog, v.model, v.model_key)


def interactions_tab(v: WhyView) -> None:
    """The SHAP interaction matrix and one pair's plot (``ui.interactions``)."""
    render_interactions(v.model, v.catalog, v.model_key, v.personal)


RENDERERS = (
    drivers_tab,
    track_tab,
    whatif_tab,
    interactions_tab,
    stats_tab,
    agreement_tab,
    recipe_tab,
)
