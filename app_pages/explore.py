"""Explore: what does the data look like."""

from __future__ import annotations

import streamlit as st

from core.catalog.backend import Filters
from core.charts import genre_colors
from ui import explore_cache as xc
from ui.catalog import require_catalog
from ui.explore_views import RENDERERS, TABS, ExploreView

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

tabs = st.tabs(TABS, key="exp_tab", bind="query-params")


explore_view = ExploreView(catalog, backend, key, flt, stats, genre_colors(genres_all))
for tab, render in zip(tabs, RENDERERS, strict=True):
    if tab.open is not False:
        with tab:
            st.fragment(render)(explore_view)
