"""SQLite sources: the 8M-track Spotify dump's schema, or any table with audio features.

Read with the standard library's ``sqlite3`` (read-only), in batches, never whole.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from core.catalog.schema import REQUIRED_COLUMNS, SchemaError, map_columns

#: The 8M+ track Spotify SQLite dump (Kaggle "8+ M. Spotify Tracks, Genre, Audio Features"):
#: tracks -> audio_features by audio_feature_id; artists, albums and artist genres through the
#: r_* link tables. The first linked artist's first genre labels the track.
DUMP_TABLES = {"tracks", "audio_features", "artists", "r_track_artist"}
DUMP_QUERY = """
SELECT t.id AS track_id, t.name AS track_name,
  (SELECT group_concat(name, ';') FROM (SELECT a.name FROM {r_track_artist} ra
     JOIN {artists} a ON a.id = ra.artist_id WHERE ra.track_id = t.id ORDER BY ra.rid)) AS artists,
  {album} AS album_name,
  {release} AS release_date,
  {genre} AS genre,
  t.popularity AS popularity, t.explicit AS explicit,
  f.danceability, f.energy, f.key, f.loudness, f.mode, f.speechiness, f.acousticness,
  f.instrumentalness, f.liveness, f.valence, f.tempo, f.duration AS duration_ms, f.time_signature
FROM tracks t JOIN {audio_features} f ON f.id = t.audio_feature_id
"""
#: Join keys of the dump; a key without an index gets an indexed TEMP copy of its table
#: (the file itself is opened read-only), else each correlated lookup would scan the table.
JOIN_KEYS = {
    "r_track_artist": "track_id",
    "artists": "id",
    "r_albums_tracks": "track_id",
    "albums": "id",
    "r_artist_genre": "artist_id",
    "audio_features": "id",
}

# The dump stores release dates as epoch milliseconds; other files as text dates.
_EPOCH_YEAR = (
    "CASE WHEN typeof(al.release_date) IN ('integer', 'real') AND abs(al.release_date) > 100000 "
    "THEN strftime('%Y', al.release_date / 1000, 'unixepoch') ELSE al.release_date END"
)


def _sqlite(path: Path) -> sqlite3.Connection:
    uri = f"file:{path.resolve()}?mode=ro"
    try:
        return sqlite3.connect(uri, uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise SchemaError(f"Could not open the SQLite file: {exc}", [], []) from exc


def _indexed(con: sqlite3.Connection, tables: set[str]) -> dict[str, str]:
    """Table expressions with an indexed join key and a ``rid`` column (file order)."""
    names = {}
    for table, key in JOIN_KEYS.items():
        if table not in tables:
            continue
        indexed = any(
            info[2] == key
            for idx in con.execute(f'PRAGMA main.index_list("{table}")')
            for info in con.execute(f'PRAGMA main.index_info("{idx[1]}")')
        )
        if not indexed:
            con.execute(
                f'CREATE TEMP TABLE IF NOT EXISTS "vl_{table}" AS '
                f'SELECT rowid AS rid, * FROM main."{table}"'
            )
            con.execute(f'CREATE INDEX IF NOT EXISTS temp."vl_i_{table}" ON "vl_{table}"({key})')
            names[table] = f'"vl_{table}"'
        else:
            names[table] = f'(SELECT rowid AS rid, * FROM main."{table}")'
    return names


def _sqlite_query(con: sqlite3.Connection) -> tuple[str, str]:
    """The SELECT that yields one flat row per track, and the schema's name."""
    try:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise SchemaError(f"This is not a readable SQLite database: {exc}", [], []) from exc
    if tables >= DUMP_TABLES:
        names = _indexed(con, tables)
        album = release = genre = "NULL"
        if {"r_albums_tracks", "albums"} <= tables:
            sub = (
                "(SELECT {col} FROM {r_albums_tracks} rt JOIN {albums} al "
                "ON al.id = rt.album_id WHERE rt.track_id = t.id ORDER BY rt.rid LIMIT 1)"
            )
            album = sub.format(col="al.name", **names)
            release = sub.format(col=_EPOCH_YEAR, **names)
        if "r_artist_genre" in tables:
            genre = (
                "(SELECT g.genre_id FROM {r_track_artist} ra JOIN {r_artist_genre} g "
                "ON g.artist_id = ra.artist_id WHERE ra.track_id = t.id "
                "ORDER BY ra.rid, g.rid LIMIT 1)"
            ).format(**names)
        query = DUMP_QUERY.format(album=album, release=release, genre=genre, **names)
        return query, "spotify-8m-sqlite"
    for name in sorted(tables):
        cols = [r[1] for r in con.execute(f'PRAGMA table_info("{name}")')]
        if all(c in map_columns(cols) for c in REQUIRED_COLUMNS):
            return f'SELECT * FROM "{name}"', "sqlite-table"
    raise SchemaError(
        "No table in this SQLite file has Spotify audio features (tables: "
        + ", ".join(sorted(tables))
        + ").",
        missing=list(REQUIRED_COLUMNS),
        recognised=[],
    )


def count_rows(path: Path) -> int:
    """Tracks the file yields (one per row of the flat query)."""
    with _sqlite(path) as con:
        query, _ = _sqlite_query(con)
        return int(con.execute(f"SELECT count(*) FROM ({query})").fetchone()[0])


def schema_name(path: Path) -> str:
    """``spotify-8m-sqlite`` for the dump's schema, ``sqlite-table`` for a flat table."""
    with _sqlite(path) as con:
        return _sqlite_query(con)[1]


def batches(path: Path, rows: int) -> Iterator[pd.DataFrame]:
    """Flat track rows of the file, ``rows`` at a time, in table order."""
    with _sqlite(path) as con:
        query, _ = _sqlite_query(con)
        cur = con.execute(query)
        names = [d[0] for d in cur.description]
        while chunk := cur.fetchmany(rows):
            yield pd.DataFrame.from_records(chunk, columns=names)
