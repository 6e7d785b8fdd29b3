"""The Genre map's views (projection, clusters, genre tree, agreement), drawn from one context.

The page reads the shared widgets and builds a :class:`MapView`; each ``render_*`` function
reads its own widgets, asks ``core.genremap`` (through the page's caches in ``ui.genre_map``) and
draws the result. The projection is drawn here; clusters, the genre tree and agreement by
:mod:`ui.genre_map_cluster_views`.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.charts import clusters as charts
from core.genremap import clusters, projection
from core.safety import escape_markdown
from ui import genre_map as gm
from ui import keys
from ui.genre_map import MANY_GENRES, TOP_GENRES, ClusterError
from ui.genre_map_cluster_views import render_agreement, render_clusters, render_tree
from ui.progress import ProgressBar


@dataclass
class MapView:
    """Everything the views share: the sample, its matrix and the cluster settings."""

    catalog: Catalog
    scaled: projection.Scaled
    features: tuple[str, ...]  # requested features (cache key)
    sample: int | None  # sample size (None: every track)
    k: int
    n_comp: int
    cov: str

    @cached_property
    def frame(self) -> pd.DataFrame:
        """Catalog rows of the sample, in matrix order."""
        return self.catalog.df.loc[self.scaled.index].reset_index(drop=True)

    @property
    def n_genres(self) -> int:
        """Distinct genres of the catalog."""
        return len(self.catalog.genres)

    @cached_property
    def genres(self) -> np.ndarray | None:
        """Genre of every sampled track ("unknown" when missing), or None without genres."""
        if not self.n_genres:
            return None
        return self.frame["genre"].astype("string").fillna("unknown").to_numpy(dtype=object)

    @property
    def n(self) -> int:
        """Tracks in the sample."""
        return len(self.scaled.X)

    def kmeans_labels(self) -> np.ndarray:
        """KMeans cluster of every sampled track (cached)."""
        key = (self.features, self.sample, self.k)
        return gm.memo(
            self.catalog, "kmeans", key, lambda: clusters.fit_kmeans(self.scaled.X, self.k, gm.SEED)
        )

    def gmm_labels(self) -> np.ndarray:
        """GMM component of every sampled track (cached)."""
        return gm.memo(
            self.catalog,
            "gmm",
            (self.features, self.sample, self.n_comp, self.cov),
            lambda: clusters.fit_gmm(self.scaled.X, self.n_comp, self.cov, gm.SEED),
        )

    def genre_tree(self, method: str = "ward") -> tuple[pd.DataFrame, np.ndarray]:
        """Genre centroids and their linkage (cached)."""
        cent = gm.memo(
            self.catalog,
            "centroids",
            (self.features, self.sample),
            lambda: clusters.genre_centroids(self.scaled.X, self.genres, self.scaled.features),
        )
        return cent, clusters.genre_linkage(cent, method)

    def colour_column(self, choice: str) -> pd.Series:
        """The values a projection is coloured by."""
        genres = self.genres
        if choice == "genre":
            top = TOP_GENRES if self.n_genres > MANY_GENRES else self.n_genres
            return pd.Series(clusters.legend_labels(genres, top))
        if choice == "genre group":
            cent, link = self.genre_tree()
            groups = clusters.default_group_count(len(cent), TOP_GENRES)
            mapping = clusters.genre_groups(link, list(cent.index), groups)
            return pd.Series(genres).map(mapping).fillna("other")
        if choice == "KMeans cluster":
            return pd.Series([f"cluster {c}" for c in self.kmeans_labels()])
        if choice == "GMM cluster":
            return pd.Series([f"cluster {c}" for c in self.gmm_labels()])
        return self.frame[choice].astype("float64")


def render_projection(view: MapView) -> None:
    """PCA or UMAP map with colour choice, selection list, scree and loadings."""
    c1, c2 = st.columns(2)
    method = c1.radio(
        "Projection", ["PCA", "UMAP"], horizontal=True, key="map_projection", bind="query-params"
    )
    choices = (["genre", "genre group"] if view.n_genres >= 2 else []) + [
        "KMeans cluster",
        "GMM cluster",
        *view.scaled.features,
    ]
    default = "genre group" if view.n_genres > MANY_GENRES else choices[0]
    color = c2.selectbox(
        "Colour by", choices, index=choices.index(default), key=keys.MAP_COLOR, bind="query-params"
    )
    if view.n_genres < 2:
        st.info(
            "This dataset has no genre column (or a single genre): colour by cluster or "
            "feature; genre metrics need genres."
        )
    pca = gm.memo(
        view.catalog,
        "pca",
        (view.features, view.sample),
        lambda: projection.fit_pca(view.scaled),
    )
    shown = view.frame.assign(**{color: view.colour_column(color).to_numpy()})
    if method == "PCA":
        shown = shown.assign(PC1=pca.scores[:, 0], PC2=pca.scores[:, 1])
        fig = charts.plot_projection(shown, "PC1", "PC2", color, title="PCA: first two components")
        if st.checkbox("Show loading arrows (biplot)", key="map_biplot", bind="query-params"):
            charts.add_loading_arrows(
                fig, pca.loadings, scale=float(np.abs(pca.scores[:, :2]).max()) / 1.2
            )
    else:
        shown = render_umap(view, shown)
        if shown is None:
            return
        fig = charts.plot_projection(shown, "UMAP 1", "UMAP 2", color, title="UMAP")
    event = st.plotly_chart(
        fig,
        on_select="rerun",
        selection_mode=("lasso", "box"),
        key="map_selection",
        width="stretch",
    )
    traces = [[int(c[0]) for c in trace.customdata] for trace in fig.data]
    picked = gm.selected_positions(event, len(shown), traces)
    gm.render_selection(picked, shown, view.scaled.features)
    if method == "PCA":
        left, right = st.columns(2)
        left.plotly_chart(charts.plot_scree(pca.variance_frame()), width="stretch")
        right.plotly_chart(charts.plot_loadings(pca.loadings), width="stretch")


def render_umap(view: MapView, shown: pd.DataFrame) -> pd.DataFrame | None:
    """UMAP settings (a form, so sliders do not recompute) and the layout, with progress."""
    n = view.n
    with st.form("map_umap_form"):
        c1, c2 = st.columns(2)
        nn = c1.slider(
            "n_neighbors",
            2,
            max(2, min(100, n - 1)),
            min(15, n - 1),
            key="map_neighbors",
            bind="query-params",
        )
        md = c2.slider("min_dist", 0.0, 0.99, 0.1, 0.01, key="map_min_dist", bind="query-params")
        st.form_submit_button("Apply")
    try:
        projection.validate_umap_params(n, nn, md)
    except ClusterError as exc:
        st.warning(escape_markdown(exc, None))
        return None
    args = (view.catalog, view.features, nn, md, view.sample)
    if gm.layout_is_cached(*args):
        layout = gm.umap_layout(*args)
    else:
        estimate = projection.estimate_umap_seconds(n)
        with st.status(
            f"Computing UMAP of {n:,} tracks (about {estimate:.0f} s, once)…", expanded=True
        ) as status:
            layout = gm.umap_layout(*args, on_progress=ProgressBar(text="Starting…"))
            status.update(
                label=f"UMAP of {n:,} tracks ready (cached for next time).",
                state="complete",
                expanded=False,
            )
    positions = view.catalog.df.index.get_indexer(view.scaled.index)
    coords = projection.align_layout(layout, positions)
    if coords is None:
        st.warning("The cached layout does not match this sample; change a setting to recompute.")
        return None
    return shown.assign(**{"UMAP 1": coords[:, 0], "UMAP 2": coords[:, 1]})


VIEWS = {
    "Projection": render_projection,
    "Clusters": render_clusters,
    "Genre tree": render_tree,
    "Agreement": render_agreement,
}
