"""Explore's data access: one backend per catalog, and a cache of its answers.

The backend is pandas in memory or DuckDB out-of-core; answers are cached by the dataset key,
the question and the filters.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st

from core.catalog import explore
from core.catalog.backend import DuckDBBackend, ExploreBackend, Filters, PandasBackend
from core.catalog.data import Catalog
from core.safety import csv_bytes, escape_markdown
from ui import keys
from ui.widgets import keep

TABLE_EAGER_ROWS = 5_000
TABLE_PAGE_ROWS = 1_000
DOWNLOAD_CAP = 200_000  # rows an out-of-core catalog's CSV download holds


@st.cache_resource(show_spinner=False, max_entries=4)
def _duckdb_backend(parquet: str) -> DuckDBBackend:
    """One DuckDB connection per public Parquet catalog, shared by the server's sessions."""
    return DuckDBBackend(Path(parquet))


def explore_backend(catalog: Catalog) -> ExploreBackend:
    """DuckDB over the Parquet for an out-of-core catalog, the in-memory frame otherwise."""
    if catalog.is_large:
        return _duckdb_backend(str(catalog.parquet))
    return PandasBackend(catalog.df)


@st.cache_data(max_entries=256, show_spinner=False)
def _ask(key: str, _backend: ExploreBackend, question: str, *args: Any) -> Any:
    return getattr(_backend, question)(*args)


def ask(key: str, backend: ExploreBackend, question: str, *args: Any) -> Any:
    """``backend.<question>(*args)`` for the dataset ``key``, cached (the backend is not hashed).

    A query the out-of-core catalog cannot answer (its Parquet gone or damaged) stops the page
    with a message instead of a traceback.
    """
    try:
        return _ask(key, backend, question, *args)
    except Exception as exc:
        if not type(exc).__module__.startswith(("duckdb", "_duckdb")):
            raise
        st.error(
            "The out-of-core catalog could not be queried. Reload the page; if this persists, "
            "clear the cache folder so the catalog is rebuilt."
        )
        st.stop()


@st.cache_data(max_entries=32, show_spinner=False)
def genre_means_tables(
    key: str, _backend: ExploreBackend, f: Filters, features: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Genre means of the filtered rows, z-scores and similarity order.

    Returns the raw means, their z-scores across genres, and the genres ordered so similar ones
    sit together.
    """
    raw = _backend.genre_means(f, features)
    z = explore.zscore_columns(raw[list(features)])
    return raw, z, explore.order_by_similarity(z)


def page_caption(catalog: Catalog) -> str:
    """The line under Explore's title: source, size and which engine answers."""
    text = (
        f"{escape_markdown(catalog.title)} · {catalog.n_tracks:,} tracks after cleaning "
        "(see the sidebar's report)."
    )
    if catalog.is_large:
        text += " Out-of-core: aggregates are computed by DuckDB over every track."
    return text


def artists_label(stats: dict[str, Any]) -> str:
    """The Artists KPI (≈ when the backend estimates distinct artists)."""
    return f"{'≈' if stats.get('artists_estimated') else ''}{stats['artists']:,}"


def render_table(catalog: Catalog, backend: ExploreBackend, f: Filters, n: int) -> None:
    """The filtered rows and a CSV download (paged and capped for out-of-core catalogs)."""
    stem = f"valence-lab-{catalog.source_id.replace(':', '-')}-filtered"
    if isinstance(backend, PandasBackend):
        view = backend.view(f)
        st.dataframe(
            view, width="stretch", hide_index=True, height=420, lazy=len(view) > TABLE_EAGER_ROWS
        )
        rows, label = view, f"Download {n:,} tracks as CSV"
    else:
        pages = max(1, -(-n // TABLE_PAGE_ROWS))
        keep(keys.EXP_TABLE_PAGE)  # through visits to the other tabs
        if st.session_state.get(keys.EXP_TABLE_PAGE, 1) > pages:  # a filter shortened the table
            st.session_state[keys.EXP_TABLE_PAGE] = pages
        page = st.number_input(f"Page (of {pages:,})", 1, pages, key=keys.EXP_TABLE_PAGE)
        offset = (int(page) - 1) * TABLE_PAGE_ROWS
        st.dataframe(
            backend.rows(f, offset, TABLE_PAGE_ROWS), width="stretch", hide_index=True, height=420
        )
        st.caption(f"Rows {offset + 1:,}–{min(offset + TABLE_PAGE_ROWS, n):,} of {n:,}.")
        rows = None
        label = f"Download {min(n, DOWNLOAD_CAP):,} of {n:,} tracks as CSV"
    st.download_button(
        label,
        data=lambda: csv_bytes(rows if rows is not None else backend.rows(f, 0, DOWNLOAD_CAP)),
        file_name=f"{stem}.csv",
        mime="text/csv",
        key="exp_download",
        icon=":material/download:",
    )
