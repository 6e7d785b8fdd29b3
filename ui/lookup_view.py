"""Renderers of Track lookup results: one summary of notes, readable rows, search hits."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.schema import map_columns
from core.lookup.results import format_duration
from core.safety import escape_markdown

#: Text columns of the results table that read as blank (never "None") when unknown.
TEXT_COLUMNS = ("track_name", "artists", "album_name", "release_date", "genre", "meta_source")


def show_notes(messages: list[str]) -> None:
    """One warning that says how many notes there are, with the notes on demand."""
    if not messages:
        return
    first = escape_markdown(messages[0], max_chars=160)
    if len(messages) == 1:
        st.warning(first, icon=":material/info:")
        return
    st.warning(f"{len(messages)} notes about this lookup: {first} …", icon=":material/info:")
    with st.expander(f"All {len(messages)} notes"):
        for msg in messages:
            st.markdown(f"- {escape_markdown(msg, max_chars=600)}")


def readable(table: pd.DataFrame) -> pd.DataFrame:
    """A copy for display: unknown text is blank, a track without features says so."""
    out = table.copy()
    for col in TEXT_COLUMNS:
        if col in out:
            out[col] = out[col].astype(object).where(out[col].notna(), "")
    if "track_name" in out and "feature_source" in out:
        lost = out["feature_source"].eq("missing") & out["track_name"].eq("")
        out.loc[lost, "track_name"] = "(not found: no provider knows this id)"
    if "feature_source" in out:
        out["feature_source"] = out["feature_source"].replace({"missing": "not found"})
    if "duration_ms" in out:
        out["length"] = out["duration_ms"].map(format_duration)
    return out


def search_hits(hits: list[dict[str, Any]]) -> None:
    """The search results as a table: cover, title, artists, album, year, length."""
    frame = pd.DataFrame(hits)
    frame["length"] = frame.get("duration_ms", pd.Series(dtype=float)).map(format_duration)
    if "artists" in frame:
        frame["artists"] = frame["artists"].fillna("").str.replace(";", ", ")
    cols = ["image_url", "track_name", "artists", "album_name", "release_year", "length"]
    has_cover = "image_url" in frame and frame["image_url"].notna().any()
    cols = cols if has_cover else cols[1:]
    st.dataframe(
        frame[[c for c in cols if c in frame]],
        hide_index=True,
        width="stretch",
        column_config={
            "image_url": st.column_config.ImageColumn("cover", width="small"),
            "track_name": "title",
            "album_name": "album",
            "release_year": st.column_config.NumberColumn("year", format="%d"),
        },
    )


def user_genres(upload: Any) -> pd.Series | None:
    """The user's own genre column (Exportify's ``Genres``…), if the uploaded file has one."""
    frame = getattr(upload, "frame", None)
    if frame is None:
        return None
    column = map_columns([str(c) for c in frame.columns]).get("genre")
    return None if column is None else frame[column]
