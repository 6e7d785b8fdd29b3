"""The Explore page's tabs: distributions, correlations, genre means, scatter, time, table.

The page applies the filters and builds an :class:`ExploreView`; each tab reads its widgets,
asks ``core.catalog.explore`` and draws with ``core.charts.explore``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import pandas as pd
import streamlit as st

from core.catalog import explore
from core.catalog.data import Catalog
from core.catalog.sampling import sample_rows
from core.charts import explore as charts
from ui.explore_cache import genre_means_tables
from ui.profiles import render_genres

SCATTER_CAP = 20_000
BOX_CAP = 30_000
TABLE_EAGER_ROWS = 5_000
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
    view: pd.DataFrame  # the filtered tracks
    view_key: str  # names the filtered rows (cache key)
    colors: dict[str, str]  # genre -> colour, fixed over the whole catalog

    @cached_property
    def numeric(self) -> list[str]:
        """Numeric columns of the view."""
        return explore.numeric_columns(self.view)

    @cached_property
    def has_genre(self) -> bool:
        """Whether the view has genre labels."""
        return "genre" in self.view and self.view["genre"].notna().any()

    @cached_property
    def shown_genres(self) -> list[str]:
        """Genres present in the view, sorted."""
        return sorted(self.view["genre"].dropna().unique()) if self.has_genre else []


def dist_tab(v: ExploreView) -> None:
    """Histogram, box or violin plot of one feature, by genre."""
    c = st.columns([2, 2, 3])
    feature = c[0].selectbox(
        "Feature",
        v.numeric,
        index=v.numeric.index("valence"),
        key="exp_dist_feature",
        bind="query-params",
    )
    kind = (
        c[1].segmented_control(
            "Chart",
            ["Histogram", "Box", "Violin"],
            default="Histogram",
            key="exp_dist_kind",
            bind="query-params",
        )
        or "Histogram"
    )
    group = "genre" if v.has_genre else None
    if v.has_genre and len(v.shown_genres) > 15:
        c[2].caption(
            f"{len(v.shown_genres)} genres: pick up to 15 in the genre filter for a readable chart."
        )
    sub = v.view[v.view["genre"].isin(v.shown_genres[:15])] if group else v.view
    if kind == "Histogram":
        counts = explore.histogram_counts(sub, feature, group)
        st.plotly_chart(charts.plot_histogram(counts, feature, v.colors), key="exp_hist")
    elif group:
        sample = sample_rows(sub, BOX_CAP)
        if len(sample) < len(sub):
            st.caption(f"Drawn from a random sample of {BOX_CAP:,} of {len(sub):,} tracks.")
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
    corr = explore.correlation_matrix(v.view, v.numeric, method)
    st.plotly_chart(charts.plot_correlation(corr, method), key="exp_corr_fig")
    top = explore.strongest_correlations(corr, "valence", 3)
    st.caption(
        "Strongest with valence: "
        + ", ".join(f"{name} ({val:+.2f})" for name, val in top.items())
        + ". Correlation is not cause: see *Why valence?* for models."
    )


def means_tab(v: ExploreView) -> None:
    """Genre-means heatmap (z-scored across genres) and its table."""
    if not v.has_genre or len(v.shown_genres) < 2:
        st.info("Genre means need at least two genres in the current selection.")
        return
    raw, z, order = genre_means_tables(v.view_key, v.view, tuple(v.shown_genres), tuple(v.numeric))
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
    fits = explore.fit_lines(v.view, x, y, fit_kinds or [])
    sample = sample_rows(v.view, int(cap))
    hover = [c for c in ("track_name", "artists", "genre") if c in sample]
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
    shown = f"{len(sample):,} of {len(v.view):,} tracks shown" + (
        " (random sample)" if len(sample) < len(v.view) else ""
    )
    st.caption(f"{shown}. Fit lines use every filtered track.")


def time_tab(v: ExploreView) -> None:
    """Mean valence per release year or decade."""
    if "release_year" not in v.view or v.view["release_year"].isna().all():
        st.info("This dataset has no release dates.")
        return
    period = (
        st.segmented_control(
            "By", ["year", "decade"], default="decade", key="exp_period", bind="query-params"
        )
        or "decade"
    )
    trend = explore.valence_by_period(v.view, period)
    if trend.empty:
        st.info("Too few dated tracks in the selection (at least 5 per period are needed).")
        return
    st.plotly_chart(charts.plot_period_trend(trend, period), key="exp_trend_fig")
    st.caption(
        "Periods with fewer than 5 tracks are left out; the band is a 95% confidence interval."
    )


def table_tab(v: ExploreView) -> None:
    """The filtered tracks and their CSV download."""
    st.dataframe(
        v.view, width="stretch", hide_index=True, height=420, lazy=len(v.view) > TABLE_EAGER_ROWS
    )
    st.download_button(
        f"Download {len(v.view):,} tracks as CSV",
        data=lambda: v.view.to_csv(index=False).encode("utf-8"),
        file_name=f"valence-lab-{v.catalog.source_id.replace(':', '-')}-filtered.csv",
        mime="text/csv",
        key="exp_download",
        icon=":material/download:",
    )


def profiles_tab(v: ExploreView) -> None:
    """Two genres of the whole catalog, feature by feature (``ui.profiles``)."""
    render_genres(v.catalog)


RENDERERS = (dist_tab, corr_tab, means_tab, profiles_tab, scatter_tab, time_tab, table_tab)
