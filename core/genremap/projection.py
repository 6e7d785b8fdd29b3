"""Standardised feature matrices, PCA and UMAP layouts (cached on disk) for the Genre map.

Frames and arrays in, frames and arrays out; the one side effect is the UMAP layout cache on
disk (``umap_layout`` reads and writes ``cache_dir()/umap`` for public catalogs). Long work
reports :class:`core.progress.Progress` shares through ``on_progress``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.decomposition import PCA

from core import compute
from core.catalog import sources
from core.catalog.sampling import sample_rows
from core.catalog.schema import AUDIO_COLUMNS, CONTINUOUS_COLUMNS
from core.progress import Progress, ProgressFn, reporter

log = logging.getLogger(__name__)

PHASE = "umap"
#: Audio features used by default: the continuous ones (key, mode and time signature are
#: categorical codes whose distances mean little).
DEFAULT_FEATURES: tuple[str, ...] = CONTINUOUS_COLUMNS
MIN_ROWS = 10
#: Seconds per row of a warm UMAP run on 2 cores, and numba's one-off compile time
#: (measured by ``bench/bench_clusters.py``; used only for the estimate shown to users).
UMAP_SECONDS_PER_ROW = 1.0e-3
UMAP_JIT_SECONDS = 20.0
UMAP_CACHE_VERSION = 1
#: Up to this many rows UMAP's neighbour graph is exact (k-d tree), above it NN-descent.
EXACT_KNN_MAX_ROWS = 30_000
NNDESCENT_SECONDS = 45.0
#: Above this many rows a layout is fitted on a sample of this size and the rest transformed.
UMAP_FIT_MAX = 30_000
#: Rows per ``UMAP.transform`` call when a layout is fitted on a sample.
TRANSFORM_CHUNK_ROWS = 50_000
_jit_warm = False  # process-wide fact: numba has compiled UMAP's kernels in this process


class ClusterInputError(ValueError):
    """Parameters or data that a projection or clustering cannot work with."""


def available_features(df: pd.DataFrame) -> list[str]:
    """Numeric audio feature columns of a catalog that can enter a projection."""
    return [c for c in AUDIO_COLUMNS if c in df and pd.api.types.is_numeric_dtype(df[c])]


def default_features(df: pd.DataFrame) -> list[str]:
    """The default feature list for a catalog (``DEFAULT_FEATURES`` that it has)."""
    return [c for c in DEFAULT_FEATURES if c in available_features(df)]


@dataclass
class Scaled:
    """A standardised feature matrix and what went into it."""

    X: np.ndarray  # (n_rows, n_features), each column mean 0 and standard deviation 1
    features: list[str]  # columns of X
    dropped: list[str]  # requested features left out because they do not vary
    index: pd.Index  # catalog row labels of the rows of X


def standardise(df: pd.DataFrame, features: Sequence[str]) -> Scaled:
    """Z-score the chosen feature columns; constant columns are dropped and reported.

    Raises
    ------
    ClusterInputError
        When a feature is unknown, too few rows remain, or fewer than two features vary.
    """
    features = list(dict.fromkeys(features))
    unknown = [f for f in features if f not in df]
    if unknown:
        raise ClusterInputError(f"Unknown feature(s): {', '.join(unknown)}.")
    if len(features) < 2:
        raise ClusterInputError("Choose at least two features.")
    frame = df[features].apply(pd.to_numeric, errors="coerce").astype("float64").dropna()
    if len(frame) < MIN_ROWS:
        raise ClusterInputError(
            f"Only {len(frame)} tracks have all the chosen features; "
            f"at least {MIN_ROWS} are needed."
        )
    std = frame.std(ddof=0)
    dropped = [f for f in features if not std[f] > 1e-12]
    kept = [f for f in features if f not in dropped]
    if len(kept) < 2:
        raise ClusterInputError(
            "At least two features must vary across the tracks; "
            f"these are constant: {', '.join(dropped)}."
        )
    values = frame[kept].to_numpy()
    X = (values - values.mean(axis=0)) / values.std(axis=0)
    return Scaled(X=X, features=kept, dropped=dropped, index=frame.index)


@dataclass
class PCAResult:
    """Principal components of a standardised matrix."""

    scores: np.ndarray  # (n_rows, n_components)
    explained: np.ndarray  # explained variance ratio per component (sums to 1)
    loadings: pd.DataFrame  # features x components: eigenvector * sqrt(eigenvalue)

    def variance_frame(self) -> pd.DataFrame:
        """One row per component: explained and cumulative variance ratio."""
        return pd.DataFrame(
            {
                "component": [f"PC{i + 1}" for i in range(len(self.explained))],
                "explained": self.explained,
                "cumulative": np.cumsum(self.explained),
            }
        )


def standardise_sample(
    df: pd.DataFrame, features: Sequence[str], sample_size: int | None, seed: int = 0
) -> Scaled:
    """Standardise a seeded sample of ``df`` (rows kept in catalog order); see ``standardise``."""
    if sample_size is not None and sample_size < MIN_ROWS:
        raise ClusterInputError(f"The sample needs at least {MIN_ROWS} tracks.")
    return standardise(sample_rows(df, sample_size, seed, keep_order=True), features)


def fit_pca(scaled: Scaled) -> PCAResult:
    """PCA with every component, so the explained variance ratios sum to 1."""
    n_components = min(scaled.X.shape)
    pca = PCA(n_components=n_components, svd_solver="full").fit(scaled.X)
    names = [f"PC{i + 1}" for i in range(n_components)]
    # Eigenvalues of the population covariance (ddof=0, as standardise uses), so each loading is
    # the correlation of a feature with a component.
    n_rows = len(scaled.X)
    eigenvalues = pca.explained_variance_ * (n_rows - 1) / n_rows
    loadings = pd.DataFrame(
        pca.components_.T * np.sqrt(eigenvalues), index=scaled.features, columns=names
    )
    return PCAResult(pca.transform(scaled.X), pca.explained_variance_ratio_, loadings)


@dataclass
class UmapLayout:
    """2-D UMAP coordinates of a sample of catalog rows."""

    coords: np.ndarray  # (n_rows, 2)
    rows: np.ndarray  # positions (iloc) of the laid-out rows in the catalog, aligned with coords
    from_cache: bool
    seconds: float


def align_layout(layout: UmapLayout, positions: np.ndarray) -> np.ndarray | None:
    """Layout coordinates of the rows at catalog ``positions``, in that order.

    Returns None when any of those rows is not in the layout (a layout of another sample).
    """
    where = pd.Series(np.arange(len(layout.rows)), index=np.asarray(layout.rows))
    at = where.reindex(np.asarray(positions)).to_numpy()
    if np.isnan(at).any():
        return None
    return layout.coords[at.astype(int)]


def validate_umap_params(n_rows: int, n_neighbors: int, min_dist: float) -> None:
    """Raise ``ClusterInputError`` for UMAP settings that cannot work on ``n_rows`` rows."""
    if n_rows < MIN_ROWS:
        raise ClusterInputError(f"UMAP needs at least {MIN_ROWS} tracks.")
    if not 2 <= n_neighbors < n_rows:
        raise ClusterInputError(
            f"n_neighbors must be between 2 and {n_rows - 1} for {n_rows} tracks "
            f"(got {n_neighbors})."
        )
    if not 0.0 <= min_dist <= 1.0:
        raise ClusterInputError(f"min_dist must be between 0 and 1 (got {min_dist}).")


def estimate_umap_seconds(n_rows: int) -> float:
    """Rough wall time of a UMAP run on 2 cores, including numba compilation when cold."""
    # The layout grows faster than linearly: 114k synthetic rows measured ~500 s on 2 busy cores.
    per_row = UMAP_SECONDS_PER_ROW * max(1.0, n_rows / EXACT_KNN_MAX_ROWS)
    seconds = n_rows * per_row + (0.0 if _jit_warm else UMAP_JIT_SECONDS)
    if n_rows > EXACT_KNN_MAX_ROWS:  # NN-descent, compiled on first use
        seconds += NNDESCENT_SECONDS
    return seconds


def umap_cache_key(
    source_id: str,
    checksum: str,
    features: Sequence[str],
    n_neighbors: int,
    min_dist: float,
    sample_size: int | None,
    seed: int,
    fit_size: int | None = None,
) -> str:
    """A file-name-safe hash of everything a UMAP layout depends on."""
    spec = {
        "v": UMAP_CACHE_VERSION,
        "source": source_id,
        "checksum": checksum,
        "features": list(features),
        "n_neighbors": int(n_neighbors),
        "min_dist": round(float(min_dist), 6),
        "sample": None if sample_size is None else int(sample_size),
        "seed": int(seed),
    }
    if fit_size is not None:  # only then: keys of layouts fitted on every row stay as they were
        spec["fit"] = int(fit_size)
    return hashlib.sha256(json.dumps(spec, sort_keys=True).encode()).hexdigest()[:32]


def umap_cache_path(key: str) -> Path:
    """Where a layout with this key lives: ``cache_dir()/umap/<key>.npz``."""
    return sources.cache_dir() / "umap" / f"{key}.npz"


def load_cached_layout(key: str) -> UmapLayout | None:
    """The layout stored under ``key``, or None when there is none (or it is unreadable)."""
    path = umap_cache_path(key)
    if not path.is_file():
        return None
    try:
        with np.load(path, allow_pickle=False) as stored:
            return UmapLayout(stored["coords"], stored["rows"], from_cache=True, seconds=0.0)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("ignoring unreadable UMAP cache %s: %s", path, exc)
        return None


def compute_umap(
    X: np.ndarray,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 0,
    on_progress: ProgressFn | None = None,
) -> np.ndarray:
    """2-D UMAP embedding of ``X`` in two stages (neighbour graph, then layout).

    Runs single-threaded (seeded UMAP is) inside one slot of the CPU gate (``core.compute``).
    """
    validate_umap_params(len(X), n_neighbors, min_dist)
    progress = reporter(on_progress)

    def report(message: str, fraction: float) -> None:
        progress(Progress.share(PHASE, fraction, message))

    def waiting(ahead: int) -> None:
        report(f"{compute.waiting_message(ahead).capitalize()}…", 0.05)

    with compute.slot("UMAP", waiting, max_threads=1):
        return _compute_umap(X, n_neighbors, min_dist, seed, report)


def _compute_umap(
    X: np.ndarray,
    n_neighbors: int,
    min_dist: float,
    seed: int,
    report: Callable[[str, float], None],
) -> np.ndarray:
    global _jit_warm
    import umap
    from sklearn.neighbors import NearestNeighbors

    report(f"Finding the {n_neighbors} nearest neighbours of {len(X):,} tracks…", 0.1)
    if len(X) <= EXACT_KNN_MAX_ROWS:
        # Exact neighbours: a k-d tree on a handful of dimensions is fast, deterministic and
        # needs no numba compilation, unlike UMAP's approximate NN-descent.
        knn_dist, knn_idx = NearestNeighbors(n_neighbors=n_neighbors).fit(X).kneighbors(X)
    else:  # the k-d tree grows superlinearly (114k rows: ~80 s vs ~12 s for NN-descent)
        from umap.umap_ import nearest_neighbors

        knn_idx, knn_dist, _ = nearest_neighbors(
            X, n_neighbors, "euclidean", {}, False, np.random.RandomState(seed), n_jobs=1
        )
    report("Optimising the 2-D layout…", 0.45)
    reducer = umap.UMAP(
        n_neighbors=n_neighbors,
        min_dist=min_dist,
        n_components=2,
        random_state=seed,
        precomputed_knn=(knn_idx.astype("int32"), knn_dist.astype("float32")),
        n_jobs=1,
    )
    with warnings.catch_warnings():  # "transform will be unavailable": we never transform
        warnings.filterwarnings("ignore", message="precomputed_knn", category=UserWarning)
        coords = reducer.fit_transform(X).astype("float32")
    _jit_warm = True
    report("Layout ready.", 1.0)
    return coords


def compute_umap_at_scale(
    X: np.ndarray,
    fit_size: int,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    seed: int = 0,
    on_progress: ProgressFn | None = None,
    chunk_rows: int = TRANSFORM_CHUNK_ROWS,
) -> np.ndarray:
    """UMAP fitted on a seeded sample of ``fit_size`` rows, the rest placed by ``transform``.

    Rows outside the sample are transformed in chunks of ``chunk_rows`` (progress after each).
    """
    global _jit_warm
    import umap

    if fit_size >= len(X):
        return compute_umap(X, n_neighbors, min_dist, seed, on_progress)
    validate_umap_params(fit_size, n_neighbors, min_dist)
    progress = reporter(on_progress)

    def report(message: str, fraction: float) -> None:
        progress(Progress.share(PHASE, fraction, message))

    fit_rows = np.sort(np.random.default_rng(seed).choice(len(X), fit_size, replace=False))
    report(f"Fitting UMAP on a random sample of {fit_size:,} of {len(X):,} tracks…", 0.05)
    reducer = umap.UMAP(
        n_neighbors=n_neighbors, min_dist=min_dist, n_components=2, random_state=seed, n_jobs=1
    ).fit(X[fit_rows])
    coords = np.empty((len(X), 2), dtype="float32")
    coords[fit_rows] = reducer.embedding_
    rest = np.setdiff1d(np.arange(len(X)), fit_rows)
    for start in range(0, len(rest), chunk_rows):
        part = rest[start : start + chunk_rows]
        coords[part] = reducer.transform(X[part])
        done = min(start + chunk_rows, len(rest))
        report(f"Placed {done + fit_size:,} of {len(X):,} tracks…", 0.4 + 0.6 * done / len(rest))
    _jit_warm = True
    report("Layout ready.", 1.0)
    return coords


def umap_fit_size(n_rows: int) -> int | None:
    """Rows UMAP is fitted on when laying out ``n_rows`` (None: fit on all of them)."""
    return UMAP_FIT_MAX if n_rows > UMAP_FIT_MAX else None


def umap_layout(
    df: pd.DataFrame,
    features: Sequence[str],
    *,
    n_neighbors: int = 15,
    min_dist: float = 0.1,
    sample_size: int | None = None,
    seed: int = 0,
    source_id: str | None = None,
    checksum: str | None = None,
    on_progress: ProgressFn | None = None,
    fit_size: int | None = None,
) -> UmapLayout:
    """UMAP layout of a sample of ``df``, read from the disk cache when it was made before.

    With ``fit_size`` smaller than the rows laid out, UMAP is fitted on that many rows and the
    rest are placed by ``transform`` in chunks (:func:`compute_umap_at_scale`).

    The layout is cached under ``cache_dir()/umap`` only when ``source_id`` and ``checksum``
    are given (public catalogs); uploads pass neither and are computed in memory.
    """
    key = None
    if source_id is not None and checksum is not None:
        key = umap_cache_key(
            source_id, checksum, features, n_neighbors, min_dist, sample_size, seed, fit_size
        )
        cached = load_cached_layout(key)
        if cached is not None:
            return cached
    report = reporter(on_progress)
    start = time.perf_counter()
    report(Progress.share(PHASE, 0.02, "Scaling the features…"))
    scaled = standardise_sample(df, features, sample_size, seed)
    if fit_size is not None and fit_size < len(scaled.X):
        coords = compute_umap_at_scale(scaled.X, fit_size, n_neighbors, min_dist, seed, on_progress)
    else:
        coords = compute_umap(scaled.X, n_neighbors, min_dist, seed, on_progress)
    rows = df.index.get_indexer(scaled.index).astype("int64")
    if key is not None:
        path = umap_cache_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp.npz")
        np.savez(tmp, coords=coords, rows=rows)
        os.replace(tmp, path)
    seconds = time.perf_counter() - start
    log.info("UMAP of %d rows took %.1f s", len(coords), seconds)
    return UmapLayout(coords, rows, from_cache=False, seconds=seconds)
