"""The Track lookup page's inputs: credentials and the three ways in (search, paste, upload).

Each ``render_*`` reads its widgets and resolves through ``ui.lookup.run_lookup``; the results
are drawn by ``ui.lookup_results_views``. Per-user state lives in ``st.session_state``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.lookup.idupload import IdUpload, UploadError, max_bytes, max_rows, read_id_upload
from core.lookup.ratelimit import ProviderError
from core.lookup.results import format_duration, unique_labels
from core.lookup.spotify import SpotifyClient
from core.lookup.trackids import parse_id_text
from core.safety import code_span, escape_markdown
from ui import keys
from ui import lookup as ui
from ui.widgets import choose

MODES = ["Search Spotify", "Paste links or IDs", "Upload a CSV"]
TYPED = ("look_query", "look_ids")  # what a visitor typed, kept while another mode is open
SHOWN_INVALID = 20


def render_credentials() -> None:
    """The credentials expander (typed ones stay in this session) and the provider status."""
    creds, origin = ui.current_credentials()
    with st.expander("Spotify credentials", icon=":material/key:", expanded=False):
        if creds is not None:
            st.success(f"Using Spotify credentials from {origin}.")
        else:
            st.info(
                "No Spotify credentials: lookups still work for catalog tracks, your upload's own "
                "features and ReccoBeats. Credentials add search, titles, artists, covers and "
                "release dates for any track."
            )
        st.text_input("Client id", key=keys.LOOK_CLIENT_ID, type="password", autocomplete="off")
        st.text_input(
            "Client secret", key=keys.LOOK_CLIENT_SECRET, type="password", autocomplete="off"
        )
        st.caption("Typed credentials stay in this browser session only; they are never stored.")
    state = ui.provider_state()
    if not state.audio_features_allowed:
        st.caption(f":material/info: {escape_markdown(state.audio_features_reason, None)}")


def render_search(catalog: Catalog) -> None:
    """Search Spotify (needs credentials), pick hits, look them up."""
    creds, _ = ui.current_credentials()
    if creds is None:
        st.info("Search needs Spotify credentials (open *Spotify credentials* above).")
        return
    query = st.text_input("Track or artist", key="look_query", max_chars=200)
    if st.button("Search", key="look_search_go") and query.strip():
        try:
            with st.spinner("Searching Spotify…"):
                st.session_state[keys.LOOK_HITS] = SpotifyClient(creds).search(query)
        except ProviderError as exc:
            st.error(f"Search failed: {escape_markdown(exc, None)}")
    hits = st.session_state.get(keys.LOOK_HITS) or []
    if hits:
        search_hits(hits)
        found = unique_labels(pd.DataFrame(hits)).values()
        labels = dict(zip([h["track_id"] for h in hits], found, strict=True))
        picked = choose(
            st.multiselect, "Pick tracks (at most 10 results per search)", labels, key="look_pick"
        )
        if st.button("Look up the picked tracks", key="look_pick_go", disabled=not picked):
            ui.run_lookup(picked, catalog, label="search")
    elif keys.LOOK_HITS in st.session_state:
        st.caption("No tracks found.")


def _invalid_lines(invalid: list[tuple[int, str]]) -> str:
    shown = "; ".join(f"line {n}: {code_span(t)}" for n, t in invalid[:SHOWN_INVALID])
    more = len(invalid) - SHOWN_INVALID
    return shown + (f" (and {more} more)" if more > 0 else "")


def render_paste(catalog: Catalog) -> None:
    """Pasted ids, URIs or links: parse, report what was skipped, look up."""
    text = st.text_area(
        "Spotify track IDs, spotify:track: URIs or open.spotify.com links (one per line or "
        "comma-separated)",
        key="look_ids",
        height=140,
    )
    if not st.button("Look up", key="look_paste_go", type="primary"):
        return
    parsed = parse_id_text(text, max_ids=max_rows())
    if parsed.invalid:
        st.warning(f"Not track ids, skipped: {_invalid_lines(parsed.invalid)}")
    if parsed.duplicates:
        st.caption(f"{parsed.duplicates} repeated id(s) looked up once.")
    if not parsed.ids:
        st.error(
            "No valid track ids found. Paste e.g. "
            "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
        )
    else:
        ui.run_lookup(parsed.ids, catalog, label="pasted ids")


def _parsed_upload(file: Any) -> tuple[IdUpload | None, str | None]:
    """The parsed upload, read once per file and kept in the session."""
    parsed_key = (file.file_id, file.name, file.size)
    cached = st.session_state.get(keys.LOOK_UPLOAD_PARSED)
    if cached is None or cached[0] != parsed_key:
        try:
            cached = (parsed_key, read_id_upload(file.getvalue(), file.name), None)
        except UploadError as exc:
            cached = (parsed_key, None, str(exc))
        st.session_state[keys.LOOK_UPLOAD_PARSED] = cached
    return cached[1], cached[2]


def render_upload(catalog: Catalog) -> None:
    """A CSV of ids: what it holds, what was dropped, look up."""
    st.caption(
        f"A CSV with a track id / URI / link column (Exportify exports work as they are). "
        f"Limits: {max_rows():,} ids, {max_bytes() / 1e6:.0f} MB. Other columns are kept; a "
        "`rating` or `score` column unlocks a model of your taste."
    )
    file = st.file_uploader("CSV of track ids", type=["csv", "txt"], key="look_upload")
    if file is None:
        return
    upload, error = _parsed_upload(file)
    if error:
        st.error(escape_markdown(error, None))
    if upload is None:
        return
    st.markdown(" · ".join(upload.notes(max_rows())))
    if upload.features is not None:
        st.toggle(
            "Use the catalog's values for tracks it has",
            key=keys.LOOK_PREFER_CATALOG,
            help="By default your file's own feature values win; the results say how many "
            "differ from the catalog's.",
        )
    if upload.invalid:
        st.warning(
            f"{len(upload.invalid):,} row(s) are not track ids: {_invalid_lines(upload.invalid)}"
        )
    if upload.ids and st.button(
        f"Look up {len(upload.ids):,} tracks", key="look_upload_go", type="primary"
    ):
        ui.run_lookup(
            upload.ids,
            catalog,
            label=file.name,
            upload=upload,
            prefer_upload=not st.session_state.get(keys.LOOK_PREFER_CATALOG),
        )
    elif not upload.ids:
        st.error("The file has no valid track ids to look up.")


INPUTS = {MODES[0]: render_search, MODES[1]: render_paste, MODES[2]: render_upload}


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
