"""One cache for every page, with the public/personal rule in one place.

* **Public** results (derived from a public catalog with the shipped defaults) are the same for
  everybody: one copy per server process, shared by all sessions (``st.cache_resource``, so never
  mutate what you get back). Expensive public artefacts are also on disk, built once by
  ``core.warm`` and loaded through :mod:`ui.warm`.
* **Personal** results (from a user's upload, or from a model the user trained) live in that
  user's ``st.session_state`` only, in a small least-recently-used store
  (``PERSONAL_MAX_ENTRIES``), and never reach a shared cache or the disk.

Entries are keyed by the small parameters that produced them (name, source id, catalog checksum,
params), never by hashing a big frame.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

import streamlit as st

from core.catalog.data import Catalog

T = TypeVar("T")
SESSION_KEY = "personal_cache"
#: Results kept per session for uploads and personal models (least recently used go first).
PERSONAL_MAX_ENTRIES = 32
#: Results kept per server for public data.
SHARED_MAX_ENTRIES = 128


@st.cache_resource(max_entries=SHARED_MAX_ENTRIES, show_spinner=False)
def _shared(
    name: str, source_id: str, checksum: str, params: Hashable, _compute: Callable[[], Any]
) -> Any:
    return _compute()


def _personal_store() -> OrderedDict:
    store = st.session_state.get(SESSION_KEY)
    if not isinstance(store, OrderedDict):
        store = OrderedDict()
        st.session_state[SESSION_KEY] = store
    return store


def is_personal(catalog: Catalog, personal: bool = False) -> bool:
    """Whether results for ``catalog`` belong to this session only (an upload, or ``personal``)."""
    return personal or catalog.is_upload


def memo(
    catalog: Catalog,
    name: str,
    params: Hashable,
    compute: Callable[[], T],
    *,
    personal: bool = False,
) -> T:
    """``compute()`` once per (catalog, name, params): shared for public data, per session else.

    Parameters
    ----------
    catalog
        The catalog the result derives from; an upload makes the result personal.
    name
        What is computed (``"shap"``, ``"umap"``, ...), part of the key.
    params
        Everything else the result depends on (hashable: tuples, strings, numbers).
    compute
        Makes the result; called at most once per key while it stays cached.
    personal
        Force the per-session store (e.g. a model the user trained on public data).
    """
    if not is_personal(catalog, personal):
        return _shared(name, catalog.source_id, catalog.checksum, params, compute)
    store = _personal_store()
    key = (name, catalog.source_id, catalog.checksum, params)
    if key in store:
        store.move_to_end(key)
        return store[key]
    value = compute()
    store[key] = value
    while len(store) > PERSONAL_MAX_ENTRIES:
        store.popitem(last=False)
    return value


def has(catalog: Catalog, name: str, params: Hashable, *, personal: bool = False) -> bool:
    """Whether a personal result is already in this session's store (public: always False).

    Public results are cheap to look up through :func:`memo` once computed; this answers the
    question a page asks before deciding to show a progress bar for a personal computation.
    """
    if not is_personal(catalog, personal):
        return False
    return (name, catalog.source_id, catalog.checksum, params) in _personal_store()
