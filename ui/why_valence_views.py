"""The "Why valence?" page's tabs: drivers, one track, statistics, agreement and the recipe.

The page picks the model and builds a :class:`WhyView`; each tab reads its widgets, takes the
precomputed defaults of a public dataset (:mod:`ui.warm`) or asks ``core.explain`` through the
one UI cache (:mod:`ui.cache`: shared for public data, per session for uploads and lab models),
and draws the result.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.catalog.explore import track_labels
from core.charts import explain as charts
from core.explain import agreement, inference, recipe, shapley
from core.modelling.models import TrainedModel
from core.safety import escape_markdown
from core.warm import SHAP_ROWS as STORED_ROWS
from ui import keys
from ui.cache import memo
from ui.interactions import render as render_interactions
from ui.progress import ProgressBar
from ui.warm import expected, precomputed
from ui.whatif import render as render_whatif
from ui.widgets import choose

SHAP_ROWS = (500, 1000, 2000, 5000)
CRITERIA = {"adj_r2": "adjusted R²", "aic": "AIC", "bic": "BIC"}
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
    with st.spinner(f"Computing SHAP values for {rows:,} tracks…"):
        return memo(
            v.catalog,
            "shap",
            (v.model_key, v.class_name, rows),
            lambda: shapley.shap_values(
                v.model, v.df, class_name=v.class_name, max_rows=rows, seed=0
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


def ols_table(v: WhyView, X: pd.DataFrame, y: pd.Series) -> tuple[pd.DataFrame, dict]:
    """OLS of valence on the audio features: precomputed for public data, else cached."""
    return precomputed(v.catalog, "ols") or memo(
        v.catalog, "ols", "audio", lambda: inference.ols_table(X, y)
    )


def stats_tab(v: WhyView) -> None:
    """OLS inference on the audio features and subset selection."""
    X, y, notes = inference.design(v.df, "audio")
    if len(X) <= X.shape[1] + 1:
        st.warning("Too few complete rows for OLS on these features.")
        return
    table, fit = ols_table(v, X, y)
    m = st.columns(4)
    m[0].metric("Tracks", f"{fit['n']:,}", border=True)
    m[1].metric("R²", f"{fit['r2']:.3f}", border=True)
    m[2].metric("Adjusted R²", f"{fit['adj_r2']:.3f}", border=True)
    m[3].metric("F-test p", inference.format_p(fit["f_pvalue"]), border=True)
    st.caption("OLS of valence on the audio features (statsmodels). " + "; ".join(notes))
    st.dataframe(inference.readable_table(table), hide_index=True, width="stretch")
    st.plotly_chart(
        charts.plot_coefficients(table, title="Standardised effects with 95 % intervals"),
        width="stretch",
    )
    crit = choose(
        st.segmented_control,
        "Selection criterion",
        CRITERIA,
        default="adj_r2",
        key="why_criterion",
        bind="query-params",
    )
    crit = crit or "adj_r2"
    sel = (precomputed(v.catalog, "selection") or {}).get(crit) or memo(
        v.catalog, "select", ("audio", crit), lambda: inference.select(X, y, crit)
    )
    st.markdown(
        f"**Best subset** by {CRITERIA[crit]}: searched all **{sel.n_fits:,} models** "
        f"({X.shape[1]} features) and kept {len(sel.best_subset)}. Forward stepwise kept "
        f"{len(sel.forward)}, backward stepwise {len(sel.backward)}."
    )
    st.dataframe(
        inference.kept_table(list(X.columns), table, sel), hide_index=True, width="stretch"
    )
    with st.expander("Best model of each size"):
        st.dataframe(sel.by_size.round(4), hide_index=True, width="stretch")


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
    with st.spinner("Permutation importance…"):
        perm = (
            perm
            if perm is not None
            else memo(
                v.catalog,
                "perm",
                v.model_key,
                lambda: agreement.permutation_importance(v.model, v.df),
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


def recipe_tab(v: WhyView) -> None:
    """The additive valence recipe: fit on demand, scores, shape functions, JSON."""
    st.markdown(
        "An additive formula, **valence ≈ b + Σ fᵢ(featureᵢ)**, one smooth curve per audio "
        "feature (cubic splines + ridge), scored on 5 folds grouped by artist against OLS and "
        "XGBoost on the same folds."
    )
    key = f"{v.catalog.source_id}:{v.catalog.checksum[:12]}:audio"
    store = st.session_state.setdefault(keys.WHY_RECIPES, {})
    report = store.get(key)
    if report is None and expected(v.catalog, "recipe"):
        report = precomputed(v.catalog, "recipe")
    if report is None:
        if not st.button("Fit the recipe (about a minute)", key="why_fit_recipe", type="primary"):
            return
        report = precomputed(v.catalog, "recipe")  # public data: built once for everybody
    if report is None:
        with st.status("Fitting the valence recipe…", expanded=True) as status:
            bar = ProgressBar(text="Starting…")
            report = memo(  # shared for public data: the next visitor gets it at once
                v.catalog,
                "recipe",
                "audio",
                lambda: recipe.evaluate(v.df, "audio", on_progress=bar),
            )
            status.update(label="Recipe fitted", state="complete", expanded=False)
        store[key] = report
    m = st.columns(4)
    m[0].metric("Recipe MAE", f"{report['recipe']['mae']:.4f}", border=True)
    m[1].metric("OLS MAE", f"{report['ols']['mae']:.4f}", border=True)
    bb = report["black_box"]
    m[2].metric("XGBoost MAE", f"{bb['mae']:.4f}" if bb else "n/a", border=True)
    kept = report["gain_kept"]
    m[3].metric("Gain kept", f"{kept:.0%}" if kept is not None else "n/a", border=True)
    st.caption(
        f"R²: recipe {report['recipe']['r2']:.3f}, OLS {report['ols']['r2']:.3f}"
        + (f", XGBoost {bb['r2']:.3f}" if bb else "")
        + f". Gain kept = share of XGBoost's MAE improvement over OLS that the recipe keeps; "
        f"{report['n_tracks']:,} tracks, {report['folds']} folds grouped by artist."
    )
    shapes = report["shape_functions"]
    st.plotly_chart(
        charts.plot_shape_functions(
            shapes["features"], title=f"The shape functions (b = {shapes['intercept']:.3f})"
        ),
        width="stretch",
    )
    inter = report.get("interaction")
    if inter:
        a, b = inter["features"]
        st.markdown(
            f"Adding the strongest pairwise interaction (**{a} × {b}**) changes MAE by "
            f"{inter['mae_change']:+.4f} (R² {inter['r2']:.3f}): the additive recipe already "
            "captures most of what a pair term adds."
            if abs(inter["mae_change"]) < 0.002
            else f"Adding the interaction **{a} × {b}** changes MAE by {inter['mae_change']:+.4f}."
        )
    st.download_button(
        "Download the recipe as JSON",
        data=json.dumps(report, indent=1),
        file_name="valence-recipe.json",
        mime="application/json",
        key="why_recipe_json",
        icon=":material/download:",
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
