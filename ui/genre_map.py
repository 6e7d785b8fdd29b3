"""Caching for the Genre map page: shared caches for public catalogs, session memos for uploads.

Results are keyed by the small parameters that produced them (source id, catalog checksum,
features, sample size, model settings), never by hashing a big frame.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.genremap import clusters, projection
from core.safety import escape_markdown
from ui.catalog import UPLOAD_PREFIX

T = TypeVar("T")
SEED = 0
_SESSION_MEMO = "map_memo"
_SESSION_MEMO_MAX = 48


def is_upload(catalog: Catalog) -> bool:
    """Whether the catalog is this user's upload (kept out of shared caches)."""
    return catalog.source_id.startswith(UPLOAD_PREFIX)


@st.cache_data(max_entries=96, show_spinner=False)
def _shared(
    name: str, source_id: str, checksum: str, params: tuple, _compute: Callable[[], Any]
) -> Any:
    return _compute()


def memo(catalog: Catalog, name: str, params: tuple, compute: Callable[[], T]) -> T:
    """``compute()`` once per (catalog, name, params): shared for public data, per session else."""
    if not is_upload(catalog):
        return _shared(name, catalog.source_id, catalog.checksum, params, compute)
    store: dict = st.session_state.setdefault(_SESSION_MEMO, {})
    key = (name, catalog.checksum, params)
    if key not in store:
        if len(store) >= _SESSION_MEMO_MAX:
            store.clear()
        store[key] = compute()
    return store[key]


@st.cache_data(max_entries=32, show_spinner=False)
def _public_layout(
    source_id: str,
    checksum: str,
    features: tuple[str, ...],
    n_neighbors: int,
    min_dist: float,
    sample_size: int | None,
    seed: int,
    _catalog: Catalog,
) -> projection.UmapLayout:
    return projection.umap_layout(
        _catalog.df,
        features,
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        sample_size=sample_size,
        seed=seed,
        source_id=source_id,
        checksum=checksum,
    )


def layout_is_cached(
    catalog: Catalog,
    features: tuple[str, ...],
    n_neighbors: int,
    min_dist: float,
    sample: int | None,
) -> bool:
    """Whether a UMAP layout exists already (on disk for public data, in the session else)."""
    if is_upload(catalog):
        params = (features, n_neighbors, min_dist, sample, SEED)
        return ("umap", catalog.checksum, params) in st.session_state.get(_SESSION_MEMO, {})
    key = projection.umap_cache_key(
        catalog.source_id, catalog.checksum, features, n_neighbors, min_dist, sample, SEED
    )
    return projection.umap_cache_path(key).is_file()


def umap_layout(
    catalog: Catalog,
    features: tuple[str, ...],
    n_neighbors: int,
    min_dist: float,
    sample: int | None,
    on_progress: projection.Progress | None = None,
) -> projection.UmapLayout:
    """The UMAP layout: computed once with progress, then read from disk and memory caches."""
    if is_upload(catalog):
        return memo(
            catalog,
            "umap",
            (features, n_neighbors, min_dist, sample, SEED),
            lambda: projection.umap_layout(
                catalog.df,
                features,
                n_neighbors=n_neighbors,
                min_dist=min_dist,
                sample_size=sample,
                seed=SEED,
                on_progress=on_progress,
            ),
        )
    if not layout_is_cached(catalog, features, n_neighbors, min_dist, sample):
        projection.umap_layout(  # writes the disk cache, reporting progress
            catalog.df,
            features,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            sample_size=sample,
            seed=SEED,
            source_id=catalog.source_id,
            checksum=catalog.checksum,
            on_progress=on_progress,
        )
    return _public_layout(
        catalog.source_id,
        catalog.checksum,
        features,
        n_neighbors,
        min_dist,
        sample,
        SEED,
        catalog,
    )


def invalid_link_values(checks: dict[str, Callable[[str], bool]]) -> list[str]:
    """``key=value`` for each query parameter in ``checks`` whose value its check rejects.

    Bound widgets ignore such values and use their defaults; the page says so. The value comes
    from a URL, so it is markdown-escaped (``core.safety.escape_markdown``) and shortened.
    """
    bad = []
    for key, is_valid in checks.items():
        raw = st.query_params.get(key)
        if raw is None:
            continue
        try:
            ok = bool(is_valid(str(raw)))
        except (TypeError, ValueError):
            ok = False
        if not ok:
            bad.append(f"{key}={escape_markdown(raw, 60)}")
    return bad


def link_checks(
    n_rows: int, sections: Sequence[str], columns: Sequence[str]
) -> dict[str, Callable[[str], bool]]:
    """Validity checks of the Genre map's query parameters (for ``invalid_link_values``)."""
    colours = {"genre", "genre group", "KMeans cluster", "GMM cluster", *columns}
    return {
        "map_section": set(sections).__contains__,
        "map_projection": {"PCA", "UMAP"}.__contains__,
        "map_cov": set(clusters.COVARIANCE_TYPES).__contains__,
        "map_linkage": set(clusters.LINKAGE_METHODS).__contains__,
        "map_color": colours.__contains__,
        "map_k": int_between(2, 20),
        "map_gmm": int_between(2, 20),
        "map_sample": int_between(min(200, n_rows), n_rows),
        "map_neighbors": int_between(2, 100),
        "map_min_dist": lambda raw: 0.0 <= float(raw) <= 0.99,
    }


def int_between(low: int, high: int) -> Callable[[str], bool]:
    """A check that a query value is an integer in ``[low, high]``."""
    return lambda raw: low <= int(raw) <= high


def selected_positions(
    event: object, n_rows: int, traces: Sequence[Sequence[int]] | None = None
) -> list[int]:
    """Row positions of the points a lasso/box selection picked.

    Each point's ``customdata[0]`` is its row position; when a point carries no customdata,
    its ``curve_number``/``point_index`` are looked up in ``traces`` (each trace's positions).
    Positions outside ``0..n_rows-1`` (a selection left over from another sample) are dropped.
    """
    selection = event.get("selection") if isinstance(event, dict) else None
    points = (selection.get("points") if isinstance(selection, dict) else None) or []
    positions: set[int] = set()
    for point in points:
        if not isinstance(point, dict):
            continue
        try:
            if point.get("customdata"):
                positions.add(int(point["customdata"][0]))
            elif traces is not None and "curve_number" in point:
                index = point.get("point_index", point.get("point_number"))
                positions.add(int(traces[int(point["curve_number"])][int(index)]))
        except (TypeError, ValueError, IndexError, KeyError):
            continue
    return sorted(p for p in positions if 0 <= p < n_rows)


def render_selection(rows: list[int], shown: pd.DataFrame, features: Sequence[str]) -> None:
    """List the selected tracks and their genre mix (or say how to select)."""
    if not rows:
        st.caption(
            "Draw a lasso or box on the map to list the tracks inside it and their genre mix."
        )
        return
    picked = shown.iloc[rows]
    st.markdown(f"**{len(picked):,} tracks selected**")
    left, right = st.columns([1, 2])
    if "genre" in picked:
        genre = picked["genre"].astype("string").fillna("unknown")
        mix = genre.value_counts(normalize=True).rename("share").to_frame()
        left.dataframe(
            mix,
            column_config={
                "share": st.column_config.ProgressColumn(format="percent", min_value=0, max_value=1)
            },
        )
    cols = [c for c in ("track_name", "artists", "genre", *features) if c in picked]
    right.dataframe(picked[cols], hide_index=True, height=300)
