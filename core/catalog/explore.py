"""Pure helpers behind the Explore page: filters, KPIs, correlations, genre means, fits, trends."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.catalog.schema import AUDIO_COLUMNS

#: Features offered on the Explore page (audio features plus context where present).
NUMERIC_CANDIDATES: tuple[str, ...] = (*AUDIO_COLUMNS, "popularity", "release_year")


def numeric_columns(df: pd.DataFrame) -> list[str]:
    """Numeric columns a user can plot, in a stable order."""
    return [c for c in NUMERIC_CANDIDATES if c in df and df[c].notna().any()]


def numeric_range_filter(values: pd.Series, lo: float, hi: float) -> pd.Series:
    """Boolean mask of values within [lo, hi]; missing values are kept (unknown is not excluded)."""
    return values.isna() | values.between(lo, hi)


def filter_mask(
    df: pd.DataFrame,
    genres: list[str] | None = None,
    popularity: tuple[float, float] | None = None,
    years: tuple[int, int] | None = None,
) -> np.ndarray:
    """Rows matching every given filter (None means no filter on that column)."""
    mask = pd.Series(True, index=df.index)
    if genres and "genre" in df:
        mask &= df["genre"].isin(genres).fillna(False)
    if popularity is not None and "popularity" in df:
        mask &= numeric_range_filter(df["popularity"], *popularity).fillna(True)
    if years is not None and "release_year" in df:
        mask &= numeric_range_filter(df["release_year"], *years).fillna(True)
    return mask.to_numpy(dtype=bool)


def kpis(df: pd.DataFrame) -> dict[str, float]:
    """Headline counts for a (filtered) table."""
    return {
        "tracks": len(df),
        "artists": int(df["primary_artist"].nunique()) if "primary_artist" in df else 0,
        "genres": int(df["genre"].nunique()) if "genre" in df else 0,
        "mean_valence": float(df["valence"].mean()) if len(df) else float("nan"),
    }


def correlation_matrix(
    df: pd.DataFrame, columns: list[str], method: str = "pearson"
) -> pd.DataFrame:
    """Pairwise correlations (``pearson`` or ``spearman``) of numeric columns."""
    if method not in {"pearson", "spearman"}:
        raise ValueError(f"method must be pearson or spearman, not {method!r}")
    frame = df[columns].astype("float64")
    if method == "spearman":
        frame = frame.rank()
    return frame.corr()


def genre_means(df: pd.DataFrame, features: list[str]) -> pd.DataFrame:
    """Mean of each feature per genre, with a ``tracks`` count column."""
    grouped = df.groupby("genre", observed=True)
    means = grouped[features].mean()
    means.insert(0, "tracks", grouped.size())
    return means


def zscore_columns(frame: pd.DataFrame) -> pd.DataFrame:
    """Standardise each column across rows (a constant column becomes 0)."""
    sd = frame.std(ddof=0).replace(0, np.nan)
    return ((frame - frame.mean()) / sd).fillna(0.0)


def order_by_similarity(frame: pd.DataFrame) -> list[str]:
    """Row labels ordered so similar rows sit together (average-linkage leaf order)."""
    from scipy.cluster.hierarchy import leaves_list, linkage  # 0.6 s: only this tab needs it

    if len(frame) < 3:
        return list(frame.index)
    order = leaves_list(
        linkage(frame.to_numpy(dtype=float), method="average", optimal_ordering=True)
    )
    return [frame.index[i] for i in order]


@dataclass
class Fit:
    """A least-squares polynomial fit of y on x."""

    degree: int
    coefficients: np.ndarray  # highest power first (numpy.polyfit order)
    r2: float
    x: np.ndarray  # evenly spaced x for drawing
    y: np.ndarray

    @property
    def label(self) -> str:
        """Legend text, e.g. ``linear R² = 0.21``."""
        name = {1: "linear", 2: "quadratic"}.get(self.degree, f"degree {self.degree}")
        return f"{name} R² = {self.r2:.3f}"


def polynomial_fit(x: pd.Series, y: pd.Series, degree: int, points: int = 100) -> Fit | None:
    """Fit y ~ poly(x, degree) on complete pairs; None when there are too few distinct x values."""
    pairs = pd.DataFrame({"x": x, "y": y}).astype("float64").dropna()
    if len(pairs) <= degree + 1 or pairs["x"].nunique() <= degree:
        return None
    coefs = np.polyfit(pairs["x"], pairs["y"], degree)
    fitted = np.polyval(coefs, pairs["x"])
    ss_res = float(((pairs["y"] - fitted) ** 2).sum())
    ss_tot = float(((pairs["y"] - pairs["y"].mean()) ** 2).sum())
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    xs = np.linspace(pairs["x"].min(), pairs["x"].max(), points)
    return Fit(degree, coefs, r2, xs, np.polyval(coefs, xs))


def valence_by_period(df: pd.DataFrame, period: str = "year", min_tracks: int = 5) -> pd.DataFrame:
    """Mean valence (with standard error and count) per release year or decade."""
    if "release_year" not in df or df["release_year"].isna().all():
        return pd.DataFrame(columns=["period", "mean", "sem", "tracks"])
    years = df["release_year"].astype("float64")
    key = (years // 10 * 10) if period == "decade" else years
    stats = df["valence"].groupby(key).agg(["mean", "sem", "count"]).reset_index()
    stats.columns = ["period", "mean", "sem", "tracks"]
    stats = stats[stats["tracks"] >= min_tracks]
    stats["period"] = stats["period"].astype(int)
    return stats.reset_index(drop=True)


def histogram_counts(
    df: pd.DataFrame, feature: str, group: str | None, bins: int = 40
) -> pd.DataFrame:
    """Binned counts of a feature (per group), normalised to a density within each group.

    Pre-binning keeps the browser payload small on large catalogs.
    """
    values = df[feature].astype("float64")
    lo, hi = float(values.min()), float(values.max())
    if not np.isfinite(lo) or lo == hi:
        hi = lo + 1.0
    edges = np.linspace(lo, hi, bins + 1)
    groups = df[group].astype(str) if group else pd.Series("all", index=df.index)
    rows = [
        density_frame(name, edges, np.histogram(vals.dropna(), bins=edges)[0])
        for name, vals in values.groupby(groups)
    ]
    return pd.concat(rows, ignore_index=True)


def density_frame(group: str, edges: np.ndarray, counts: np.ndarray) -> pd.DataFrame:
    """One group's histogram rows: bin ``left`` edge, ``center``, ``count`` and ``share``."""
    return pd.DataFrame(
        {
            "group": group,
            "left": edges[:-1],
            "center": (edges[:-1] + edges[1:]) / 2,
            "count": counts,
            "share": counts / (counts.sum() or 1),
        }
    )


def track_labels(df: pd.DataFrame, sep: str = " — ") -> pd.Series:
    """A readable label per track, unique within ``df``: "title — artist, artist".

    A missing title falls back to the track id, missing artists to "?"; without any titles the
    label is the track id, else the row number. Same-titled tracks are told apart by album and
    year, then genre, then the id or row number.
    """
    if "track_name" not in df or df["track_name"].isna().all():
        if "track_id" in df and df["track_id"].notna().any():
            return df["track_id"].astype("string").fillna("?")
        return pd.Series([f"row {i}" for i in range(len(df))], index=df.index, dtype="string")
    label = df["track_name"].astype("string")
    if "track_id" in df:
        label = label.fillna(df["track_id"].astype("string"))
    label = label.fillna("?")
    if "artists" in df:
        label = label + sep + df["artists"].astype("string").fillna("?").str.replace(";", ", ")
    extras = []
    if "album_name" in df:
        album = df["album_name"].astype("string").fillna("")
        if "release_year" in df:
            year = df["release_year"].astype("Int64").astype("string").fillna("")
            album = (album + " (" + year + ")").str.replace(" ()", "", regex=False)
        extras.append(album.str.replace(r"^ ?\((\d{4})\)$", r"\1", regex=True))
    elif "release_year" in df:
        extras.append(df["release_year"].astype("Int64").astype("string").fillna(""))
    if "genre" in df:
        extras.append(df["genre"].astype("string").fillna(""))
    rows = pd.Series([f"row {i}" for i in df.index], index=df.index, dtype="string")
    extras.append(
        ("id " + df["track_id"].astype("string")).fillna(rows) if "track_id" in df else rows
    )
    for extra in extras:
        dup = label.duplicated(keep=False) & extra.ne("")
        if not dup.any():
            break
        label = label.where(~dup, label + " · " + extra)
    return label


def genre_order(df: pd.DataFrame, feature: str) -> list[str]:
    """Genres of ``df`` ordered by their median ``feature`` (lowest first)."""
    medians = df.groupby("genre", observed=True)[feature].median()
    return sorted(df["genre"].unique(), key=lambda g: medians[g])


def strongest_correlations(corr: pd.DataFrame, target: str = "valence", n: int = 3) -> pd.Series:
    """The ``n`` features most correlated (in absolute value) with ``target``, signed."""
    return corr[target].drop(target).sort_values(key=abs, ascending=False).head(n)


def fit_lines(df: pd.DataFrame, x: str, y: str, kinds: list[str]) -> list[Fit]:
    """Polynomial fits of ``y`` on ``x`` for each of ``kinds`` ("linear", "quadratic") that fit."""
    degrees = {"linear": 1, "quadratic": 2}
    fits = [polynomial_fit(df[x], df[y], degrees[k]) for k in degrees if k in kinds]
    return [f for f in fits if f]
