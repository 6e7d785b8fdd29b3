"""Explore's aggregates behind one small interface, with a pandas and a DuckDB implementation.

:class:`PandasBackend` wraps an in-memory catalog and calls the helpers of
:mod:`core.catalog.explore` on the filtered rows (the path every catalog below the out-of-core
threshold takes, unchanged). :class:`DuckDBBackend` answers the same questions with SQL over the
cleaned Parquet of an out-of-core catalog, so only aggregates (and stated samples) ever reach
pandas. Both take the filters as a :class:`Filters` tuple and return the same shapes.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import numpy as np
import pandas as pd

from core.catalog import explore
from core.catalog.explore import Fit
from core.catalog.sampling import sample_rows

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

PERIOD_MIN_TRACKS = 5
SPEARMAN_SAMPLE = 200_000
#: Column or genre names a question is restricted to.
Names = tuple[str, ...]


class Filters(NamedTuple):
    """Explore's filters; an empty ``genres`` or a None range means no filter on it."""

    genres: Names = ()
    popularity: tuple[float, float] | None = None
    years: tuple[int, int] | None = None


class ExploreBackend(Protocol):
    """What the Explore page asks of a catalog, whatever holds it (see PandasBackend's docs)."""

    def count(self, f: Filters) -> int:
        """Tracks matching the filters."""

    def kpis(self, f: Filters) -> dict[str, float]:
        """Tracks, artists, genres and mean valence."""

    def numeric_columns(self) -> list[str]:
        """Plottable numeric columns."""

    def genres(self, f: Filters) -> list[str]:
        """Genres present in the filtered rows."""

    def value_range(self, column: str) -> tuple[float, float] | None:
        """Min and max of a column."""

    def histogram(self, f: Filters, feature: str, genres: Names | None) -> pd.DataFrame:
        """Binned densities of a feature."""

    def sample(
        self, f: Filters, cap: int, columns: Names | None = None, genres: Names | None = None
    ) -> pd.DataFrame:
        """At most ``cap`` filtered rows."""

    def correlation(self, f: Filters, columns: Names, method: str) -> pd.DataFrame:
        """Pairwise correlations."""

    def genre_means(self, f: Filters, features: Names) -> pd.DataFrame:
        """Feature means per genre."""

    def fit(self, f: Filters, x: str, y: str, degree: int) -> Fit | None:
        """Polynomial fit of y on x."""

    def valence_by_period(self, f: Filters, period: str) -> pd.DataFrame:
        """Valence per year or decade."""

    def rows(self, f: Filters, offset: int, limit: int) -> pd.DataFrame:
        """A page of filtered rows."""


class PandasBackend:
    """The in-memory path: filter the frame, then the plain pandas helpers."""

    def __init__(self, df: pd.DataFrame) -> None:
        self.df = df
        self._views: dict[Filters, pd.DataFrame] = {}

    def view(self, f: Filters) -> pd.DataFrame:
        """The filtered rows (remembered per filter for this backend's lifetime)."""
        if f not in self._views:
            mask = explore.filter_mask(self.df, list(f.genres) or None, f.popularity, f.years)
            self._views = {f: self.df[mask]}  # keep one: a backend lives for one rerun
        return self._views[f]

    def count(self, f: Filters) -> int:
        """Tracks matching the filters."""
        return len(self.view(f))

    def kpis(self, f: Filters) -> dict[str, float]:
        """Tracks, artists, genres and mean valence of the filtered rows."""
        return explore.kpis(self.view(f))

    def numeric_columns(self) -> list[str]:
        """Plottable numeric columns."""
        return explore.numeric_columns(self.df)

    def genres(self, f: Filters) -> list[str]:
        """Genres present in the filtered rows."""
        view = self.view(f)
        return sorted(view["genre"].dropna().unique()) if "genre" in view else []

    def value_range(self, column: str) -> tuple[float, float] | None:
        """Min and max of a column (None when absent or empty)."""
        if column not in self.df or self.df[column].notna().sum() == 0:
            return None
        return float(self.df[column].min()), float(self.df[column].max())

    def _subset(self, f: Filters, genres: Names | None) -> pd.DataFrame:
        view = self.view(f)
        return view[view["genre"].isin(genres)] if genres else view

    def histogram(self, f: Filters, feature: str, genres: Names | None) -> pd.DataFrame:
        """Binned densities of ``feature``, per genre when ``genres`` is given."""
        return explore.histogram_counts(
            self._subset(f, genres), feature, "genre" if genres else None
        )

    def sample(
        self, f: Filters, cap: int, columns: Names | None = None, genres: Names | None = None
    ) -> pd.DataFrame:
        """At most ``cap`` filtered rows, a seeded random sample when there are more."""
        sub = self._subset(f, genres)
        out = sample_rows(sub, cap)
        return out[[c for c in columns if c in out]] if columns else out

    def correlation(self, f: Filters, columns: Names, method: str) -> pd.DataFrame:
        """Pearson or Spearman correlations of the filtered rows."""
        return explore.correlation_matrix(self.view(f), list(columns), method)

    def genre_means(self, f: Filters, features: Names) -> pd.DataFrame:
        """Feature means per genre with a ``tracks`` column."""
        return explore.genre_means(self.view(f), list(features))

    def fit(self, f: Filters, x: str, y: str, degree: int) -> Fit | None:
        """Least-squares polynomial fit over every filtered row."""
        view = self.view(f)
        return explore.polynomial_fit(view[x], view[y], degree)

    def valence_by_period(self, f: Filters, period: str) -> pd.DataFrame:
        """Mean valence, standard error and count per year or decade."""
        return explore.valence_by_period(self.view(f), period)

    def rows(self, f: Filters, offset: int, limit: int) -> pd.DataFrame:
        """A page of filtered rows in catalog order."""
        return self.view(f).iloc[offset : offset + limit]


def _fit_from_moments(m: dict[str, float], degree: int, points: int = 100) -> Fit | None:
    """Least squares of y on (1, x, .., x^degree) from the moment sums of the data."""
    n = m["n"]
    if n <= degree + 1 or m["distinct_x"] <= degree:
        return None
    p = degree + 1
    xtx = np.array([[m[f"x{i + j}"] for j in range(p)] for i in range(p)])
    xty = np.array([m[f"x{i}y"] for i in range(p)])
    try:
        beta = np.linalg.solve(xtx, xty)  # ascending powers
    except np.linalg.LinAlgError:
        return None
    ss_res = m["yy"] - 2 * beta @ xty + beta @ xtx @ beta
    ss_tot = m["yy"] - m["x0y"] ** 2 / n
    r2 = 1.0 - ss_res / ss_tot if ss_tot > 0 else float("nan")
    coefs = beta[::-1]  # numpy.polyfit order
    xs = np.linspace(m["xmin"], m["xmax"], points)
    return Fit(degree, coefs, float(r2), xs, np.polyval(coefs, xs))


class DuckDBBackend:
    """The out-of-core path: SQL over the cleaned Parquet; pandas sees aggregates and samples."""

    def __init__(self, parquet: Path, threads: int | None = None) -> None:
        from core.catalog import large

        self.parquet = Path(parquet)
        self._con = large.connect(threads)
        self._lock = threading.Lock()
        self._con.execute(
            f"CREATE VIEW tracks AS SELECT * FROM read_parquet({large.quote(self.parquet)})"
        )
        self.columns = [r[0] for r in self._con.execute("DESCRIBE tracks").fetchall()]

    def _cursor(self) -> duckdb.DuckDBPyConnection:
        with self._lock:  # cursors are per-thread duplicates of the shared connection
            return self._con.cursor()

    def _query(self, sql: str, params: list[Any] | None = None) -> pd.DataFrame:
        cur = self._cursor()
        try:
            return cur.execute(sql, params or []).df()
        finally:
            cur.close()

    def _one(self, sql: str, params: list[Any] | None = None) -> tuple:
        cur = self._cursor()
        try:
            return cur.execute(sql, params or []).fetchone()
        finally:
            cur.close()

    def _check(self, *columns: str) -> None:
        """Column names go into SQL text: only the Parquet's own columns are accepted."""
        unknown = [c for c in columns if c not in self.columns]
        if unknown:
            raise ValueError(f"unknown column(s): {', '.join(map(repr, unknown))}")

    def _where(self, f: Filters, genres: Names | None = None) -> tuple[str, list[Any]]:
        parts, params = ["TRUE"], []
        for chosen in (f.genres, genres):  # the filter, then a subset the chart shows
            if chosen and "genre" in self.columns:
                parts.append(f"genre IN ({', '.join('?' for _ in chosen)})")
                params += list(chosen)
        if f.popularity is not None and "popularity" in self.columns:
            parts.append("(popularity IS NULL OR popularity BETWEEN ? AND ?)")
            params += list(f.popularity)
        if f.years is not None and "release_year" in self.columns:
            parts.append("(release_year IS NULL OR release_year BETWEEN ? AND ?)")
            params += list(f.years)
        return " AND ".join(parts), params

    def totals(self) -> dict[str, Any]:
        """Whole-catalog facts the in-memory sample cannot give: genres and distinct artists."""
        genres: list[str] = []
        if "genre" in self.columns:
            genres = self._query(
                "SELECT DISTINCT genre FROM tracks WHERE genre IS NOT NULL ORDER BY 1"
            )["genre"].tolist()
        artists = self._one("SELECT count(DISTINCT primary_artist) FROM tracks")[0]
        return {"genres": genres, "artists": int(artists)}

    def count(self, f: Filters) -> int:
        """Tracks matching the filters."""
        where, params = self._where(f)
        return int(self._one(f"SELECT count(*) FROM tracks WHERE {where}", params)[0])

    def kpis(self, f: Filters) -> dict[str, float]:
        """Tracks, artists (HyperLogLog estimate, within ~2 %), genres and mean valence."""
        where, params = self._where(f)
        genre = "count(DISTINCT genre)" if "genre" in self.columns else "0"
        n, artists, genres, mean = self._one(
            f"SELECT count(*), approx_count_distinct(primary_artist), {genre}, avg(valence) "
            f"FROM tracks WHERE {where}",
            params,
        )
        return {
            "tracks": int(n),
            "artists": int(artists or 0),
            "genres": int(genres or 0),
            "mean_valence": float(mean) if mean is not None else float("nan"),
            "artists_estimated": True,
        }

    def numeric_columns(self) -> list[str]:
        """Plottable numeric columns present in the Parquet (non-empty)."""
        present = [c for c in explore.NUMERIC_CANDIDATES if c in self.columns]
        if not present:
            return []
        counts = self._one("SELECT " + ", ".join(f'count("{c}")' for c in present) + " FROM tracks")
        return [c for c, n in zip(present, counts, strict=True) if n]

    def genres(self, f: Filters) -> list[str]:
        """Genres present in the filtered rows."""
        if "genre" not in self.columns:
            return []
        where, params = self._where(f)
        frame = self._query(
            f"SELECT DISTINCT genre FROM tracks WHERE {where} AND genre IS NOT NULL ORDER BY 1",
            params,
        )
        return frame["genre"].tolist()

    def value_range(self, column: str) -> tuple[float, float] | None:
        """Min and max of a column (None when absent or empty)."""
        if column not in self.columns:
            return None
        lo, hi = self._one(f'SELECT min("{column}"), max("{column}") FROM tracks')
        return None if lo is None else (float(lo), float(hi))

    def histogram(
        self, f: Filters, feature: str, genres: Names | None, bins: int = 40
    ) -> pd.DataFrame:
        """Binned densities of ``feature`` (per genre when ``genres`` is given), in SQL."""
        self._check(feature)
        where, params = self._where(f, genres)
        col = f'CAST("{feature}" AS DOUBLE)'
        lo, hi = self._one(f"SELECT min({col}), max({col}) FROM tracks WHERE {where}", params)
        lo = 0.0 if lo is None else float(lo)
        hi = lo + 1.0 if hi is None or float(hi) == lo else float(hi)
        edges = np.linspace(lo, hi, bins + 1)
        group = "CAST(genre AS VARCHAR)" if genres else "'all'"
        width = (hi - lo) / bins
        counts = self._query(
            f"SELECT {group} AS grp, least(CAST(floor(({col} - ?) / ?) AS INTEGER), {bins - 1})"
            f" AS b, count(*) AS n FROM tracks WHERE {where} AND {col} IS NOT NULL GROUP BY ALL",
            [lo, width, *params],
        )
        rows = []
        for name, part in counts.groupby("grp", sort=True):
            n = np.zeros(bins, dtype=np.int64)
            n[part["b"].to_numpy(dtype=int)] = part["n"].to_numpy()
            rows.append(explore.density_frame(name, edges, n))
        if not rows:
            return pd.DataFrame(columns=["group", "left", "center", "count", "share"])
        return pd.concat(rows, ignore_index=True)

    def sample(
        self, f: Filters, cap: int, columns: Names | None = None, genres: Names | None = None
    ) -> pd.DataFrame:
        """At most ``cap`` filtered rows: a seeded reservoir sample of the needed columns."""
        where, params = self._where(f, genres)
        cols = [c for c in (columns or self.columns) if c in self.columns]
        sel = ", ".join(f'"{c}"' for c in cols)
        n = int(self._one(f"SELECT count(*) FROM tracks WHERE {where}", params)[0])
        sample = "" if n <= cap else f"USING SAMPLE reservoir({int(cap)} ROWS) REPEATABLE (0)"
        frame = self._query(
            f"SELECT * FROM (SELECT {sel} FROM tracks WHERE {where}) {sample}", params
        )
        from core.catalog.large import canonical_dtypes

        return canonical_dtypes(frame)

    def correlation(self, f: Filters, columns: Names, method: str) -> pd.DataFrame:
        """Pearson over every filtered row in SQL; Spearman on a stated sample of ranks."""
        if method not in {"pearson", "spearman"}:
            raise ValueError(f"method must be pearson or spearman, not {method!r}")
        cols = list(columns)
        if method == "spearman":
            sample = self.sample(f, SPEARMAN_SAMPLE, tuple(cols))
            return explore.correlation_matrix(sample, cols, "spearman")
        self._check(*cols)
        where, params = self._where(f)
        pairs = [(a, b) for i, a in enumerate(cols) for b in cols[i + 1 :]]
        exprs = ", ".join(f'corr(CAST("{a}" AS DOUBLE), CAST("{b}" AS DOUBLE))' for a, b in pairs)
        values = self._one(f"SELECT {exprs} FROM tracks WHERE {where}", params) if pairs else ()
        out = pd.DataFrame(np.eye(len(cols)), index=cols, columns=cols)
        for (a, b), v in zip(pairs, values, strict=True):
            out.loc[a, b] = out.loc[b, a] = np.nan if v is None else float(v)
        return out

    def genre_means(self, f: Filters, features: Names) -> pd.DataFrame:
        """Feature means per genre with a ``tracks`` column."""
        self._check(*features)
        where, params = self._where(f)
        means = ", ".join(f'avg("{c}") AS "{c}"' for c in features)
        frame = self._query(
            f"SELECT genre, count(*) AS tracks, {means} FROM tracks "
            f"WHERE {where} AND genre IS NOT NULL GROUP BY genre ORDER BY genre",
            params,
        )
        frame["genre"] = frame["genre"].astype("string")
        return frame.set_index("genre")

    def fit(self, f: Filters, x: str, y: str, degree: int) -> Fit | None:
        """Least-squares polynomial fit over every filtered row, from SQL moment sums."""
        self._check(x, y)
        where, params = self._where(f)
        xs, ys = f'CAST("{x}" AS DOUBLE)', f'CAST("{y}" AS DOUBLE)'
        powers = ", ".join(f"sum(pow({xs}, {k})) AS x{k}" for k in range(1, 2 * degree + 1))
        cross = ", ".join(f"sum(pow({xs}, {k}) * {ys}) AS x{k}y" for k in range(1, degree + 1))
        m = self._query(
            f"SELECT count(*) AS n, count(*) AS x0, sum({ys}) AS x0y, sum({ys} * {ys}) AS yy, "
            f"{powers}, {cross}, min({xs}) AS xmin, max({xs}) AS xmax, "
            f"approx_count_distinct({xs}) AS distinct_x "
            f"FROM tracks WHERE {where} AND {xs} IS NOT NULL AND {ys} IS NOT NULL",
            params,
        ).iloc[0]
        if not m["n"]:
            return None
        return _fit_from_moments({k: float(v) for k, v in m.items()}, degree)

    def valence_by_period(self, f: Filters, period: str) -> pd.DataFrame:
        """Mean valence, standard error and count per year or decade."""
        if "release_year" not in self.columns:
            return pd.DataFrame(columns=["period", "mean", "sem", "tracks"])
        where, params = self._where(f)
        key = "release_year // 10 * 10" if period == "decade" else "release_year"
        frame = self._query(
            f"SELECT CAST({key} AS INTEGER) AS period, avg(valence) AS mean, "
            "stddev_samp(valence) / sqrt(count(*)) AS sem, count(*) AS tracks "
            f"FROM tracks WHERE {where} AND release_year IS NOT NULL GROUP BY 1 "
            f"HAVING count(*) >= {PERIOD_MIN_TRACKS} ORDER BY 1",
            params,
        )
        frame["tracks"] = frame["tracks"].astype("int64")
        return frame

    def rows(self, f: Filters, offset: int, limit: int) -> pd.DataFrame:
        """A page of filtered rows in catalog order."""
        from core.catalog.large import canonical_dtypes

        where, params = self._where(f)
        frame = self._query(
            f"SELECT * FROM tracks WHERE {where} LIMIT {int(limit)} OFFSET {int(offset)}", params
        )
        return canonical_dtypes(frame)
