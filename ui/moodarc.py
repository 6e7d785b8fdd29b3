"""The *Mood arc* section of Track lookup: the arc, the Added At timeline, and a Reorder.

Computation lives in ``core.lookup.moodarc``; figures in ``core.charts.moodarc``. Reorders are
per user and kept in ``st.session_state``; the CSV goes through ``core.safety.csv_bytes``
(``ui.widgets.csv_download``).
"""

from __future__ import annotations

import hashlib
from typing import Any

import pandas as pd
import streamlit as st

from core.charts.moodarc import plot_arc, plot_reorder, plot_timeline
from core.lookup import moodarc
from ui.widgets import choose, csv_download

CACHE_KEY = "arc_reorders"
MIN_TRACKS = 3


def _file_valence(upload: Any) -> pd.Series | None:
    features = getattr(upload, "features", None)
    if features is None or "valence" not in features:
        return None
    return pd.to_numeric(features["valence"], errors="coerce")


def _reorder(frame: pd.DataFrame, arc: str) -> moodarc.Reorder:
    """The reorder of this playlist into ``arc``, computed once per session."""
    digest = hashlib.sha1("|".join(frame["track_id"].astype(str)).encode()).hexdigest()
    key = (digest, tuple(frame["valence"].round(6).fillna(-1)), arc)
    store = st.session_state.setdefault(CACHE_KEY, {})
    if key not in store:
        if len(store) >= 8:
            store.clear()
        with st.spinner("Reordering…"):
            store[key] = moodarc.reorder(frame, arc)
    return store[key]


def render(table: pd.DataFrame, upload: Any = None) -> None:
    """Draw the Mood arc of the looked-up tracks (``table`` in playlist order)."""
    st.subheader("Mood arc")
    upload_frame = getattr(upload, "frame", None)
    frame = moodarc.arc_frame(table, upload_frame, _file_valence(upload))
    known = int(frame["valence"].notna().sum())
    if known < MIN_TRACKS:
        st.info(
            f"The mood arc needs at least {MIN_TRACKS} tracks with a valence (measured or "
            "predicted); look up more tracks."
        )
        return
    st.caption(
        "Valence in playlist order (your file's own values first, then the looked-up "
        "measurement, else the model's prediction, drawn hollow), its smoothed arc, and energy."
    )
    thirds = [part["valence"].mean() for part in _thirds(frame)]
    predicted = int(frame["valence_source"].eq("predicted").sum())
    m = st.columns(4)
    for col, name, value in zip(
        m, ("Opening third, mean valence", "Middle third", "Closing third"), thirds, strict=False
    ):
        col.metric(name, f"{value:.2f}" if pd.notna(value) else "n/a", border=True)
    m[3].metric("Valence predicted", f"{predicted:,} of {known:,}", border=True)
    st.plotly_chart(
        plot_arc(frame, moodarc.smooth(frame["valence"]), title="The mood arc of your playlist"),
        width="stretch",
        key="arc_chart",
    )
    months = moodarc.monthly(frame)
    if frame["added_at"].notna().sum() >= 2:
        st.plotly_chart(
            plot_timeline(frame, months, title="Mood over the months you added songs"),
            width="stretch",
            key="arc_timeline",
        )
    else:
        st.caption(
            "No *Added At* dates in these tracks (Exportify exports carry them), so there is no "
            "timeline of when songs were added."
        )

    st.markdown("**Reorder**")
    arc = choose(
        st.segmented_control,
        "Sort the playlist into",
        moodarc.ARCS,
        default="rising",
        key="arc_shape",
    )
    arc = arc or "rising"
    result = _reorder(frame, arc)
    after = frame.iloc[result.order].reset_index(drop=True)
    s = st.columns([1, 1, 2])
    s[0].metric("Mean jump now", f"{result.mean_step_before:.2f}", border=True)
    s[1].metric(
        "Mean jump after",
        f"{result.mean_step_after:.2f}",
        delta=f"{result.mean_step_after - result.mean_step_before:+.2f}",
        delta_color="inverse",
        border=True,
    )
    s[2].caption(
        "Jump = distance between consecutive tracks over standardised danceability, energy, "
        "loudness, speechiness, acousticness, instrumentalness, liveness, valence and tempo."
        + (
            f" {result.unplaced:,} track(s) without a valence stay at the end."
            if result.unplaced
            else ""
        )
    )
    left, right = st.columns([3, 2])
    left.plotly_chart(
        plot_reorder(frame, after, title=moodarc.ARCS[arc]), width="stretch", key="arc_reorder"
    )
    preview = after[["label", "valence", "valence_source", "energy"]].copy()
    preview.insert(0, "old position", after["position"])
    right.dataframe(preview, hide_index=True, width="stretch", height=360)
    export = moodarc.export_frame(frame, result.order, table, upload_frame)
    csv_download(
        "Download the reordered playlist (Exportify CSV)",
        export,
        f"playlist-{arc}.csv",
        key="arc_download",
        icon=":material/download:",
    )
    st.caption(
        ":material/info: Your Spotify playlists are not modified: the reorder is a file. "
        "Import it into a new playlist with any tool that reads Exportify CSVs."
    )


def _thirds(frame: pd.DataFrame) -> list[pd.DataFrame]:
    n = len(frame)
    cuts = [0, round(n / 3), round(2 * n / 3), n]
    return [frame.iloc[cuts[i] : cuts[i + 1]] for i in range(3)]
