"""The Track lookup page's results: the scored table, its CSV, the mood map, one track, taste.

``render_results`` scores a lookup (``st.session_state``, written by ``ui.lookup.run_lookup``)
with the active models and draws it; ``render_track_detail`` and ``render_taste`` follow it.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.catalog.schema import map_columns
from core.charts.explain import plot_waterfall
from core.charts.lookup import plot_mood_map, plot_taste_drivers
from core.lookup.idupload import IdUpload
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
from core.lookup.taste import TasteError, fit_taste, taste_inputs
from core.modelling.models import TrainedModel
from core.safety import code_span, escape_markdown
from ui import lookup as ui
from ui.models import active_model
from ui.progress import QueueNote
from ui.widgets import choose

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
        with QueueNote() as queued:
            table = add_predictions(res.table, valence_model, genre_model, on_wait=queued)
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


def user_genres(upload: Any) -> pd.Series | None:
    """The user's own genre column (Exportify's ``Genres``…), if the uploaded file has one."""
    frame = getattr(upload, "frame", None)
    if frame is None:
        return None
    column = map_columns([str(c) for c in frame.columns]).get("genre")
    return None if column is None else frame[column]
