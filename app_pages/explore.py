"""Explore: what does the data look like."""

from __future__ import annotations

import streamlit as st

from core.catalog import explore
from core.charts import explore as charts
from core.charts import genre_colors
from core.safety import csv_bytes, escape_markdown
from ui.catalog import require_catalog
from ui.explore_cache import filtered_view, genre_means_tables

SCATTER_CAP = 20_000
BOX_CAP = 30_000
TABLE_EAGER_ROWS = 5_000

catalog = require_catalog()
df = catalog.df
key = f"{catalog.source_id}:{catalog.checksum[:12]}"
st.title("Explore")
st.caption(
    f"{escape_markdown(catalog.title)} · {len(df):,} tracks after cleaning (see the sidebar's report)."
)

# ---- filters ---------------------------------------------------------------------------
genres_all = catalog.genres
with st.container(border=True):
    cols = st.columns([3, 2, 2])
    chosen = cols[0].multiselect(
        "Genres",
        genres_all,
        key="exp_genres",
        placeholder=f"All {len(genres_all)} genres",
        bind="query-params",
        disabled=not genres_all,
    )
    pop_range = year_range = None
    if "popularity" in df and df["popularity"].notna().any():
        pop_range = cols[1].slider(
            "Popularity", 0, 100, (0, 100), key="exp_pop", bind="query-params"
        )
        pop_range = None if pop_range == (0, 100) else pop_range
    if "release_year" in df and df["release_year"].notna().any():
        y_lo, y_hi = int(df["release_year"].min()), int(df["release_year"].max())
        year_range = cols[2].slider(
            "Release year", y_lo, y_hi, (y_lo, y_hi), key="exp_years", bind="query-params"
        )
        year_range = None if year_range == (y_lo, y_hi) else year_range

view = filtered_view(key, df, tuple(chosen), pop_range, year_range)
view_key = f"{key}|{sorted(chosen)}|{pop_range}|{year_range}"  # names the filtered rows
if view.empty:
    st.warning(
        "No track matches these filters. Widen the popularity or year range, or clear genres."
    )
    st.stop()

stats = explore.kpis(view)
k = st.columns(4)
k[0].metric("Tracks", f"{stats['tracks']:,}", border=True)
k[1].metric("Artists", f"{stats['artists']:,}", border=True)
k[2].metric("Genres", f"{stats['genres']:,}", border=True)
k[3].metric(
    "Mean valence",
    f"{stats['mean_valence']:.3f}",
    delta=f"{stats['mean_valence'] - df['valence'].mean():+.3f} vs all"
    if len(view) < len(df)
    else None,
    border=True,
)

numeric = explore.numeric_columns(view)
has_genre = "genre" in view and view["genre"].notna().any()
shown_genres = sorted(view["genre"].dropna().unique()) if has_genre else []
colors = genre_colors(genres_all)
tab_names = ["Distributions", "Correlations", "Genre means", "Scatter", "Over time", "Table"]
tabs = st.tabs(tab_names, key="exp_tab", bind="query-params")


def _dist_tab() -> None:
    c = st.columns([2, 2, 3])
    feature = c[0].selectbox(
        "Feature", numeric, index=numeric.index("valence"), key="exp_dist_feature"
    )
    kind = (
        c[1].segmented_control(
            "Chart", ["Histogram", "Box", "Violin"], default="Histogram", key="exp_dist_kind"
        )
        or "Histogram"
    )
    group = "genre" if has_genre else None
    if has_genre and len(shown_genres) > 15:
        c[2].caption(
            f"{len(shown_genres)} genres: pick up to 15 in the genre filter for a readable chart."
        )
    sub = view[view["genre"].isin(shown_genres[:15])] if group else view
    if kind == "Histogram":
        counts = explore.histogram_counts(sub, feature, group)
        st.plotly_chart(charts.plot_histogram(counts, feature, colors), key="exp_hist")
    elif group:
        sample = explore.sample_rows(sub, BOX_CAP)
        if len(sample) < len(sub):
            st.caption(f"Drawn from a random sample of {BOX_CAP:,} of {len(sub):,} tracks.")
        order = sorted(
            sample["genre"].unique(),
            key=lambda g: sample.loc[sample["genre"] == g, feature].median(),
        )
        fig = charts.plot_box(sample, feature, "genre", order, colors, violin=kind == "Violin")
        st.plotly_chart(fig, key="exp_box")
    else:
        st.info("Box and violin plots compare genres; this dataset has no genre column.")


def _corr_tab() -> None:
    method = st.segmented_control(
        "Correlation", ["Pearson", "Spearman"], default="Pearson", key="exp_corr"
    )
    method = (method or "Pearson").lower()
    corr = explore.correlation_matrix(view, numeric, method)
    st.plotly_chart(charts.plot_correlation(corr, method), key="exp_corr_fig")
    top = corr["valence"].drop("valence").sort_values(key=abs, ascending=False).head(3)
    st.caption(
        "Strongest with valence: "
        + ", ".join(f"{name} ({val:+.2f})" for name, val in top.items())
        + ". Correlation is not cause: see *Why valence?* for models."
    )


def _means_tab() -> None:
    if not has_genre or len(shown_genres) < 2:
        st.info("Genre means need at least two genres in the current selection.")
        return
    raw, z, order = genre_means_tables(view_key, view, tuple(shown_genres), tuple(numeric))
    st.plotly_chart(charts.plot_genre_means(z.loc[order], raw), key="exp_means_fig")
    st.caption(
        "Each feature is z-scored across genres; genres are ordered so similar ones sit together."
    )
    st.dataframe(
        raw.loc[order].round(3),
        width="stretch",
        column_config={"tracks": st.column_config.NumberColumn(format="%d")},
    )


def _scatter_tab() -> None:
    c = st.columns(5)
    x = c[0].selectbox("x", numeric, index=numeric.index("energy"), key="exp_x")
    y = c[1].selectbox("y", numeric, index=numeric.index("valence"), key="exp_y")
    color_opts = ["(none)"] + (["genre"] if has_genre else []) + numeric
    color = c[2].selectbox("Colour", color_opts, index=1 if has_genre else 0, key="exp_color")
    size = c[3].selectbox("Size", ["(none)", *numeric], key="exp_size")
    cap = c[4].number_input("Max points", 500, 100_000, SCATTER_CAP, step=500, key="exp_cap")
    fit_kinds = st.pills(
        "Fit lines",
        ["linear", "quadratic"],
        selection_mode="multi",
        default=["linear"],
        key="exp_fits",
    )
    fits = [
        f
        for d, name in ((1, "linear"), (2, "quadratic"))
        if name in (fit_kinds or [])
        for f in [explore.polynomial_fit(view[x], view[y], d)]
        if f
    ]
    sample = explore.sample_rows(view, int(cap))
    hover = [c for c in ("track_name", "artists", "genre") if c in sample]
    fig = charts.plot_scatter(
        sample,
        x,
        y,
        None if color == "(none)" else color,
        None if size == "(none)" else size,
        fits,
        colors,
        hover,
    )
    st.plotly_chart(fig, key="exp_scatter_fig")
    shown = f"{len(sample):,} of {len(view):,} tracks shown" + (
        " (random sample)" if len(sample) < len(view) else ""
    )
    st.caption(f"{shown}. Fit lines use every filtered track.")


def _time_tab() -> None:
    if "release_year" not in view or view["release_year"].isna().all():
        st.info("This dataset has no release dates.")
        return
    period = (
        st.segmented_control("By", ["year", "decade"], default="decade", key="exp_period")
        or "decade"
    )
    trend = explore.valence_by_period(view, period)
    if trend.empty:
        st.info("Too few dated tracks in the selection (at least 5 per period are needed).")
        return
    st.plotly_chart(charts.plot_period_trend(trend, period), key="exp_trend_fig")
    st.caption(
        "Periods with fewer than 5 tracks are left out; the band is a 95% confidence interval."
    )


def _table_tab() -> None:
    st.dataframe(
        view, width="stretch", hide_index=True, height=420, lazy=len(view) > TABLE_EAGER_ROWS
    )
    st.download_button(
        f"Download {len(view):,} tracks as CSV",
        data=lambda: csv_bytes(view),
        file_name=f"valence-lab-{catalog.source_id.replace(':', '-')}-filtered.csv",
        mime="text/csv",
        key="exp_download",
        icon=":material/download:",
    )


for tab, render in zip(
    tabs, (_dist_tab, _corr_tab, _means_tab, _scatter_tab, _time_tab, _table_tab), strict=True
):
    if tab.open is not False:
        with tab:
            st.fragment(render)()
