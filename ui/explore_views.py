"""The Explore page's tabs: distributions, correlations, genre means, scatter, time, table.

The page applies the filters and builds an :class:`ExploreView`; each tab reads its widgets,
asks the catalog's Explore backend (pandas in memory, DuckDB out-of-core; answers cached by
``ui.explore_cache.ask``) and draws with ``core.charts.explore``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

import streamlit as st

from core.catalog import explore
from core.catalog.backend import SPEARMAN_SAMPLE, ExploreBackend, Filters
from core.catalog.data import Catalog
from core.charts import explore as charts
from ui.explore_cache import ask, genre_means_tables, render_table
from ui.profiles import render_genres

SCATTER_CAP = 20_000
BOX_CAP = 30_000
TABS = [
    "Distributions",
    "Correlations",
    "Genre means",
    "Genre profiles",
    "Scatter",
    "Over time",
    "Table",
]


@dataclass
class ExploreView:
    """The filtered tracks and what every tab needs to know about them."""

    catalog: Catalog
    backend: ExploreBackend  # answers every question about the filtered tracks
    key: str  # names the dataset (cache key)
    flt: Filters  # the filters the page applied
    stats: dict[str, Any]  # KPIs of the filtered tracks (``tracks`` = how many)
    colors: dict[str, str]  # genre -> colour, fixed over the whole catalog

    def ask(self, question: str, *args: Any) -> Any:
        """The backend's cached answer about the filtered tracks."""
        return ask(self.key, self.backend, question, self.flt, *args)

    @cached_property
    def numeric(self) -> list[str]:
        """Plottable numeric columns."""
        return ask(self.key, self.backend, "numeric_columns")

    @cached_property
    def shown_genres(self) -> list[str]:
        """Genres present in the filtered tracks, sorted."""
        return self.ask("genres")

    @cached_property
    def has_genre(self) -> bool:
        """Whether the filtered tracks have genre labels."""
        return bool(self.shown_genres)


def dist_tab(v: ExploreView) -> None:
    """Histogram, box or violin plot of one feature, by genre."""
    # a wrapping row, not columns: on a phone the chart choice moves under the feature
    # instead of being clipped at the right edge
    row = st.container(horizontal=True, wrap=True, vertical_alignment="bottom")
    feature = row.selectbox(
        "Feature",
        v.numeric,
        index=v.numeric.index("valence"),
        key="exp_dist_feature",
        bind="query-params",
        width=240,
    )
    kind = (
        row.segmented_control(
            "Chart",
            ["Histogram", "Box", "Violin"],
            default="Histogram",
            key="exp_dist_kind",
            bind="query-params",
            width="content",
        )
        or "Histogram"
    )
    group = "genre" if v.has_genre else None
    if v.has_genre and len(v.shown_genres) > 15:
        st.caption(
            f"{len(v.shown_genres)} genres: pick up to 15 in the genre filter for a readable chart."
        )
    sub = tuple(v.shown_genres[:15]) if group else None
    if kind == "Histogram":
        counts = v.ask("histogram", feature, sub)
        st.plotly_chart(charts.plot_histogram(counts, feature, v.colors), key="exp_hist")
    elif group:
        sample = v.ask("sample", BOX_CAP, ("genre", feature), sub)
        if len(sample) == BOX_CAP:
            st.caption(f"Drawn from a random sample of {BOX_CAP:,} tracks.")
        order = explore.genre_order(sample, feature)
        fig = charts.plot_box(sample, feature, "genre", order, v.colors, violin=kind == "Violin")
        st.plotly_chart(fig, key="exp_box")
    else:
        st.info("Box and violin plots compare genres; this dataset has no genre column.")


def corr_tab(v: ExploreView) -> None:
    """Correlation heatmap and the features most correlated with valence."""
    method = st.segmented_control(
        "Correlation",
        ["Pearson", "Spearman"],
        default="Pearson",
        key="exp_corr",
        bind="query-params",
    )
    method = (method or "Pearson").lower()
    corr = v.ask("correlation", tuple(v.numeric), method)
    st.plotly_chart(charts.plot_correlation(corr, method), key="exp_corr_fig")
    top = explore.strongest_correlations(corr, "valence", 3)
    st.caption(
        "Strongest with valence: "
        + ", ".join(f"{name} ({val:+.2f})" for name, val in top.items())
        + ". Correlation is not cause: see *Why valence?* for models."
        + (
            f" Spearman: a random sample of {SPEARMAN_SAMPLE:,} tracks."
            if v.catalog.is_large
            else ""
        )
    )


def means_tab(v: ExploreView) -> None:
    """Genre-means heatmap (z-scored across genres) and its table."""
    if not v.has_genre or len(v.shown_genres) < 2:
        st.info("Genre means need at least two genres in the current selection.")
        return
    raw, z, order = genre_means_tables(v.key, v.backend, v.flt, tuple(v.numeric))
    st.plotly_chart(charts.plot_genre_means(z.loc[order], raw), key="exp_means_fig")
    st.caption(
        "Each feature is z-scored across genres; genres are ordered so similar ones sit together."
    )
    st.dataframe(
        raw.loc[order].round(3),
        width="stretch",
        column_config={"tracks": st.column_config.NumberColumn(format="%d")},
    )


def scatter_tab(v: ExploreView) -> None:
    """Scatter explorer with colour, size and linear/quadratic fits."""
    c = st.columns(5)
    x = c[0].selectbox(
        "x", v.numeric, index=v.numeric.index("energy"), key="exp_x", bind="query-params"
    )
    y = c[1].selectbox(
        "y", v.numeric, index=v.numeric.index("valence"), key="exp_y", bind="query-params"
    )
    color_opts = ["(none)"] + (["genre"] if v.has_genre else []) + v.numeric
    color = c[2].selectbox(
        "Colour", color_opts, index=1 if v.has_genre else 0, key="exp_color", bind="query-params"
    )
    size = c[3].selectbox("Size", ["(none)", *v.numeric], key="exp_size", bind="query-params")
    cap = c[4].number_input(
        "Max points", 500, 100_000, SCATTER_CAP, step=500, key="exp_cap", bind="query-params"
    )
    fit_kinds = st.pills(
        "Fit lines",
        ["linear", "quadratic"],
        selection_mode="multi",
        default=["linear"],
        key="exp_fits",
        bind="query-params",
    )
    kinds = fit_kinds or []
    fits = [f for d, k in ((1, "linear"), (2, "quadratic")) if k in kinds
            for f in [v.ask("fit", x, y, d)] if f]  # fmt: skip
    present = set(v.catalog.df.columns)
    hover = [c for c in ("track_name", "artists", "genre") if c in present]
    wanted = tuple(dict.fromkeys([x, y, *hover, *(c for c in (color, size) if c in present)]))
    sample = v.ask("sample", int(cap), wanted)
    fig = charts.plot_scatter(
        sample,
        x,
        y,
        None if color == "(none)" else color,
        None if size == "(none)" else size,
        fits,
        v.colors,
        hover,
    )
    st.plotly_chart(fig, key="exp_scatter_fig")
    n = v.stats["tracks"]
    shown = f"{len(sample):,} of {n:,} tracks shown" + (
        " (random sample)" if len(sample) < n else ""
    )
    st.caption(f"{shown}. Fit lines use every filtered track.")


def time_tab(v: ExploreView) -> None:
    """Mean valence per release year or decade."""
    if "release_year" not in v.numeric:
        st.info("This dataset has no release dates.")
        return
    period = (
        st.segmented_control(
            "By", ["year", "decade"], default="decade", key="exp_period", bind="query-params"
        )
        or "decade"
    )
    trend = v.ask("valence_by_period", period)
    if trend.empty:
        st.info("Too few dated tracks in the selection (at least 5 per period are needed).")
        return
    st.plotly_chart(charts.plot_period_trend(trend, period), key="exp_trend_fig")
    st.caption(
        "Periods with fewer than 5 tracks are left out; the band is a 95% confidence interval."
    )


def table_tab(v: ExploreView) -> None:
    """The filtered tracks (paged when out-of-core) and their CSV download."""
    render_table(v.catalog, v.backend, v.flt, v.stats["tracks"])


def profiles_tab(v: ExploreView) -> None:
    """Two genres of the whole catalog, feature by feature (``ui.profiles``)."""
    render_genres(v.catalog)


RENDERERS = (dist_tab, corr_tab, means_tab, profiles_tab, scatter_tab, time_tab, table_tab)
