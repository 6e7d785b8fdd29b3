"""Cleaning rules, counted reports and the Parquet cache."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.catalog import data
from core.catalog.schema import map_schema
from tests.conftest import TIDY, make_synthetic_tracks


def test_tidytuesday_cleaning_counts(tidy_catalog):
    r = tidy_catalog.report
    assert r.rows_read == 32_833
    assert r.too_short == 2  # two rows under 30 s
    assert r.missing_features == 0
    assert r.ids_with_several_genres == 1_687
    assert tidy_catalog.df["track_id"].is_unique
    assert r.rows_kept == len(tidy_catalog.df)
    steps = (
        r.missing_features
        + r.impossible_values
        + r.too_short
        + r.zero_tempo
        + r.zero_time_signature
        + r.duplicate_ids_collapsed
        + r.same_song_collapsed
    )
    assert r.rows_read - steps == r.rows_kept
    assert 27_000 < r.rows_kept < 28_356  # at most the 28,356 unique ids


def test_zero_tempo_track_is_removed(tidy_catalog):
    # 51w6nRCU68klqNfYaaVP2j is the one tempo-0 track; it is also a duplicate id in the file
    assert "51w6nRCU68klqNfYaaVP2j" not in set(tidy_catalog.df["track_id"])
    assert (tidy_catalog.df["tempo"] > 0).all()


def test_duplicate_ids_keep_all_genres_and_most_frequent_label(tidy_catalog):
    multi = tidy_catalog.df[tidy_catalog.df["genres"].str.contains(";", na=False)]
    assert len(multi) > 1_000
    for _, row in multi.head(50).iterrows():
        assert row["genre"] in row["genres"].split(";")


def test_sample_catalog_dedup(sample_catalog):
    r = sample_catalog.report
    assert r.rows_read == 6_000
    assert r.duplicate_ids_collapsed == 151
    assert r.ids_with_several_genres == 137
    assert sample_catalog.df["time_signature"].isin([1, 3, 4, 5]).all()


def test_cleaning_rules_each_counted():
    df = make_synthetic_tracks(20, seed=1)
    df.loc[0, "valence"] = None  # missing
    df.loc[1, "energy"] = 1.7  # impossible
    df.loc[2, "duration_ms"] = 10_000  # too short
    df.loc[3, "tempo"] = 0  # zero tempo
    df.loc[4, "time_signature"] = 0
    df.loc[5] = df.loc[6]  # duplicate id (same genre)
    mapped, match = map_schema(df)
    cleaned, report = data.clean_tracks(mapped, match)
    assert (report.missing_features, report.impossible_values, report.too_short) == (1, 1, 1)
    assert (report.zero_tempo, report.zero_time_signature, report.duplicate_ids_collapsed) == (
        1,
        1,
        1,
    )
    assert report.rows_kept == len(cleaned) == 14
    assert report.as_frame()["rows"].iloc[-1] == 14


def test_genre_label_is_most_frequent_then_first():
    df = make_synthetic_tracks(6, seed=2)
    df["track_id"] = ["A" * 22] * 3 + ["B" * 22] * 2 + ["C" * 22]
    df["track_name"] = ["x", "x", "x", "y", "y", "z"]
    df["genre"] = ["rock", "pop", "pop", "edm", "rap", "rock"]
    for col in ("danceability", "energy", "valence", "tempo"):
        df[col] = df.groupby("track_id")[col].transform("first")
    cleaned, _ = data.clean_tracks(*map_schema(df))
    by_id = cleaned.set_index("track_id")
    assert by_id.loc["A" * 22, "genre"] == "pop"
    assert by_id.loc["A" * 22, "genres"] == "rock;pop"
    assert by_id.loc["B" * 22, "genre"] == "edm"  # tie: first seen


def test_all_rows_invalid_is_an_error():
    df = make_synthetic_tracks(5)
    df["tempo"] = 0
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    with pytest.raises(data.SchemaError, match="No usable rows"):
        data.load_upload(buf.getvalue().encode(), "zeros.csv")


def test_second_load_reads_parquet_not_csv(monkeypatch, tmp_path):
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path))
    calls = []
    real = data.read_table
    monkeypatch.setattr(data, "read_table", lambda src: calls.append(src) or real(src))
    first = data.load_catalog(TIDY, allow_download=False)
    assert len(calls) == 1
    data.wait_for_cache_writes()  # the Parquet copy is written in the background
    assert list((tmp_path / "catalog").glob("*.parquet"))
    second = data.load_catalog(TIDY, allow_download=False)
    assert len(calls) == 1, "the warm load parsed the CSV again"
    pd.testing.assert_frame_equal(first.df, second.df)
    assert second.report == first.report


def test_cache_key_changes_with_file_contents(monkeypatch, tmp_path):
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    monkeypatch.setenv("VALENCE_LAB_DATA_DIR", str(src_dir))
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    path = src_dir / "mine.csv"
    make_synthetic_tracks(50, seed=1).to_csv(path, index=False)
    a = data.load_catalog("local:mine.csv", allow_download=False)
    make_synthetic_tracks(60, seed=2).to_csv(path, index=False)
    b = data.load_catalog("local:mine.csv", allow_download=False)
    assert a.checksum != b.checksum
    assert (len(a.df), len(b.df)) == (50, 60)


def test_a_new_file_is_hashed_once_beside_its_cleaning(monkeypatch, tmp_path):
    """The first load hashes while the rules clean; a warm load neither hashes nor parses again."""
    src_dir = tmp_path / "src"
    src_dir.mkdir()
    monkeypatch.setenv("VALENCE_LAB_DATA_DIR", str(src_dir))
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path / "cache"))
    make_synthetic_tracks(80, seed=4).to_csv(src_dir / "a.csv", index=False)
    hashed, parsed = [], []
    real_hash, real_read = data.file_checksum, data.read_table
    monkeypatch.setattr(data, "file_checksum", lambda p: hashed.append(p) or real_hash(p))
    monkeypatch.setattr(data, "read_table", lambda p: parsed.append(p) or real_read(p))
    first = data.load_catalog("local:a.csv", allow_download=False)
    assert first.checksum == real_hash(src_dir / "a.csv") and len(hashed) == len(parsed) == 1
    data.wait_for_cache_writes()
    assert data.load_catalog("local:a.csv", allow_download=False).checksum == first.checksum
    assert len(hashed) == len(parsed) == 1  # remembered checksum, Parquet copy
    (src_dir / "b.csv").write_bytes((src_dir / "a.csv").read_bytes())
    again = data.load_catalog("local:b.csv", allow_download=False)
    assert len(hashed) == 2 and again.checksum == first.checksum
    pd.testing.assert_frame_equal(again.df, first.df)


def test_upload_ids_are_recognised_in_one_place():
    assert data.is_upload_id(f"{data.UPLOAD_PREFIX}my playlist.csv")
    assert not data.is_upload_id("tidytuesday-spotify-songs")
    assert not data.is_upload_id("local:upload:trick.csv")  # a local file named like one
    assert not data.is_upload_id(None)  # an empty session value


def test_repeated_rows_is_a_superset_of_exact_repeats():
    rng = np.random.default_rng(0)
    numbers = pd.DataFrame(rng.integers(0, 4, size=(2_000, 3)) / 4.0, columns=list("abc"))
    # rows 0-1 and 2-3 repeat only each other: 0.0 vs -0.0 (equal for pandas, not bitwise)
    # and a missing value (NaN repeats like any other value)
    numbers.loc[0:1, ["b", "c"]] = [0.3, 0.7]
    numbers.loc[0, "a"], numbers.loc[1, "a"] = 0.0, -0.0
    numbers.loc[2:3, ["a", "b", "c"]] = [0.9, np.nan, 0.1]
    exact = numbers.duplicated(keep=False).to_numpy()
    found = data._repeated_rows(numbers)
    assert exact[:4].all() and found[:4].all()
    assert (found >= exact).all()
    assert found.sum() <= exact.sum() + 2  # a collision is possible but rare
