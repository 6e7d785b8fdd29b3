"""Why valence? SHAP drivers, one track's explanation, OLS inference, agreement, the recipe."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.charts import explain as charts
from core.explain import agreement, inference, recipe, shapley
from core.safety import escape_markdown
from ui.catalog import UPLOAD_PREFIX, require_catalog
from ui.models import active_model

SHAP_ROWS = (500, 1000, 2000, 5000)
CRITERIA = {"adj_r2": "adjusted R²", "aic": "AIC", "bic": "BIC"}


@st.cache_resource(max_entries=16, show_spinner=False)
def _shared(name: str, key: str, _compute: Callable[[], Any]) -> Any:
    """Results for public data and the default model: the same for everybody (read-only)."""
    return _compute()


def memo(name: str, key: str, compute: Callable[[], Any], *, personal: bool) -> Any:
    """Cache ``compute()`` under ``key``: per session for personal models/uploads, else shared."""
    if not personal:
        return _shared(name, key, compute)
    store = st.session_state.setdefault("why_cache", {})
    if (name, key) not in store:
        if len(store) > 24:
            store.clear()
        store[(name, key)] = compute()
    return store[(name, key)]


def track_labels(df: pd.DataFrame) -> pd.Series:
    """A readable label per track: name - artists, falling back to the id or row number."""
    if "track_name" in df and df["track_name"].notna().any():
        label = df["track_name"].astype("string").fillna("?")
        if "artists" in df:
            label = (
                label + " - " + df["artists"].astype("string").fillna("?").str.replace(";", ", ")
            )
        return label
    if "track_id" in df and df["track_id"].notna().any():
        return df["track_id"].astype("string").fillna("?")
    return pd.Series([f"row {i}" for i in range(len(df))], index=df.index, dtype="string")


catalog: Catalog = require_catalog()
df = catalog.df
st.title("Why valence?")
model, from_lab = active_model(catalog, "valence")
class_name: str | None = None
lab = st.session_state.get("lab_active_model")
if (
    lab is not None
    and lab.is_classifier
    and st.session_state.get("lab_active_source") == catalog.source_id
):
    target = st.segmented_control(
        "Explain",
        ["valence", lab.task],
        default="valence",
        format_func=lambda t: "the valence model" if t == "valence" else f"your {t} classifier",
        key="why_target",
    )
    if target == lab.task:
        model, from_lab = lab, True
        class_name = st.selectbox("Class to explain", lab.classes_, key="why_class")
data_key = f"{catalog.source_id}:{catalog.checksum[:12]}"
is_upload = catalog.source_id.startswith(UPLOAD_PREFIX)
personal = from_lab or is_upload
model_key = (
    f"{catalog.source_id}:{catalog.checksum[:12]}:{model.model_id}:{model.task}:"
    f"{model.feature_set}:{sorted(model.params.items())}:{id(model) if from_lab else 'default'}"
)
who = "the model you trained in the Model lab" if from_lab else "the default XGBoost model"
st.caption(
    f"Explaining {who} ({model.model_id}, {model.feature_set} features) on "
    f"{escape_markdown(catalog.title)}, "
    f"{len(df):,} tracks. Train another model in the Model lab and it is explained here."
)
if len(df) < 20 or "valence" not in df:
    st.warning("This dataset is too small to explain (fewer than 20 tracks with valence).")
    st.stop()

TABS = ["Drivers", "One track", "Statistics", "Agreement", "Recipe"]


def link_notice(name: str, allowed: list[Any]) -> None:
    """Say so when a shared link carries a value this page cannot use (Streamlit ignores it)."""
    value = st.query_params.get(name)
    if value is not None and value not in [str(a) for a in allowed]:
        st.warning(
            f"The link's {name}='{escape_markdown(value, 60)}' is not valid here, so the "
            "default is used."
        )


link_notice("why_tab", TABS)
link_notice("why_rows", list(SHAP_ROWS))
link_notice("why_criterion", list(CRITERIA))
tabs = st.tabs(
    TABS,
    key="why_tab",
    bind="query-params",
)


def global_shap(rows: int) -> shapley.ShapResult:
    """SHAP of ``rows`` sampled tracks for the current model (cached)."""
    with st.spinner(f"Computing SHAP values for {rows:,} tracks…"):
        return memo(
            "shap",
            f"{model_key}:{class_name}:{rows}",
            lambda: shapley.shap_values(model, df, class_name=class_name, max_rows=rows, seed=0),
            personal=personal,
        )


def _drivers_tab() -> None:
    rows = st.segmented_control(
        "Tracks explained", SHAP_ROWS, default=1000, key="why_rows", bind="query-params"
    )
    result = global_shap(int(rows or 1000))
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
    if not catalog.genres:
        st.info("This dataset has no genre labels, so there are no per-genre drivers.")
        return
    level = "genre"
    if "subgenre" in df and df["subgenre"].notna().any():
        level = st.segmented_control(
            "Group by", ["genre", "subgenre"], default="genre", key="why_group"
        )
    drivers = shapley.genre_drivers(result, df[level or "genre"])
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


def _track_tab() -> None:
    labels = track_labels(df)
    query = st.text_input("Search a track by name or artist", key="why_search")
    hits = labels[labels.str.contains(query, case=False, regex=False)] if query else labels
    if hits.empty:
        st.info(
            f"No track matches “{escape_markdown(query, 80)}”. Try part of the title or an "
            "artist's name."
        )
        return
    options = hits.index[:200].tolist()
    picked = st.selectbox(
        f"Track ({len(hits):,} match{'es' if len(hits) != 1 else ''}; first 200 listed)",
        options,
        format_func=lambda i: str(labels[i]),
        key="why_track",
    )
    if picked is None:
        return
    one = shapley.shap_values(
        model, df.loc[[picked]], class_name=class_name, max_rows=1, background=df
    )
    a, b, c = st.columns(3)
    if model.is_classifier:
        proba = float(model.predict_proba(df.loc[[picked]])[class_name].iloc[0])
        a.metric(f"P({class_name})", f"{proba:.3f}", border=True)
        actual = df.at[picked, "genre"] if "genre" in df else None
        b.metric("Actual genre", str(actual) if pd.notna(actual) else "unknown", border=True)
    else:
        predicted = float(model.predict(df.loc[[picked]])[0])
        a.metric("Predicted valence", f"{predicted:.3f}", border=True)
        b.metric("Actual valence", f"{float(df.at[picked, 'valence']):.3f}", border=True)
    c.metric(f"Base value ({one.output})", f"{one.base_value:.3f}", border=True)
    st.plotly_chart(charts.plot_waterfall(one, 0, title=f"Why {labels[picked]}"), width="stretch")
    st.caption(f"Method: {one.method}. Red bars push valence up, blue down.")


def _stats_tab() -> None:
    X, y, notes = inference.design(df, "audio")
    if len(X) <= X.shape[1] + 1:
        st.warning("Too few complete rows for OLS on these features.")
        return
    table, fit = memo("ols", data_key, lambda: inference.ols_table(X, y), personal=is_upload)
    m = st.columns(4)
    m[0].metric("Tracks", f"{fit['n']:,}", border=True)
    m[1].metric("R²", f"{fit['r2']:.3f}", border=True)
    m[2].metric("Adjusted R²", f"{fit['adj_r2']:.3f}", border=True)
    m[3].metric("F-test p", f"{fit['f_pvalue']:.2g}", border=True)
    st.caption("OLS of valence on the audio features (statsmodels). " + "; ".join(notes))
    st.dataframe(table.round(5), hide_index=True, width="stretch")
    st.plotly_chart(
        charts.plot_coefficients(table, title="Standardised effects with 95 % intervals"),
        width="stretch",
    )
    crit = st.segmented_control(
        "Selection criterion",
        list(CRITERIA),
        default="adj_r2",
        format_func=CRITERIA.get,
        key="why_criterion",
        bind="query-params",
    )
    crit = crit or "adj_r2"
    sel = memo(
        "select", f"{data_key}:{crit}", lambda: inference.select(X, y, crit), personal=is_upload
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


def _agreement_tab() -> None:
    if model.is_classifier:
        st.info("The agreement table compares valence measures: switch to the valence model.")
        return
    result = global_shap(int(st.session_state.get("why_rows") or 1000))
    importance = shapley.mean_abs_shap(result)
    X, y, _ = inference.design(df, "audio")
    ols = memo("ols", data_key, lambda: inference.ols_table(X, y), personal=is_upload)[0]
    with st.spinner("Permutation importance…"):
        perm = memo(
            "perm",
            model_key,
            lambda: agreement.permutation_importance(model, df),
            personal=personal,
        )
    table = agreement.agreement_table(importance, ols, perm, agreement.impurity_importance(model))
    st.markdown(agreement.summarise(table, importance))
    st.dataframe(table.round(4), hide_index=True, width="stretch")
    st.caption(
        "Ranks: 1 = most important. OLS ranks by |standardised coefficient| (linear effects "
        "only); permutation = MAE increase when the feature is shuffled (2,000 tracks); "
        "impurity = the trees' own split gain (tree models only)."
    )


def _recipe_tab() -> None:
    st.markdown(
        "An additive formula, **valence ≈ b + Σ fᵢ(featureᵢ)**, one smooth curve per audio "
        "feature (cubic splines + ridge), scored on 5 folds grouped by artist against OLS and "
        "XGBoost on the same folds."
    )
    key = f"{data_key}:audio"
    store = st.session_state.setdefault("why_recipes", {})
    report = store.get(key)
    if report is None:
        if not st.button("Fit the recipe (about a minute)", key="why_fit_recipe", type="primary"):
            return
        with st.status("Fitting the valence recipe…", expanded=True) as status:
            bar = st.progress(0.0)
            report = memo(  # shared for public data: the next visitor gets it at once
                "recipe",
                key,
                lambda: recipe.evaluate(df, "audio", on_progress=lambda f, m: bar.progress(f, m)),
                personal=is_upload,
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


for tab, render in zip(
    tabs, (_drivers_tab, _track_tab, _stats_tab, _agreement_tab, _recipe_tab), strict=True
):
    if tab.open is not False:
        with tab:
            st.fragment(render)()
