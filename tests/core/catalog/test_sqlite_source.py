"""core.catalog.sqlite_source: the 8M-track dump's schema and flat tables, read in batches."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pandas as pd
import pytest

from core.catalog import sqlite_source
from core.catalog.schema import REQUIRED_COLUMNS, SchemaError
from tests.conftest import make_synthetic_tracks
from tests.fakes.sqlite_dump import ALBUM_SCHEMA, DUMP_SCHEMA, GENRE_SCHEMA

EPOCH_MS_2004 = int(pd.Timestamp("2004-06-01").timestamp() * 1000)


def _tables(path: Path) -> set[str]:
    con = sqlite3.connect(path)
    try:
        return {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    finally:
        con.close()


def _dump(
    path: Path, *, albums: bool = True, genres: bool = True, indexed: bool = False
) -> pd.DataFrame:
    """Five tracks in the dump's schema (a sixth track has no audio features).

    Track 0 has two artists (B then A in link order), both with genres; the others one artist.
    Album "al0" has an epoch-milliseconds date, "al1" a text date.
    """
    tracks = make_synthetic_tracks(6, 2, seed=11)
    con = sqlite3.connect(path)
    con.executescript(DUMP_SCHEMA)
    if albums:
        con.executescript(ALBUM_SCHEMA)
    if genres:
        con.executescript(GENRE_SCHEMA)
    if indexed:
        con.executescript(
            "CREATE INDEX i_ra ON r_track_artist(track_id); CREATE INDEX i_a ON artists(id);"
            "CREATE INDEX i_f ON audio_features(id);"
        )
    for i, t in tracks.iterrows():
        con.execute(
            "INSERT INTO tracks VALUES (?,1,?,?,?,?,NULL,1,?,1)",
            (t.track_id, int(t.duration_ms), i % 2, f"af{i}", t.track_name, int(t.popularity)),
        )
        if i == 5:
            continue  # no audio features: not a catalog row
        con.execute(
            "INSERT INTO audio_features VALUES (?,?,NULL,?,?,?,?,?,?,?,?,?,?,?,?)",
            (f"af{i}", t.acousticness, t.danceability, int(t.duration_ms), t.energy,
             t.instrumentalness, int(t.key), t.liveness, t.loudness, int(t["mode"]),
             t.speechiness, t.tempo, 3, t.valence),
        )  # fmt: skip
    links = [(0, "arB"), (0, "arA"), (1, "arA"), (2, "arB"), (3, "arC"), (4, "arC")]
    for i, artist in links:
        con.execute("INSERT INTO r_track_artist VALUES (?, ?)", (tracks.track_id[i], artist))
    for name, aid in (("Alpha", "arA"), ("Beta", "arB"), ("Gamma", "arC")):
        con.execute("INSERT INTO artists VALUES (?, ?, 1, 1)", (name, aid))
    if genres:  # Beta's first genre is "rock"; Gamma has none
        for genre, aid in (("pop", "arA"), ("rock", "arB"), ("metal", "arB")):
            con.execute("INSERT INTO r_artist_genre VALUES (?, ?)", (genre, aid))
    if albums:
        con.execute("INSERT INTO albums VALUES ('al0', 'First', 'a', 'a', ?, 1)", (EPOCH_MS_2004,))
        con.execute("INSERT INTO albums VALUES ('al1', 'Second', 'a', 'a', '1999-03-02', 1)")
        for i, album in ((0, "al0"), (0, "al1"), (1, "al1"), (2, "al0")):
            con.execute("INSERT INTO r_albums_tracks VALUES (?, ?)", (album, tracks.track_id[i]))
    con.commit()
    con.close()
    return tracks.head(5)


def _read(path: Path, rows: int = 100) -> pd.DataFrame:
    return pd.concat(list(sqlite_source.batches(path, rows)), ignore_index=True)


@pytest.mark.parametrize("indexed", [False, True])
def test_dump_rows_are_flattened_with_artists_album_year_and_genre(tmp_path, indexed):
    path = tmp_path / "dump.sqlite"
    tracks = _dump(path, indexed=indexed)
    assert sqlite_source.schema_name(path) == "spotify-8m-sqlite"
    assert sqlite_source.count_rows(path) == 5  # the track without audio features is left out
    df = _read(path)
    assert df["track_id"].tolist() == tracks["track_id"].tolist()  # table order
    assert df["track_name"].tolist() == tracks["track_name"].tolist()
    assert df["artists"].tolist() == ["Beta;Alpha", "Alpha", "Beta", "Gamma", "Gamma"]
    # The first linked artist's first genre; no genre for Gamma.
    assert df["genre"].tolist()[:3] == ["rock", "pop", "rock"] and df["genre"][3:].isna().all()
    # The first linked album; epoch milliseconds become a year, text dates pass through.
    assert df["album_name"].tolist()[:3] == ["First", "Second", "First"]
    assert df["release_date"].tolist()[:3] == ["2004", "1999-03-02", "2004"]
    assert df["album_name"][3:].isna().all()
    assert df["duration_ms"].tolist() == tracks["duration_ms"].tolist()  # from audio_features
    assert df["explicit"].tolist() == [0, 1, 0, 1, 0]
    assert (df["time_signature"] == 3).all()
    for col in ("valence", "energy", "danceability", "tempo", "loudness"):
        assert df[col].tolist() == pytest.approx(tracks[col].tolist())
    assert set(REQUIRED_COLUMNS) <= set(df.columns)


def test_dump_without_album_or_genre_tables_leaves_those_columns_empty(tmp_path):
    path = tmp_path / "bare.sqlite"
    _dump(path, albums=False, genres=False)
    df = _read(path)
    assert len(df) == 5 and df["artists"].iloc[0] == "Beta;Alpha"
    assert df[["album_name", "release_date", "genre"]].isna().all().all()


def test_batches_come_in_the_requested_size_and_the_file_is_not_written(tmp_path):
    path = tmp_path / "dump.sqlite"
    tracks = _dump(path)  # join keys unindexed: indexed TEMP copies are made
    before = (_tables(path), path.read_bytes())
    chunks = list(sqlite_source.batches(path, 2))
    assert [len(c) for c in chunks] == [2, 2, 1]
    assert all(list(c.columns) == list(chunks[0].columns) for c in chunks)
    assert pd.concat(chunks)["track_id"].tolist() == tracks["track_id"].tolist()
    assert (_tables(path), path.read_bytes()) == before  # opened read-only; temp tables only


def test_a_flat_table_with_audio_features_is_read_as_it_is(tmp_path):
    path = tmp_path / "flat.db"
    tracks = make_synthetic_tracks(7, 2, seed=12)
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE aaa_notes (id INT, text TEXT)")  # sorted first, no features
    tracks.to_sql("songs", con, index=False)
    con.close()
    assert sqlite_source.schema_name(path) == "sqlite-table"
    assert sqlite_source.count_rows(path) == 7
    df = _read(path, rows=3)
    assert list(df.columns) == list(tracks.columns)
    assert df["track_id"].tolist() == tracks["track_id"].tolist()
    assert df["valence"].tolist() == pytest.approx(tracks["valence"].tolist())


def test_aliased_headers_count_as_audio_features(tmp_path):
    path = tmp_path / "aliased.db"
    tracks = make_synthetic_tracks(4, 2, seed=13).rename(columns={"track_name": "name"})
    tracks.columns = [c.upper() for c in tracks.columns]
    con = sqlite3.connect(path)
    tracks.to_sql("T", con, index=False)
    con.close()
    assert sqlite_source.schema_name(path) == "sqlite-table"
    assert list(_read(path).columns) == list(tracks.columns)  # mapping is the caller's job


def test_a_file_without_audio_features_is_a_schema_error_naming_its_tables(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INT, text TEXT)")
    con.execute("CREATE TABLE half (valence REAL, energy REAL)")
    con.close()
    with pytest.raises(SchemaError, match=r"No table .*\(tables: half, notes\)") as err:
        sqlite_source.schema_name(path)
    assert err.value.missing == list(REQUIRED_COLUMNS)
    with pytest.raises(SchemaError, match="No table"):
        sqlite_source.count_rows(path)
    with pytest.raises(SchemaError, match="No table"):
        next(sqlite_source.batches(path, 10))


def test_a_file_that_is_not_sqlite_or_is_missing_is_a_schema_error(tmp_path):
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 10)
    with pytest.raises(SchemaError, match="not a readable SQLite database"):
        sqlite_source.count_rows(junk)
    with pytest.raises(SchemaError, match="Could not open the SQLite file"):
        sqlite_source.schema_name(tmp_path / "absent.sqlite")
    assert not (tmp_path / "absent.sqlite").exists()  # read-only: never created
