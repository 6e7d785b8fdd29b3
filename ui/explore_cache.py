"""Cached derived tables for the Explore page, keyed by the dataset key and filter values."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.catalog import explore


@st.cache_data(max_entries=32, show_spinner=False)
def filtered_view(
    key: str,
    _df: pd.DataFrame,
    genres: tuple[str, ...],
    popularity: tuple[int, int] | None,
    years: tuple[int, int] | None,
) -> pd.DataFrame:
    """Rows of the dataset ``key`` matching the filters (the frame itself is not hashed)."""
    mask = explore.filter_mask(_df, list(genres) or None, popularity, years)
    return _df[mask]


@st.cache_data(max_entries=32, show_spinner=False)
def genre_means_tables(
    view_key: str, _view: pd.DataFrame, genres: tuple[str, ...], features: tuple[str, ...]
) -> tuple[pd.DataFrame, pd.DataFrame, list[str]]:
    """Genre means of the filtered rows ``view_key`` names, z-scores and similarity order.

    Returns the raw means, their z-scores across genres, and the genres ordered so similar ones
    sit together.
    """
    raw = explore.genre_means(_view, list(features))
    z = explore.zscore_columns(raw[list(features)])
    return raw, z, explore.order_by_similarity(z)
