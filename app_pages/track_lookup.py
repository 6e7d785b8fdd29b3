"""Track lookup: what about *my* tracks? Search, paste links/ids, or upload a CSV of ids."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.charts.explain import plot_waterfall
from core.charts.lookup import plot_mood_map, plot_taste_drivers
from core.lookup.idupload import UploadError, max_bytes, max_rows, read_id_upload
from core.lookup.ratelimit import ProviderError
from core.lookup.results import (
    add_predictions,
    enriched_csv,
    explain_track,
    nearest_tracks,
    summarise,
)
from core.lookup.spotify import SpotifyClient
from core.lookup.taste import TasteError, fit_taste, taste_inputs
from core.lookup.trackids import parse_id_text
from core.safety import code_span, escape_markdown
from ui import lookup as ui
from ui.catalog import require_catalog
from ui.models import active_model

MODES = ["Search Spotify", "Paste links or IDs", "Upload a CSV"]

st.title("Track lookup")
st.caption(
    "Bring your own tracks: their audio features (each tagged with where it came from), the "
    "valence the model predicts, a genre guess, similar catalog tracks and an explanation."
)
catalog = require_catalog()
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
    st.text_input("Client id", key="look_client_id", type="password", autocomplete="off")
    st.text_input("Client secret", key="look_client_secret", type="password", autocomplete="off")
    st.caption("Typed credentials stay in this browser session only; they are never stored.")
state = ui.provider_state()
if not state.audio_features_allowed:
    st.caption(f":material/info: {escape_markdown(state.audio_features_reason, None)}")

st.caption(ui.budget_caption())
mode = st.segmented_control(
    "Bring tracks by", MODES, key="look_mode", default=MODES[1], bind="query-params"
)

if mode == MODES[0]:
    if creds is None:
        st.info("Search needs Spotify credentials (open *Spotify credentials* above).")
    else:
        query = st.text_input("Track or artist", key="look_query", max_chars=200)
        if st.button("Search", key="look_search_go") and query.strip():
            try:
                with st.spinner("Searching Spotify…"):
                    st.session_state["look_hits"] = SpotifyClient(creds).search(query)
            except ProviderError as exc:
                st.error(f"Search failed: {escape_markdown(exc, None)}")
        hits = st.session_state.get("look_hits") or []
        if hits:
            labels = {
                h["track_id"]: f"{h['track_name']} — {(h['artists'] or '').replace(';', ', ')}"
                for h in hits
            }
            picked = st.multiselect(
                "Pick tracks (at most 10 results per search)",
                list(labels),
                format_func=labels.get,
                key="look_pick",
            )
            if st.button("Look up the picked tracks", key="look_pick_go", disabled=not picked):
                ui.run_lookup(picked, catalog, label="search")
        elif "look_hits" in st.session_state:
            st.caption("No tracks found.")
elif mode == MODES[1]:
    text = st.text_area(
        "Spotify track IDs, spotify:track: URIs or open.spotify.com links (one per line or comma-separated)",
        key="look_ids",
        height=140,
    )
    if st.button("Look up", key="look_paste_go", type="primary"):
        parsed = parse_id_text(text, max_ids=max_rows())
        if parsed.invalid:
            shown = "; ".join(f"line {n}: {code_span(t)}" for n, t in parsed.invalid[:20])
            more = f" (and {len(parsed.invalid) - 20} more)" if len(parsed.invalid) > 20 else ""
            st.warning(f"Not track ids, skipped: {shown}{more}")
        if parsed.duplicates:
            st.caption(f"{parsed.duplicates} repeated id(s) looked up once.")
        if not parsed.ids:
            st.error(
                "No valid track ids found. Paste e.g. https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC"
            )
        else:
            ui.run_lookup(parsed.ids, catalog, label="pasted ids")
else:
    st.caption(
        f"A CSV with a track id / URI / link column (Exportify exports work as they are). "
        f"Limits: {max_rows():,} ids, {max_bytes() / 1e6:.0f} MB. Other columns are kept; a "
        "`rating` or `score` column unlocks a model of your taste."
    )
    file = st.file_uploader("CSV of track ids", type=["csv", "txt"], key="look_upload")
    if file is not None:
        parsed_key = (file.file_id, file.name, file.size)
        cached = st.session_state.get("look_upload_parsed")
        if cached is None or cached[0] != parsed_key:
            try:
                cached = (parsed_key, read_id_upload(file.getvalue(), file.name), None)
            except UploadError as exc:
                cached = (parsed_key, None, str(exc))
            st.session_state["look_upload_parsed"] = cached
        upload = cached[1]
        if cached[2]:
            st.error(escape_markdown(cached[2], None))
        if upload is not None:
            notes = [f"**{len(upload.ids):,}** track ids in column {code_span(upload.id_column)}"]
            for n, what in (
                (upload.duplicates, "repeated ids (looked up once)"),
                (upload.local_files, "local files without a Spotify id"),
                (upload.blank_rows, "empty / `undefined` rows"),
                (upload.truncated, f"ids beyond the {max_rows():,}-id limit (not looked up)"),
            ):
                if n:
                    notes.append(f"{n:,} {what}")
            if upload.features is not None:
                notes.append(
                    f"audio features already in the file for {len(upload.features):,} tracks (used as they are)"
                )
            st.markdown(" · ".join(notes))
            if upload.invalid:
                st.warning(
                    f"{len(upload.invalid):,} row(s) are not track ids: "
                    + "; ".join(f"line {n}: {code_span(v)}" for n, v in upload.invalid[:20])
                )
            if upload.ids and st.button(
                f"Look up {len(upload.ids):,} tracks", key="look_upload_go", type="primary"
            ):
                ui.run_lookup(upload.ids, catalog, label=file.name, upload=upload)
            elif not upload.ids:
                st.error("The file has no valid track ids to look up.")

result = st.session_state.get(ui.RESULT_KEY)
if not result:
    st.info("Look some tracks up to see their features, predicted valence and similar tracks.")
    st.stop()
if result["source_id"] != catalog.source_id:
    st.caption("These results were resolved against another dataset; catalog matches may differ.")
res = result["resolution"]
for msg in res.messages:
    st.warning(escape_markdown(msg, None))
counts = res.counts
st.markdown(
    f"**{len(res.table):,} tracks** ({escape_markdown(result['label'], 80)}). Audio features from: "
    + ", ".join(f"{k} {v:,}" for k, v in sorted(counts.items(), key=lambda kv: -kv[1]))
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
st.caption(
    f"Predictions by {'your Model lab model' if from_lab else 'the default XGBoost model'} ({valence_model.model_id})."
)

summary = summarise(table, catalog.df)
c1, c2, c3 = st.columns(3)
c1.metric("Tracks with features", f"{summary['n_resolved']:,} / {summary['n']:,}")
if summary["mean_valence"] is not None:
    c2.metric(
        "Mean valence (yours)",
        f"{summary['mean_valence']:.2f}",
        delta=f"{summary['mean_valence'] - summary['catalog_mean_valence']:+.2f} vs catalog",
    )
c3.metric("Catalog mean valence", f"{summary['catalog_mean_valence']:.2f}")

shown = table.copy()
shown["genre guess"] = [
    " · ".join(
        f"{g} {p:.0%}"
        for g, p in ((r.genre_1, r.genre_1_p), (r.genre_2, r.genre_2_p), (r.genre_3, r.genre_3_p))
        if isinstance(g, str)
    )
    for r in shown.itertuples()
]
cols = ["image_url", "track_name", "artists", "valence", "predicted_valence", "valence_diff", "genre guess", "genre",
        "feature_source", "danceability", "energy", "tempo", "acousticness", "filled", "album_name", "release_date", "meta_source", "track_id"]  # fmt: skip
has_covers = "image_url" in shown and shown["image_url"].notna().any()
cols = cols if has_covers else cols[1:]  # no empty cover column without Spotify metadata
st.dataframe(
    shown[[c for c in cols if c in shown]],
    hide_index=True,
    width="stretch",
    column_config={
        "image_url": st.column_config.ImageColumn("cover", width="small"),
        "valence": st.column_config.NumberColumn("valence (measured)", format="%.2f"),
        "predicted_valence": st.column_config.NumberColumn("predicted", format="%.2f"),
        "valence_diff": st.column_config.NumberColumn("pred − measured", format="%+.2f"),
        "feature_source": st.column_config.TextColumn("features from"),
        "genre": st.column_config.TextColumn("catalog genre"),
        "filled": st.column_config.TextColumn("filled with catalog median"),
    },
)
st.download_button(
    "Download the enriched CSV",
    enriched_csv(table, getattr(result["upload"], "frame", None)),
    file_name="valence_lab_lookup.csv",
    mime="text/csv",
    key="look_download",
    icon=":material/download:",
)
h1, h2 = st.columns(2)
h1.markdown("**Happiest**")
h1.dataframe(summary["happiest"], hide_index=True, width="stretch")
h2.markdown("**Saddest**")
h2.dataframe(summary["saddest"], hide_index=True, width="stretch")
st.plotly_chart(plot_mood_map(catalog.df, table), width="stretch", key="look_mood_map")

st.subheader("One track up close")
ok = table[table["feature_source"].ne("missing")]
if ok.empty:
    st.info("No track has audio features, so there is nothing to explain.")
else:
    labels = {
        i: f"{r.track_name if isinstance(r.track_name, str) else r.track_id} — {r.artists if isinstance(r.artists, str) else '?'}"
        for i, r in ok.iterrows()
    }
    pick = st.selectbox("Track", list(labels), format_func=labels.get, key="look_track")
    row = ok.loc[[pick]]
    left, right = st.columns(2)
    with left:
        try:
            shap_row = explain_track(valence_model, row, catalog.df)
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
        index = ui.neighbour_index(catalog.source_id, catalog.checksum, catalog.df)
        st.dataframe(
            nearest_tracks(index, catalog.df, row.iloc[0]), hide_index=True, width="stretch"
        )

upload = result["upload"]
if upload is not None and upload.rating_column:
    st.subheader("Your taste")
    st.caption(
        f"Column {code_span(upload.rating_column)} looks like your ratings: a small model can "
        "learn what you like."
    )
    if st.button("Train a model of my taste", key="look_taste_go"):
        ratings = pd.to_numeric(
            upload.frame.set_index("track_id")[upload.rating_column], errors="coerce"
        )
        X, y, n_spotify = taste_inputs(table, ratings)
        try:
            st.session_state[ui.TASTE_KEY] = (fit_taste(X, y), n_spotify)
        except TasteError as exc:
            st.session_state[ui.TASTE_KEY] = (str(exc), n_spotify)
    taste = st.session_state.get(ui.TASTE_KEY)
    if taste is not None:
        fit, n_spotify = taste
        if n_spotify:
            st.caption(
                f"{n_spotify} track(s) with features from Spotify's API were left out (its policy forbids training on them)."
            )
        if isinstance(fit, str):
            st.info(escape_markdown(fit, None))
        else:
            t1, t2, t3 = st.columns(3)
            t1.metric("MAE (5-fold × 3)", f"{fit.mae_mean:.2f} ± {fit.mae_std:.2f}")
            t2.metric("Guessing your mean rating", f"{fit.baseline_mae:.2f}")
            t3.metric("R²", f"{fit.r2_mean:.2f} ± {fit.r2_std:.2f}")
            st.plotly_chart(
                plot_taste_drivers(fit.importance), width="stretch", key="look_taste_chart"
            )
