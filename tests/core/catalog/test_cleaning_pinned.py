"""Cleaning results pinned on the real files, and the vectorised steps checked row by row.

The counts below are what the cleaning produced before it was vectorised (issue 11): a faster
cleaning must give exactly the same report and the same table. The row-wise reference functions
are the plain-Python statement of each rule; the vectorised code must agree with them on every
row of both real files.
"""

from __future__ import annotations

import re
from collections import Counter

import pandas as pd
import pytest

from core.catalog import data
from core.catalog.schema import map_schema
from core.lookup.trackids import parse_track_id
from tests.conftest import shared_file

TIDY_FILE = "tidytuesday_spotify_songs.csv"
SAMPLE_FILE = "spotify_tracks_6genres_sample.csv"

# Layout kept by hand (fmt: skip below): tables of counts read better packed.
PINNED_REPORTS = {
    TIDY_FILE: {
        "rows_read": 32_833, "missing_features": 0, "impossible_values": 0, "too_short": 2,
        "zero_tempo": 0, "zero_time_signature": 0, "duplicate_ids_collapsed": 4_477,
        "ids_with_several_genres": 1_687, "same_song_collapsed": 654, "rows_kept": 27_700,
        "schema": "tidytuesday",
    },
    SAMPLE_FILE: {
        "rows_read": 6_000, "missing_features": 0, "impossible_values": 0, "too_short": 0,
        "zero_tempo": 0, "zero_time_signature": 0, "duplicate_ids_collapsed": 151,
        "ids_with_several_genres": 137, "same_song_collapsed": 1_180, "rows_kept": 4_669,
        "schema": "spotify-tracks-114k",
    },
}  # fmt: skip
PINNED_GENRES = {
    TIDY_FILE: {"rap": 5295, "pop": 4839, "edm": 4792, "r&b": 4431, "rock": 4216, "latin": 4127},
    SAMPLE_FILE: {"dubstep": 957, "deep-house": 949, "metal": 863, "hip-hop": 746,
                  "country": 633, "rock": 521},
}  # fmt: skip
PINNED_FACTS = {  # distinct primary artists, tracks listed under several genres
    TIDY_FILE: (10_684, 1_627),
    SAMPLE_FILE: (1_255, 90),
}


@pytest.fixture(scope="module", params=[TIDY_FILE, SAMPLE_FILE])
def real(request):
    raw = data.read_table(shared_file(request.param))
    mapped, match = map_schema(raw)
    catalog = data.build_catalog(raw, "pinned", "pinned", "x")
    return request.param, raw, mapped, catalog


def test_report_counts_are_unchanged(real):
    name, _, _, catalog = real
    report = vars(catalog.report)
    assert {k: report[k] for k in PINNED_REPORTS[name]} == PINNED_REPORTS[name]
    assert catalog.report.rescaled == [] and catalog.report.notes == []


def test_cleaned_table_is_unchanged(real):
    name, _, _, catalog = real
    df = catalog.df
    assert df["genre"].value_counts().to_dict() == PINNED_GENRES[name]
    n_artists, n_multi = PINNED_FACTS[name]
    assert df["primary_artist"].nunique() == n_artists
    assert int(df["genres"].str.contains(";").sum()) == n_multi
    assert df["track_id"].is_unique and df["track_id"].notna().all()
    for col in ("track_id", "track_name", "artists", "primary_artist", "genre", "genres"):
        assert isinstance(df[col].dtype, pd.StringDtype), col
    for col in ("key", "mode", "duration_ms"):
        assert df[col].dtype == "int64", col


PINNED_ENGINEERED = {  # (sum of n_playlists, tracks under several subgenres or None)
    TIDY_FILE: (32_031, 3_066),
    SAMPLE_FILE: (4_769, None),  # the 114k set has no subgenre column
}


def test_playlist_counts_and_subgenres_are_kept(real):
    name, _, _, catalog = real
    df = catalog.df
    n_rows, n_multi = PINNED_ENGINEERED[name]
    assert df["n_playlists"].dtype == "int64" and int(df["n_playlists"].sum()) == n_rows
    assert (df["n_playlists"] >= 1).all()
    if n_multi is None:
        assert "subgenres" not in df
    else:
        assert int(df["subgenres"].str.contains(";").sum()) == n_multi


# ---- row-wise reference definitions -------------------------------------------------------


def _ref_primary(artists: object) -> str:
    text = "" if artists is None or artists is pd.NA or artists != artists else str(artists)
    first = text.split(";")[0].strip().lower()
    return first or "(unknown)"


def _ref_year(value: object) -> int | None:
    if value is None or value is pd.NA or value != value:
        return None
    found = re.search(r"((?:19|20)\d\d)", str(value))
    return int(found.group(1)) if found else None


def test_track_ids_match_the_strict_parser(real):
    name, raw, mapped, _ = real
    expected = [parse_track_id(v) for v in raw["track_id"]]
    got = [None if v is pd.NA else v for v in mapped["track_id"]]
    assert got == expected


def test_release_year_matches_reference():
    raw = data.read_table(shared_file(TIDY_FILE))  # the file with release dates
    mapped, _ = map_schema(raw)
    expected = [_ref_year(v) for v in raw["track_album_release_date"]]
    got = [None if v is pd.NA else int(v) for v in mapped["release_year"]]
    assert got == expected


def test_primary_artist_matches_reference(real):
    _, _, _, catalog = real
    df = catalog.df
    expected = [_ref_primary(v) for v in df["artists"]]
    assert df["primary_artist"].tolist() == expected


def test_duplicate_labels_match_reference(real):
    """Label: the id's most frequent genre (ties: first seen); genres: all, first-seen order."""
    _, _, mapped, catalog = real
    kept = mapped[(mapped["duration_ms"] >= data.MIN_DURATION_MS) & (mapped["tempo"] > 0)]
    seen: dict[str, list[str]] = {}
    for tid, genre in zip(kept["track_id"], kept["genre"], strict=True):
        if tid is not pd.NA and genre is not pd.NA:
            seen.setdefault(tid, []).append(genre)
    by_id = catalog.df.set_index("track_id")
    checked = 0
    for tid, genres in seen.items():
        if len(genres) < 2 or tid not in by_id.index:
            continue
        counts = Counter(genres)
        top = max(counts.values())
        label = next(g for g in genres if counts[g] == top)
        assert by_id.at[tid, "genre"] == label, tid
        assert by_id.at[tid, "genres"] == ";".join(dict.fromkeys(genres)), tid
        checked += 1
    assert checked >= 90


def test_missing_ids_are_kept_and_repeats_collapse_around_them():
    from tests.conftest import make_synthetic_tracks

    df = make_synthetic_tracks(8, seed=3)
    df["track_id"] = [None, "A" * 22, None, "B" * 22, "A" * 22, None, "B" * 22, "C" * 22]
    df["genre"] = ["x", "rock", "y", None, "pop", "z", "edm", "rap"]
    df["track_name"] = [f"song {i}" for i in range(8)]
    cleaned, report = data.clean_tracks(*map_schema(df))
    assert report.duplicate_ids_collapsed == 2
    assert cleaned["track_id"].isna().sum() == 3
    by_id = cleaned.dropna(subset=["track_id"]).set_index("track_id")
    assert by_id.at["A" * 22, "genres"] == "rock;pop"
    assert by_id.at["A" * 22, "genre"] == "rock"  # tie: first seen
    assert by_id.at["B" * 22, "genres"] == "edm"  # the missing genre is skipped
    assert pd.isna(by_id.at["B" * 22, "genre"])  # tie with the missing genre, seen first
    assert report.ids_with_several_genres == 2
    assert cleaned.loc[cleaned["track_id"].isna(), "genres"].tolist() == ["x", "y", "z"]


def _csv_bytes(names: list[str]) -> bytes:
    from tests.conftest import make_synthetic_tracks

    df = make_synthetic_tracks(len(names), seed=4)
    df["track_name"] = names
    return df.to_csv(index=False).encode("utf-8")


def test_read_table_bom_latin1_and_a_character_cut_by_the_sniffing_sample():
    plain = _csv_bytes(["Beyoncé", "Motörhead", "x"])
    assert data.read_table(b"\xef\xbb\xbf" + plain)["track_name"].tolist()[:2] == [
        "Beyoncé",
        "Motörhead",
    ]
    latin = plain.decode("utf-8").encode("latin-1")
    assert data.read_table(latin)["track_name"].tolist()[:2] == ["Beyoncé", "Motörhead"]
    offset = _csv_bytes(["é", "b", "c"]).index("é".encode())
    raw = _csv_bytes(["a" * (65_535 - offset) + "é", "b", "c"])
    assert raw.index("é".encode()) == 65_535  # its two bytes straddle the 64 KiB sample
    assert data.read_table(raw)["track_name"].iloc[0].endswith("é")


def test_read_table_from_a_large_file_with_a_bom(tmp_path):
    from tests.conftest import make_synthetic_tracks

    df = make_synthetic_tracks(1_500, seed=6)
    path = tmp_path / "big.csv"
    path.write_bytes(b"\xef\xbb\xbf" + df.to_csv(index=False, sep=";").encode())
    assert path.stat().st_size > 65_536 * 2  # pandas reads the file itself, past the sample
    frame = data.read_table(path)
    assert list(frame.columns) == list(df.columns) and len(frame) == 1_500


def test_background_cache_write_leaves_only_complete_files(monkeypatch, tmp_path):
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path))
    first = data.load_catalog("local:" + SAMPLE_FILE, allow_download=False)
    data.wait_for_cache_writes()
    names = sorted(p.name for p in (tmp_path / "catalog").iterdir())
    assert not [n for n in names if n.endswith(".tmp")], names
    assert any(n.endswith(".parquet") for n in names) and any(n.endswith(".json") for n in names)
    again = data.load_catalog("local:" + SAMPLE_FILE, allow_download=False)
    pd.testing.assert_frame_equal(first.df, again.df)
    assert again.report == first.report
