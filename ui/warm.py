"""Precomputed defaults in the app: one background warmer per server, waits with progress.

``start_background()`` (called by ``app.py`` on every run, effective once per process) queues
every public dataset on disk, the default first, for :class:`core.warm.Warmer` to precompute in a
background thread. Set ``VALENCE_LAB_WARM=off`` to skip that start-up build: parts are then
built the first time a page needs them, still once per server and stored on disk.

``precomputed(catalog, part)`` returns a part for a public catalog: at once from memory or disk,
or after waiting for the warmer with a progress bar, the step it is on and an estimate of the time
left. It returns None for uploads (personal: the page computes them in the session) and when
the part could not be built (the page then computes it itself, as before).
"""

from __future__ import annotations

import importlib
import logging
import os
import threading
import time
from typing import Any

import streamlit as st

from core import warm
from core.catalog import sources
from core.catalog.data import Catalog
from core.safety import escape_markdown
from ui.cache import memo

log = logging.getLogger(__name__)

ENV = "VALENCE_LAB_WARM"
#: Modules the pages need, imported in the background after start-up so that the first visitor
#: of each page does not wait for them: loading a stored model imports xgboost and skops, and
#: each page's views import what they use (Why valence?'s take ~0.2 s, mostly spotipy for the
#: what-if panel's track search; the other pages' ~0.1 s together). Every module a page imports
#: from ``ui`` or ``core`` is here or imported by one of these (a test checks).
PRELOAD = (
    "xgboost",
    "skops.io",
    "core.modelling.export",
    "core.explain.shapley",
    "core.explain.agreement",
    "core.charts.explain",
    "ui.explore_views",
    "ui.explore_cache",
    "core.catalog.backend",
    "core.modelling.tuning",
    "ui.models",
    "ui.why_valence_views",
    "ui.genre_map_views",
    "ui.lab",
    "ui.lab_inputs",
    "ui.lab_results",
    "ui.lab_compare",
    "ui.lookup_views",
    "ui.lookup_results_views",
    "ui.moodarc",
    "ui.profiles",
)
PRELOAD_DELAY_S = 2.0
POLL_S = 0.4
MAX_WAIT_S = 1800.0


class _NotStoredError(LookupError):
    """The part is not (or no longer) on disk; raised so the shared cache stores nothing."""


@st.cache_resource(show_spinner=False)
def warmer() -> warm.Warmer:
    """The server's one warmer (shared by every session; it only ever holds public data)."""
    return warm.Warmer()


def start_enabled() -> bool:
    """Whether the server precomputes public datasets at start-up (``VALENCE_LAB_WARM``)."""
    return os.environ.get(ENV, "on").strip().lower() not in ("0", "off", "false", "no")


@st.cache_resource(show_spinner=False)
def start_background() -> bool:
    """Queue every public dataset on disk (default first) once per process; False when off."""
    if not start_enabled():
        return False
    ids = list(sources.available_sources())
    ids.sort(key=lambda sid: sid != sources.DEFAULT_SOURCE)
    warmer().schedule(ids)
    threading.Thread(target=_preload, name="valence-preload", daemon=True).start()
    log.info("precomputing defaults of %s in the background", ", ".join(ids) or "nothing")
    return True


def _preload() -> None:
    time.sleep(PRELOAD_DELAY_S)  # after the first page has drawn
    for name in PRELOAD:
        try:
            importlib.import_module(name)
        except ImportError as exc:  # optional: the page imports (and reports) it when needed
            log.warning("could not preload %s: %s", name, exc)


def _load(catalog: Catalog, part: str) -> Any:
    value = warm.load(catalog, part)
    if value is None:
        raise _NotStoredError(part)
    return value


def describe(state: warm.PartState, title: str) -> str:
    """One line for a waiting visitor: what is being prepared, where it stands, time left."""
    left = f"about {max(state.remaining_s, 1):.0f} s left" if state.remaining_s else "almost done"
    if state.state == "building":
        if state.remaining_s is None and state.usual_s:
            left = f"longer than the usual {state.usual_s:.0f} s: the server is busy"
        step = escape_markdown(state.message) if state.message else "working"
        return (
            f"Precomputing {title} for everyone using this dataset (once per server): {step} "
            f"{state.elapsed_s:.0f} s so far, {left}."
        )
    ahead = f"{state.ahead} step{'s' if state.ahead != 1 else ''}"
    return (
        f"Precomputing {title} for everyone using this dataset (once per server): it starts "
        f"after {ahead} already under way; {left}."
    )


def wait_for(catalog: Catalog, part: str) -> bool:
    """Ask the warmer for ``part`` and show its progress until it is on disk; False if it failed."""
    w = warmer()
    title = warm.PARTS[part].title
    if not warm.is_ready(catalog, part):
        w.request(catalog, part)
    slot = st.empty()
    deadline = time.monotonic() + MAX_WAIT_S
    try:
        while time.monotonic() < deadline:
            state = w.state(catalog, part)
            if state.state == "ready":
                return True
            if state.state == "failed":
                log.warning("precomputing %s failed: %s", part, state.message)
                return False
            if state.state == "absent":
                w.request(catalog, part)
            slot.progress(min(max(state.fraction, 0.0), 1.0), text=describe(state, title))
            time.sleep(POLL_S)
        return False
    finally:
        slot.empty()


def precomputed(catalog: Catalog, part: str) -> Any | None:
    """The stored ``part`` of a public catalog (waiting with progress), else None (see module)."""
    if catalog.is_upload:
        return None
    for _ in range(2):  # a corrupt file is discarded by the load: wait for its rebuild once
        if not warm.is_ready(catalog, part) and not wait_for(catalog, part):
            return None
        try:
            return memo(catalog, f"warm:{part}", warm.version_key(), lambda: _load(catalog, part))
        except _NotStoredError:
            if warm.is_ready(catalog, part):  # on disk but not applicable to this catalog
                return None
    return None


def expected(catalog: Catalog, part: str) -> bool:
    """Whether ``part`` is on disk or being built unasked (start-up precomputing is on)."""
    return not catalog.is_upload and (warm.is_ready(catalog, part) or start_enabled())
