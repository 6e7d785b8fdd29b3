"""The Genre map's cluster views: clusters (KMeans, GMM), the genre tree, agreement with genre.

Like :mod:`ui.genre_map_views`, each ``render_*`` reads its own widgets and draws from the
page's :class:`~ui.genre_map_views.MapView`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd
import streamlit as st

from core.charts import clusters as charts
from core.genremap import clusters
from core.safety import escape_markdown
from ui import genre_map as gm
from ui.genre_map import TOP_GENRES, ClusterError

if TYPE_CHECKING:
    from ui.genre_map_views import MapView


def render_clusters(view: MapView) -> None:
    """KMeans elbow/silhouette, GMM BIC/AIC, contingency with genre and cluster profiles."""
    n, X, key = view.n, view.scaled.X, (view.features, view.sample)
    try:
        with st.spinner(f"Clustering {n:,} tracks for k = 2…15 and 1…12 mixture components…"):
            sweep = gm.memo(
                view.catalog, "ksweep", key, lambda: clusters.kmeans_sweep(X, range(2, 16), gm.SEED)
            )
            crit = gm.memo(
                view.catalog,
                "gsweep",
                (*key, view.cov),
                lambda: clusters.gmm_sweep(X, range(1, 13), view.cov, gm.SEED),
            )
            labels = {"KMeans": view.kmeans_labels(), "GMM": view.gmm_labels()}
    except ClusterError as exc:
        st.warning(escape_markdown(exc, None))
        return
    fast = " (MiniBatchKMeans, as n > 10,000)" if n > clusters.MINIBATCH_THRESHOLD else ""
    st.plotly_chart(charts.plot_kmeans_sweep(sweep, view.k), width="stretch")
    st.caption(
        f"KMeans on {n:,} tracks{fast}; silhouette on a random "
        f"{min(n, clusters.SILHOUETTE_SAMPLE):,} of them."
    )
    st.plotly_chart(charts.plot_information_criteria(crit, view.n_comp), width="stretch")
    st.caption(
        f"Mixtures ({view.cov} covariance) fitted on {min(n, clusters.GMM_SWEEP_SAMPLE):,} tracks "
        f"for the curve; the GMM clusters use a fit on {min(n, clusters.GMM_FIT_SAMPLE):,} and "
        f"label all {n:,}."
    )
    which = st.radio(
        "Clustering to inspect",
        list(labels),
        horizontal=True,
        key="map_inspect",
        bind="query-params",
    )
    chosen = labels[which]
    left, right = st.columns(2)
    if view.genres is not None and view.n_genres >= 2:
        table = clusters.contingency(
            [f"cluster {c}" for c in chosen], clusters.legend_labels(view.genres, 30)
        )
        left.plotly_chart(
            charts.plot_heatmap(table, f"{which} cluster × genre (share of each cluster)"),
            width="stretch",
        )
    else:
        left.info("The cluster × genre table needs a genre column.")
    profiles = clusters.cluster_profiles(X, chosen, view.scaled.features)
    profiles.index = [f"cluster {c}" for c in profiles.index]
    right.plotly_chart(charts.plot_profiles(profiles), width="stretch")


def render_tree(view: MapView) -> None:
    """Dendrogram of genre centroids and the genre groups cut from it."""
    if view.n_genres < 2:
        st.info("The genre tree needs at least two genres; this dataset has none or one.")
        return
    c1, c2 = st.columns(2)
    method = c1.selectbox(
        "Linkage", clusters.LINKAGE_METHODS, key="map_linkage", bind="query-params"
    )
    cent, link = view.genre_tree(method)
    default = clusters.default_group_count(len(cent), TOP_GENRES)
    groups = c2.slider(
        "Genre groups", 2, max(3, len(cent)), default, key="map_groups", bind="query-params"
    )
    mapping = clusters.genre_groups(link, list(cent.index), groups)
    st.plotly_chart(charts.plot_dendrogram(link, list(cent.index), mapping), width="stretch")
    st.caption(
        "Genres merge early when their mean standardised features are close. [n] marks the "
        "group of each genre."
    )
    table = pd.DataFrame({"genre": list(mapping), "group": list(mapping.values())})
    st.dataframe(table.sort_values("group"), hide_index=True)


def render_agreement(view: MapView) -> None:
    """Silhouette, ARI and NMI of KMeans, GMM and a grouped-CV k-NN against genre."""
    if view.n_genres < 2:
        st.info("Agreement with genre needs a genre column with at least two genres.")
        return
    n, X, genres, frame = view.n, view.scaled.X, view.genres, view.frame
    try:
        groups = (
            frame["primary_artist"].astype(str).to_numpy() if "primary_artist" in frame else None
        )
        with st.spinner(f"Cross-validating a k-NN genre classifier on {n:,} tracks…"):
            knn = gm.memo(
                view.catalog,
                "knn",
                (view.features, view.sample),
                lambda: clusters.knn_genre_cv(X, genres, groups),
            )
        labelings = {
            f"KMeans (k={view.k})": view.kmeans_labels(),
            f"GMM ({view.n_comp}, {view.cov})": view.gmm_labels(),
            "k-NN (15, 5-fold CV)": knn,
        }
    except ClusterError as exc:
        st.warning(escape_markdown(exc, None))
        return
    table = gm.memo(
        view.catalog,
        "agree",
        (view.features, view.sample, view.k, view.n_comp, view.cov),
        lambda: clusters.agreement_table(X, genres, labelings, seed=gm.SEED),
    )
    shown = table.drop(columns="silhouette_rows").rename(
        columns={
            "ari": "ARI",
            "nmi": "NMI",
            "groups": "labels",
            "silhouette": "silhouette (sampled)",
        }
    )
    st.dataframe(shown.round(3), hide_index=True)
    accuracy = clusters.knn_accuracy(genres, knn)
    st.caption(
        f"Silhouette on a random {int(table['silhouette_rows'].iloc[0]):,} of {n:,} tracks "
        "(−1…1, higher = tighter). ARI (0 = chance, 1 = identical) and NMI (0…1) compare each "
        "labelling with genre. The k-NN row predicts each track's genre from its 15 nearest "
        f"neighbours in folds grouped by artist (accuracy {accuracy:.0%}; chance ≈ "
        f"{1 / view.n_genres:.0%}): how far genre is recoverable at all."
    )
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_agreement(table), width="stretch")
    right.plotly_chart(
        charts.plot_heatmap(
            clusters.confusion_table(genres, knn), "k-NN: true genre (rows) → predicted"
        ),
        width="stretch",
    )
