"""The Track lookup page's sections: credentials, the three ways in, results, one track, taste.

Each ``render_*`` reads its widgets, calls ``core.lookup`` (resolution runs through
``ui.lookup.run_lookup``) and draws; per-user results live in ``st.session_state``.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.catalog.schema import map_columns
from core.charts.explain import plot_waterfall
from core.charts.lookup import plot_mood_map, plot_taste_drivers
from core.lookup.idupload import IdUpload, UploadError, max_bytes, max_rows, read_id_upload
from core.lookup.ratelimit import ProviderError
from core.lookup.results import (
    add_predictions,
    enriched_csv,
    enriched_file_name,
    explain_track,
    format_duration,
    genre_guess,
    genre_vocabulary_note,
    nearest_tracks,
    summarise,
    unique_labels,
)
from core.lookup.spotify import SpotifyClient
from core.lookup.taste import TasteError, fit_taste, taste_inputs
from core.lookup.trackids import parse_id_text
from core.modelling.models import TrainedModel
from core.safety import code_span, escape_markdown
from ui import keys
from ui import lookup as ui
from ui.models import active_model
from ui.widgets import choose

MODES = ["Search Spotify", "Paste links or IDs", "Upload a CSV"]
SHOWN_INVALID = 20
# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
TABLE_COLUMNS = [
    "image_url", "track_name", "artists", "album_name", "release_date", "length", "valence",
    "predicted_valence", "valence_diff", "genre guess", "genre", "feature_source", "danceability",
    "energy", "tempo", "acousticness", "filled", "meta_source", "track_id",
]  # fmt: skip
COLUMN_CONFIG = {
    "image_url": st.column_config.ImageColumn("cover", width="small"),
    "valence": st.column_config.NumberColumn("valence (measured)", format="%.2f"),
    "predicted_valence": st.column_config.NumberColumn("predicted", format="%.2f"),
    "valence_diff": st.column_config.NumberColumn("pred − measured", format="%+.2f"),
    "feature_source": st.column_config.TextColumn("features from"),
    "genre": st.column_config.TextColumn("catalog genre"),
    "genre guess": st.column_config.TextColumn("nearest catalog genres"),
    "filled": st.column_config.TextColumn("filled with catalog median"),
}


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


def render_results(result: dict[str, Any], catalog: Catalog) -> tuple[pd.DataFrame, TrainedModel]:
    """Messages, predictions, the summary, the table, its CSV and the mood map.

    Returns the scored table and the valence model (stops the page when it cannot score).
    """
    if result["source_id"] != catalog.source_id:
        st.caption(
            "These results were resolved against another dataset; catalog matches may differ."
        )
    res = result["resolution"]
    show_notes(res.messages)
    ranked = sorted(res.counts.items(), key=lambda kv: -kv[1])
    st.markdown(
        f"**{len(res.table):,} tracks** ({escape_markdown(result['label'], 80)}). Audio features "
        "from: " + ", ".join(f"{k} {v:,}" for k, v in ranked)
    )
    if res.missing:
        with st.expander(f"{len(res.missing):,} track(s) without audio features"):
            st.code("\n".join(res.missing[:500]))
    valence_model, from_lab = active_model(catalog, "valence")
    genre_model = active_model(catalog, "genre")[0] if catalog.genres else None
    try:
        table = add_predictions(res.table, valence_model, genre_model)
    except (ValueError, KeyError) as exc:
        st.error(
            f"The current model cannot score these tracks ({escape_markdown(exc, None)}). Train "
            "another in the Model lab."
        )
        st.stop()
    who = "your Model lab model" if from_lab else "the default XGBoost model"
    st.caption(f"Predictions by {who} ({valence_model.model_id}).")
    summary = summarise(table, catalog.df)
    _render_kpis(summary)
    if genre_model is not None:
        note, _ = genre_vocabulary_note(list(genre_model.classes_), user_genres(result["upload"]))
        st.caption(note)
    _render_table(table, result)
    h1, h2 = st.columns(2)
    h1.markdown("**Happiest**")
    h1.dataframe(summary["happiest"], hide_index=True, width="stretch")
    h2.markdown("**Saddest**")
    h2.dataframe(summary["saddest"], hide_index=True, width="stretch")
    st.plotly_chart(plot_mood_map(catalog.df, table), width="stretch", key="look_mood_map")
    return table, valence_model


def _render_kpis(summary: dict[str, Any]) -> None:
    c1, c2, c3 = st.columns(3)
    c1.metric("Tracks with features", f"{summary['n_resolved']:,} / {summary['n']:,}")
    if summary["mean_valence"] is not None:
        c2.metric(
            "Mean valence (yours)",
            f"{summary['mean_valence']:.2f}",
            delta=f"{summary['mean_valence'] - summary['catalog_mean_valence']:+.2f} vs catalog",
        )
    c3.metric("Catalog mean valence", f"{summary['catalog_mean_valence']:.2f}")


def _render_table(table: pd.DataFrame, result: dict[str, Any]) -> None:
    shown = readable(table).assign(**{"genre guess": genre_guess(table)})
    has_covers = "image_url" in shown and shown["image_url"].notna().any()
    cols = TABLE_COLUMNS if has_covers else TABLE_COLUMNS[1:]  # no empty cover column
    st.dataframe(
        shown[[c for c in cols if c in shown]],
        hide_index=True,
        width="stretch",
        column_config=COLUMN_CONFIG,
    )
    st.download_button(
        "Download the enriched CSV",
        enriched_csv(table, getattr(result["upload"], "frame", None)),
        file_name=enriched_file_name(result["label"] if result["upload"] is not None else None),
        mime="text/csv",
        key="look_download",
        icon=":material/download:",
    )


def render_track_detail(table: pd.DataFrame, model: TrainedModel, catalog: Catalog) -> None:
    """One picked track: its SHAP waterfall and the five nearest catalog tracks."""
    st.subheader("One track up close")
    ok = table[table["feature_source"].ne("missing")]
    if ok.empty:
        st.info("No track has audio features, so there is nothing to explain.")
        return
    labels = unique_labels(ok)
    pick = choose(st.selectbox, "Track", labels, key="look_track")
    row = ok.loc[[pick]]
    left, right = st.columns(2)
    with left:
        try:
            shap_row = explain_track(model, row, catalog.df)
        except ValueError as exc:
            st.info(f"No explanation for this track: {escape_markdown(exc, None)}")
        else:
            st.plotly_chart(
                plot_waterfall(shap_row, 0, title="Why this predicted valence"),
                width="stretch",
                key="look_waterfall",
            )
            st.caption(f"SHAP: {shap_row.method}.")
    with right:
        st.markdown("**Sounds like** (5 nearest catalog tracks)")
        index = ui.neighbour_index(catalog)
        st.dataframe(
            nearest_tracks(index, catalog.df, row.iloc[0]), hide_index=True, width="stretch"
        )


def render_taste(upload: IdUpload | None, table: pd.DataFrame) -> None:
    """With a rating column: train and show a model of the user's taste."""
    ratings = upload.ratings() if upload is not None else None
    if ratings is None:
        return
    st.subheader("Your taste")
    st.caption(
        f"Column {code_span(upload.rating_column)} looks like your ratings: a small model can "
        "learn what you like."
    )
    if st.button("Train a model of my taste", key="look_taste_go"):
        X, y, n_spotify = taste_inputs(table, ratings)
        try:
            st.session_state[ui.TASTE_KEY] = (fit_taste(X, y), n_spotify)
        except TasteError as exc:
            st.session_state[ui.TASTE_KEY] = (str(exc), n_spotify)
    taste = st.session_state.get(ui.TASTE_KEY)
    if taste is None:
        return
    fit, n_spotify = taste
    if n_spotify:
        st.caption(
            f"{n_spotify} track(s) with features from Spotify's API were left out (its policy "
            "forbids training on them)."
        )
    if isinstance(fit, str):
        st.info(escape_markdown(fit, None))
        return
    t1, t2, t3 = st.columns(3)
    t1.metric("MAE (5-fold × 3)", f"{fit.mae_mean:.2f} ± {fit.mae_std:.2f}")
    t2.metric("Guessing your mean rating", f"{fit.baseline_mae:.2f}")
    t3.metric("R²", f"{fit.r2_mean:.2f} ± {fit.r2_std:.2f}")
    st.plotly_chart(plot_taste_drivers(fit.importance), width="stretch", key="look_taste_chart")


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
