"""The out-of-core path cleans exactly like the pandas path and reads Parquet and SQLite."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest

from core.catalog import data, large
from core.catalog.data import CleaningReport, build_catalog, read_table
from core.catalog.schema import SchemaError
from tests.conftest import make_synthetic_tracks, shared_file
from tests.fakes.sqlite_dump import ALBUM_SCHEMA, DUMP_SCHEMA, GENRE_SCHEMA


def _large_clean(path, tmp_path) -> tuple[pd.DataFrame, CleaningReport]:
    report = CleaningReport()
    out = tmp_path / "clean.parquet"
    large.build_cleaned_parquet(path, out, report)
    return large.canonical_dtypes(pd.read_parquet(out)), report


# Inputs of the "engineered" feature set that only the in-memory cleaning derives so far; an
# out-of-core catalog lacks them and the Model lab lists them as missing inputs.
IN_MEMORY_ONLY = ["n_playlists", "subgenres"]


def _without_in_memory_only(ref: pd.DataFrame, df: pd.DataFrame) -> pd.DataFrame:
    """The pandas reference without the in-memory-only columns, which DuckDB must not invent."""
    assert not set(IN_MEMORY_ONLY) & set(df.columns)
    return ref.drop(columns=[c for c in IN_MEMORY_ONLY if c in ref]).reset_index(drop=True)


@pytest.mark.parametrize(
    "name", ["tidytuesday_spotify_songs.csv", "spotify_tracks_6genres_sample.csv"]
)
def test_duckdb_cleaning_matches_pandas_cleaning(name, tmp_path):
    path = shared_file(name)
    ref = build_catalog(read_table(path), "x", "x", "c")
    df, report = _large_clean(path, tmp_path)
    assert report == ref.report  # every rule counted the same
    assert report.duplicate_ids_collapsed > 0
    expected = _without_in_memory_only(ref.df, df)
    # DuckDB's lower() maps a few non-ASCII capitals (Turkish İ) unlike Python's str.lower.
    same_artist = (df["primary_artist"] == expected["primary_artist"]).mean()
    assert same_artist > 0.999
    pd.testing.assert_frame_equal(
        df.drop(columns="primary_artist"),
        expected.drop(columns="primary_artist"),
        check_dtype=False,
        check_like=True,  # the same columns; DuckDB places release_month last
    )


def test_dirty_rows_are_counted_like_pandas(tmp_path):
    raw = make_synthetic_tracks(400, seed=3)
    raw.loc[0:4, "valence"] = np.nan  # missing
    raw.loc[5:7, "energy"] = 1.7  # impossible
    raw.loc[8:9, "duration_ms"] = 1_000  # too short
    raw.loc[10, "tempo"] = 0
    raw.loc[11, "time_signature"] = 0
    raw.loc[20:25, "track_id"] = raw.loc[30, "track_id"]  # duplicate ids, other genres
    raw.loc[40, ["track_name", "artists"]] = raw.loc[41, ["track_name", "artists"]].to_numpy()
    raw.loc[40, ["danceability", "energy", "valence", "tempo"]] = raw.loc[
        41, ["danceability", "energy", "valence", "tempo"]
    ].to_numpy()
    path = tmp_path / "dirty.csv"
    raw.to_csv(path, index=False)
    ref = build_catalog(read_table(path), "x", "x", "c")
    df, report = _large_clean(path, tmp_path)
    assert report == ref.report
    assert report.same_song_collapsed == 1 and report.ids_with_several_genres == 1
    pd.testing.assert_frame_equal(
        df, _without_in_memory_only(ref.df, df), check_dtype=False, check_like=True
    )


def test_parquet_source_is_a_local_catalog(tmp_path, monkeypatch):
    raw = make_synthetic_tracks(500, seed=4)
    raw.to_parquet(tmp_path / "mine.parquet", index=False)
    monkeypatch.setenv("VALENCE_LAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    cat = data.load_catalog("local:mine.parquet", allow_download=False)
    assert not cat.is_large and len(cat.df) == 500 and cat.report.rows_read == 500


def test_above_the_threshold_the_catalog_stays_on_disk(tmp_path, monkeypatch):
    raw = make_synthetic_tracks(3000, seed=5)
    raw.to_csv(tmp_path / "big.csv", index=False)
    monkeypatch.setenv("VALENCE_LAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setenv(large.THRESHOLD_ENV, "1000")
    monkeypatch.setenv(large.SAMPLE_ENV, "700")
    cat = data.load_catalog("local:big.csv", allow_download=False)
    assert cat.is_large and cat.n_tracks == 3000 and len(cat.df) == 700
    assert cat.genres == ["g0", "g1", "g2"]
    assert cat.n_artists == raw["artists"].str.lower().nunique()
    assert set(cat.df["track_id"]) <= set(raw["track_id"])
    warm = data.load_catalog("local:big.csv", allow_download=False)  # from the Parquet cache
    assert warm.is_large and warm.parquet == cat.parquet
    assert warm.totals == cat.totals  # kept beside the Parquet, with the sample
    pd.testing.assert_frame_equal(warm.df, cat.df)
    monkeypatch.setenv(large.THRESHOLD_ENV, "100000")  # same cache, now small enough for pandas
    assert len(data.load_catalog("local:big.csv", allow_download=False).df) == 3000


def _dump(path, n: int = 60) -> pd.DataFrame:
    """A tiny SQLite file in the 8M-track dump's schema (tables and columns as published)."""
    tracks = make_synthetic_tracks(n, seed=6)
    con = sqlite3.connect(path)
    con.executescript(
        DUMP_SCHEMA
        + ALBUM_SCHEMA
        + GENRE_SCHEMA
        + "CREATE TABLE genres (id TEXT); CREATE INDEX artists_id ON artists(id);"
    )
    for i, t in tracks.iterrows():
        con.execute(
            "INSERT INTO tracks VALUES (?,1,?,0,?,?,NULL,1,?,1)",
            (t.track_id, int(t.duration_ms), f"af{i}", t.track_name, int(t.popularity)),
        )
        con.execute(
            "INSERT INTO audio_features VALUES (?,?,NULL,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                f"af{i}",
                t.acousticness,
                t.danceability,
                int(t.duration_ms),
                t.energy,
                t.instrumentalness,
                int(t.key),
                t.liveness,
                t.loudness,
                int(t["mode"]),
                t.speechiness,
                t.tempo,
                4,
                t.valence,
            ),
        )
        con.execute("INSERT INTO r_track_artist VALUES (?, ?)", (t.track_id, f"ar{i % 7}"))
        con.execute("INSERT INTO r_albums_tracks VALUES (?, ?)", (f"al{i % 5}", t.track_id))
    for a in range(7):
        con.execute("INSERT INTO artists VALUES (?, ?, 10, 100)", (f"Artist {a}", f"ar{a}"))
        con.execute("INSERT INTO r_artist_genre VALUES (?, ?)", (f"genre {a % 3}", f"ar{a}"))
    for al in range(5):  # release dates are epoch milliseconds in the dump
        ms = int(pd.Timestamp(f"{2001 + al}-06-01").timestamp() * 1000)
        con.execute(
            "INSERT INTO albums VALUES (?, ?, 'album', 'album', ?, 5)",
            (f"al{al}", f"Album {al}", ms),
        )
    con.commit()
    con.close()
    return tracks


def test_sqlite_dump_schema_maps_to_the_catalog(tmp_path, monkeypatch):
    tracks = _dump(tmp_path / "spotify.sqlite")
    monkeypatch.setenv("VALENCE_LAB_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    cat = data.load_catalog("local:spotify.sqlite", allow_download=False)
    assert cat.report.schema == "spotify-8m-sqlite"
    assert len(cat.df) == len(tracks)
    row = cat.df.set_index("track_id").loc[tracks.loc[8, "track_id"]]
    assert row["artists"] == "Artist 1" and row["genre"] == "genre 1"
    assert row["album_name"] == "Album 3" and row["release_year"] == 2004
    assert row["valence"] == pytest.approx(tracks.loc[8, "valence"])


def test_unusable_sqlite_is_a_schema_error(tmp_path):
    path = tmp_path / "other.db"
    con = sqlite3.connect(path)
    con.execute("CREATE TABLE notes (id INT, text TEXT)")
    con.commit()
    con.close()
    with pytest.raises(SchemaError, match="No table"):
        large.build_cleaned_parquet(path, tmp_path / "x.parquet", CleaningReport())
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"not a database at all" * 10)
    with pytest.raises(SchemaError):
        large.build_cleaned_parquet(junk, tmp_path / "y.parquet", CleaningReport())
