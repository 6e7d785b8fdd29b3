"""Cached catalog loading and the current-dataset state shared by every page."""

from __future__ import annotations

import logging
import threading
import time

import streamlit as st

from core.catalog import data, sources
from core.catalog.data import Catalog
from core.safety import escape_markdown
from ui import keys
from ui.progress import ProgressBar

log = logging.getLogger(__name__)

STATE_KEY = keys.DATASET
UPLOAD_KEY = keys.UPLOAD_CATALOG
UPLOAD_PREFIX = data.UPLOAD_PREFIX
DOWNLOAD_RETRY_S = 600


@st.cache_resource(show_spinner="Loading the catalog…", max_entries=4)
def load_public_catalog(source_id: str) -> Catalog:
    """Public catalogs are the same for everybody: one shared copy per server (never mutate)."""
    return data.load_catalog(source_id, allow_download=False)


@st.cache_resource(show_spinner=False)
def _download_state() -> tuple[threading.Lock, dict[str, tuple[float, str]]]:
    """Server-wide: a lock so one download runs at a time, and recent failures by source id."""
    return threading.Lock(), {}


def ensure_default_source() -> str | None:
    """Download the default dataset when it is not on disk, with a progress bar in the sidebar.

    Returns the error text when the download failed (a failure is remembered for
    ``DOWNLOAD_RETRY_S`` so an offline server does not retry on every rerun).
    """
    src = sources.SOURCES[sources.DEFAULT_SOURCE]
    if sources.find_local_file(src) is not None:
        return None
    lock, failures = _download_state()
    failed = failures.get(src.id)
    if failed is not None and time.time() - failed[0] < DOWNLOAD_RETRY_S:
        return failed[1]
    bar = ProgressBar(
        st.sidebar, text=f"Downloading {src.title}…", title=f"Downloading {src.title}"
    )
    try:
        with lock:
            sources.resolve_source_file(src.id, allow_download=True, on_progress=bar)
    except sources.DownloadError as exc:
        log.warning("download of %s failed: %s", src.id, exc)
        failures[src.id] = (time.time(), str(exc))
        return str(exc)
    finally:
        bar.done()
    failures.pop(src.id, None)
    return None


def dataset_options() -> dict[str, str]:
    """Selectable datasets: id -> label (available public/local sources, then the upload)."""
    options = dict(sources.available_sources())
    upload = st.session_state.get(UPLOAD_KEY)
    if upload is not None:
        options[upload.source_id] = upload.title
    return options


def current_catalog() -> Catalog | None:
    """The catalog the sidebar has selected for this session, or None if none can be loaded."""
    source_id = st.session_state.get(STATE_KEY)
    if not source_id:
        return None
    if data.is_upload_id(source_id):
        upload = st.session_state.get(UPLOAD_KEY)
        return upload if upload is not None and upload.source_id == source_id else None
    try:
        catalog = load_public_catalog(source_id)
    except (sources.DownloadError, data.SchemaError, KeyError, OSError) as exc:
        st.session_state[keys.DATASET_ERROR] = str(exc)
        return None
    st.session_state.pop(keys.DATASET_ERROR, None)  # an earlier failure no longer applies
    return catalog


def require_catalog() -> Catalog:
    """The current catalog, or stop the page with a message saying how to get one."""
    catalog = current_catalog()
    if catalog is None:
        st.info(
            "No dataset is loaded. Choose one in the sidebar, or upload a CSV of tracks "
            "with Spotify audio features. "
            + escape_markdown(st.session_state.get(keys.DATASET_ERROR, ""), None)
        )
        st.stop()
    return catalog
