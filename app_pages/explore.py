"""Explore: what does the data look like."""

from __future__ import annotations

import streamlit as st

from core.catalog import explore
from core.charts import genre_colors
from ui.catalog import require_catalog
from ui.explore_cache import filtered_view
from ui.explore_views import RENDERERS, TABS, ExploreView

catalog = require_catalog()
df = catalog.df
key = f"{catalog.source_id}:{catalog.checksum[:12]}"
st.title("Explore")
st.caption(f"{catalog.title} · {len(df):,} tracks after cleaning (see the sidebar's report).")

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

tabs = st.tabs(TABS, key="exp_tab", bind="query-params")


explore_view = ExploreView(catalog, view, view_key, genre_colors(genres_all))
for tab, render in zip(tabs, RENDERERS, strict=True):
    if tab.open is not False:
        with tab:
            st.fragment(render)(explore_view)
