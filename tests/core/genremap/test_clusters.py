"""core.genremap.projection, .clusters and core.charts.clusters on small synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from core.charts import clusters as charts
from core.genremap import clusters, projection
from core.genremap.projection import ClusterInputError

FEATURES = ["danceability", "energy", "loudness", "acousticness", "tempo", "valence"]


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four well separated blobs in 5-D with their true labels (as genre names)."""
    X, y = make_blobs(n_samples=400, centers=4, n_features=5, cluster_std=0.4, random_state=3)
    return StandardScaler().fit_transform(X), np.array([f"g{v}" for v in y], dtype=object)


def test_pca_variance_sums_to_one_and_matches_sklearn(synthetic_tracks):
    scaled = projection.standardise(synthetic_tracks, FEATURES)
    result = projection.fit_pca(scaled)
    assert result.explained.sum() == pytest.approx(1.0)
    reference = PCA().fit(StandardScaler().fit_transform(synthetic_tracks[FEATURES]))
    np.testing.assert_allclose(result.explained, reference.explained_variance_ratio_, rtol=1e-8)
    variance = result.variance_frame()
    assert variance["cumulative"].iloc[-1] == pytest.approx(1.0)
    assert variance["cumulative"].is_monotonic_increasing
    # loadings of standardised data are feature-component correlations
    corr = np.corrcoef(scaled.X[:, 0], result.scores[:, 0])[0, 1]
    assert result.loadings.iloc[0, 0] == pytest.approx(corr, abs=1e-6)
    assert list(result.loadings.index) == FEATURES


def test_standardise_drops_constant_features_and_reports_them(synthetic_tracks):
    df = synthetic_tracks.assign(energy=0.5)
    scaled = projection.standardise(df, FEATURES)
    assert scaled.dropped == ["energy"]
    assert "energy" not in scaled.features
    np.testing.assert_allclose(scaled.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.X.std(axis=0), 1)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["energy", "liveness"], "must vary"),
        (["energy"], "at least two"),
        (["energy", "nope"], "Unknown"),
    ],
)
def test_standardise_rejects_unusable_inputs(synthetic_tracks, features, message):
    df = synthetic_tracks.assign(energy=0.5, liveness=0.1)
    with pytest.raises(ClusterInputError, match=message):
        projection.standardise(df, features)


def test_standardise_sample_is_reproducible_and_bounded(synthetic_tracks):
    feats = projection.default_features(synthetic_tracks)
    a = projection.standardise_sample(synthetic_tracks, feats, 100, seed=1)
    b = projection.standardise_sample(synthetic_tracks, feats, 100, seed=1)
    assert len(a.X) == 100 and a.index.equals(b.index) and a.index.is_monotonic_increasing
    assert len(projection.standardise_sample(synthetic_tracks, feats, None).X) == len(
        synthetic_tracks.dropna(subset=feats)
    )
    with pytest.raises(ClusterInputError):
        projection.standardise_sample(synthetic_tracks, feats, 3)


def test_clusterings_recover_separable_blobs(blobs):
    X, truth = blobs
    kmeans = clusters.fit_kmeans(X, 4)
    gmm = clusters.fit_gmm(X, 4, "full", fit_sample=200)
    knn = clusters.knn_genre_cv(X, truth, groups=[f"a{i % 40}" for i in range(len(X))])
    assert clusters.agreement(truth, kmeans)["ari"] > 0.99
    assert clusters.agreement(truth, gmm)["ari"] > 0.99
    assert np.mean(knn == truth) > 0.99
    table = clusters.agreement_table(X, truth, {"KMeans": kmeans, "GMM": gmm, "k-NN": knn})
    assert list(table["method"]) == ["genre (reference)", "KMeans", "GMM", "k-NN"]
    assert (table["nmi"] > 0.99).all() and (table["silhouette"] > 0.6).all()
    shuffled = np.random.default_rng(0).permutation(truth)
    assert abs(clusters.agreement(truth, shuffled)["ari"]) < 0.05


def test_minibatch_kmeans_above_threshold(blobs, monkeypatch):
    X, truth = blobs
    monkeypatch.setattr(clusters, "MINIBATCH_THRESHOLD", 100)
    assert type(clusters._kmeans(4, len(X), 0)).__name__ == "MiniBatchKMeans"
    assert clusters.agreement(truth, clusters.fit_kmeans(X, 4))["ari"] > 0.99


def test_sweeps_find_the_planted_number_of_clusters(blobs):
    X, _ = blobs
    sweep = clusters.kmeans_sweep(X, range(2, 9), silhouette_sample=300)
    assert list(sweep["k"]) == list(range(2, 9))
    assert sweep["inertia"].is_monotonic_decreasing
    assert sweep.loc[sweep["silhouette"].idxmax(), "k"] == 4
    crit = clusters.gmm_sweep(X, range(1, 8), "full")
    assert crit.loc[crit["bic"].idxmin(), "components"] == 4
    assert len(clusters.kmeans_sweep(X[:5], range(2, 9))) == 3  # only k < n survive


def test_invalid_cluster_parameters_raise_clear_errors(blobs):
    X, _ = blobs
    with pytest.raises(ClusterInputError, match="only 10"):
        clusters.fit_kmeans(X[:10], 12)
    with pytest.raises(ClusterInputError, match="at least 2"):
        clusters.fit_kmeans(X, 1)
    with pytest.raises(ClusterInputError, match="Covariance"):
        clusters.fit_gmm(X, 3, "banana")
    with pytest.raises(ClusterInputError):
        clusters.fit_gmm(X[:5], 8)
    with pytest.raises(ClusterInputError, match="two genres"):
        clusters.knn_genre_cv(X, ["pop"] * len(X))


def test_sampled_silhouette_reports_its_sample(blobs):
    X, truth = blobs
    score, used = clusters.sampled_silhouette(X, truth, sample_size=150)
    assert used == 150 and score > 0.6
    assert np.isnan(clusters.sampled_silhouette(X, np.zeros(len(X)))[0])


def _tree_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Genres a and b sound alike, c is far, d is in between."""
    rng = np.random.default_rng(seed)
    centres = {"a": [0, 0, 0], "b": [0.3, 0, 0], "c": [6, 6, 0], "d": [3, 0, 3]}
    labels = np.repeat(list(centres), 30)
    X = np.array([centres[g] for g in labels]) + rng.normal(0, 0.1, (len(labels), 3))
    order = rng.permutation(len(labels))
    return X[order], labels[order].astype(object)


def test_genre_tree_is_deterministic_and_groups_neighbours():
    orders = []
    for seed in (0, 1):
        X, labels = _tree_data(seed)
        cent = clusters.genre_centroids(X, labels, ["x", "y", "z"])
        assert list(cent.index) == ["a", "b", "c", "d"]
        link = clusters.genre_linkage(cent)
        orders.append(clusters.dendrogram_order(link, list(cent.index)))
        assert orders[-1] == clusters.dendrogram_order(link, list(cent.index))
        groups = clusters.genre_groups(link, list(cent.index), 3)
        assert groups["a"] == groups["b"] != groups["c"] != groups["d"]
        assert len(set(groups.values())) == 3
    assert orders[0] == orders[1]
    assert abs(orders[0].index("a") - orders[0].index("b")) == 1
    with pytest.raises(ClusterInputError, match="two genres"):
        clusters.genre_linkage(cent.iloc[:1])


def test_contingency_profiles_and_legend_labels():
    rows = ["c0", "c0", "c1", "c1", "c1"]
    cols = ["pop", "rock", "rock", "rock", "pop"]
    table = clusters.contingency(rows, cols)
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    assert table.loc["c1", "rock"] == pytest.approx(2 / 3)
    labels = clusters.legend_labels(["a"] * 3 + ["b"] * 2 + ["c", "d"], top_n=2)
    assert list(labels) == ["a"] * 3 + ["b"] * 2 + ["other"] * 2
    X = np.array([[1.0, 0.0], [3.0, 2.0], [-1.0, -1.0]])
    profiles = clusters.cluster_profiles(X, np.array([0, 0, 1]), ["u", "v"])
    assert profiles.loc[0, "u"] == pytest.approx(2.0) and profiles.loc[1, "v"] == pytest.approx(
        -1.0
    )


def test_umap_layout_is_cached_on_disk_and_not_recomputed(synthetic_tracks, monkeypatch):
    kwargs = {"n_neighbors": 10, "min_dist": 0.2, "sample_size": 250, "seed": 0}
    ids = {"source_id": "test:synthetic", "checksum": "abc123"}
    first = projection.umap_layout(synthetic_tracks, FEATURES, **kwargs, **ids)
    assert not first.from_cache and first.coords.shape == (250, 2)
    assert np.isfinite(first.coords).all()
    assert set(first.rows) <= set(range(len(synthetic_tracks))) and len(set(first.rows)) == 250
    key = projection.umap_cache_key(ids["source_id"], ids["checksum"], FEATURES, 10, 0.2, 250, 0)
    assert projection.umap_cache_path(key).is_file()

    def boom(*args, **kwargs):
        raise AssertionError("UMAP recomputed despite a cached layout")

    monkeypatch.setattr(projection, "compute_umap", boom)
    second = projection.umap_layout(synthetic_tracks, FEATURES, **kwargs, **ids)
    assert second.from_cache
    np.testing.assert_array_equal(second.coords, first.coords)
    np.testing.assert_array_equal(second.rows, first.rows)
    with pytest.raises(AssertionError, match="recomputed"):  # another setting is another key
        projection.umap_layout(synthetic_tracks, FEATURES, **{**kwargs, "min_dist": 0.3}, **ids)


def test_umap_parameters_are_validated():
    with pytest.raises(ClusterInputError, match="n_neighbors"):
        projection.validate_umap_params(50, 50, 0.1)
    with pytest.raises(ClusterInputError, match="min_dist"):
        projection.validate_umap_params(50, 10, 1.5)
    key = projection.umap_cache_key("s", "c", ["a", "b"], 15, 0.1, None, 0)
    assert key != projection.umap_cache_key("s", "c", ["a", "b"], 15, 0.1, 1000, 0)
    assert projection.estimate_umap_seconds(10_000) > projection.estimate_umap_seconds(1_000) > 0


def test_projection_figure_uses_webgl_and_maps_points_back(synthetic_tracks):
    frame = synthetic_tracks.head(60).reset_index(drop=True).assign(x=np.arange(60), y=0.0)
    fig = charts.plot_projection(frame, "x", "y", "genre")
    assert {t.type for t in fig.data} == {"scattergl"}
    assert sorted(t.name for t in fig.data) == sorted(frame["genre"].unique())
    for trace in fig.data:
        positions = [int(c[0]) for c in trace.customdata]
        assert (frame.loc[positions, "genre"] == trace.name).all()
    numeric = charts.plot_projection(frame, "x", "y", "energy")
    assert len(numeric.data) == 1 and numeric.data[0].marker.colorscale is not None


def test_dendrogram_figure_labels_follow_the_tree():
    X, labels = _tree_data(0)
    cent = clusters.genre_centroids(X, labels, ["x", "y", "z"])
    link = clusters.genre_linkage(cent)
    fig = charts.plot_dendrogram(link, list(cent.index))
    assert list(fig.layout.yaxis.ticktext) == clusters.dendrogram_order(link, list(cent.index))
    assert len(fig.data) == len(cent) - 1  # one bracket per merge
