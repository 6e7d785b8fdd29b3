"""Shared fixtures: real data from ../shared/data, a throwaway cache dir, synthetic catalogs."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"
sys.path.insert(0, str(ROOT))

if not os.environ.get("VALENCE_LAB_DATA_DIR") and SHARED_DATA.is_dir():
    os.environ["VALENCE_LAB_DATA_DIR"] = str(SHARED_DATA)
# Tests never write into the project's data/ cache.
os.environ.setdefault("VALENCE_LAB_CACHE_DIR", tempfile.mkdtemp(prefix="valence-lab-cache-"))
# No start-up precomputing of every public dataset inside the test process: pages still get
# their defaults from core.warm, built on first request (tests/core/test_warm.py covers start-up).
os.environ.setdefault("VALENCE_LAB_WARM", "off")

TIDY = "tidytuesday-spotify-songs"
SAMPLE = "local:spotify_tracks_6genres_sample.csv"


def shared_file(name: str) -> Path:
    """A file of ../shared/data; the suite needs it (CI always has it)."""
    path = Path(os.environ["VALENCE_LAB_DATA_DIR"]) / name
    assert path.is_file(), f"{path} is missing: run with ../shared/data beside the checkout"
    return path


@pytest.fixture(scope="session")
def tidy_catalog():
    from core.catalog import data

    return data.load_catalog(TIDY, allow_download=False)


@pytest.fixture(scope="session")
def sample_catalog():
    from core.catalog import data

    return data.load_catalog(SAMPLE, allow_download=False)


def make_synthetic_tracks(n: int = 300, n_genres: int = 3, seed: int = 0) -> pd.DataFrame:
    """A small canonical-schema table with a planted valence signal and well-formed ids."""
    rng = np.random.default_rng(seed)
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    ids = ["".join(rng.choice(alphabet, 22)) for _ in range(n)]
    genre = rng.integers(0, n_genres, n)
    dance = rng.uniform(0.2, 0.95, n)
    energy = np.clip(rng.normal(0.4 + 0.2 * genre, 0.15), 0, 1)
    valence = np.clip(0.1 + 0.6 * dance + 0.2 * energy + rng.normal(0, 0.05, n), 0, 1)
    return pd.DataFrame(
        {
            "track_id": ids,
            "track_name": [f"Song {i}" for i in range(n)],
            "artists": [f"Artist {i % (n // 3)}" for i in range(n)],
            "album_name": [f"Album {i % 50}" for i in range(n)],
            "genre": [f"g{g}" for g in genre],
            "popularity": rng.integers(0, 100, n),
            "danceability": dance,
            "energy": energy,
            "key": rng.integers(0, 12, n),
            "loudness": rng.uniform(-20, -2, n),
            "mode": rng.integers(0, 2, n),
            "speechiness": rng.uniform(0.02, 0.4, n),
            "acousticness": rng.uniform(0, 1, n),
            "instrumentalness": rng.uniform(0, 1, n) ** 4,
            "liveness": rng.uniform(0.05, 0.6, n),
            "valence": valence,
            "tempo": rng.uniform(70, 180, n),
            "duration_ms": rng.integers(120_000, 300_000, n),
            "time_signature": np.full(n, 4),
        }
    )


@pytest.fixture(scope="session")
def synthetic_tracks() -> pd.DataFrame:
    return make_synthetic_tracks()


def make_tree_data(seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Genres a and b sound alike, c is far, d is in between."""
    rng = np.random.default_rng(seed)
    centres = {"a": [0, 0, 0], "b": [0.3, 0, 0], "c": [6, 6, 0], "d": [3, 0, 3]}
    labels = np.repeat(list(centres), 30)
    X = np.array([centres[g] for g in labels]) + rng.normal(0, 0.1, (len(labels), 3))
    order = rng.permutation(len(labels))
    return X[order], labels[order].astype(object)
