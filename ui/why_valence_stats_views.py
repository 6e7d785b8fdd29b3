"""The "Why valence?" page's Statistics and Recipe tabs: OLS, subset selection, the recipe.

Both take the precomputed results of a public dataset (:mod:`ui.warm`) or compute through
the one UI cache (:mod:`ui.cache`); ``ols_table`` is shared with the Agreement tab.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.charts import explain as charts
from core.explain import inference, recipe
from ui import keys
from ui.cache import memo
from ui.progress import ProgressBar
from ui.warm import expected, precomputed
from ui.widgets import choose

if TYPE_CHECKING:
    from ui.why_valence_views import WhyView


CRITERIA = {"adj_r2": "adjusted R²", "aic": "AIC", "bic": "BIC"}


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
