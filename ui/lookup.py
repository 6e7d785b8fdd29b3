"""Streamlit side of the Track lookup page: credentials, clients, progress, session state.

Credentials come from ``st.secrets["spotify"]``, ``SPOTIPY_CLIENT_ID/SECRET`` or the page's
masked inputs (kept in this user's session only). They are never logged, rendered, cached
globally or put in a URL. Lookup results are per user and live in ``st.session_state``.
"""

from __future__ import annotations

import logging
from typing import Any

import streamlit as st

from core.catalog.data import Catalog
from core.lookup.reccobeats import ReccoBeatsClient
from core.lookup.resolve import ProviderState, Resolution, lookup_budget_s, resolve_tracks
from core.lookup.results import NeighbourIndex, fit_neighbours
from core.lookup.spotify import Credentials, SpotifyClient
from core.outbound import Budget, default_deadline
from core.progress import Progress
from ui import keys
from ui.cache import memo
from ui.progress import ProgressBar, QueueNote, describe

log = logging.getLogger(__name__)

RESULT_KEY = keys.LOOK_RESULT
STATE_KEY = keys.LOOK_PROVIDER_STATE
TASTE_KEY = keys.LOOK_TASTE


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
    cid = str(st.session_state.get(keys.LOOK_CLIENT_ID) or "").strip()
    secret = str(st.session_state.get(keys.LOOK_CLIENT_SECRET) or "").strip()
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


def neighbour_index(catalog: Catalog) -> NeighbourIndex:
    """The catalog's nearest-neighbour index: shared for public data, per session for uploads."""
    with st.spinner("Indexing the catalog for similar tracks (once)…"), QueueNote() as queued:
        return memo(catalog, "neighbours", None, lambda: fit_neighbours(catalog.df, on_wait=queued))


def budget_caption(n_ids: int | None = None) -> str:
    """The time limits a lookup runs under, for the page."""
    if n_ids:
        total = f"{lookup_budget_s(n_ids):.0f} s"
    else:
        total = f"{lookup_budget_s(0):.0f} s plus a little per track"
    return (
        f"Time limits: each lookup stops after {total} in all, and each call to a provider "
        f"after {default_deadline():.0f} s; what was found by then is kept."
    )


class BudgetBar(ProgressBar):
    """The lookup's progress bar, also showing how much of its time budget is used."""

    def __init__(self, budget: Budget) -> None:
        super().__init__()
        self.budget = budget

    def __call__(self, progress: Progress) -> None:
        """Show an update with the budget clock."""
        clock = f" · {self.budget.elapsed:.0f} of {self.budget.seconds:.0f} s budget"
        self.bar.progress(progress.fraction, text=describe(progress) + clock)


def run_lookup(
    ids: list[str],
    catalog: Catalog,
    *,
    label: str,
    upload: Any = None,
    prefer_upload: bool = True,
) -> Resolution:
    """Resolve ids with every available provider, showing progress; store the result."""
    creds, _ = current_credentials()
    budget = Budget(lookup_budget_s(len(ids)))
    progress = BudgetBar(budget)
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
            on_progress=progress,
            prefer_upload=prefer_upload,
            budget=budget,
        )
    finally:
        progress.done()
    waited = progress.wait_summary()
    if waited:
        res.messages.append(waited)
    st.session_state[RESULT_KEY] = {
        "resolution": res,
        "upload": upload,
        "label": label,
        "source_id": catalog.source_id,
    }
    st.session_state.pop(TASTE_KEY, None)
    log.info("lookup of %d ids: %s", len(ids), res.counts)
    return res
