"""Genre profiles: two genres (or your tracks and a genre) feature by feature.

Also which catalog genre a playlist sounds like. Computation: ``core.catalog.profiles``.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.catalog import profiles
from core.catalog.data import Catalog
from core.charts.profiles import plot_effect_sizes
from core.safety import escape_markdown

YOURS = "your tracks"


def _comparison(left: pd.DataFrame, right: pd.DataFrame, a: str, b: str, key: str) -> None:
    table = profiles.compare_groups(left, right)
    if table.empty or table["cohens_d"].isna().all():
        st.info("Too few tracks on one side to compare (at least 2 with features each).")
        return
    st.plotly_chart(plot_effect_sizes(table, a, b), width="stretch", key=key)
    st.caption(
        f"{table['n_a'].max():,} vs {table['n_b'].max():,} tracks. Cohen's d = difference of "
        "means in pooled standard deviations (|d| < 0.2 negligible, < 0.5 small, < 0.8 medium, "
        "else large); bars show 95 % intervals."
    )
    st.dataframe(table.round(3), hide_index=True, width="stretch")


def render_genres(catalog: Catalog) -> None:
    """Pick two catalog genres and compare them feature by feature."""
    df = catalog.df
    genres = sorted(df["genre"].dropna().astype(str).unique()) if "genre" in df else []
    if len(genres) < 2:
        st.info("Genre profiles need a dataset with at least two genres.")
        return
    c = st.columns(2)
    # bound to the link: kept while another tab is open, and a shared view carries them
    a = c[0].selectbox("Genre", genres, index=0, key="prof_a", bind="query-params")
    b = c[1].selectbox("against", genres, index=1, key="prof_b", bind="query-params")
    if a == b:
        st.info("Pick two different genres.")
        return
    g = df["genre"].astype(str)
    _comparison(df[g == a], df[g == b], a, b, "prof_chart")


def render_playlist(catalog: Catalog, table: pd.DataFrame) -> None:
    """Your looked-up tracks against a catalog genre, and the genres they sound most like."""
    df = catalog.df
    mine = table[table["feature_source"].ne("missing")] if "feature_source" in table else table
    if "genre" not in df or df["genre"].dropna().nunique() < 2 or len(mine) < 2:
        st.caption("Genre profiles need two or more looked-up tracks and a catalog with genres.")
        return
    close = profiles.closest_genres(mine, df)
    if close.empty:
        st.caption("These tracks lack the features a genre profile needs.")
        return
    best = close.iloc[0]
    matching = profiles.compare_groups(mine, df[df["genre"].astype(str) == best["genre"]])
    alike, apart = profiles.evidence(matching)
    st.markdown(
        f"**Your tracks sound most like {escape_markdown(best['genre'])}**: their average "
        f"profile is {best['distance']:.2f} SD per feature from it, and it is the closest "
        f"genre for {best['votes']:.0%} of the tracks. Closest on {', '.join(alike)}; furthest "
        f"on {', '.join(apart)}."
    )
    st.dataframe(
        close.rename(
            columns={
                "distance": "distance (SD per feature)",
                "votes": "share of tracks closest",
                "n_genre": "catalog tracks",
            }
        ),
        hide_index=True,
        width="stretch",
    )
    genres = sorted(df["genre"].dropna().astype(str).unique())
    other = st.selectbox(
        "Compare your tracks with", genres, index=genres.index(best["genre"]), key="prof_mine"
    )
    _comparison(mine, df[df["genre"].astype(str) == other], YOURS, other, "prof_mine_chart")
