"""Explore: what does the data look like."""

from __future__ import annotations

import streamlit as st

from core.catalog.backend import SPEARMAN_SAMPLE, Filters
from core.charts import explore as charts
from core.charts import genre_colors
from ui import explore_cache as xc
from ui.catalog import require_catalog

SCATTER_CAP = 20_000
BOX_CAP = 30_000

catalog = require_catalog()
backend = xc.explore_backend(catalog)
key = f"{catalog.source_id}:{catalog.checksum[:12]}"
st.title("Explore")
st.caption(xc.page_caption(catalog))

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
    if xc.ask(key, backend, "value_range", "popularity") is not None:
        pop_range = cols[1].slider(
            "Popularity", 0, 100, (0, 100), key="exp_pop", bind="query-params"
        )
        pop_range = None if pop_range == (0, 100) else pop_range
    if (years := xc.ask(key, backend, "value_range", "release_year")) is not None:
        y_lo, y_hi = int(years[0]), int(years[1])
        year_range = cols[2].slider(
            "Release year", y_lo, y_hi, (y_lo, y_hi), key="exp_years", bind="query-params"
        )
        year_range = None if year_range == (y_lo, y_hi) else year_range

flt = Filters(tuple(sorted(chosen)), pop_range, year_range)
stats = xc.ask(key, backend, "kpis", flt)
if stats["tracks"] == 0:
    st.warning(
        "No track matches these filters. Widen the popularity or year range, or clear genres."
    )
    st.stop()

k = st.columns(4)
k[0].metric("Tracks", f"{stats['tracks']:,}", border=True)
k[1].metric("Artists", xc.artists_label(stats), border=True)
k[2].metric("Genres", f"{stats['genres']:,}", border=True)
k[3].metric(
    "Mean valence",
    f"{stats['mean_valence']:.3f}",
    delta=f"{stats['mean_valence'] - xc.ask(key, backend, 'kpis', Filters())['mean_valence']:+.3f}"
    " vs all"
    if stats["tracks"] < catalog.n_tracks
    else None,
    border=True,
)

numeric = xc.ask(key, backend, "numeric_columns")
backend_columns = set(catalog.df.columns)
shown_genres = xc.ask(key, backend, "genres", flt)
has_genre = bool(shown_genres)
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
    sub = tuple(shown_genres[:15]) if group else None
    if kind == "Histogram":
        counts = xc.ask(key, backend, "histogram", flt, feature, sub)
        st.plotly_chart(charts.plot_histogram(counts, feature, colors), key="exp_hist")
    elif group:
        sample = xc.ask(key, backend, "sample", flt, BOX_CAP, ("genre", feature), sub)
        if len(sample) == BOX_CAP:
            st.caption(f"Drawn from a random sample of {BOX_CAP:,} tracks.")
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
    corr = xc.ask(key, backend, "correlation", flt, tuple(numeric), method)
    st.plotly_chart(charts.plot_correlation(corr, method), key="exp_corr_fig")
    top = corr["valence"].drop("valence").sort_values(key=abs, ascending=False).head(3)
    st.caption(
        "Strongest with valence: "
        + ", ".join(f"{name} ({val:+.2f})" for name, val in top.items())
        + ". Correlation is not cause: see *Why valence?* for models."
        + (f" Spearman: a random sample of {SPEARMAN_SAMPLE:,} tracks." if catalog.is_large else "")
    )


def _means_tab() -> None:
    if not has_genre or len(shown_genres) < 2:
        st.info("Genre means need at least two genres in the current selection.")
        return
    raw, z, order = xc.genre_means_tables(key, backend, flt, tuple(numeric))
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
        for f in [xc.ask(key, backend, "fit", flt, x, y, d)]
        if f
    ]
    hover = [c for c in ("track_name", "artists", "genre") if c in backend_columns]
    wanted = tuple(
        dict.fromkeys([x, y, *hover, *(c for c in (color, size) if c in backend_columns)])
    )
    sample = xc.ask(key, backend, "sample", flt, int(cap), wanted)
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
    shown = f"{len(sample):,} of {stats['tracks']:,} tracks shown" + (
        " (random sample)" if len(sample) < stats["tracks"] else ""
    )
    st.caption(f"{shown}. Fit lines use every filtered track.")


def _time_tab() -> None:
    if "release_year" not in numeric:
        st.info("This dataset has no release dates.")
        return
    period = (
        st.segmented_control("By", ["year", "decade"], default="decade", key="exp_period")
        or "decade"
    )
    trend = xc.ask(key, backend, "valence_by_period", flt, period)
    if trend.empty:
        st.info("Too few dated tracks in the selection (at least 5 per period are needed).")
        return
    st.plotly_chart(charts.plot_period_trend(trend, period), key="exp_trend_fig")
    st.caption(
        "Periods with fewer than 5 tracks are left out; the band is a 95% confidence interval."
    )


def _table_tab() -> None:
    xc.render_table(catalog, backend, flt, stats["tracks"])


for tab, render in zip(
    tabs, (_dist_tab, _corr_tab, _means_tab, _scatter_tab, _time_tab, _table_tab), strict=True
):
    if tab.open is not False:
        with tab:
            st.fragment(render)()
