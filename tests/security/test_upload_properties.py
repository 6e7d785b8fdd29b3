"""Property tests: random bytes and random CSV shapes fed to both upload readers give a
dataset or a clear message, never an unexpected exception."""

from __future__ import annotations

import csv
import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.catalog import data
from core.catalog.data import Catalog
from core.catalog.schema import AUDIO_COLUMNS, SchemaError
from core.lookup.idupload import IdUpload, UploadError, read_id_upload

SETTINGS = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
NAMES = [
    *AUDIO_COLUMNS,
    "track_id",
    "track_name",
    "artists",
    "genre",
    "Track URI",
    "id",
    "Artist Name(s)",
    "playlist_genre",
    "rating",
    "uri",
    "",
    " ",
    "\ufefftrack_id",
    "=cmd",
    "[x](https://evil.example)",
    "valence",
    "valence",
]
IDS = [
    "4uLU6hMCjMI75M1A2tKUQC",
    "spotify:track:4uLU6hMCjMI75M1A2tKUQC",
    "spotify:local:a:b:c:1",
    "https://open.spotify.com/track/4uLU6hMCjMI75M1A2tKUQC?si=x",
    "undefined",
    "tooShort",
]
cell = st.one_of(
    st.none(),
    st.integers(-(10**12), 10**12),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(IDS),
    st.sampled_from(["", "NaN", "inf", "-", "1e999", "0,5", '"', "a\nb", "=1+1", "\x00"]),
)


@st.composite
def csv_files(draw) -> bytes:
    """A CSV of random shape: header from likely and odd names, ragged rows, odd cells."""
    columns = draw(st.lists(st.sampled_from(NAMES) | st.text(max_size=12), min_size=0, max_size=14))
    n_rows = draw(st.integers(0, 25))
    rows = [draw(st.lists(cell, min_size=0, max_size=len(columns) + 2)) for _ in range(n_rows)]
    sep = draw(st.sampled_from([",", ";", "\t", "|"]))
    buf = io.StringIO()
    writer = csv.writer(buf, delimiter=sep)
    writer.writerow(columns)
    writer.writerows(rows)
    text = buf.getvalue()
    if draw(st.booleans()):
        text = "\ufeff" + text
    encoding = draw(st.sampled_from(["utf-8", "latin-1", "utf-16"]))
    return text.encode(encoding, errors="replace")


@st.composite
def plausible_catalogs(draw) -> bytes:
    """A file with every audio feature column, random values (some impossible), maybe ids."""
    n = draw(st.integers(1, 30))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    frame: dict[str, object] = {c: rng.uniform(0, 1, n) for c in AUDIO_COLUMNS}
    frame |= {
        "loudness": rng.uniform(-30, 0, n),
        "tempo": rng.uniform(60, 200, n),
        "key": rng.integers(-1, 12, n),
        "mode": rng.integers(0, 2, n),
        "duration_ms": rng.integers(20_000, 400_000, n),
        "time_signature": rng.integers(0, 6, n),
    }
    for col in draw(st.lists(st.sampled_from(AUDIO_COLUMNS), max_size=3)):  # corrupt some cells
        values = list(frame[col])  # type: ignore[call-overload]
        values[draw(st.integers(0, n - 1))] = draw(cell)
        frame[col] = values
    if draw(st.booleans()):
        frame["track_id"] = [draw(st.sampled_from(IDS)) for _ in range(n)]
    if draw(st.booleans()):
        frame["genre"] = [draw(st.text(max_size=8)) for _ in range(n)]
    buf = io.StringIO()
    csv.writer(buf).writerows([list(frame), *zip(*frame.values(), strict=True)])
    return buf.getvalue().encode()


def _catalog_or_message(raw: bytes) -> None:
    try:
        result = data.load_upload(raw, "fuzz.csv")
    except SchemaError as exc:
        assert str(exc).strip()
        return
    assert isinstance(result, Catalog) and len(result.df) > 0


def _ids_or_message(raw: bytes) -> None:
    try:
        result = read_id_upload(raw, "fuzz.csv")
    except UploadError as exc:
        assert str(exc).strip()
        return
    assert isinstance(result, IdUpload)
    assert result.frame["track_id"].str.len().eq(22).all()


@pytest.mark.parametrize("check", [_catalog_or_message, _ids_or_message], ids=["catalog", "ids"])
@SETTINGS
@given(raw=st.binary(max_size=2048))
def test_reader_random_bytes(check, raw: bytes) -> None:
    check(raw)


@pytest.mark.parametrize("check", [_catalog_or_message, _ids_or_message], ids=["catalog", "ids"])
@SETTINGS
@given(raw=csv_files())
def test_reader_random_csv_shapes(check, raw: bytes) -> None:
    check(raw)


@SETTINGS
@given(plausible_catalogs())
def test_catalog_reader_plausible_files(raw: bytes) -> None:
    _catalog_or_message(raw)
