"""Canonical track schema and mapping of known CSV schemas onto it.

Supported inputs: the Hugging Face "Spotify Tracks Dataset" (114k), TidyTuesday
``spotify_songs.csv``, Kaggle's "Ultimate Spotify Tracks DB" (``SpotifyFeatures.csv``),
Exportify playlist exports, and any CSV whose headers match the aliases below
(case-, space-, underscore- and punctuation-insensitive).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from core.lookup.trackids import parse_track_id

#: Audio features bounded to [0, 1].
UNIT_FEATURES: tuple[str, ...] = (
    "danceability",
    "energy",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
)
#: Every audio feature of the canonical table (``time_signature`` may be absent).
AUDIO_COLUMNS: tuple[str, ...] = (
    "danceability",
    "energy",
    "key",
    "loudness",
    "mode",
    "speechiness",
    "acousticness",
    "instrumentalness",
    "liveness",
    "valence",
    "tempo",
    "duration_ms",
    "time_signature",
)
#: Audio features that are categorical codes (pitch class, major/minor, beats per bar).
CODE_COLUMNS: tuple[str, ...] = ("key", "mode", "time_signature")
#: Continuous audio features (distances between tracks mean something on these).
CONTINUOUS_COLUMNS: tuple[str, ...] = tuple(c for c in AUDIO_COLUMNS if c not in CODE_COLUMNS)
#: How a track sounds: the continuous features but its length. They define "sounds like" for
#: track neighbours and the size of a transition in a playlist's mood arc.
SOUND_FEATURES: tuple[str, ...] = tuple(c for c in CONTINUOUS_COLUMNS if c != "duration_ms")
#: What a genre profile compares: the continuous features plus major/minor mode.
PROFILE_FEATURES: tuple[str, ...] = (*CONTINUOUS_COLUMNS, "mode")
#: The full set of audio columns a complete source has (``time_signature`` may be absent).
REQUIRED_COLUMNS: tuple[str, ...] = tuple(c for c in AUDIO_COLUMNS if c != "time_signature")
#: Audio predictors of valence (valence itself excluded).
PREDICTOR_COLUMNS: tuple[str, ...] = tuple(c for c in AUDIO_COLUMNS if c != "valence")
#: A file becomes a catalog with valence and at least this many other audio features; pages and
#: models use the features present and say which are missing (Kaggle's "Most Streamed Spotify
#: Songs 2023" has no loudness, duration or time signature).
MIN_AUDIO_FEATURES = 4
TEXT_COLUMNS: tuple[str, ...] = (
    "track_id",
    "track_name",
    "artists",
    "album_name",
    "genre",
    "subgenre",
)
CONTEXT_COLUMNS: tuple[str, ...] = ("popularity", "explicit", "release_year")
#: A cleaned catalog's leading columns (when present): text, then context; audio features follow.
LEADING_COLUMNS = (
    "track_id",
    "track_name",
    "artists",
    "primary_artist",
    "album_name",
    "genre",
    "genres",
    "subgenre",
    "subgenres",
    "popularity",
    "explicit",
    "release_year",
    "release_month",
    "n_playlists",
)

# canonical name -> accepted header spellings (normalised by ``normalise_header``)
ALIASES: dict[str, tuple[str, ...]] = {
    "track_id": ("track_id", "id", "trackid", "spotify_id", "track_uri", "uri", "spotify_uri"),
    "track_name": ("track_name", "name", "title", "song", "song_name", "track", "track_title"),
    "artists": (
        "artists",
        "artist",
        "artist_name",
        "artist_names",
        "artist_name_s",
        "artist_s_name",
        "track_artist",
    ),
    "album_name": ("album_name", "album", "track_album_name", "album_title"),
    "genre": ("genre", "track_genre", "playlist_genre", "top_genre", "genres", "artist_genres"),
    "subgenre": ("subgenre", "playlist_subgenre", "sub_genre"),
    "popularity": ("popularity", "track_popularity"),
    "explicit": ("explicit", "is_explicit"),
    "release_date": (
        "release_date",
        "track_album_release_date",
        "album_release_date",
        "released",
        "date",
    ),
    "release_year": ("release_year", "year", "released_year"),
    "danceability": ("danceability",),
    "energy": ("energy",),
    "key": ("key", "musical_key"),
    "loudness": ("loudness", "loudness_db"),
    "mode": ("mode",),
    "speechiness": ("speechiness",),
    "acousticness": ("acousticness",),
    "instrumentalness": ("instrumentalness",),
    "liveness": ("liveness",),
    "valence": ("valence",),
    "tempo": ("tempo", "bpm"),
    "duration_ms": ("duration_ms", "track_duration_ms", "duration", "length_ms"),
    "time_signature": ("time_signature", "timesignature", "time_sig"),
}

# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
_KEY_NAMES = {
    "C": 0, "C#": 1, "DB": 1, "D": 2, "D#": 3, "EB": 3, "E": 4, "F": 5, "F#": 6, "GB": 6,
    "G": 7, "G#": 8, "AB": 8, "A": 9, "A#": 10, "BB": 10, "B": 11,
}  # fmt: skip


class SchemaError(ValueError):
    """A file whose columns cannot be mapped to the canonical schema."""

    def __init__(self, message: str, missing: list[str], recognised: list[str]) -> None:
        super().__init__(message)
        self.missing = missing
        self.recognised = recognised


@dataclass
class SchemaMatch:
    """Which source header became which canonical column."""

    schema: str
    mapping: dict[str, str] = field(default_factory=dict)  # canonical -> source header
    rescaled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    absent: list[str] = field(default_factory=list)  # audio features the file does not have


def normalise_header(name: object) -> str:
    """Lower-case a header and reduce punctuation/whitespace to single underscores."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[^0-9a-z#]+", "_", text).strip("_")


def detect_schema(columns: list[str]) -> str:
    """Name the known schema a header row belongs to (``generic`` when none)."""
    norm = {normalise_header(c) for c in columns}
    if {"playlist_genre", "track_artist", "track_album_release_date"} <= norm:
        return "tidytuesday"
    if {"track_genre", "artists", "album_name"} <= norm:
        return "spotify-tracks-114k"
    if {"genre", "artist_name", "track_name", "track_id"} <= norm:
        return "kaggle-232k"
    if "track_uri" in norm and "artist_name_s" in norm:
        return "exportify"
    if {"artist_s_name", "danceability"} <= norm and "in_spotify_playlists" in norm:
        return "kaggle-most-streamed-2023"
    return "generic"


def map_columns(columns: list[str]) -> dict[str, str]:
    """Map canonical names to the first matching source header."""
    by_norm: dict[str, str] = {}
    for col in columns:
        by_norm.setdefault(normalise_header(col), col)
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for canon, aliases in ALIASES.items():
        for alias in aliases:
            src = by_norm.get(alias)
            if src is not None and src not in used:
                mapping[canon] = src
                used.add(src)
                break
    return mapping


def _key_to_int(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series
    text = series.astype("string").str.strip().str.upper()
    mapped = text.map(_KEY_NAMES)
    numeric = pd.to_numeric(text, errors="coerce")
    return mapped.where(mapped.notna(), numeric)


def _mode_to_int(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series
    text = series.astype("string").str.strip().str.lower()
    mapped = text.map({"major": 1, "minor": 0})
    return mapped.where(mapped.notna(), pd.to_numeric(text, errors="coerce"))


def _time_signature_to_int(series: pd.Series) -> pd.Series:
    if pd.api.types.is_numeric_dtype(series):
        return series
    return pd.to_numeric(series.astype("string").str.split("/").str[0], errors="coerce")


def _to_bool(series: pd.Series) -> pd.Series:
    if pd.api.types.is_bool_dtype(series):
        return series
    text = series.astype("string").str.strip().str.lower()
    return text.map({"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False})


def arrow_chunks(series: pd.Series) -> pa.Array | pa.ChunkedArray:
    """A column as Arrow strings, chunked as pandas holds it (a CSV read in chunks): no copy."""
    return pa.array(series.astype("string[pyarrow]").array)


def arrow_text(series: pd.Series) -> pa.Array:
    """A column as an Arrow string array (no copy when it already is one)."""
    values = arrow_chunks(series)
    # a CSV read in chunks gives chunked columns; the kernels here want one array
    return values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values


def offsets_and_bytes(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """A string array's value offsets (``len + 1``) and its UTF-8 bytes, as numpy views."""
    width = np.int64 if pa.types.is_large_string(text.type) else np.int32
    offsets = np.frombuffer(text.buffers()[1], dtype=width)[
        text.offset : text.offset + len(text) + 1
    ]
    data = text.buffers()[2]
    return offsets, np.frombuffer(data, dtype=np.uint8) if data is not None else np.zeros(
        0, np.uint8
    )


_PRINTABLE_ASCII = np.zeros(256, dtype=bool)
_PRINTABLE_ASCII[0x21:0x7F] = True  # no space, no control byte, no byte of a non-ASCII character


def _by_chunk(text: pa.ChunkedArray, rows_of: Callable[[pa.Array], np.ndarray]) -> np.ndarray:
    """``rows_of`` (a row mask of one array) over every chunk, joined (no combined copy)."""
    parts = [rows_of(chunk) for chunk in text.chunks]
    return np.concatenate(parts) if parts else np.zeros(0, dtype=bool)


def edge_rows(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rows whose first or last byte is a space, a control byte or part of a non-ASCII character.

    Only those can change when stripped of whitespace (ASCII's or Unicode's).
    """
    if isinstance(text, pa.ChunkedArray):
        return _by_chunk(text, edge_rows)
    offsets, data = offsets_and_bytes(text)
    starts, ends = offsets[:-1], offsets[1:]
    filled = ends > starts
    if text.null_count:
        filled &= np.asarray(text.is_valid())
    edge = np.zeros(len(text), dtype=bool)
    edge[filled] = ~(
        _PRINTABLE_ASCII[data[starts[filled]]] & _PRINTABLE_ASCII[data[ends[filled] - 1]]
    )
    return edge


def trim_text(values: pd.Series) -> pd.Series:
    """Every value stripped of Unicode whitespace by Arrow's kernel, when any value has some.

    The rows that could change (``edge_rows``) are stripped first; when none of them does, the
    column stays as it is, chunked as read (at 1M rows each new copy of a text column cost
    ~60 ms, mostly the kernel faulting in fresh pages).
    """
    text = arrow_chunks(values)
    edge = edge_rows(text)
    if edge.any():
        sample = pc.filter(text, edge)
        if not pc.all(pc.equal(pc.utf8_trim_whitespace(sample), sample)).as_py():
            text = pc.utf8_trim_whitespace(text)
    return pd.Series(pd.arrays.ArrowStringArray(text), index=values.index)


def rows_with_bytes(
    text: pa.Array | pa.ChunkedArray, hit: Callable[[np.ndarray], np.ndarray]
) -> np.ndarray:
    """Which rows hold a byte for which ``hit`` (a vectorised test on uint8) is true.

    One pass over the UTF-8 bytes (a string kernel such as ``match_substring`` reads each value
    on its own, ~3x slower); missing values have no bytes.
    """
    if isinstance(text, pa.ChunkedArray):
        return _by_chunk(text, lambda chunk: rows_with_bytes(chunk, hit))
    offsets, data = offsets_and_bytes(text)
    at = np.flatnonzero(hit(data[offsets[0] : offsets[-1]])) + offsets[0]
    found = np.zeros(len(text), dtype=bool)
    found[np.searchsorted(offsets, at, side="right") - 1] = True
    if text.null_count:  # a missing value's slot may still span bytes
        found &= np.asarray(text.is_valid())
    return found


def replace_rows(
    text: pa.Array | pa.ChunkedArray,
    mask: np.ndarray,
    values: pa.Array,
    positions: np.ndarray | None = None,
) -> pa.Array:
    """``text`` with the rows under ``mask`` replaced by ``values`` in order.

    One take from ``text`` + ``values`` (Arrow's ``replace_with_mask`` rebuilds a string array
    about twice as slowly); with ``positions``, only those rows come back, in the same take.
    """
    n = len(text)
    index = np.arange(n)
    index[mask] = n + np.arange(int(np.count_nonzero(mask)))
    parts = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    combined = pa.concat_arrays([*parts, values.cast(text.type)])
    return combined.take(index if positions is None else index[positions])


def _is_alnum(block: np.ndarray) -> np.ndarray:
    """Which bytes are ASCII letters or digits (uint8 arithmetic wraps: no table lookups)."""
    return ((block - 48) < 10) | (((block | 32) - 97) < 26)


def _bare_ids(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Rows holding exactly 22 ASCII letters or digits (a bare Spotify id), in numpy.

    Arrow's ``ascii_is_alnum`` read ~5 ns a character. The 22-byte rows are read in blocks of
    64k rows that stay in cache (whole-column temporaries cost ~0.1 s of page faults per 1M ids).
    """
    if isinstance(text, pa.ChunkedArray):
        return _by_chunk(text, _bare_ids)
    offsets, data = offsets_and_bytes(text)
    starts = offsets[:-1]
    bare = (offsets[1:] - starts) == 22
    if text.null_count:
        bare &= np.asarray(text.is_valid())
    rows = np.flatnonzero(bare)
    contiguous = len(rows) == len(text)  # every row 22 bytes: the bytes are one (rows, 22) block
    step = np.arange(22)
    for lo in range(0, len(rows), 65536):
        hi = min(lo + 65536, len(rows))
        if contiguous:
            block = data[starts[lo] : starts[lo] + 22 * (hi - lo)].reshape(-1, 22)
        else:
            block = data[starts[rows[lo:hi]][:, None] + step]
        bare[rows[lo:hi]] = _is_alnum(block).all(axis=1)
    return bare


@dataclass(frozen=True)
class _Dates:
    """A date column dictionary-encoded: dates repeat, so each distinct one is read once.

    ``iso`` and ``digits`` (``_starts_with_year`` of the distinct dates) are read once for the
    year and the month alike.
    """

    encoded: pa.DictionaryArray
    iso: np.ndarray
    digits: np.ndarray


def _distinct_dates(series: pd.Series) -> _Dates:
    """``series`` as :class:`_Dates`."""
    encoded = pc.dictionary_encode(arrow_text(series))
    return _Dates(encoded, *_starts_with_year(encoded.dictionary))


_YEAR = r"(?P<year>(?:19|20)[0-9][0-9])"  # the first 19xx/20xx anywhere
_MONTH = r"^\s*(?:19|20)[0-9][0-9]-(?P<month>[0-9][0-9])"  # YYYY-MM at the start


def _date_field(
    dates: _Dates, pattern: str, fast: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """``pattern``'s one group in every distinct date, for every row: values and validity.

    ``fast`` holds the values and validity already read from the bytes of the distinct dates
    that start with ``YYYY`` (``dates.iso``); Arrow's regex kernel reads the others.
    """
    values, valid = fast
    other = np.flatnonzero(~dates.iso)
    if len(other):
        found = pc.struct_field(
            pc.extract_regex(dates.encoded.dictionary.take(other), pattern), [0]
        )
        number = pc.cast(found, pa.int16())
        valid[other] = np.asarray(number.is_valid())
        values[other] = number.fill_null(0).to_numpy()
    codes = dates.encoded.indices.fill_null(-1).to_numpy()
    return values[codes], valid[codes] & (codes >= 0)


def _starts_with_year(text: pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Which values start with 19xx/20xx, and their first 7 bytes less ``ord("0")`` (int16).

    A byte that is neither a digit nor ``-`` reads -99.
    """
    offsets, data = offsets_and_bytes(text)
    starts, lengths = offsets[:-1], np.diff(offsets)
    head = np.zeros((len(text), 7), dtype=np.uint8)
    for k in range(7):
        long = lengths > k
        head[long, k] = data[starts[long] + k]
    digits = head.astype(np.int16) - 48
    is_digit = (digits >= 0) & (digits <= 9)
    century = ((digits[:, 0] == 1) & (digits[:, 1] == 9)) | (
        (digits[:, 0] == 2) & (digits[:, 1] == 0)
    )
    digits = np.where(is_digit | (head == ord("-")), digits, -99)
    return (lengths >= 4) & century & is_digit[:, 2] & is_digit[:, 3], digits


def _release_year(dates: _Dates, index: pd.Index) -> pd.Series:
    """The first 19xx/20xx in each value, read once per distinct value (nullable Int16).

    A value starting with its year is read from its bytes; Arrow's regex kernel reads the rest
    (pandas' ``str.extract`` ran a Python regex per row: ~0.2 s per 30k rows).
    """
    iso, digits = dates.iso, dates.digits
    years = (digits[:, 0] * 1000 + digits[:, 1] * 100 + digits[:, 2] * 10 + digits[:, 3]) * iso
    values, valid = _date_field(dates, _YEAR, (years.astype(np.int16), iso.copy()))
    return pd.Series(pd.arrays.IntegerArray(values, ~valid), index=index, copy=False)


def _release_month(dates: _Dates, index: pd.Index) -> pd.Series:
    """Month (1-12) of ``YYYY-MM`` or ``YYYY-MM-DD`` dates; missing for year-only dates.

    Read like ``_release_year``, once per distinct date.
    """
    digits = dates.digits
    dashed = dates.iso & (digits[:, 4] == ord("-") - 48) & (digits[:, 5] >= 0) & (digits[:, 6] >= 0)
    months = np.where(dashed, digits[:, 5] * 10 + digits[:, 6], 0).astype(np.int16)
    values, valid = _date_field(dates, _MONTH, (months, dashed))
    valid &= (values >= 1) & (values <= 12)
    return pd.Series(
        pd.arrays.IntegerArray(values.astype(np.int8), ~valid), index=index, copy=False
    )


def _track_ids(series: pd.Series) -> pd.Series:
    """``parse_track_id`` on every value; bare 22-character ids take a vectorised fast path."""
    if not (pd.api.types.is_string_dtype(series) or series.isna().all()):
        return series.map(parse_track_id).astype("string")
    text = arrow_chunks(series)  # chunked as read: combining 1M ids cost ~50 ms
    other = ~_bare_ids(text)  # URIs, links, quoted ids, junk, missing: the strict parser
    if other.any():
        values = pc.filter(text, other).to_pylist()
        parsed = [None if v is None else parse_track_id(v) for v in values]
        text = replace_rows(text, other, pa.array(parsed, type=text.type))
    return pd.Series(pd.arrays.ArrowStringArray(text), index=series.index)


def map_schema_columns(
    raw: pd.DataFrame, *, require_valence: bool = True
) -> tuple[dict[str, pd.Series], SchemaMatch]:
    """Turn a raw table of any supported schema into canonical columns (not yet cleaned).

    The columns come back in a dict (``map_schema`` frames them), indexed like ``raw``.

    A file needs valence and at least ``MIN_AUDIO_FEATURES`` other audio features; the audio
    features it lacks are listed in ``SchemaMatch.absent``. Files to predict need no valence
    (``require_valence=False``).

    Raises
    ------
    SchemaError
        When valence or too many audio features are missing (the message lists the missing and
        the recognised columns), or when the rows are aggregates rather than tracks.
    """
    columns = [str(c) for c in raw.columns]
    schema = detect_schema(columns)
    mapping = map_columns(columns)
    check_columns(mapping, require_valence=require_valence)
    aggregate = describe_aggregates(raw, mapping)
    if aggregate is not None:
        raise SchemaError(aggregate, missing=[], recognised=sorted(mapping))
    match = SchemaMatch(
        schema=schema, mapping=mapping, absent=[c for c in AUDIO_COLUMNS if c not in mapping]
    )
    # The columns are gathered in a dict and framed once: inserting ~20 columns into a frame one
    # by one cost ~0.4 ms each (pandas validates and re-blocks on every insert).
    out: dict[str, pd.Series] = {canon: raw[src] for canon, src in mapping.items()}
    _normalise_text(out, match)
    _normalise_codes(out, match, raw.index)
    _normalise_scales(out, match)
    for col in ("track_name", "artists", "album_name", "genre", "subgenre"):
        if col in out:
            out[col] = trim_text(out[col])
    return out, match


def map_schema(
    raw: pd.DataFrame, *, require_valence: bool = True
) -> tuple[pd.DataFrame, SchemaMatch]:
    """``map_schema_columns`` as one frame (see there)."""
    out, match = map_schema_columns(raw, require_valence=require_valence)
    return pd.DataFrame(out, index=raw.index), match


def _normalise_text(out: dict[str, pd.Series], match: SchemaMatch) -> None:
    """Track ids parsed, Exportify artists split, listed genres cut to the first (in place)."""
    if "track_id" in out:
        out["track_id"] = _track_ids(out["track_id"])
    comma_artists = normalise_header(match.mapping.get("artists", "")) in {
        "artist_name_s",
        "artist_s_name",
    }
    if "artists" in out and (match.schema == "exportify" or comma_artists):
        out["artists"] = out["artists"].astype("string").str.replace(r"\s*,\s*", ";", regex=True)
        match.notes.append("Artists split on commas.")
    genre_src = match.mapping.get("genre")
    if genre_src is not None and normalise_header(genre_src) in {"genres", "artist_genres"}:
        out["genre"] = out["genre"].astype("string").str.split(",").str[0].str.strip()
        match.notes.append("Genre taken as the first of each row's listed genres.")


def _normalise_codes(out: dict[str, pd.Series], match: SchemaMatch, index: pd.Index) -> None:
    """Key, mode, time signature, explicit and release year as numbers (in place).

    Named keys ("C#") become pitch classes and a blank named key -1 (no key detected);
    ``release_date`` is dropped once the year is taken from it.
    """
    if "key" in out:
        if pd.api.types.is_numeric_dtype(out["key"]):
            out["key"] = _key_to_int(out["key"])
        else:  # named keys
            blank = out["key"].astype("string").str.strip().fillna("").eq("")
            key = _key_to_int(out["key"])
            if blank.any():
                key.loc[blank] = -1
                match.notes.append(f"{int(blank.sum()):,} blank keys read as -1 (no key detected).")
            out["key"] = key
    if "mode" in out:
        out["mode"] = _mode_to_int(out["mode"])
    if "time_signature" in out:
        out["time_signature"] = _time_signature_to_int(out["time_signature"])
    if "explicit" in out:
        out["explicit"] = _to_bool(out["explicit"])
    dates = _distinct_dates(out["release_date"]) if "release_date" in out else None
    if "release_year" in out:
        out["release_year"] = _release_year(_distinct_dates(out["release_year"]), index)
    elif dates is not None:
        out["release_year"] = _release_year(dates, index)
    if dates is not None:  # one encoding of the dates serves the year and the month
        out["release_month"] = _release_month(dates, index)
        del out["release_date"]


def _is_number_column(values: pd.Series) -> bool:
    """Numeric and not boolean (a plain numpy float/int dtype answers without pandas' checks)."""
    dtype = values.dtype
    if isinstance(dtype, np.dtype):
        return dtype.kind in "iuf"
    return pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)


def _share_above_one(values: pd.Series) -> float:
    """Share of the rows above 1, as ``(values > 1).mean()`` (missing values count as not above).

    Nullable columns keep pandas' meaning (a missing value is left out of the share).
    """
    if isinstance(values.dtype, np.dtype):
        array = values.to_numpy()
        return float(np.count_nonzero(array > 1) / len(array)) if len(array) else np.nan
    return float((values > 1).mean())


def _top(values: pd.Series, lowest: bool = False) -> float:
    """``values.max()`` (or ``min``; NaN when all are missing), numpy's for numpy columns."""
    if isinstance(values.dtype, np.dtype) and values.dtype.kind in "iuf" and len(values):
        return float((np.fmin if lowest else np.fmax).reduce(values.to_numpy()))
    return values.min() if lowest else values.max()


def _normalise_scales(out: dict[str, pd.Series], match: SchemaMatch) -> None:
    """Numeric features coerced; percent-scaled features and durations in seconds converted."""
    numeric = [c for c in (*AUDIO_COLUMNS, "popularity") if c in out]
    for col in numeric:
        if not _is_number_column(out[col]):
            out[col] = pd.to_numeric(out[col], errors="coerce")
    # A 0-100 scale (Exportify variants, hand-made sheets) is rescaled to 0-1. The file is on
    # that scale when most danceability/energy/valence values exceed 1; a column is rescaled
    # when most of its values exceed 1, or when the file is percent-scaled and the column has a
    # value above 1 (sparse columns such as instrumentalness are mostly near 0 on both scales).
    # A few values above 1 in a 0-1 file stay as they are and are dropped as impossible.
    shares = {c: _share_above_one(out[c]) for c in UNIT_FEATURES if c in out}
    probes = [shares[c] for c in ("danceability", "energy", "valence") if c in shares]
    probes = [v for v in probes if not np.isnan(v)]
    percent_file = bool(probes) and sum(probes) / len(probes) > 0.5
    for col, share in shares.items():
        values = out[col]
        top = _top(values)
        if top <= 100 and (share > 0.5 or (percent_file and top > 1)):
            out[col] = values / 100.0
            match.rescaled.append(col)
    duration = out.get("duration_ms")
    if (
        duration is not None and _top(duration, lowest=True) < 2000 and duration.median() < 2000
    ):  # seconds
        out["duration_ms"] = duration * 1000.0
        match.notes.append("duration read as seconds and converted to ms.")


def check_columns(mapping: dict[str, str], *, require_valence: bool = True) -> None:
    """Refuse a mapping without valence or with fewer than ``MIN_AUDIO_FEATURES`` features.

    Raises
    ------
    SchemaError
        Naming what is missing and what was recognised.
    """
    features = [c for c in PREDICTOR_COLUMNS if c in mapping]
    missing = [c for c in REQUIRED_COLUMNS if c not in mapping]
    has_valence = "valence" in mapping or not require_valence
    if has_valence and len(features) >= MIN_AUDIO_FEATURES:
        return
    recognised = sorted(mapping)
    need = []
    if not has_valence:
        need.append("valence")
    if len(features) < MIN_AUDIO_FEATURES:
        need.append(
            f"at least {MIN_AUDIO_FEATURES} audio features besides valence "
            f"(found {len(features)}: {', '.join(features) or 'none'})"
        )
    raise SchemaError(
        "This file does not look like a table of Spotify audio features. "
        f"Missing required columns: {'; '.join(need)}. "
        f"Recognised: {', '.join(recognised) or 'none'}. "
        f"Audio features are {', '.join(PREDICTOR_COLUMNS)}.",
        missing=missing,
        recognised=recognised,
    )


#: Columns that hold whole numbers for a single track: averages show up as fractions.
_INTEGER_PER_TRACK = ("popularity", "key", "mode", "duration_ms", "time_signature")


def describe_aggregates(raw: pd.DataFrame, mapping: dict[str, str]) -> str | None:
    """Say what a file is when its rows are aggregates (per genre, year or artist), else None.

    Signs: no track id or title, one row per genre/year/artist, and columns that are whole
    numbers for a track (popularity, key, mode, duration) holding fractions (means).
    """
    if "track_id" in mapping or "track_name" in mapping or len(raw) < 3:
        return None
    fractional = []
    for col in _INTEGER_PER_TRACK:
        if col in mapping:
            values = pd.to_numeric(raw[mapping[col]], errors="coerce").dropna()
            if len(values) and ((values - values.round()).abs() > 1e-9).mean() > 0.5:
                fractional.append(col)
    if not fractional:
        return None
    for canon, what in (("genre", "genre"), ("release_year", "year"), ("artists", "artist")):
        if canon in mapping and raw[mapping[canon]].nunique(dropna=False) == len(raw):
            return (
                f"This file holds one row per {what} ({len(raw):,} {what}s), with averaged "
                f"values ({', '.join(fractional)} are fractions), not one row per track. "
                "Valence Lab needs one row per track to explore, model and map genres; a file "
                "of per-genre or per-year means would be read as if each row were a song. "
                "Upload the track-level file it was made from instead."
            )
    return None
