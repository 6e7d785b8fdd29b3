"""Faithful synthetic copies of files people actually have (never the real files: no data in git).

``kaggle_2023_csv`` mimics Kaggle's "Most Streamed Spotify Songs 2023" (``spotify-2023.csv``):
Latin-1 bytes, ``artist(s)_name`` with comma-separated artists, ``released_year``/month/day,
chart and playlist counts (some with thousands separators), ``streams``, ``bpm``, named keys with
blanks, ``Major``/``Minor`` modes and integer ``*_%`` features; no loudness, duration, genre or id.

``genre_aggregates_csv`` mimics ``data_by_genres.csv`` of Kaggle's "Spotify Dataset 1921-2020":
one row per genre with mean features (fractional popularity, key, duration).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

KAGGLE_2023_HEADER = (
    "track_name,artist(s)_name,artist_count,released_year,released_month,released_day,"
    "in_spotify_playlists,in_spotify_charts,streams,in_apple_playlists,in_apple_charts,"
    "in_deezer_playlists,in_deezer_charts,in_shazam_charts,bpm,key,mode,danceability_%,"
    "valence_%,energy_%,acousticness_%,instrumentalness_%,liveness_%,speechiness_%"
)
_KEYS = ["C", "C#", "D", "D#", "E", "F", "F#", "G", "G#", "A", "A#", "B", ""]
_ARTISTS = ["Beyoncé", "Rauw Alejandro, ROSALÍA", "Latto, Jung Kook", "Bad Bunny", "Måneskin"]


def kaggle_2023_frame(n: int = 240, seed: int = 3) -> pd.DataFrame:
    """The rows of a ``spotify-2023.csv``-like file, as the file's own columns."""
    rng = np.random.default_rng(seed)
    dance = rng.integers(25, 97, n)
    energy = rng.integers(10, 97, n)
    acoustic = rng.integers(0, 97, n)
    valence = np.clip(10 + 0.6 * dance + 0.3 * energy - 0.1 * acoustic + rng.normal(0, 8, n), 4, 97)
    artists = [f"{_ARTISTS[i % len(_ARTISTS)]} {i // len(_ARTISTS)}" for i in range(n)]
    return pd.DataFrame(
        {
            "track_name": [f"Canción {i}" for i in range(n)],
            "artist(s)_name": artists,
            "artist_count": [a.count(",") + 1 for a in artists],
            "released_year": rng.integers(1970, 2024, n),
            "released_month": rng.integers(1, 13, n),
            "released_day": rng.integers(1, 29, n),
            "in_spotify_playlists": rng.integers(30, 50_000, n),
            "in_spotify_charts": rng.integers(0, 150, n),
            "streams": rng.integers(2_000_000, 3_500_000_000, n),
            "in_apple_playlists": rng.integers(0, 500, n),
            "in_apple_charts": rng.integers(0, 300, n),
            "in_deezer_playlists": [f"{v:,}" for v in rng.integers(0, 9_000, n)],
            "in_deezer_charts": rng.integers(0, 50, n),
            "in_shazam_charts": rng.integers(0, 900, n),
            "bpm": rng.integers(65, 206, n),
            "key": [_KEYS[i] for i in rng.integers(0, len(_KEYS), n)],
            "mode": np.where(rng.random(n) < 0.55, "Major", "Minor"),
            "danceability_%": dance,
            "valence_%": valence.round().astype(int),
            "energy_%": energy,
            "acousticness_%": acoustic,
            "instrumentalness_%": np.where(rng.random(n) < 0.9, 0, rng.integers(1, 90, n)),
            "liveness_%": rng.integers(3, 60, n),
            "speechiness_%": rng.integers(2, 45, n),
        }
    )


def kaggle_2023_csv(n: int = 240, seed: int = 3) -> bytes:
    """``spotify-2023.csv``-like bytes, Latin-1 encoded as the real file is (not valid UTF-8)."""
    text = kaggle_2023_frame(n, seed).to_csv(index=False)
    assert text.splitlines()[0] == KAGGLE_2023_HEADER
    return text.encode("latin-1")


def genre_aggregates_csv(n: int = 60, seed: int = 4) -> bytes:
    """``data_by_genres.csv``-like bytes: one row per genre, means of the audio features."""
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame(
        {
            "mode": rng.integers(0, 2, n),
            "genres": [f"genre {i}" for i in range(n)],
            "acousticness": rng.random(n),
            "danceability": rng.random(n),
            "duration_ms": rng.uniform(150_000, 300_000, n),
            "energy": rng.random(n),
            "instrumentalness": rng.random(n) ** 3,
            "liveness": rng.uniform(0.1, 0.4, n),
            "loudness": rng.uniform(-20, -4, n),
            "speechiness": rng.uniform(0.03, 0.3, n),
            "tempo": rng.uniform(80, 140, n),
            "valence": rng.random(n),
            "popularity": rng.uniform(0, 70, n),
            "key": rng.integers(0, 12, n),
        }
    )
    return frame.to_csv(index=False).encode()
