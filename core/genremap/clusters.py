"""Clustering of tracks and genres, and how well clusters and a k-NN classifier agree with genre.

KMeans (MiniBatchKMeans at large n), Gaussian mixtures (fitted on a sample), agglomerative
clustering of genre centroids (the genre tree), contingency tables, feature profiles and the
agreement metrics (sampled silhouette, adjusted Rand index, normalised mutual information).
Inputs are standardised matrices from ``core.genremap.projection.standardise``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import ParamSpec, TypeVar

import numpy as np
import pandas as pd
from scipy.cluster import hierarchy
from sklearn.cluster import KMeans, MiniBatchKMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score, silhouette_score
from sklearn.mixture import GaussianMixture
from sklearn.model_selection import cross_val_predict
from sklearn.neighbors import KNeighborsClassifier
from threadpoolctl import threadpool_limits

from core.catalog.sampling import sample_positions
from core.genremap.projection import ClusterInputError
from core.modelling import splits

#: Above this many rows KMeans switches to MiniBatchKMeans.
MINIBATCH_THRESHOLD = 10_000
#: Gaussian mixtures are fitted on at most this many rows (then predict every row).
GMM_FIT_SAMPLE = 5_000
#: BIC/AIC curves fit one mixture per component count: on a smaller sample.
GMM_SWEEP_SAMPLE = 2_000
SILHOUETTE_SAMPLE = 2_000
COVARIANCE_TYPES: tuple[str, ...] = ("full", "diag", "tied", "spherical")
LINKAGE_METHODS: tuple[str, ...] = ("ward", "average", "complete")
OTHER = "other"
#: BLAS/OpenMP threads per fit. On a busy 2-core server, extra threads oversubscribe the CPU
#: (a KMeans sweep measured 7x slower with the default thread count under load).
THREADS = 1
_P = ParamSpec("_P")
_R = TypeVar("_R")


def _single_threaded(fn: Callable[_P, _R]) -> Callable[_P, _R]:
    @functools.wraps(fn)
    def wrapper(*args: _P.args, **kwargs: _P.kwargs) -> _R:
        with threadpool_limits(limits=THREADS):
            return fn(*args, **kwargs)

    return wrapper


__all__ = [
    "COVARIANCE_TYPES",
    "ClusterInputError",
    "agreement",
    "agreement_table",
    "cluster_profiles",
    "contingency",
    "dendrogram_order",
    "fit_gmm",
    "fit_kmeans",
    "genre_centroids",
    "genre_groups",
    "genre_linkage",
    "gmm_sweep",
    "kmeans_sweep",
    "knn_genre_cv",
    "knn_accuracy",
    "confusion_table",
    "default_group_count",
    "legend_labels",
    "sampled_silhouette",
]


def _check_k(k: int, n_rows: int, what: str = "clusters") -> None:
    if k < 2:
        raise ClusterInputError(f"Use at least 2 {what} (got {k}).")
    if k >= n_rows:
        raise ClusterInputError(
            f"{k} {what} need more than {k} tracks; the sample has only {n_rows}."
        )


@_single_threaded
def fit_kmeans(X: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """KMeans labels for every row (MiniBatchKMeans above ``MINIBATCH_THRESHOLD`` rows)."""
    _check_k(k, len(X))
    return _kmeans(k, len(X), seed).fit_predict(X).astype("int64")


def _kmeans(k: int, n_rows: int, seed: int) -> KMeans | MiniBatchKMeans:
    if n_rows > MINIBATCH_THRESHOLD:
        return MiniBatchKMeans(n_clusters=k, random_state=seed, n_init=3, batch_size=4096)
    return KMeans(n_clusters=k, random_state=seed, n_init=4)


@_single_threaded
def sampled_silhouette(
    X: np.ndarray, labels: np.ndarray, sample_size: int = SILHOUETTE_SAMPLE, seed: int = 0
) -> tuple[float, int]:
    """Silhouette on a random sample of rows; returns (score, rows used), NaN if undefined."""
    labels = np.asarray(labels)
    n_used = min(sample_size, len(X))
    if not 2 <= len(np.unique(labels)) < len(X):
        return float("nan"), n_used
    rows = sample_positions(len(X), n_used, seed)
    if len(np.unique(labels[rows])) < 2:
        return float("nan"), n_used
    return float(silhouette_score(X[rows], labels[rows])), n_used


@_single_threaded
def kmeans_sweep(
    X: np.ndarray,
    ks: Sequence[int],
    seed: int = 0,
    silhouette_sample: int = SILHOUETTE_SAMPLE,
) -> pd.DataFrame:
    """Inertia (elbow) and sampled silhouette for each k that the data allows."""
    rows = []
    for k in sorted({int(k) for k in ks if 2 <= k < len(X)}):
        model = _kmeans(k, len(X), seed).fit(X)
        score, _ = sampled_silhouette(X, model.labels_, silhouette_sample, seed)
        rows.append({"k": k, "inertia": float(model.inertia_), "silhouette": score})
    return pd.DataFrame(rows, columns=["k", "inertia", "silhouette"])


def _check_covariance(covariance_type: str) -> None:
    if covariance_type not in COVARIANCE_TYPES:
        raise ClusterInputError(f"Covariance type must be one of {', '.join(COVARIANCE_TYPES)}.")


def _gmm_sample(X: np.ndarray, fit_sample: int, seed: int) -> np.ndarray:
    return X[sample_positions(len(X), fit_sample, seed)]


def _mixture(n_components: int, covariance_type: str, seed: int) -> GaussianMixture:
    return GaussianMixture(
        n_components, covariance_type=covariance_type, random_state=seed, reg_covar=1e-5
    )


@_single_threaded
def fit_gmm(
    X: np.ndarray,
    n_components: int,
    covariance_type: str = "full",
    seed: int = 0,
    fit_sample: int = GMM_FIT_SAMPLE,
) -> np.ndarray:
    """Gaussian-mixture component of every row; the mixture is fitted on a sample."""
    _check_covariance(covariance_type)
    _check_k(n_components, len(X), "mixture components")
    gmm = _mixture(n_components, covariance_type, seed)
    gmm.fit(_gmm_sample(X, fit_sample, seed))
    return gmm.predict(X).astype("int64")


@_single_threaded
def gmm_sweep(
    X: np.ndarray,
    components: Sequence[int],
    covariance_type: str = "full",
    seed: int = 0,
    fit_sample: int = GMM_SWEEP_SAMPLE,
) -> pd.DataFrame:
    """BIC and AIC (on the fitting sample) for each number of components the data allows."""
    _check_covariance(covariance_type)
    sample = _gmm_sample(X, fit_sample, seed)
    rows = []
    for n in sorted({int(n) for n in components if 1 <= n < len(sample)}):
        gmm = _mixture(n, covariance_type, seed).fit(sample)
        rows.append({"components": n, "bic": gmm.bic(sample), "aic": gmm.aic(sample)})
    return pd.DataFrame(rows, columns=["components", "bic", "aic"])


def genre_centroids(X: np.ndarray, genres: Sequence[str], features: Sequence[str]) -> pd.DataFrame:
    """Mean standardised feature values per genre (rows sorted by genre name)."""
    labels = pd.Series(np.asarray(genres, dtype=object))
    keep = labels.notna().to_numpy()
    frame = pd.DataFrame(X[keep], columns=list(features))
    frame["genre"] = labels[keep].astype(str).to_numpy()
    return frame.groupby("genre").mean().sort_index()


def genre_linkage(centroids: pd.DataFrame, method: str = "ward") -> np.ndarray:
    """Agglomerative (scipy) linkage of genre centroids; needs at least two genres."""
    if method not in LINKAGE_METHODS:
        raise ClusterInputError(f"Linkage must be one of {', '.join(LINKAGE_METHODS)}.")
    if len(centroids) < 2:
        raise ClusterInputError("The genre tree needs at least two genres.")
    return hierarchy.linkage(centroids.to_numpy(), method=method, metric="euclidean")


def dendrogram_order(linkage: np.ndarray, labels: Sequence[str]) -> list[str]:
    """Leaf order of the genre tree (deterministic for a given linkage)."""
    tree = hierarchy.dendrogram(linkage, labels=list(labels), no_plot=True)
    return list(tree["ivl"])


def genre_groups(
    linkage: np.ndarray, genres: Sequence[str], n_groups: int, max_names: int = 3
) -> dict[str, str]:
    """Cut the genre tree into ``n_groups`` groups: genre -> label naming the group's members.

    Groups are numbered in dendrogram order so neighbouring groups get neighbouring numbers.
    """
    genres = list(genres)
    cut = hierarchy.fcluster(linkage, t=max(1, n_groups), criterion="maxclust")
    by_genre = dict(zip(genres, cut, strict=True))
    order: list[int] = []
    for genre in dendrogram_order(linkage, genres):
        if by_genre[genre] not in order:
            order.append(by_genre[genre])
    labels: dict[int, str] = {}
    for number, group in enumerate(order, start=1):
        members = [g for g in dendrogram_order(linkage, genres) if by_genre[g] == group]
        more = f" +{len(members) - max_names}" if len(members) > max_names else ""
        labels[group] = f"{number}: {', '.join(members[:max_names])}{more}"
    return {g: labels[by_genre[g]] for g in genres}


def legend_labels(values: Sequence[str], top_n: int = 12, other: str = OTHER) -> pd.Series:
    """Keep the ``top_n`` most frequent labels (ties by name) and call the rest ``other``."""
    series = pd.Series(np.asarray(values, dtype=object)).astype("string").fillna("unknown")
    counts = series.value_counts()
    ranked = sorted(counts.index, key=lambda g: (-counts[g], g))
    keep = set(ranked[:top_n])
    return series.where(series.isin(keep), other).astype(object)


def contingency(rows: Sequence, columns: Sequence, normalise: bool = True) -> pd.DataFrame:
    """Cross-tabulation of two labelings; each row sums to 1 when ``normalise``."""
    table = pd.crosstab(
        pd.Series(np.asarray(rows, dtype=object), name="rows"),
        pd.Series(np.asarray(columns, dtype=object), name="columns"),
    )
    table.index.name = None
    table.columns.name = None
    if normalise:
        table = table.div(table.sum(axis=1), axis=0)
    return table


def cluster_profiles(X: np.ndarray, labels: np.ndarray, features: Sequence[str]) -> pd.DataFrame:
    """Mean standardised value of each feature per cluster (rows: clusters in label order)."""
    frame = pd.DataFrame(X, columns=list(features))
    frame["cluster"] = np.asarray(labels)
    return frame.groupby("cluster").mean().sort_index()


def agreement(truth: Sequence, predicted: Sequence) -> dict[str, float]:
    """Adjusted Rand index and normalised mutual information of two labelings."""
    truth = np.asarray(truth, dtype=object)
    predicted = np.asarray(predicted, dtype=object)
    return {
        "ari": float(adjusted_rand_score(truth, predicted)),
        "nmi": float(normalized_mutual_info_score(truth, predicted)),
    }


@_single_threaded
def knn_genre_cv(
    X: np.ndarray,
    genres: Sequence[str],
    groups: Sequence[str] | None = None,
    n_neighbors: int = 15,
    n_splits: int = 5,
) -> np.ndarray:
    """Cross-validated k-NN genre predictions, folds grouped by ``groups`` (e.g. primary artist).

    Tracks of one artist never sit in both the training and the test fold, so artist
    memorisation cannot inflate the agreement. Falls back to stratified folds without groups.
    """
    y = np.asarray(genres, dtype=object).astype(str)
    if len(np.unique(y)) < 2:
        raise ClusterInputError("The k-NN check needs at least two genres.")
    n_neighbors = max(1, min(n_neighbors, len(X) * (n_splits - 1) // n_splits - 1))
    model = KNeighborsClassifier(n_neighbors=n_neighbors)
    if groups is not None and len(set(groups)) >= n_splits:
        folds = splits.group_folds(np.asarray(groups, dtype=object), n_splits, seed=None)
    else:
        folds = splits.stratified_folds(y, n_splits)
    return cross_val_predict(model, X, y, cv=folds)


def knn_accuracy(genres: Sequence[str], predicted: Sequence[str]) -> float:
    """Share of tracks whose predicted genre is their genre."""
    truth = np.asarray(genres, dtype=object).astype(str)
    return float(np.mean(np.asarray(predicted, dtype=object).astype(str) == truth))


def confusion_table(
    genres: Sequence[str], predicted: Sequence[str], top_n: int = 30
) -> pd.DataFrame:
    """Row-normalised true x predicted genre table over the ``top_n`` genres (the rest: other)."""
    truth = legend_labels(genres, top_n)
    keep = set(truth) - {OTHER}
    pred = np.asarray(predicted, dtype=object).astype(str)
    return contingency(truth, np.where(np.isin(pred, list(keep)), pred, OTHER))


def default_group_count(n_genres: int, most: int = 12) -> int:
    """How many groups the genre tree is cut into by default (about half the genres)."""
    return min(most, max(2, n_genres // 2))


def agreement_table(
    X: np.ndarray,
    genres: Sequence[str],
    labelings: Mapping[str, np.ndarray],
    silhouette_sample: int = SILHOUETTE_SAMPLE,
    seed: int = 0,
) -> pd.DataFrame:
    """ARI, NMI against genre and sampled silhouette for each labeling (genre itself first).

    ``labelings`` maps a method name (KMeans, GMM, k-NN) to its labels for the rows of ``X``.
    """
    rows = []
    for name, labels in {"genre (reference)": np.asarray(genres), **labelings}.items():
        score, used = sampled_silhouette(X, np.asarray(labels), silhouette_sample, seed)
        rows.append(
            {
                "method": name,
                "groups": int(pd.Series(np.asarray(labels, dtype=object)).nunique()),
                **agreement(genres, labels),
                "silhouette": score,
                "silhouette_rows": used,
            }
        )
    return pd.DataFrame(rows)
