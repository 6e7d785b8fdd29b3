"""Schema mapping: every supported file layout becomes the canonical table."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.catalog import data
from core.catalog.schema import (
    SchemaError,
    detect_schema,
    map_schema,
    normalise_header,
    parse_track_id,
)
from tests.conftest import make_synthetic_tracks, shared_file


def _csv_bytes(df: pd.DataFrame, **kw) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False, **kw)
    return buf.getvalue().encode("utf-8")


def test_normalise_header_strips_bom_case_and_punctuation():
    assert normalise_header("\ufeff Track URI ") == "track_uri"
    assert normalise_header("Artist Name(s)") == "artist_name_s"
    assert normalise_header("Duration (ms)") == "duration_ms"


@pytest.mark.parametrize(
    "value, expected",
    [
        ("6f807x0ima9a1j3VPbc7VN", "6f807x0ima9a1j3VPbc7VN"),
        ("spotify:track:6f807x0ima9a1j3VPbc7VN", "6f807x0ima9a1j3VPbc7VN"),
        (
            "https://open.spotify.com/intl-de/track/6f807x0ima9a1j3VPbc7VN?si=abc",
            "6f807x0ima9a1j3VPbc7VN",
        ),
        ("not an id", None),
        (None, None),
    ],
)
def test_parse_track_id(value, expected):
    assert parse_track_id(value) == expected


def test_huggingface_sample_schema():
    raw = data.read_table(shared_file("spotify_tracks_6genres_sample.csv"))
    assert detect_schema(list(raw.columns)) == "spotify-tracks-114k"
    mapped, match = map_schema(raw)
    assert match.mapping["genre"] == "track_genre"
    assert match.rescaled == []
    assert set(mapped["genre"].unique()) == {
        "country",
        "deep-house",
        "dubstep",
        "hip-hop",
        "metal",
        "rock",
    }
    assert mapped["explicit"].dtype == bool
    assert mapped["valence"].between(0, 1).all()


def test_tidytuesday_schema_maps_genre_subgenre_and_year():
    raw = data.read_table(shared_file("tidytuesday_spotify_songs.csv"))
    assert detect_schema(list(raw.columns)) == "tidytuesday"
    mapped, match = map_schema(raw)
    assert match.mapping["artists"] == "track_artist"
    assert match.mapping["subgenre"] == "playlist_subgenre"
    assert mapped["subgenre"].nunique() == 24
    years = mapped["release_year"].dropna()
    assert years.min() == 1957 and years.max() == 2020
    assert mapped["release_year"].notna().all()  # YYYY, YYYY-MM and full dates all parse


def test_kaggle_232k_layout_converts_keys_modes_and_signatures():
    base = make_synthetic_tracks(40, seed=3)
    keys = np.array(["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B"])
    kaggle = pd.DataFrame(
        {
            "genre": base["genre"],
            "artist_name": base["artists"],
            "track_name": base["track_name"],
            "track_id": base["track_id"],
            "popularity": base["popularity"],
            "acousticness": base["acousticness"],
            "danceability": base["danceability"],
            "duration_ms": base["duration_ms"],
            "energy": base["energy"],
            "instrumentalness": base["instrumentalness"],
            "key": keys[base["key"]],
            "liveness": base["liveness"],
            "loudness": base["loudness"],
            "mode": np.where(base["mode"] == 1, "Major", "Minor"),
            "speechiness": base["speechiness"],
            "tempo": base["tempo"],
            "time_signature": "4/4",
            "valence": base["valence"],
        }
    )
    catalog = data.load_upload(_csv_bytes(kaggle), "SpotifyFeatures.csv")
    assert catalog.report.schema == "kaggle-232k"
    got = catalog.df.set_index("track_id").loc[base["track_id"]]
    assert (got["key"].to_numpy() == base["key"].to_numpy()).all()
    assert (got["mode"].to_numpy() == base["mode"].to_numpy()).all()
    assert (got["time_signature"] == 4).all()


def test_exportify_export_with_bom_percent_scale_and_commas():
    base = make_synthetic_tracks(30, seed=5)
    export = pd.DataFrame(
        {
            " Track URI": "spotify:track:" + base["track_id"],
            "Track Name": base["track_name"],
            "Artist Name(s)": base["artists"] + ", Guest Star",
            "Album Name": base["album_name"],
            "Album Release Date": "2019-03-01",
            "Popularity": base["popularity"],
            "Explicit": "false",
            "Danceability ": (base["danceability"] * 100).round(1),
            "Energy": (base["energy"] * 100).round(1),
            "Key": base["key"],
            "Loudness": base["loudness"],
            "Mode": base["mode"],
            "Speechiness": (base["speechiness"] * 100).round(1),
            "Acousticness": (base["acousticness"] * 100).round(1),
            "Instrumentalness": (base["instrumentalness"] * 100).round(1),
            "Liveness": (base["liveness"] * 100).round(1),
            "Valence": (base["valence"] * 100).round(1),
            "Tempo": base["tempo"],
            "Time Signature": 4,
            "Duration (ms)": base["duration_ms"],
        }
    )
    raw = b"\xef\xbb\xbf" + _csv_bytes(export)
    catalog = data.load_upload(raw, "playlist.csv")
    assert catalog.report.schema == "exportify"
    assert "valence" in catalog.report.rescaled and "danceability" in catalog.report.rescaled
    df = catalog.df.set_index("track_id").loc[base["track_id"]]
    np.testing.assert_allclose(df["valence"], (base["valence"] * 100).round(1) / 100)
    assert df["artists"].str.endswith(";Guest Star").all()
    assert (df["release_year"] == 2019).all()


def test_generic_semicolon_csv_with_aliases():
    base = make_synthetic_tracks(25, seed=7).rename(
        columns={"track_name": "Title", "artists": "Artist", "tempo": "BPM"}
    )
    catalog = data.load_upload(_csv_bytes(base, sep=";"), "mine.csv")
    assert catalog.report.schema == "generic"
    assert len(catalog.df) == 25
    assert catalog.df["tempo"].between(70, 180).all()


def test_missing_columns_are_listed():
    broken = pd.DataFrame({"name": ["a", "b"], "artist": ["x", "y"], "energy": [0.1, 0.2]})
    with pytest.raises(SchemaError) as err:
        data.load_upload(_csv_bytes(broken), "broken.csv")
    assert "valence" in err.value.missing and "danceability" in err.value.missing
    assert "energy" in err.value.recognised and "track_name" in err.value.recognised
    assert "Missing required columns" in str(err.value)


@pytest.mark.parametrize(
    "payload, needle",
    [
        (b"", "empty"),
        (b"\x89PNG\r\n\x1a\n\x00\x00binary", "not a text CSV"),
        (b"a,b\n1,2\n", "Missing"),
    ],
)
def test_unreadable_uploads_give_clear_errors(payload, needle):
    with pytest.raises(SchemaError, match=needle):
        data.load_upload(payload, "bad.csv")


def test_exportify_track_duration_header():
    base = make_synthetic_tracks(10, seed=9).rename(columns={"duration_ms": "Track Duration (ms)"})
    catalog = data.load_upload(_csv_bytes(base), "export.csv")
    assert catalog.df["duration_ms"].between(120_000, 300_000).all()


def test_kaggle_most_streamed_2023_is_accepted_with_the_features_it_has():
    from tests.realworld import kaggle_2023_csv, kaggle_2023_frame

    payload = kaggle_2023_csv(200)
    with pytest.raises(UnicodeDecodeError):
        payload.decode("utf-8")  # Latin-1 like the real file
    catalog = data.load_upload(payload, "spotify-2023.csv")
    raw = kaggle_2023_frame(200)
    assert catalog.report.schema == "kaggle-most-streamed-2023"
    assert len(catalog.df) == 200
    assert sorted(catalog.report.absent_features) == ["duration_ms", "loudness"]
    assert "loudness" not in catalog.df and "genre" not in catalog.df
    assert catalog.df["valence"].between(0, 1).all()
    assert catalog.df["valence"].round(2).tolist() == (raw["valence_%"] / 100).round(2).tolist()
    assert catalog.df["tempo"].tolist() == raw["bpm"].astype(float).tolist()
    assert catalog.df["release_year"].tolist() == raw["released_year"].tolist()
    blank = raw["key"].eq("")
    assert (catalog.df.loc[blank.to_numpy(), "key"] == -1).all()
    assert set(catalog.df["mode"]) == {0, 1}
    assert "Beyoncé 0" in catalog.df["artists"].tolist()
    assert "Rauw Alejandro;ROSALÍA 0" in catalog.df["artists"].tolist()


def test_too_few_features_are_refused_with_what_was_found():
    frame = pd.DataFrame(
        {"valence": [0.2, 0.5], "energy": [0.1, 0.2], "danceability": [0.3, 0.4], "x": [1, 2]}
    )
    with pytest.raises(SchemaError) as err:
        data.load_upload(_csv_bytes(frame), "few.csv")
    assert "at least 4 audio features" in str(err.value)
    assert "found 2: danceability, energy" in str(err.value)


def test_per_genre_aggregates_are_refused_as_what_they_are():
    from tests.realworld import genre_aggregates_csv

    with pytest.raises(SchemaError) as err:
        data.load_upload(genre_aggregates_csv(60), "data_by_genres.csv")
    assert "one row per genre (60 genres)" in str(err.value)
    assert "not one row per track" in str(err.value)


def test_track_level_file_without_ids_is_not_taken_for_aggregates():
    base = make_synthetic_tracks(30, seed=11).drop(columns=["track_id", "track_name"])
    catalog = data.load_upload(_csv_bytes(base), "tracks.csv")
    assert len(catalog.df) == 30
