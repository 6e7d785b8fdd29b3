"""Streamlit side of the Track lookup page: credentials, clients, progress, session state.

Credentials come from ``st.secrets["spotify"]``, ``SPOTIPY_CLIENT_ID/SECRET`` or the page's
masked inputs (kept in this user's session only). They are never logged, rendered, cached
globally or put in a URL. Lookup results are per user and live in ``st.session_state``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import streamlit as st

from core.catalog.data import Catalog
from core.lookup.reccobeats import ReccoBeatsClient
from core.lookup.resolve import ProviderState, Resolution, lookup_budget_s, resolve_tracks
from core.lookup.results import NeighbourIndex, fit_neighbours
from core.lookup.spotify import Credentials, SpotifyClient
from core.outbound import Budget, default_deadline
from core.safety import escape_markdown

log = logging.getLogger(__name__)

RESULT_KEY = "look_result"  # {"resolution", "upload", "label"}
STATE_KEY = "look_provider_state"
TASTE_KEY = "look_taste"


def secrets_credentials() -> Credentials | None:
    """Credentials from ``st.secrets["spotify"]``; None when there is no secrets file or entry."""
    try:
        section = st.secrets["spotify"]
        cid, secret = str(section["client_id"]).strip(), str(section["client_secret"]).strip()
    except (FileNotFoundError, KeyError, AttributeError, TypeError):
        return None
    return Credentials(cid, secret) if cid and secret else None


def current_credentials() -> tuple[Credentials | None, str]:
    """The credentials to use and where they came from (typed > secrets > environment)."""
    cid = str(st.session_state.get("look_client_id") or "").strip()
    secret = str(st.session_state.get("look_client_secret") or "").strip()
    if cid and secret:
        return Credentials(cid, secret), "typed in (this session only)"
    creds = secrets_credentials()
    if creds is not None:
        return creds, "the app's secrets"
    creds = Credentials.from_env()
    if creds is not None:
        return creds, "the server environment"
    return None, ""


def provider_state() -> ProviderState:
    """Return the session's provider state (e.g. whether audio-features answered 403)."""
    return st.session_state.setdefault(STATE_KEY, ProviderState())


@st.cache_resource(show_spinner="Indexing the catalog for similar tracks (once)…", max_entries=4)
def neighbour_index(source_id: str, checksum: str, _df: Any) -> NeighbourIndex:
    """The catalog's nearest-neighbour index, shared per (source, checksum)."""
    return fit_neighbours(_df)


def budget_caption(n_ids: int | None = None) -> str:
    """The time limits a lookup runs under, for the page."""
    total = f"{lookup_budget_s(n_ids):.0f} s" if n_ids else (
        f"{lookup_budget_s(0):.0f} s plus a little per track"
    )  # fmt: skip
    return (
        f"Time limits: each lookup stops after {total} in all, and each call to a provider "
        f"after {default_deadline():.0f} s; what was found by then is kept."
    )


class Progress:
    """A progress bar plus a line for provider waits, fed by core callbacks."""

    def __init__(self, budget: Budget | None = None) -> None:
        self.budget = budget
        self.bar = st.progress(0.0, text="Starting…")
        self.note = st.empty()
        self.waits: list[tuple[float, str]] = []

    def stage(self, stage: str, done: int, total: int) -> None:
        """``on_progress`` callback."""
        clock = (
            f" · {self.budget.elapsed:.0f} of {self.budget.seconds:.0f} s budget"
            if self.budget is not None
            else ""
        )
        self.bar.progress(
            min(1.0, done / max(total, 1)), text=f"{stage}: {done:,} / {total:,}{clock}"
        )

    def wait(self, seconds: float, message: str) -> None:
        """``on_wait`` callback."""
        self.waits.append((seconds, message))
        self.note.info(
            f"{escape_markdown(message)} (at {time.strftime('%H:%M:%S')})",
            icon=":material/hourglass:",
        )

    def done(self) -> None:
        """Clear the bar."""
        self.bar.empty()
        self.note.empty()


def run_lookup(
    ids: list[str],
    catalog: Catalog,
    *,
    label: str,
    upload: Any = None,
) -> Resolution:
    """Resolve ids with every available provider, showing progress; store the result."""
    creds, _ = current_credentials()
    budget = Budget(lookup_budget_s(len(ids)))
    progress = Progress(budget)
    spotify = SpotifyClient(creds, on_wait=progress.wait, budget=budget) if creds else None
    recco = ReccoBeatsClient(on_wait=progress.wait, budget=budget)
    upload_features = getattr(upload, "features", None)
    upload_meta = None
    if upload is not None:
        from core.lookup.idupload import upload_metadata

        upload_meta = upload_metadata(upload.frame)
    try:
        res = resolve_tracks(
            ids,
            catalog.df,
            upload_features=upload_features,
            upload_meta=upload_meta,
            spotify=spotify,
            reccobeats=recco,
            state=provider_state(),
            on_progress=progress.stage,
            budget=budget,
        )
    finally:
        progress.done()
    if progress.waits:
        total = sum(s for s, _ in progress.waits)
        res.messages.append(
            f"Waited {len(progress.waits)} time(s), {total:.1f} s in all, for providers "
            f"(last: {progress.waits[-1][1]})."
        )
    st.session_state[RESULT_KEY] = {
        "resolution": res,
        "upload": upload,
        "label": label,
        "source_id": catalog.source_id,
    }
    st.session_state.pop(TASTE_KEY, None)
    log.info("lookup of %d ids: %s", len(ids), res.counts)
    return res
