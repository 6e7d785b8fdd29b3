"""Genre map: can audio features alone tell genres apart, and which genres sound alike."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.charts import clusters as charts
from core.genremap import clusters, projection
from core.safety import escape_markdown
from ui import genre_map as gm
from ui.catalog import require_catalog

DEFAULT_SAMPLE = 5_000
MANY_GENRES = 20  # above this, colour by genre group (or top genres + other)
TOP_GENRES = 12
SECTIONS = ["Projection", "Clusters", "Genre tree", "Agreement"]
ClusterError = projection.ClusterInputError

st.title("Genre map")
st.caption(
    "Do genres separate on audio features alone, and which genres are neighbours? Features are "
    "standardised (z-scores); every view uses the same random sample of tracks (seed 0)."
)
catalog: Catalog = require_catalog()
df = catalog.df
n_genres = len(catalog.genres)
if len(df) < projection.MIN_ROWS:
    st.info(
        f"The Genre map needs at least {projection.MIN_ROWS} tracks; this dataset has {len(df)}."
    )
    st.stop()

bad_link = gm.invalid_link_values(gm.link_checks(len(df), SECTIONS, list(df.columns)))
if bad_link:
    st.warning(f"Ignored invalid link settings ({', '.join(bad_link)}); using the defaults.")
with st.expander("Features and sample size", expanded=False):
    left, right = st.columns([3, 1])
    features = left.multiselect(
        "Features (each standardised to mean 0, SD 1)",
        projection.available_features(df),
        default=projection.default_features(df),
        key="map_features",
        bind="query-params",
    )
    sample = int(
        right.number_input(
            "Tracks in the sample",
            min_value=min(200, len(df)),
            max_value=len(df),
            value=min(DEFAULT_SAMPLE, len(df)),
            step=1000,
            key="map_sample",
            bind="query-params",
        )
    )
    st.caption(
        f"Default {min(DEFAULT_SAMPLE, len(df)):,} random tracks of {len(df):,}: enough for the "
        f"shape of the map and fast to redraw. A UMAP of this sample takes about "
        f"{projection.estimate_umap_seconds(sample):.0f} s once, then it is cached."
    )
sample_arg = None if sample >= len(df) else sample
feats = tuple(features)
try:
    scaled = gm.memo(
        catalog,
        "scaled",
        (feats, sample_arg, gm.SEED),
        lambda: projection.standardise(projection.sample_rows(df, sample_arg, gm.SEED), feats),
    )
except ClusterError as exc:
    st.warning(
        f"{escape_markdown(exc, None)} Adjust the features or the sample under **Features and "
        "sample size**."
    )
    st.stop()
if scaled.dropped:
    st.warning(f"Left out because they do not vary in this sample: {', '.join(scaled.dropped)}.")
frame = df.loc[scaled.index].reset_index(drop=True)
genres = (
    frame["genre"].astype("string").fillna("unknown").to_numpy(dtype=object) if n_genres else None
)
X = scaled.X
n = len(X)

c1, c2, c3 = st.columns(3)
k = c1.slider(
    "KMeans clusters (k)",
    2,
    max(2, min(20, n - 1)),
    min(6, n - 1),
    key="map_k",
    bind="query-params",
)
n_comp = c2.slider(
    "GMM components", 2, max(2, min(20, n - 1)), min(6, n - 1), key="map_gmm", bind="query-params"
)
cov = c3.selectbox("GMM covariance", clusters.COVARIANCE_TYPES, key="map_cov", bind="query-params")
section = st.radio("View", SECTIONS, horizontal=True, key="map_section", bind="query-params")


def kmeans_labels() -> np.ndarray:
    """KMeans cluster of every sampled track (cached)."""
    return gm.memo(
        catalog, "kmeans", (feats, sample_arg, k), lambda: clusters.fit_kmeans(X, k, gm.SEED)
    )


def gmm_labels() -> np.ndarray:
    """GMM component of every sampled track (cached)."""
    return gm.memo(
        catalog,
        "gmm",
        (feats, sample_arg, n_comp, cov),
        lambda: clusters.fit_gmm(X, n_comp, cov, gm.SEED),
    )


def genre_tree(method: str = "ward") -> tuple[pd.DataFrame, np.ndarray]:
    """Genre centroids and their linkage (cached)."""
    cent = gm.memo(
        catalog,
        "centroids",
        (feats, sample_arg),
        lambda: clusters.genre_centroids(X, genres, scaled.features),
    )
    return cent, clusters.genre_linkage(cent, method)


def default_groups(n_labels: int) -> int:
    """How many groups the genre tree is cut into by default."""
    return min(TOP_GENRES, max(2, n_labels // 2))


def colour_column(choice: str) -> pd.Series:
    """The values a projection is coloured by."""
    if choice == "genre":
        return pd.Series(
            clusters.legend_labels(genres, TOP_GENRES if n_genres > MANY_GENRES else n_genres)
        )
    if choice == "genre group":
        cent, link = genre_tree()
        mapping = clusters.genre_groups(link, list(cent.index), default_groups(len(cent)))
        return pd.Series(genres).map(mapping).fillna("other")
    if choice == "KMeans cluster":
        return pd.Series([f"cluster {c}" for c in kmeans_labels()])
    if choice == "GMM cluster":
        return pd.Series([f"cluster {c}" for c in gmm_labels()])
    return frame[choice].astype("float64")


def render_projection() -> None:
    """PCA or UMAP map with colour choice, selection list, scree and loadings."""
    c1, c2 = st.columns(2)
    method = c1.radio(
        "Projection", ["PCA", "UMAP"], horizontal=True, key="map_projection", bind="query-params"
    )
    choices = (["genre", "genre group"] if n_genres >= 2 else []) + [
        "KMeans cluster",
        "GMM cluster",
        *scaled.features,
    ]
    default = "genre group" if n_genres > MANY_GENRES else choices[0]
    color = c2.selectbox(
        "Colour by", choices, index=choices.index(default), key="map_color", bind="query-params"
    )
    if n_genres < 2:
        st.info(
            "This dataset has no genre column (or a single genre): colour by cluster or "
            "feature; genre metrics need genres."
        )
    pca = gm.memo(catalog, "pca", (feats, sample_arg), lambda: projection.fit_pca(scaled))
    shown = frame.assign(**{color: colour_column(color).to_numpy()})
    if method == "PCA":
        shown = shown.assign(PC1=pca.scores[:, 0], PC2=pca.scores[:, 1])
        fig = charts.plot_projection(shown, "PC1", "PC2", color, title="PCA: first two components")
        if st.checkbox("Show loading arrows (biplot)", key="map_biplot"):
            charts.add_loading_arrows(
                fig, pca.loadings, scale=float(np.abs(pca.scores[:, :2]).max()) / 1.2
            )
    else:
        shown = render_umap(shown)
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
    gm.render_selection(picked, shown, scaled.features)
    if method == "PCA":
        left, right = st.columns(2)
        left.plotly_chart(charts.plot_scree(pca.variance_frame()), width="stretch")
        right.plotly_chart(charts.plot_loadings(pca.loadings), width="stretch")


def render_umap(shown: pd.DataFrame) -> pd.DataFrame | None:
    """UMAP settings (a form, so sliders do not recompute) and the layout, with progress."""
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
    args = (catalog, feats, nn, md, sample_arg)
    if gm.layout_is_cached(*args):
        layout = gm.umap_layout(*args)
    else:
        estimate = projection.estimate_umap_seconds(n)
        with st.status(
            f"Computing UMAP of {n:,} tracks (about {estimate:.0f} s, once)…", expanded=True
        ) as status:
            bar = st.progress(0.0)
            layout = gm.umap_layout(
                *args, on_progress=lambda msg, frac: bar.progress(frac, text=msg)
            )
            status.update(
                label=f"UMAP of {n:,} tracks ready (cached for next time).",
                state="complete",
                expanded=False,
            )
    pos = pd.Series(np.arange(len(layout.rows)), index=layout.rows)
    at = pos.reindex(df.index.get_indexer(scaled.index)).to_numpy()
    if np.isnan(at).any():
        st.warning("The cached layout does not match this sample; change a setting to recompute.")
        return None
    return shown.assign(
        **{"UMAP 1": layout.coords[at.astype(int), 0], "UMAP 2": layout.coords[at.astype(int), 1]}
    )


def render_clusters() -> None:
    """KMeans elbow/silhouette, GMM BIC/AIC, contingency with genre and cluster profiles."""
    try:
        with st.spinner(f"Clustering {n:,} tracks for k = 2…15 and 1…12 mixture components…"):
            sweep = gm.memo(
                catalog,
                "ksweep",
                (feats, sample_arg),
                lambda: clusters.kmeans_sweep(X, range(2, 16), gm.SEED),
            )
            crit = gm.memo(
                catalog,
                "gsweep",
                (feats, sample_arg, cov),
                lambda: clusters.gmm_sweep(X, range(1, 13), cov, gm.SEED),
            )
            labels = {"KMeans": kmeans_labels(), "GMM": gmm_labels()}
    except ClusterError as exc:
        st.warning(escape_markdown(exc, None))
        return
    fast = " (MiniBatchKMeans, as n > 10,000)" if n > clusters.MINIBATCH_THRESHOLD else ""
    st.plotly_chart(charts.plot_kmeans_sweep(sweep, k), width="stretch")
    st.caption(
        f"KMeans on {n:,} tracks{fast}; silhouette on a random {min(n, clusters.SILHOUETTE_SAMPLE):,} of them."
    )
    st.plotly_chart(charts.plot_information_criteria(crit, n_comp), width="stretch")
    st.caption(
        f"Mixtures ({cov} covariance) fitted on {min(n, clusters.GMM_SWEEP_SAMPLE):,} tracks for the curve; "
        f"the GMM clusters use a fit on {min(n, clusters.GMM_FIT_SAMPLE):,} and label all {n:,}."
    )
    which = st.radio("Clustering to inspect", list(labels), horizontal=True, key="map_inspect")
    chosen = labels[which]
    left, right = st.columns(2)
    if genres is not None and n_genres >= 2:
        table = clusters.contingency(
            [f"cluster {c}" for c in chosen], clusters.legend_labels(genres, 30)
        )
        left.plotly_chart(
            charts.plot_heatmap(table, f"{which} cluster × genre (share of each cluster)"),
            width="stretch",
        )
    else:
        left.info("The cluster × genre table needs a genre column.")
    profiles = clusters.cluster_profiles(X, chosen, scaled.features)
    profiles.index = [f"cluster {c}" for c in profiles.index]
    right.plotly_chart(charts.plot_profiles(profiles), width="stretch")


def render_tree() -> None:
    """Dendrogram of genre centroids and the genre groups cut from it."""
    if n_genres < 2:
        st.info("The genre tree needs at least two genres; this dataset has none or one.")
        return
    c1, c2 = st.columns(2)
    method = c1.selectbox(
        "Linkage", clusters.LINKAGE_METHODS, key="map_linkage", bind="query-params"
    )
    cent, link = genre_tree(method)
    groups = c2.slider(
        "Genre groups", 2, max(3, len(cent)), default_groups(len(cent)), key="map_groups"
    )
    mapping = clusters.genre_groups(link, list(cent.index), groups)
    st.plotly_chart(charts.plot_dendrogram(link, list(cent.index), mapping), width="stretch")
    st.caption(
        "Genres merge early when their mean standardised features are close. [n] marks the group of each genre."
    )
    table = pd.DataFrame({"genre": list(mapping), "group": list(mapping.values())}).sort_values(
        "group"
    )
    st.dataframe(table, hide_index=True)


def render_agreement() -> None:
    """Silhouette, ARI and NMI of KMeans, GMM and a grouped-CV k-NN against genre."""
    if n_genres < 2:
        st.info("Agreement with genre needs a genre column with at least two genres.")
        return
    try:
        groups = (
            frame["primary_artist"].astype(str).to_numpy() if "primary_artist" in frame else None
        )
        with st.spinner(f"Cross-validating a k-NN genre classifier on {n:,} tracks…"):
            knn = gm.memo(
                catalog,
                "knn",
                (feats, sample_arg),
                lambda: clusters.knn_genre_cv(X, genres, groups),
            )
        labelings = {
            f"KMeans (k={k})": kmeans_labels(),
            f"GMM ({n_comp}, {cov})": gmm_labels(),
            "k-NN (15, 5-fold CV)": knn,
        }
    except ClusterError as exc:
        st.warning(escape_markdown(exc, None))
        return
    table = gm.memo(
        catalog,
        "agree",
        (feats, sample_arg, k, n_comp, cov),
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
    accuracy = float(np.mean(knn == genres.astype(str)))
    st.caption(
        f"Silhouette on a random {int(table['silhouette_rows'].iloc[0]):,} of {n:,} tracks (−1…1, higher = tighter). "
        "ARI (0 = chance, 1 = identical) and NMI (0…1) compare each labelling with genre. The k-NN row "
        f"predicts each track's genre from its 15 nearest neighbours in folds grouped by artist "
        f"(accuracy {accuracy:.0%}; chance ≈ {1 / n_genres:.0%}): how far genre is recoverable at all."
    )
    left, right = st.columns(2)
    left.plotly_chart(charts.plot_agreement(table), width="stretch")
    truth = clusters.legend_labels(genres, 30)
    keep = set(truth) - {clusters.OTHER}
    predicted = np.where(np.isin(knn.astype(str), list(keep)), knn.astype(str), clusters.OTHER)
    confusion = clusters.contingency(truth, predicted)
    right.plotly_chart(
        charts.plot_heatmap(confusion, "k-NN: true genre (rows) → predicted"), width="stretch"
    )


{
    "Projection": render_projection,
    "Clusters": render_clusters,
    "Genre tree": render_tree,
    "Agreement": render_agreement,
}[section or "Projection"]()
