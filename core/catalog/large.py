"""Out-of-core catalogs: large CSV, Parquet and SQLite sources cleaned by DuckDB in chunks.

A source is staged to Parquet in batches and cleaned with DuckDB, never whole in pandas.

The cleaning rules are the ones of :func:`core.catalog.data.clean_tracks`, written as SQL and
counted into the same :class:`~core.catalog.data.CleaningReport` (a test checks both paths give
the same rows and counts). ``duckdb`` is imported lazily, so small catalogs never pay for it.

Steps of :func:`build_cleaned_parquet`:

1. *stage*: the source is read in record batches (DuckDB's CSV reader, pyarrow for Parquet,
   ``sqlite3`` for SQLite), each batch is mapped to canonical columns by
   :func:`core.catalog.schema.map_schema` and appended to a staging Parquet file with a ``_row``
   column that keeps the file order;
2. *clean*: one DuckDB script drops and counts invalid rows, collapses duplicate ``track_id``s
   (most frequent genre, ties first seen; all genres kept) and same-song duplicates, and writes
   the cleaned Parquet in file order.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from core.catalog import sqlite_source
from core.catalog.schema import (
    AUDIO_COLUMNS,
    LEADING_COLUMNS,
    REQUIRED_COLUMNS,
    SchemaError,
    SchemaMatch,
    map_schema,
)

if TYPE_CHECKING:  # pragma: no cover
    import duckdb

log = logging.getLogger(__name__)

#: Rows above which a catalog stays on disk and Explore queries it with DuckDB.
THRESHOLD_ENV = "VALENCE_LAB_DUCKDB_ROWS"
DEFAULT_THRESHOLD = 2_000_000
#: Rows of the in-memory sample a large catalog gives to models, SHAP and maps.
SAMPLE_ENV = "VALENCE_LAB_LARGE_SAMPLE"
DEFAULT_SAMPLE = 200_000
MEMORY_ENV = "VALENCE_LAB_DUCKDB_MEMORY"
DEFAULT_MEMORY = "768MB"
BATCH_ROWS = 250_000
SQLITE_SUFFIXES = (".sqlite", ".sqlite3", ".db")
PARQUET_SUFFIXES = (".parquet", ".pq")

#: pandas.read_csv's default missing-value markers, so both paths read the same nulls.
# Layout kept by hand (fmt: skip below): a table of markers reads better packed than one a line.
_PANDAS_NA = [
    "", "#N/A", "#N/A N/A", "#NA", "-1.#IND", "-1.#QNAN", "-NaN", "-nan", "1.#IND", "1.#QNAN",
    "<NA>", "N/A", "NA", "NULL", "NaN", "None", "n/a", "nan", "null",
]  # fmt: skip
_TEXT = ("track_id", "track_name", "artists", "album_name", "genre", "subgenre")
_VALID_RANGES: dict[str, tuple[float, float]] = {}  # filled from data.py on first use


def row_threshold() -> int:
    """Rows above which a catalog is out-of-core (``VALENCE_LAB_DUCKDB_ROWS``)."""
    return _env_int(THRESHOLD_ENV, DEFAULT_THRESHOLD)


def sample_rows() -> int:
    """Rows of the stated in-memory sample of a large catalog (``VALENCE_LAB_LARGE_SAMPLE``)."""
    return _env_int(SAMPLE_ENV, DEFAULT_SAMPLE)


def _env_int(name: str, default: int) -> int:
    try:
        return max(0, int(os.environ.get(name, "") or default))
    except ValueError:
        log.warning("%s is not an integer; using %s", name, default)
        return default


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB connection with a memory cap and a spill directory."""
    import duckdb

    from core.catalog import sources

    con = duckdb.connect(config={"memory_limit": os.environ.get(MEMORY_ENV) or DEFAULT_MEMORY})
    con.execute(f"SET threads = {int(threads or min(os.cpu_count() or 1, 4))}")
    spill = sources.cache_dir() / "duckdb-tmp"
    spill.mkdir(parents=True, exist_ok=True)
    con.execute("SET temp_directory = ?", [str(spill)])
    con.execute("SET preserve_insertion_order = true")
    con.execute("SET enable_progress_bar = false")
    return con


def quote(path: Path) -> str:
    """A file path as a single-quoted SQL literal."""
    return "'" + str(path).replace("'", "''") + "'"


# ---- size estimates -------------------------------------------------------------------------
def estimate_rows(path: Path) -> int:
    """Rows in a source file: exact for Parquet and SQLite, estimated from the head for CSV."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return pq.ParquetFile(path).metadata.num_rows
    if suffix in SQLITE_SUFFIXES:
        return sqlite_source.count_rows(path)
    size = path.stat().st_size
    with path.open("rb") as fh:
        head = fh.read(1 << 20)
    lines = head.count(b"\n")
    if lines <= 1 or len(head) >= size:
        return max(lines - 1, 0)
    return int(size / (len(head) / lines))


def is_large_source(path: Path) -> bool:
    """Whether ``path`` goes through the out-of-core path (Parquet/SQLite always do)."""
    if path.suffix.lower() in (*PARQUET_SUFFIXES, *SQLITE_SUFFIXES):
        return True
    return estimate_rows(path) > row_threshold()


# ---- staging ----------------------------------------------------------------------------------
def _csv_batches(path: Path) -> Iterator[pd.DataFrame]:
    con = connect()
    try:
        with path.open("rb") as fh:
            head = fh.read(65536)
        try:
            head.decode("utf-8-sig")
            encoding = "utf-8"
        except UnicodeDecodeError:
            encoding = "latin-1"
        rel = con.sql(
            f"SELECT * FROM read_csv({quote(path)}, header = true, all_varchar = true, "
            f"encoding = '{encoding}', null_padding = true, nullstr = {_PANDAS_NA!r})"
        )
        names = list(rel.columns)
        to_reader = getattr(rel, "to_arrow_reader", None) or rel.fetch_arrow_reader  # duckdb<2
        reader = to_reader(BATCH_ROWS)
        for batch in reader:
            frame = batch.to_pandas()
            frame.columns = [str(c).replace("\ufeff", "").strip() for c in names]
            yield frame
    except Exception as exc:  # duckdb raises its own error types for malformed files
        if isinstance(exc, SchemaError):
            raise
        raise SchemaError(
            f"Could not read the file as CSV: {str(exc).splitlines()[0][:300]}",
            missing=list(REQUIRED_COLUMNS),
            recognised=[],
        ) from exc
    finally:
        con.close()


def _parquet_batches(path: Path) -> Iterator[pd.DataFrame]:
    try:
        pf = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise SchemaError(f"Could not read the Parquet file: {exc}", [], []) from exc
    for batch in pf.iter_batches(batch_size=BATCH_ROWS):
        yield batch.to_pandas()


def source_batches(path: Path) -> Iterator[pd.DataFrame]:
    """Raw record batches of a CSV, Parquet or SQLite source, in file order."""
    suffix = path.suffix.lower()
    if suffix in PARQUET_SUFFIXES:
        return _parquet_batches(path)
    if suffix in SQLITE_SUFFIXES:
        return sqlite_source.batches(path, BATCH_ROWS)
    return _csv_batches(path)


def _arrow_type(col: str) -> pa.DataType:
    if col in _TEXT:
        return pa.string()
    if col == "explicit":
        return pa.bool_()
    if col == "release_year":
        return pa.int16()
    return pa.float64()


def stage(path: Path, staged: Path) -> tuple[SchemaMatch, int]:
    """Map every batch of ``path`` to canonical columns into ``staged`` (Parquet with ``_row``).

    Returns the schema match of the first batch and the number of rows read.
    """
    writer: pq.ParquetWriter | None = None
    schema: pa.Schema | None = None
    first: SchemaMatch | None = None
    offset = 0
    try:
        for raw in source_batches(path):
            mapped, match = map_schema(raw)
            if first is None:
                first = match
                fields = [pa.field(c, _arrow_type(c)) for c in mapped.columns]
                schema = pa.schema([*fields, pa.field("_row", pa.int64())])
                writer = pq.ParquetWriter(staged, schema, compression="zstd")
            else:
                for col in first.rescaled:  # keep one decision for the whole file
                    if col not in match.rescaled:
                        mapped[col] = mapped[col] / 100.0
            assert schema is not None and writer is not None
            mapped = mapped.reindex(columns=[f.name for f in schema if f.name != "_row"])
            if "explicit" in mapped:
                mapped["explicit"] = mapped["explicit"].astype("boolean")
            if "release_year" in mapped:
                mapped["release_year"] = mapped["release_year"].astype("Int16")
            mapped["_row"] = range(offset, offset + len(mapped))
            offset += len(mapped)
            writer.write_table(pa.Table.from_pandas(mapped, schema=schema, preserve_index=False))
    finally:
        if writer is not None:
            writer.close()
    if first is None:
        raise SchemaError("The file is empty.", missing=list(REQUIRED_COLUMNS), recognised=[])
    return first, offset


# ---- cleaning in SQL --------------------------------------------------------------------------
def _valid_ranges() -> dict[str, tuple[float, float]]:
    from core.catalog import data

    return data._VALID_RANGES  # one set of rules for both paths


def _ordered(columns: list[str]) -> list[str]:
    first = [c for c in LEADING_COLUMNS if c in columns]
    audio = [c for c in AUDIO_COLUMNS if c in columns]
    return first + audio + [c for c in columns if c not in first and c not in audio]


def clean_staged(con: duckdb.DuckDBPyConnection, staged: Path, out: Path, report: Any) -> list[str]:
    """Clean the staged Parquet into ``out``; fill ``report``'s counts. Returns the columns."""
    cols = [
        r[0]
        for r in con.execute(f"DESCRIBE SELECT * FROM read_parquet({quote(staged)})").fetchall()
    ]
    cols = [c for c in cols if c != "_row"]
    con.execute(
        f"CREATE OR REPLACE TEMP VIEW staged AS SELECT * FROM read_parquet({quote(staged)})"
    )
    required = [c for c in REQUIRED_COLUMNS if c in cols]
    missing = " OR ".join(f'"{c}" IS NULL OR isnan("{c}")' for c in required)
    bad = " OR ".join(
        f'coalesce("{c}" < {lo} OR "{c}" > {hi}, false)'
        for c, (lo, hi) in _valid_ranges().items()
        if c in cols
    )
    has_ts = "time_signature" in cols
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE flagged AS SELECT _row,
            ({missing}) AS f_missing, ({bad}) AS f_bad,
            duration_ms < 30000 AS f_short, tempo = 0 AS f_tempo,
            {"coalesce(time_signature = 0, false)" if has_ts else "false"} AS f_ts
            FROM staged"""
    )
    counts = con.execute(
        """SELECT count(*) FILTER (f_missing),
                  count(*) FILTER (NOT f_missing AND f_bad),
                  count(*) FILTER (NOT f_missing AND NOT f_bad AND f_short),
                  count(*) FILTER (NOT f_missing AND NOT f_bad AND NOT f_short AND f_tempo),
                  count(*) FILTER (NOT f_missing AND NOT f_bad AND NOT f_short AND NOT f_tempo
                                   AND f_ts)
           FROM flagged"""
    ).fetchone()
    (
        report.missing_features,
        report.impossible_values,
        report.too_short,
        report.zero_tempo,
        report.zero_time_signature,
    ) = (int(v) for v in counts)

    select = []
    for c in cols:
        if c in ("key", "mode", "duration_ms"):
            select.append(f'CAST(round_even("{c}", 0) AS BIGINT) AS "{c}"')
        elif c == "time_signature":
            select.append(
                'CAST(round_even(coalesce(time_signature, 4), 0) AS BIGINT) AS "time_signature"'
            )
        elif c != "artists":
            select.append(f'"{c}"')
    artists = "artists" if "artists" in cols else "CAST(NULL AS VARCHAR)"
    first = f"split_part(coalesce({artists}, ''), ';', 1)"
    first_artist = f"lower(regexp_replace({first}, '^\\s+|\\s+$', '', 'g'))"
    genres = ", genre AS genres" if "genre" in cols else ""
    con.execute(
        f"""CREATE OR REPLACE TEMP TABLE kept AS
            SELECT s._row, {", ".join(select)}, {artists} AS artists,
                   CASE WHEN {first_artist} = '' THEN '(unknown)' ELSE {first_artist} END
                     AS primary_artist {genres}
            FROM staged s JOIN flagged f USING (_row)
            WHERE NOT (f_missing OR f_bad OR f_short OR f_tempo OR f_ts)"""
    )
    con.execute("DROP TABLE flagged")
    if "track_id" in cols:
        _collapse_ids(con, "genre" in cols, report)
    if "track_name" in cols:
        _collapse_same_song(con, report)
    ordered = _ordered([c for c in (*cols, "primary_artist", "genres") if c in _kept_cols(con)])
    if "artists" not in ordered:
        ordered.insert(2, "artists")
    report.rows_kept = int(con.execute("SELECT count(*) FROM kept").fetchone()[0])
    sel = ", ".join(f'"{c}"' for c in ordered)
    con.execute(
        f"COPY (SELECT {sel} FROM kept ORDER BY _row) TO {quote(out)} "
        "(FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 122880)"
    )
    con.execute("DROP TABLE kept")
    return ordered


def _kept_cols(con: duckdb.DuckDBPyConnection) -> list[str]:
    return [r[0] for r in con.execute("DESCRIBE kept").fetchall()]


def _collapse_ids(con: duckdb.DuckDBPyConnection, has_genre: bool, report: Any) -> None:
    dup = (
        "SELECT track_id FROM kept WHERE track_id IS NOT NULL GROUP BY track_id HAVING count(*) > 1"
    )
    if has_genre:
        con.execute(
            f"""CREATE OR REPLACE TEMP TABLE dup_genres AS
                WITH g AS (
                  SELECT track_id, coalesce(genre, '') AS genre, count(*) AS n, min(_row) AS first
                  FROM kept WHERE track_id IN ({dup}) GROUP BY ALL)
                SELECT track_id,
                  arg_min(genre, (-n, first)) AS label,
                  coalesce(string_agg(genre, ';' ORDER BY first) FILTER (genre <> ''), '')
                    AS all_genres,
                  count(*) AS n_genres
                FROM g GROUP BY track_id"""
        )
        report.ids_with_several_genres = int(
            con.execute("SELECT count(*) FROM dup_genres WHERE n_genres > 1").fetchone()[0]
        )
    before = int(con.execute("SELECT count(*) FROM kept").fetchone()[0])
    con.execute(
        """DELETE FROM kept WHERE track_id IS NOT NULL AND _row NOT IN (
             SELECT min(_row) FROM kept WHERE track_id IS NOT NULL GROUP BY track_id)"""
    )
    report.duplicate_ids_collapsed = before - int(
        con.execute("SELECT count(*) FROM kept").fetchone()[0]
    )
    if has_genre:
        con.execute(
            """UPDATE kept SET genre = nullif(d.label, ''), genres = d.all_genres
               FROM dup_genres d WHERE kept.track_id = d.track_id"""
        )
        con.execute("DROP TABLE dup_genres")


def _collapse_same_song(con: duckdb.DuckDBPyConnection, report: Any) -> None:
    name = "lower(regexp_replace(coalesce(track_name, ''), '^\\s+|\\s+$', '', 'g'))"
    key = ", ".join(
        [name, "primary_artist"]
        + [f"round_even({c}, 4)" for c in ("danceability", "energy", "valence", "tempo")]
    )
    before = int(con.execute("SELECT count(*) FROM kept").fetchone()[0])
    con.execute(
        f"""DELETE FROM kept WHERE {name} <> '' AND _row NOT IN (
              SELECT min(_row) FROM kept WHERE {name} <> '' GROUP BY {key})"""
    )
    report.same_song_collapsed = before - int(
        con.execute("SELECT count(*) FROM kept").fetchone()[0]
    )


def build_cleaned_parquet(path: Path, out: Path, report: Any) -> list[str]:
    """Stage and clean ``path`` into the Parquet file ``out``; fill ``report``."""
    staged = out.with_name(out.stem + ".staged.parquet")
    tmp = out.with_name(out.stem + ".part.parquet")
    try:
        match, rows = stage(path, staged)
        report.rows_read = rows
        report.schema = match.schema
        if path.suffix.lower() in SQLITE_SUFFIXES:
            report.schema = sqlite_source.schema_name(path)
        report.rescaled = list(match.rescaled)
        report.notes = list(match.notes)
        con = connect()
        try:
            cols = clean_staged(con, staged, tmp, report)
        finally:
            con.close()
        if report.rows_kept == 0:
            raise SchemaError(
                "No usable rows remain after cleaning (see the cleaning report).",
                missing=[],
                recognised=sorted(match.mapping),
            )
        tmp.replace(out)
        return cols
    finally:
        staged.unlink(missing_ok=True)
        tmp.unlink(missing_ok=True)


def read_sample(parquet: Path, n: int, seed: int = 0) -> pd.DataFrame:
    """A seeded uniform sample of ``n`` rows of a cleaned Parquet (all rows when fewer)."""
    con = connect()
    try:
        total = int(
            con.execute(f"SELECT count(*) FROM read_parquet({quote(parquet)})").fetchone()[0]
        )
        if total <= n:
            return canonical_dtypes(pd.read_parquet(parquet))
        frame = con.execute(
            f"SELECT * FROM read_parquet({quote(parquet)}) "
            f"USING SAMPLE reservoir({int(n)} ROWS) REPEATABLE ({int(seed)})"
        ).df()
    finally:
        con.close()
    return canonical_dtypes(frame)


def canonical_dtypes(df: pd.DataFrame) -> pd.DataFrame:
    """The dtypes the pandas cleaning path gives (Parquet written by DuckDB loses pandas's)."""
    for col in (*_TEXT, "artists", "primary_artist", "genres"):
        if col in df:
            df[col] = df[col].astype("string")
    if "popularity" in df:
        df["popularity"] = df["popularity"].astype("Float64")
    if "release_year" in df:
        df["release_year"] = df["release_year"].astype("Int16")
    if "explicit" in df and df["explicit"].isna().any():
        df["explicit"] = df["explicit"].astype("boolean")
    return df
