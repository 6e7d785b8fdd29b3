"""Genre map helpers: the UMAP layout (disk-cached for public data), link checks, selection.

Caching follows :mod:`ui.cache` (public results shared, uploads per session); ``memo`` is that
module's, re-exported for the page.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import pandas as pd
import streamlit as st

from core import warm
from core.catalog.data import Catalog
from core.genremap import clusters, projection
from core.progress import ProgressFn
from core.safety import escape_markdown
from ui import keys
from ui.cache import has, memo
from ui.warm import precomputed

SEED = 0
MANY_GENRES = 20  # above this, colour by genre group (or top genres + other)
TOP_GENRES = 12
ClusterError = projection.ClusterInputError


def _umap_params(
    features: tuple[str, ...], n_neighbors: int, min_dist: float, sample: int | None
) -> tuple:
    return (features, n_neighbors, min_dist, sample, SEED)


def _fit_size(catalog: Catalog, sample: int | None) -> int | None:
    """UMAP of many rows is fitted on a stated sample and the rest transformed (see projection)."""
    return projection.umap_fit_size(min(sample or len(catalog.df), len(catalog.df)))


def layout_is_cached(
    catalog: Catalog,
    features: tuple[str, ...],
    n_neighbors: int,
    min_dist: float,
    sample: int | None,
) -> bool:
    """Whether a UMAP layout exists already (on disk for public data, in the session else)."""
    params = _umap_params(features, n_neighbors, min_dist, sample)
    if catalog.is_upload:
        return has(catalog, "umap", params)
    key = projection.umap_cache_key(
        catalog.source_id, catalog.checksum, *params, _fit_size(catalog, sample)
    )
    return projection.umap_cache_path(key).is_file()


def umap_layout(
    catalog: Catalog,
    features: tuple[str, ...],
    n_neighbors: int,
    min_dist: float,
    sample: int | None,
    on_progress: ProgressFn | None = None,
) -> projection.UmapLayout:
    """The UMAP layout: computed once with progress, then read from disk and memory caches.

    Public layouts are written to disk first (reporting progress outside the shared cache, so
    the cache never records page elements) and then loaded into it; uploads stay in the session.
    """
    params = _umap_params(features, n_neighbors, min_dist, sample)
    public = not catalog.is_upload

    def compute(report: ProgressFn | None) -> projection.UmapLayout:
        return projection.umap_layout(
            catalog.df,
            features,
            n_neighbors=n_neighbors,
            min_dist=min_dist,
            sample_size=sample,
            seed=SEED,
            source_id=catalog.source_id if public else None,
            checksum=catalog.checksum if public else None,
            on_progress=report,
            fit_size=_fit_size(catalog, sample),
        )

    if public and not layout_is_cached(catalog, features, n_neighbors, min_dist, sample):
        opening = warm.umap_settings(catalog)
        if (features, n_neighbors, min_dist, sample) == (
            opening["features"],
            opening["n_neighbors"],
            opening["min_dist"],
            opening["sample_size"],
        ):  # the opening layout: the server's warmer makes it once for everybody
            precomputed(catalog, "umap")
        if not layout_is_cached(catalog, features, n_neighbors, min_dist, sample):
            compute(on_progress)  # writes the disk cache
    return memo(catalog, "umap", params, lambda: compute(None if public else on_progress))


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
    n_rows: int, sections: Sequence[str], columns: Sequence[str], n_genres: int = 0
) -> dict[str, Callable[[str], bool]]:
    """Validity checks of the Genre map's query parameters (for ``invalid_link_values``)."""
    colours = {"genre", "genre group", "KMeans cluster", "GMM cluster", *columns}
    return {
        "map_section": set(sections).__contains__,
        "map_projection": {"PCA", "UMAP"}.__contains__,
        "map_cov": set(clusters.COVARIANCE_TYPES).__contains__,
        "map_linkage": set(clusters.LINKAGE_METHODS).__contains__,
        keys.MAP_COLOR: colours.__contains__,
        "map_k": int_between(2, 20),
        "map_gmm": int_between(2, 20),
        "map_sample": int_between(min(200, n_rows), n_rows),
        "map_neighbors": int_between(2, 100),
        "map_min_dist": lambda raw: 0.0 <= float(raw) <= 0.99,
        "map_inspect": {"KMeans", "GMM"}.__contains__,
        "map_groups": int_between(2, max(3, n_genres)),
        "map_biplot": {"true", "false"}.__contains__,
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


#: Colourings of the projection that need the clustering controls.
CLUSTER_COLOURS = ("KMeans cluster", "GMM cluster")


def cluster_controls(n: int, section: str) -> tuple[int, int, str]:
    """KMeans k and the GMM settings, drawn only in the views that use them.

    Clusters and Agreement always use them; Projection only when it is coloured by a cluster
    (the colour chosen on this run, else the link's). Elsewhere the defaults are returned.
    """
    k_default = min(6, n - 1)
    colour = st.session_state.get(keys.MAP_COLOR) or st.query_params.get(keys.MAP_COLOR)
    used = section in ("Clusters", "Agreement") or (
        section == "Projection" and colour in CLUSTER_COLOURS
    )
    if not used:
        return k_default, k_default, clusters.COVARIANCE_TYPES[0]
    c1, c2, c3 = st.columns(3)
    most = max(2, min(20, n - 1))
    k = c1.slider("KMeans clusters (k)", 2, most, k_default, key="map_k", bind="query-params")
    n_comp = c2.slider("GMM components", 2, most, k_default, key="map_gmm", bind="query-params")
    cov = c3.selectbox(
        "GMM covariance", clusters.COVARIANCE_TYPES, key="map_cov", bind="query-params"
    )
    return int(k), int(n_comp), str(cov)
