"""Genre profiles: two groups of tracks compared feature by feature, and "which genre is this?".

* :func:`compare_groups` gives, per audio feature, both means, the difference, Cohen's d with
  a 95 % confidence interval, and a size label (|d| < 0.2 negligible, < 0.5 small, < 0.8
  medium, else large);
* :func:`closest_genres` ranks catalog genres by how close a set of tracks (a playlist) sits to
  each genre's profile: the distance between mean feature vectors in catalog standard
  deviations, and the share of the tracks whose nearest genre profile it is;
* :func:`evidence` names the features where the tracks match the genre best and worst.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.catalog.schema import PROFILE_FEATURES

SIZE_LABELS = ((0.2, "negligible"), (0.5, "small"), (0.8, "medium"), (np.inf, "large"))


def profile_features(*frames: pd.DataFrame) -> list[str]:
    """The profile features present (with values) in every frame."""
    return [f for f in PROFILE_FEATURES if all(f in fr and fr[f].notna().any() for fr in frames)]


def _size(d: float) -> str:
    if not np.isfinite(d):
        return "n/a"
    return next(label for bound, label in SIZE_LABELS if abs(d) < bound)


def compare_groups(a: pd.DataFrame, b: pd.DataFrame) -> pd.DataFrame:
    """Feature-by-feature comparison of group ``a`` with group ``b``.

    Returns
    -------
    pd.DataFrame
        ``feature``, ``mean_a``, ``mean_b``, ``difference`` (a - b), ``cohens_d`` (pooled
        SD), ``d_low``/``d_high`` (95 % interval, normal approximation), ``size``, ``n_a``,
        ``n_b``; sorted by |d|, largest first. A feature with fewer than 2 values on a side
        gets NaN effect sizes.
    """
    rows = []
    for f in profile_features(a, b):
        x = pd.to_numeric(a[f], errors="coerce").dropna().to_numpy(float)
        y = pd.to_numeric(b[f], errors="coerce").dropna().to_numpy(float)
        n1, n2 = len(x), len(y)
        d = se = np.nan
        if n1 >= 2 and n2 >= 2:
            pooled = np.sqrt(((n1 - 1) * x.var(ddof=1) + (n2 - 1) * y.var(ddof=1)) / (n1 + n2 - 2))
            if pooled > 0:
                d = (x.mean() - y.mean()) / pooled
                se = np.sqrt((n1 + n2) / (n1 * n2) + d**2 / (2 * (n1 + n2)))
        rows.append(
            {
                "feature": f,
                "mean_a": x.mean() if n1 else np.nan,
                "mean_b": y.mean() if n2 else np.nan,
                "difference": (x.mean() - y.mean()) if n1 and n2 else np.nan,
                "cohens_d": d,
                "d_low": d - 1.96 * se,
                "d_high": d + 1.96 * se,
                "size": _size(d),
                "n_a": n1,
                "n_b": n2,
            }
        )
    out = pd.DataFrame(rows)
    if out.empty:
        return out
    order = out["cohens_d"].abs().fillna(-1).sort_values(ascending=False, kind="stable").index
    return out.loc[order].reset_index(drop=True)


def closest_genres(
    tracks: pd.DataFrame, catalog_df: pd.DataFrame, genre_col: str = "genre", top: int = 5
) -> pd.DataFrame:
    """Catalog genres ranked by how much ``tracks`` sound like them.

    Features are standardised with the catalog's mean and SD. ``distance`` is the Euclidean
    distance between the tracks' mean vector and each genre's mean vector, divided by the
    square root of the number of features (an average gap in SDs per feature); ``votes`` is
    the share of tracks whose own nearest genre mean is that genre.

    Returns
    -------
    pd.DataFrame
        ``genre``, ``distance``, ``votes``, ``n_genre`` (catalog tracks), the ``top`` closest.
    """
    feats = profile_features(tracks, catalog_df)
    cat = catalog_df.dropna(subset=[genre_col])
    if not feats or cat.empty:
        return pd.DataFrame(columns=["genre", "distance", "votes", "n_genre"])
    mu = cat[feats].mean()
    sd = cat[feats].std().replace(0, 1.0)
    centroids = ((cat[feats] - mu) / sd).groupby(cat[genre_col].astype(str)).mean()
    X = ((tracks[feats] - mu) / sd).dropna()
    if X.empty:
        return pd.DataFrame(columns=["genre", "distance", "votes", "n_genre"])
    C = centroids.to_numpy(float)
    dist = np.linalg.norm(C - X.mean().to_numpy(float), axis=1) / np.sqrt(len(feats))
    per_track = np.linalg.norm(X.to_numpy(float)[:, None, :] - C[None, :, :], axis=2)
    votes = np.bincount(per_track.argmin(axis=1), minlength=len(C)) / len(X)
    counts = cat[genre_col].astype(str).value_counts()
    out = pd.DataFrame(
        {
            "genre": centroids.index,
            "distance": dist,
            "votes": votes,
            "n_genre": counts.reindex(centroids.index).to_numpy(),
        }
    )
    return out.sort_values("distance", kind="stable").head(top).reset_index(drop=True)


def evidence(comparison: pd.DataFrame, n: int = 3) -> tuple[list[str], list[str]]:
    """The ``n`` features where two groups match best (smallest |d|) and differ most."""
    ok = comparison.dropna(subset=["cohens_d"])
    if ok.empty:
        return [], []
    by = ok.assign(_abs=ok["cohens_d"].abs()).sort_values("_abs", kind="stable")
    return by["feature"].head(n).tolist(), by["feature"].iloc[::-1].head(n).tolist()
