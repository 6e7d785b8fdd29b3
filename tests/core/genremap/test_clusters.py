"""core.genremap.projection, .clusters and core.charts.clusters on small synthetic data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_blobs
from sklearn.preprocessing import StandardScaler

from core.genremap import clusters
from core.genremap.projection import ClusterInputError
from tests.conftest import make_tree_data

FEATURES = ["danceability", "energy", "loudness", "acousticness", "tempo", "valence"]


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, np.ndarray]:
    """Four well separated blobs in 5-D with their true labels (as genre names)."""
    X, y = make_blobs(n_samples=400, centers=4, n_features=5, cluster_std=0.4, random_state=3)
    return StandardScaler().fit_transform(X), np.array([f"g{v}" for v in y], dtype=object)


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


def test_genre_tree_is_deterministic_and_groups_neighbours():
    orders = []
    for seed in (0, 1):
        X, labels = make_tree_data(seed)
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
