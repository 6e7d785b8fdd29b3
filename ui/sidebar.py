"""The shared sidebar: dataset choice (public sources or the user's upload) and its report."""

from __future__ import annotations

import logging

import streamlit as st

from core.catalog import data, sources
from core.catalog.data import Catalog, is_upload_id
from core.catalog.schema import PREDICTOR_COLUMNS as AUDIO_FEATURES
from core.safety import escape_markdown
from ui import keys
from ui.catalog import (
    STATE_KEY,
    UPLOAD_KEY,
    UPLOAD_PREFIX,
    current_catalog,
    dataset_options,
    ensure_default_source,
)

log = logging.getLogger(__name__)


def _handle_upload() -> None:
    """Turn a newly uploaded file into this session's working dataset (before the selectbox)."""
    upload = st.session_state.get(keys.UPLOAD_FILE)
    if upload is None or st.session_state.get(keys.UPLOAD_FILE_ID) == upload.file_id:
        return
    st.session_state[keys.UPLOAD_FILE_ID] = upload.file_id
    try:
        catalog = data.load_upload(upload.getvalue(), upload.name)
    except data.SchemaError as exc:
        st.session_state[keys.UPLOAD_ERROR] = str(exc)
        return
    st.session_state.pop(keys.UPLOAD_ERROR, None)
    st.session_state[UPLOAD_KEY] = catalog
    st.session_state[STATE_KEY] = catalog.source_id


def _sync_from_url(options: dict[str, str], default: str) -> None:
    """Take the dataset from the link on a session's first run (validated), else keep the state."""
    if keys.DATASET_URL_CHECKED not in st.session_state:
        st.session_state[keys.DATASET_URL_CHECKED] = True
        requested = st.query_params.get(STATE_KEY)
        if requested in options:
            st.session_state[STATE_KEY] = requested
        elif requested:
            st.session_state[keys.DATASET_URL_NOTICE] = (
                f"Dataset “{escape_markdown(requested, 60)}” from the link is not available "
                "here; using the default."
            )
    else:
        st.session_state.pop(keys.DATASET_URL_NOTICE, None)
    if st.session_state.get(STATE_KEY) not in options:
        st.session_state[STATE_KEY] = default


def _sync_to_url(source_id: str, default: str) -> None:
    """Mirror a public dataset id in the URL; an upload (user data) never goes there."""
    if source_id == default or is_upload_id(source_id):
        if STATE_KEY in st.query_params:
            del st.query_params[STATE_KEY]
    elif st.query_params.get(STATE_KEY) != source_id:
        st.query_params[STATE_KEY] = source_id


def describe_dataset(catalog: Catalog) -> str:
    """One line naming the dataset in use: what it is, where it lives, and its counts."""
    counts = f"{catalog.n_tracks:,} tracks · {catalog.n_artists:,} artists · " + (
        f"{len(catalog.genres)} genres" if catalog.genres else "no genre labels"
    )
    if catalog.is_upload:
        name = escape_markdown(catalog.source_id.removeprefix(UPLOAD_PREFIX))
        return f"Your upload **{name}** (this session only): {counts}"
    return f"**{escape_markdown(catalog.title)}**: {counts}"


def absent_features_note(catalog: Catalog) -> str | None:
    """Which audio features the dataset lacks (pages and models use the ones present)."""
    absent = list(getattr(catalog.report, "absent_features", []) or [])
    if not absent:
        return None
    return (
        f"Not in this file: {', '.join(absent)}. Pages and models use the "
        f"{sum(c in catalog.df for c in AUDIO_FEATURES)} audio features it has."
    )


def render_sidebar() -> None:
    """Draw the dataset picker, its counts, the cleaning report and the upload box."""
    _handle_upload()
    download_error = ensure_default_source()
    options = dataset_options()
    side = st.sidebar
    side.markdown("### Dataset")
    if not options:
        side.error(
            "No dataset is available: the default download failed and no local file was "
            f"found. {download_error or ''} Upload a CSV below."
        )
    else:
        default = (
            sources.DEFAULT_SOURCE if sources.DEFAULT_SOURCE in options else next(iter(options))
        )
        _sync_from_url(options, default)
        side.selectbox(
            "Working dataset",
            list(options),
            key=STATE_KEY,
            format_func=lambda sid: options.get(sid, sid),
            help="Shared by every page. Public datasets are cached for everybody; an upload "
            "stays in your session only.",
        )
        _sync_to_url(st.session_state[STATE_KEY], default)
        if st.session_state.get(keys.DATASET_URL_NOTICE):
            side.warning(st.session_state[keys.DATASET_URL_NOTICE])
        in_use = st.session_state[STATE_KEY]
        if download_error and sources.DEFAULT_SOURCE not in options and in_use == default:
            side.caption(
                f"The default {sources.SOURCES[sources.DEFAULT_SOURCE].title} could not be "
                f"fetched, so **{escape_markdown(options[default])}** is used instead."
            )
    catalog = current_catalog()
    if catalog is not None:
        side.caption(describe_dataset(catalog))
        absent = absent_features_note(catalog)
        if absent:
            side.caption(absent)
        if catalog.is_large:
            side.caption(
                f"Out-of-core catalog: Explore queries every track with DuckDB; models, SHAP, "
                f"maps and lookups use a random sample of {len(catalog.df):,} tracks."
            )
        with side.popover("Cleaning report", width="stretch"):
            st.dataframe(catalog.report.as_frame(), hide_index=True, width="stretch")
            if catalog.report.rescaled:
                st.caption("Rescaled from 0-100: " + ", ".join(catalog.report.rescaled))
            for note in catalog.report.notes:
                st.caption(escape_markdown(note, None))
    elif options:
        side.error(
            escape_markdown(
                st.session_state.get(keys.DATASET_ERROR, "The dataset could not be loaded."), None
            )
        )
    # The expander keeps its open state in the session (key + on_change): a rerun, an error or
    # a file refused by the browser for its size never folds it away and hides the message.
    if (
        st.session_state.get(keys.UPLOAD_ERROR)
        or st.session_state.get(keys.UPLOAD_FILE) is not None
    ):
        st.session_state[keys.UPLOAD_OPEN] = True
    with side.expander("Use your own CSV", key=keys.UPLOAD_OPEN, on_change="rerun"):
        st.file_uploader(
            "Tracks with audio features (Spotify Tracks, TidyTuesday, Kaggle, Exportify, …)",
            type=["csv", "tsv", "txt"],
            key=keys.UPLOAD_FILE,
            help=f"CSV, TSV or TXT up to {st.get_option('server.maxUploadSize')} MB; it stays "
            "in your session only.",
        )
        if st.session_state.get(keys.UPLOAD_ERROR):
            st.error(escape_markdown(st.session_state[keys.UPLOAD_ERROR], None))
    side.caption(
        "Valence is Spotify's undocumented 0-1 'musical positiveness' score. Data: public "
        "datasets only; models never train on API lookups."
    )
