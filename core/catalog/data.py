"""The track catalog: read any supported CSV, clean it with a counted report, cache it.

``load_catalog(source_id)`` is the one entry point for public sources; ``load_upload`` reads a
user's file (kept in that user's session by the UI, never on disk).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import json
import logging
import os
import re
import threading
import warnings
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pandas.arrays import ArrowStringArray

from core.catalog import large, sources
from core.catalog.schema import (
    AUDIO_COLUMNS,
    LEADING_COLUMNS,
    REQUIRED_COLUMNS,
    UNIT_FEATURES,
    SchemaError,
    SchemaMatch,
    arrow_chunks,
    arrow_text,
    edge_rows,
    map_schema_columns,
    offsets_and_bytes,
    replace_rows,
    rows_with_bytes,
)
from core.progress import ProgressFn

log = logging.getLogger(__name__)

#: Bump when cleaning rules change: it is part of the Parquet cache key.
CLEANING_VERSION = 5
#: Source ids of user uploads start with this (kept out of shared caches and off disk).
UPLOAD_PREFIX = "upload:"


def is_upload_id(source_id: str) -> bool:
    """Whether a source id names a user's upload (personal: per session, never shared)."""
    return str(source_id).startswith(UPLOAD_PREFIX)


MIN_DURATION_MS = 30_000
_SAME_SONG = ("danceability", "energy", "valence", "tempo")  # with name and artist: one song
_VALID_RANGES: dict[str, tuple[float, float]] = {
    **{c: (0.0, 1.0) for c in UNIT_FEATURES},
    "key": (-1, 11),
    "mode": (0, 1),
    "loudness": (-80.0, 10.0),
    "tempo": (0.0, 300.0),
    "duration_ms": (0.0, 6 * 3_600_000.0),
    "time_signature": (0, 7),
}

__all__ = [
    "CLEANING_VERSION",
    "UPLOAD_PREFIX",
    "is_upload_id",
    "Catalog",
    "CleaningReport",
    "SchemaError",
    "clean_tracks",
    "file_checksum",
    "load_catalog",
    "load_upload",
    "read_table",
    "wait_for_cache_writes",
]


@dataclass
class CleaningReport:
    """Counts of what each cleaning rule did, in the order the rules ran."""

    rows_read: int = 0
    missing_features: int = 0
    impossible_values: int = 0
    too_short: int = 0
    zero_tempo: int = 0
    zero_time_signature: int = 0
    duplicate_ids_collapsed: int = 0
    ids_with_several_genres: int = 0
    same_song_collapsed: int = 0
    rows_kept: int = 0
    schema: str = "generic"
    rescaled: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    absent_features: list[str] = field(default_factory=list)  # audio features the file lacks

    def as_frame(self) -> pd.DataFrame:
        """Rule-by-rule table for display."""
        labels = {
            "rows_read": "Rows read",
            "missing_features": "Dropped: a required audio feature or valence missing",
            "impossible_values": "Dropped: a value outside its possible range",
            "too_short": f"Dropped: shorter than {MIN_DURATION_MS // 1000} s",
            "zero_tempo": "Dropped: tempo = 0",
            "zero_time_signature": "Dropped: time_signature = 0",
            "duplicate_ids_collapsed": "Collapsed: repeated track_id rows",
            "ids_with_several_genres": "  of which track_ids listed under several genres",
            "same_song_collapsed": "Collapsed: same song and artist, identical features",
            "rows_kept": "Tracks kept",
        }
        data = asdict(self)
        return pd.DataFrame({"rule": list(labels.values()), "rows": [data[k] for k in labels]})


@dataclass
class Catalog:
    """A cleaned, deduplicated table of tracks and how it was made."""

    source_id: str
    title: str
    df: pd.DataFrame
    report: CleaningReport
    checksum: str
    #: Out-of-core catalogs only: the cleaned Parquet file (``df`` is then a stated sample).
    parquet: Path | None = None
    #: Out-of-core catalogs only: genres and distinct artists of every row (not just the sample).
    totals: dict[str, Any] | None = None

    @property
    def is_large(self) -> bool:
        """True when the catalog lives on disk and ``df`` holds a sample of it."""
        return self.parquet is not None

    @property
    def n_tracks(self) -> int:
        """Tracks in the whole catalog (``len(df)`` unless out-of-core)."""
        return self.report.rows_kept if self.is_large else len(self.df)

    @property
    def is_upload(self) -> bool:
        """Whether this is a user's upload: personal data, kept per session, never shared."""
        return is_upload_id(self.source_id)

    @property
    def genres(self) -> list[str]:
        """Sorted genre labels (empty when the source has none)."""
        if self.totals is not None:
            return list(self.totals["genres"])
        if "genre" not in self.df:
            return []
        return sorted(self.df["genre"].dropna().unique().tolist())

    @property
    def n_artists(self) -> int:
        """Distinct primary artists."""
        if self.totals is not None:
            return int(self.totals["artists"])
        return int(self.df["primary_artist"].nunique())


def file_checksum(path: Path) -> str:
    """sha256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _checksum_memo(path: Path) -> tuple[Path, str, dict[str, str]]:
    memo_path = sources.cache_dir() / "catalog" / "checksums.json"
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
    return memo_path, key, memo


def _remembered_checksum(path: Path) -> str | None:
    """The checksum of ``path`` if this (path, size, mtime) was hashed before."""
    _, key, memo = _checksum_memo(path)
    return memo.get(key)


def _memo_checksum(path: Path) -> str:
    """``file_checksum`` remembered on disk by (path, size, mtime): warm loads skip the hashing."""
    memo_path, key, memo = _checksum_memo(path)
    if key in memo:
        return memo[key]
    digest = file_checksum(path)
    memo[key] = digest
    try:
        memo_path.parent.mkdir(parents=True, exist_ok=True)
        memo_path.write_text(json.dumps(memo))
    except OSError as exc:
        log.warning("could not write %s: %s", memo_path, exc)
    return digest


def _sniff_delimiter(head: str) -> str:
    try:
        return csv.Sniffer().sniff(head, delimiters=",;\t|").delimiter
    except csv.Error:
        return ","


def read_table(source: Path | bytes | io.BytesIO) -> pd.DataFrame:
    """Read a CSV (any of , ; tab |; UTF-8 with or without BOM, or Latin-1) into strings+numbers.

    Raises
    ------
    SchemaError
        When the bytes are not a readable table.
    """
    if isinstance(source, Path):
        with source.open("rb") as fh:  # pandas reads the file itself: no copy of its bytes
            raw = fh.read(65536 + 3)
            whole = len(raw) < 65536 + 3
            if not whole and raw.isspace():  # a big file of blanks: look further
                raw = raw + fh.read()
                whole = True
    else:
        raw = source.getvalue() if isinstance(source, io.BytesIO) else source
        whole = True
    if not raw or raw.isspace():
        raise SchemaError("The file is empty.", missing=list(REQUIRED_COLUMNS), recognised=[])
    if b"\x00" in raw[:4096]:
        raise SchemaError(
            "This is not a text CSV file (it contains binary data).",
            missing=list(REQUIRED_COLUMNS),
            recognised=[],
        )
    skip = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    raw = raw[skip:] if whole else raw[skip : skip + 65536]
    try:
        # plain utf-8 lets pandas' C parser decode natively ("utf-8-sig" decodes in Python: 1.6x)
        text_head = raw[:65536].decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError as exc:
        if exc.start >= 65536 - 4:  # a character cut at the end of the sample
            text_head = raw[: exc.start].decode("utf-8")
            encoding = "utf-8"
        else:
            text_head, encoding = raw[:65536].decode("latin-1"), "latin-1"
    sep = _sniff_delimiter(
        text_head.split("\n", 20)[0] + "\n" + "\n".join(text_head.split("\n")[1:5])
    )
    # pandas' C parser skips a leading UTF-8 BOM itself. Reading by path in chunks (its default,
    # low_memory) is 1.6-2x faster at 1M rows than a Python file object or one whole-file pass;
    # a column whose chunks disagree comes back as mixed objects, which map_schema coerces.
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", pd.errors.DtypeWarning)
            frame = pd.read_csv(io.BytesIO(raw) if whole else source, sep=sep, encoding=encoding)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise SchemaError(
            f"Could not parse the file as CSV: {exc}", missing=list(REQUIRED_COLUMNS), recognised=[]
        ) from exc
    frame.columns = _unique_names(str(c).replace("\ufeff", "").strip() for c in frame.columns)
    return frame


def _unique_names(names: Iterable[str]) -> list[str]:
    """Column names made unique the way pandas does (``a``, ``a.1``, ``a.2``).

    Headers that only differed by a BOM or spaces must not turn one column into two.
    """
    seen: dict[str, int] = {}
    out: list[str] = []
    for name in names:
        candidate, n = name, seen.get(name, 0)
        while candidate in seen:
            n += 1
            candidate = f"{name}.{n}"
        seen[name] = n
        seen.setdefault(candidate, 0)
        out.append(candidate)
    return out


def _primary_artist(artists: pd.Series) -> pd.Series:
    """First ``;``-separated name, stripped and lower-cased (``(unknown)`` when empty).

    Arrow lower-cases every row the ASCII way, which is Python's exact ``strip().lower()`` for
    ASCII names without a ``;`` or spaces around them. The other rows (a list of names, a
    non-ASCII name, spaces to strip, an empty one) are few: Python's own string methods do
    them, and one take puts them in place (a Python-level split of every row cost ~0.1 s per
    30k rows; each extra pass over a 1M-row text column costs 50-80 ms).
    """
    text = arrow_chunks(artists)  # not combined, not filled: each copy of 1M names cost ~70 ms
    special = rows_with_bytes(text, lambda b: (b == ord(";")) | (b >= 0x80))  # list, non-ASCII
    special |= edge_rows(text)  # spaces to strip
    empty = pc.fill_null(pc.equal(pc.binary_length(text), 0), True)  # empty or missing
    special |= empty.to_numpy(zero_copy_only=False)
    fast = pc.ascii_lower(text)
    if special.any():
        names = pc.filter(text, special).to_pylist()
        exact = [(n or "").split(";", 1)[0].strip().lower() or "(unknown)" for n in names]
        fast = replace_rows(fast, special, pa.array(exact))
    return pd.Series(ArrowStringArray(fast), index=artists.index)


def _join_in_order(ids: np.ndarray, codes: np.ndarray, names: pa.Array, n_ids: int) -> pa.Array:
    """``;``-joined names per id in first-seen order, vectorised ("" when none).

    ``ids``/``codes`` are integer codes of distinct (id, name) pairs already in first-seen
    order; ``names`` maps codes to text ("" for a missing name, which is skipped). Arrow joins
    each id's list at once (a numpy loop over list positions cost ~1 ms per 30k rows).
    """
    named = names.to_numpy(zero_copy_only=False)[codes] != ""
    ids, codes = ids[named], codes[named]
    order = np.argsort(ids, kind="stable")  # by id, first-seen order kept within an id
    offsets = np.r_[0, np.cumsum(np.bincount(ids, minlength=n_ids))].astype(np.int32)
    lists = pa.ListArray.from_arrays(pa.array(offsets), names.take(pa.array(codes[order])))
    return pc.binary_join(lists, pa.scalar(";", names.type))


def _id_codes(text: pa.Array | pa.ChunkedArray) -> np.ndarray:
    """Integer codes of the ids in first-seen order, -1 for a missing one (int64).

    A column of bare 22-byte ids is coded by one 64-bit hash per id, checked byte for byte
    against each code's first id (a collision falls back to Arrow's dictionary encoding, which
    hashes the strings: 0.15 s per 1M ids here against 0.09 s, warm; the same at 30k).
    """
    parts = text.chunks if isinstance(text, pa.ChunkedArray) else [text]
    keys = np.zeros((len(text), 24), dtype=np.uint8)
    at, bare = 0, len(text) > 0 and not text.null_count
    for part in parts if bare else []:
        offsets, data = offsets_and_bytes(part)
        if not (np.diff(offsets) == 22).all():
            bare = False
            break
        keys[at : at + len(part), :22] = data[offsets[0] : offsets[-1]].reshape(-1, 22)
        at += len(part)
    if bare:
        words = keys.view(np.uint64)
        mixed = words[:, 0] * np.uint64(0x9E3779B97F4A7C15)
        mixed ^= words[:, 1] * np.uint64(0xC2B2AE3D27D4EB4F)
        mixed ^= words[:, 2]
        codes, uniques = pd.factorize(mixed)
        if (words == words[_first_rows(codes, len(uniques))[codes]]).all():
            return codes.astype(np.int64)
    return _text_codes(pa.chunked_array(parts, type=text.type).combine_chunks())[0]


def _first_rows(codes: np.ndarray, n_codes: int) -> np.ndarray:
    """The first row of each code (codes 0..n_codes-1, all present)."""
    first = np.empty(n_codes, dtype=np.int64)
    first[codes[::-1]] = np.arange(len(codes) - 1, -1, -1)  # the last write is the first row
    return first


def _text_codes(text: pa.Array) -> tuple[np.ndarray, pa.Array]:
    """Codes (first-seen order, -1 for missing) and the distinct values, like ``pd.factorize``."""
    encoded = pc.dictionary_encode(text)
    return encoded.indices.fill_null(-1).to_numpy().astype(np.int64), encoded.dictionary


def _distinct_pairs(
    ids: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (id, value) code pairs in first-seen order: ids, values, counts, first rows."""
    width = int(values.max()) + 1 if len(values) else 1
    pairs, unique = pd.factorize(ids.astype(np.int64) * width + values)  # first-seen order
    n = np.bincount(pairs, minlength=len(unique))
    return unique // width, unique % width, n, _first_rows(pairs, len(unique))


#: Per column, the rows to relabel (a mask) and their new values in order.
Relabels = dict[str, tuple[np.ndarray, pa.Array]]


def _collapse_duplicate_ids(
    cols: dict[str, pd.Series], report: CleaningReport
) -> tuple[np.ndarray, Relabels]:
    """Rows to keep, one per track_id (the first), and the new labels of repeated ids' rows.

    ``cols`` holds the rows left by the drop rules (RangeIndex); it gains ``n_playlists``. The
    kept row gets the id's most frequent genre (ties: first seen) and all its genres.
    Integer codes throughout, no per-group Python work.
    """
    if "track_id" not in cols:
        return np.ones(len(cols["primary_artist"]), dtype=bool), {}
    codes = _id_codes(arrow_chunks(cols["track_id"]))  # first-seen order
    n_rows, n_uniques = len(codes), int(codes.max()) + 1 if len(codes) else 0
    has_id = codes >= 0
    counts = np.bincount(codes[has_id], minlength=max(n_uniques, 1))  # 1: no id at all
    per_row = counts[np.where(has_id, codes, 0)]
    # rows of the source listing the track (TidyTuesday: playlist appearances), kept for the
    # engineered feature set before duplicates collapse
    cols["n_playlists"] = pd.Series(np.where(has_id, per_row, 1).astype(np.int64), copy=False)
    repeated = has_id & (per_row > 1)
    if not repeated.any():
        return np.ones(n_rows, dtype=bool), {}
    # codes number ids in first-seen order: a row is its id's first when its code tops all before
    running_max = np.maximum.accumulate(codes)
    first_seen = has_id & (codes > np.r_[-1, running_max[:-1]])
    kept_mask = ~has_id | first_seen
    ids, _ = pd.factorize(codes[repeated])  # codes in first-seen order = order of kept rows
    n_ids = int(ids.max()) + 1
    relabel: list[tuple[str, pa.Array]] = []
    if "genre" in cols:
        genre_codes, names = _text_codes(
            pc.fill_null(pc.filter(arrow_text(cols["genre"]), repeated), "")
        )
        pair_id, pair_genre, n, first = _distinct_pairs(ids, genre_codes)
        best = np.lexsort((first, -n, pair_id))  # by id: most frequent, then first seen
        best = best[np.r_[True, np.diff(pair_id[best]) != 0]]
        label = np.empty(n_ids, dtype=object)
        label[pair_id[best]] = names.to_numpy(zero_copy_only=False)[pair_genre[best]]
        all_genres = _join_in_order(pair_id, pair_genre, names, n_ids)
        report.ids_with_several_genres = int((np.bincount(pair_id) > 1).sum())
        label[label == ""] = None  # a track whose only genre is missing stays unlabelled
        relabel += [("genre", pa.array(label)), ("genres", all_genres)]
    if "subgenres" in cols:  # every distinct subgenre of the id, in first-seen order
        sub_codes, sub_names = _text_codes(pc.filter(arrow_text(cols["subgenres"]), repeated))
        sub_codes = np.where(sub_codes < 0, len(sub_names), sub_codes)  # missing -> "" (skipped)
        sub_names = pa.concat_arrays([sub_names, pa.array([""], type=sub_names.type)])
        pair_id, pair_sub, _, _ = _distinct_pairs(ids, sub_codes)
        subs = _join_in_order(pair_id, pair_sub, sub_names, n_ids)
        relabel.append(("subgenres", pc.if_else(pc.equal(subs, ""), None, subs)))
    report.duplicate_ids_collapsed = int(n_rows - kept_mask.sum())
    # the kept (first) row of each repeated id is relabelled when the rows are taken out
    return kept_mask, {col: (repeated & first_seen, values) for col, values in relabel}


def _repeated_rows(numbers: Mapping[str, Any]) -> np.ndarray:
    """Rows whose values may repeat in another row: a superset of exact repeats, found fast.

    One 64-bit hash per row (equal rows hash alike, -0.0 and NaN included) instead
    of ``DataFrame.duplicated``, which factorises every column (3x slower); a hash collision only
    adds a candidate, which the exact comparison afterwards keeps apart. ``numbers``: a frame or
    a dict of equally long columns.
    """
    columns = [np.asarray(numbers[c], dtype=float) for c in numbers]
    row_hash = np.zeros(len(columns[0]) if columns else 0, dtype=np.uint64)
    for values in columns:  # hash_array: -0.0 as 0.0, every NaN alike
        row_hash = row_hash * np.uint64(1_000_003) ^ pd.util.hash_array(values)
    return pd.Series(row_hash).duplicated(keep=False).to_numpy()


def _first_of_each(columns: list[np.ndarray]) -> np.ndarray:
    """Whether each row is the first with its values in every column: ``~duplicated()``.

    Each column is factorised (pandas' codes: -0.0 equals 0.0, NaN equals NaN) and the codes
    folded into one group number, as ``DataFrame.duplicated`` does without building a frame.
    """
    group = np.zeros(len(columns[0]), dtype=np.int64)
    for values in columns:
        codes, uniques = pd.factorize(values)
        group, _ = pd.factorize(group * (len(uniques) + 1) + (codes + 1))
    first = np.zeros(len(group), dtype=bool)
    first[np.unique(group, return_index=True)[1]] = True
    return first


def _collapse_same_song(cols: dict[str, pd.Series], report: CleaningReport) -> np.ndarray:
    """Rows to keep: the first of each (song name, primary artist, rounded features) group.

    Only rows whose rounded features repeat can be the same song (5 % of TidyTuesday): the
    names are read for those alone, with the same Arrow kernels as pandas' ``str.lower`` and
    ``str.strip``.
    """
    n_rows = len(cols["primary_artist"])
    keep = np.ones(n_rows, dtype=bool)
    report.same_song_collapsed = 0
    if "track_name" not in cols or cols["track_name"].isna().all():
        return keep
    features = [c for c in _SAME_SONG if c in cols]
    numbers = {c: np.round(cols[c].to_numpy(dtype=float), 4) for c in features}
    candidates = np.flatnonzero(_repeated_rows(numbers) if features else keep)
    if not len(candidates):
        return keep
    names = pc.take(pc.fill_null(arrow_text(cols["track_name"]), ""), candidates)
    names = pc.utf8_trim_whitespace(pc.utf8_lower(names))
    artists = pc.take(arrow_text(cols["primary_artist"]), candidates)
    key = [numbers[c][candidates] for c in features]
    key += [_text_codes(t)[0] for t in (names, artists)]
    # a row repeating an earlier one, unless its name is empty (not known to be a song)
    same = ~_first_of_each(key) & pc.not_equal(names, "").to_numpy(zero_copy_only=False)
    report.same_song_collapsed = int(same.sum())
    keep[candidates[same]] = False
    return keep


_UNPLAYABLE: tuple[tuple[str, str, Callable[[np.ndarray], np.ndarray]], ...] = (
    ("duration_ms", "too_short", lambda v: v < MIN_DURATION_MS),
    ("tempo", "zero_tempo", lambda v: v == 0),
    ("time_signature", "zero_time_signature", lambda v: v == 0),
)


def _float_values(values: pd.Series) -> np.ndarray:
    """A column as float64, NaN where missing (a float64 column as it is, without a copy)."""
    if values.dtype == np.float64:
        return values.to_numpy()
    return values.to_numpy(dtype=float, na_value=np.nan)


def _take(values: pd.Series, positions: np.ndarray) -> pd.Series:
    """The values at ``positions`` (ascending) under a fresh RangeIndex.

    Every position (nothing dropped) takes nothing: the values are shared, copy-on-write.
    A 1M-row column copied cost 15-80 ms, mostly the kernel faulting in fresh pages.
    """
    if len(positions) == len(values):
        return values.reset_index(drop=True)
    if isinstance(values.dtype, np.dtype):
        return pd.Series(values.to_numpy()[positions], copy=False)
    return pd.Series(values.array.take(positions), copy=False)


def _take_relabelled(
    values: pd.Series, positions: np.ndarray, mask: np.ndarray, labels: pa.Array
) -> pd.Series:
    """``_take`` of a text column whose rows under ``mask`` get ``labels``, in one Arrow take."""
    taken = replace_rows(arrow_chunks(values), mask, labels, positions)
    return pd.Series(ArrowStringArray(taken), copy=False)


def _rows_left(columns: dict[str, pd.Series], n_rows: int, report: CleaningReport) -> np.ndarray:
    """Positions of the rows no drop rule removes: missing, impossible, unplayable (counted).

    Each rule is counted among the rows the rules before it left.
    """
    numbers = {c: _float_values(columns[c]) for c in _VALID_RANGES if c in columns}
    drop = np.zeros(n_rows, dtype=bool)
    for col in REQUIRED_COLUMNS:
        if col in columns:
            drop |= np.isnan(numbers[col]) if col in numbers else columns[col].isna().to_numpy()
    report.missing_features = int(drop.sum())

    bad = np.zeros(n_rows, dtype=bool)
    for col, (lo, hi) in _VALID_RANGES.items():
        if col in numbers:
            bad |= (numbers[col] < lo) | (numbers[col] > hi)
    bad &= ~drop
    report.impossible_values = int(bad.sum())
    drop |= bad
    # tracks under 30 s, tempo 0 and time signature 0 (columns the file has)
    for col, counter, is_bad in _UNPLAYABLE:
        if col in numbers:
            hit = is_bad(numbers[col]) & ~drop
            setattr(report, counter, int(hit.sum()))
            drop |= hit
    return np.flatnonzero(~drop)


def clean_tracks(
    mapped: pd.DataFrame, match: SchemaMatch | None = None
) -> tuple[pd.DataFrame, CleaningReport]:
    """Apply the cleaning rules (each counted) to a canonical-column table."""
    return _clean({c: mapped[c] for c in mapped.columns}, len(mapped), match)


def _clean(
    columns: dict[str, pd.Series],
    n_rows: int,
    match: SchemaMatch | None,
    order: Callable[[Iterable[str]], list[str]] = list,
) -> tuple[pd.DataFrame, CleaningReport]:
    """``clean_tracks`` on the columns of a table of ``n_rows`` rows (positions, not labels).

    ``order`` puts the columns in order before they are framed (ordering a frame copies it).
    """
    report = CleaningReport(rows_read=n_rows)
    if match is not None:
        report.schema = match.schema
        report.rescaled = list(match.rescaled)
        report.notes = list(match.notes)
        report.absent_features = [c for c in match.absent if c != "time_signature"]
    # Each rule is counted on the rows the earlier rules left. The rows are taken out once, at
    # the end: until then only the columns a rule reads are taken (a take of every column cost
    # 4-5 ms per 30k rows, and there were two).
    rows = _rows_left(columns, n_rows, report)
    # the columns the collapses read or relabel, for the rows left (positions 0..len(rows)-1)
    left: dict[str, pd.Series] = {}
    if "artists" in columns:
        left["artists"] = _take(columns["artists"], rows).astype("string")
    else:
        left["artists"] = pd.Series(pd.NA, index=range(len(rows)), dtype=object).astype("string")
    left["primary_artist"] = _primary_artist(left["artists"])
    for col, copy in (("track_id", None), ("genre", "genres"), ("subgenre", "subgenres")):
        if col in columns:
            left[col] = _take(columns[col], rows)
            if copy is not None:
                left[copy] = left[col]
    keep, relabels = _collapse_duplicate_ids(left, report)
    kept = np.flatnonzero(keep)
    song = {c: _take(columns[c], rows[kept]) for c in ("track_name", *_SAME_SONG) if c in columns}
    song["primary_artist"] = _take(left["primary_artist"], kept)
    kept = kept[_collapse_same_song(song, report)]
    # one take of every column for all the rules; the derived and relabelled ones from ``left``
    out: dict[str, pd.Series] = {}
    for col in [*columns, *(c for c in left if c not in columns)]:
        if col in relabels:
            out[col] = _take_relabelled(left[col], kept, *relabels[col])
        else:
            out[col] = _take(left[col], kept) if col in left else _take(columns[col], rows[kept])
    for col in ("key", "mode", "duration_ms", "time_signature"):
        if col in out and out[col].dtype != np.int64:  # whole numbers already: no copy
            values = out[col].fillna(4) if col == "time_signature" else out[col]
            out[col] = values.round().astype("int64")
    if "popularity" in out:
        out["popularity"] = out["popularity"].astype("Float64")
    out = {c: out[c] for c in order(out)}
    if len(kept) == n_rows:  # nothing taken out: columns shared with ``columns``, copy-on-write
        df = pd.DataFrame(out, copy=False)
    else:  # fresh arrays: framed as they are (a frame of Series aligns every Series' index)
        arrays = {
            c: v.to_numpy() if isinstance(v.dtype, np.dtype) else v.array for c, v in out.items()
        }
        df = pd.DataFrame(arrays, copy=False)
    report.rows_kept = len(df)
    return df, report


def _column_order(names: Iterable[str]) -> list[str]:
    """Stable column order: text first, then context, then audio features."""
    names = list(names)
    first = [c for c in LEADING_COLUMNS if c in names]
    audio = [c for c in AUDIO_COLUMNS if c in names]
    return first + audio + [c for c in names if c not in first and c not in audio]


def build_catalog(
    raw: pd.DataFrame, source_id: str, title: str, checksum: str, *, require_valence: bool = True
) -> Catalog:
    """Map, clean and order a raw table (files to predict need no valence)."""
    mapped, match = map_schema_columns(raw, require_valence=require_valence)
    df, report = _clean(mapped, len(raw), match, order=_column_order)
    if df.empty:
        raise SchemaError(
            "No usable rows remain after cleaning (see the cleaning report).",
            missing=[],
            recognised=sorted(match.mapping),
        )
    return Catalog(source_id, title, df, report, checksum)


def _cache_paths(source_id: str, checksum: str) -> tuple[Path, Path]:
    safe = re.sub(r"[^0-9A-Za-z._-]+", "_", source_id)
    stem = f"{safe}-{checksum[:16]}-v{CLEANING_VERSION}"
    folder = sources.cache_dir() / "catalog"
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{stem}.parquet", folder / f"{stem}.json"


def source_title(source_id: str) -> str:
    """Human title of a registered or local source id."""
    if source_id in sources.SOURCES:
        return sources.SOURCES[source_id].title
    return f"Local file: {source_id.removeprefix(sources.LOCAL_PREFIX)}"


def load_catalog(
    source_id: str,
    *,
    allow_download: bool = True,
    on_progress: ProgressFn | None = None,
) -> Catalog:
    """Load a source as a cleaned catalog, using the Parquet cache when the file is unchanged."""
    path = sources.resolve_source_file(
        source_id, allow_download=allow_download, on_progress=on_progress
    )
    checksum = _remembered_checksum(path)
    if checksum is None and not large.is_large_source(path):
        return _load_new_file(path, source_id)
    if checksum is None:
        checksum = _memo_checksum(path)
    title = source_title(source_id)
    parquet, meta = _cache_paths(source_id, checksum)
    with _pending_lock:
        writer = _pending.get(parquet)
    if writer is not None:  # this process is still writing it
        writer.join()
    if parquet.is_file() and meta.is_file():
        try:
            report = CleaningReport(**json.loads(meta.read_text()))
            if report.rows_kept > large.row_threshold():
                return _large_catalog(source_id, title, parquet, report, checksum)
            df = large.canonical_dtypes(pd.read_parquet(parquet))
            return Catalog(source_id, title, df, report, checksum)
        except (OSError, ValueError, TypeError) as exc:  # a corrupt cache is rebuilt
            log.warning("ignoring unreadable cache %s: %s", parquet, exc)
    if large.is_large_source(path):  # never whole in pandas: staged and cleaned by DuckDB
        report = CleaningReport()
        large.build_cleaned_parquet(path, parquet, report)
        meta.write_text(json.dumps(asdict(report)))
        return load_catalog(source_id, allow_download=False)
    catalog = build_catalog(read_table(path), source_id, title, checksum)
    _write_later(catalog, parquet, meta)
    return catalog


def _load_new_file(path: Path, source_id: str) -> Catalog:
    """A file not hashed before: parsed, then cleaned while a thread hashes it.

    The hash (the cache key) releases the GIL and cleaning mostly holds one core, so it costs
    next to nothing there; beside the parse, which uses both cores, it cost ~5 ms per 8 MB.
    If the same bytes turn out to be cached already, the fresh catalog is the same table and
    is returned as it is.
    """
    raw = read_table(path)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="checksum") as pool:
        digest = pool.submit(_memo_checksum, path)
        catalog = build_catalog(raw, source_id, source_title(source_id), "")
        catalog.checksum = digest.result()
    parquet, meta = _cache_paths(source_id, catalog.checksum)
    with _pending_lock:
        writing = parquet in _pending
    if not writing and not (parquet.is_file() and meta.is_file()):
        _write_later(catalog, parquet, meta)
    return catalog


def _write_later(catalog: Catalog, parquet: Path, meta: Path) -> None:
    """Write the Parquet copy off the caller's path.

    It takes as long as a cold parse again on a 1M-row file. A later load in this process
    waits for it; other processes see it only once it is complete (written under a temporary
    name, then renamed).
    """
    writer = threading.Thread(
        target=_write_cache, args=(catalog, parquet, meta), name=f"cache-{parquet.name}"
    )
    with _pending_lock:
        _pending[parquet] = writer
    writer.start()


_pending: dict[Path, threading.Thread] = {}
_pending_lock = threading.Lock()


def _write_cache(catalog: Catalog, parquet: Path, meta: Path) -> None:
    suffix = f".{os.getpid()}-{threading.get_ident()}.tmp"
    tmp_parquet, tmp_meta = (
        parquet.with_name(parquet.name + suffix),
        meta.with_name(meta.name + suffix),
    )
    try:
        catalog.df.to_parquet(tmp_parquet, index=False)
        tmp_meta.write_text(json.dumps(asdict(catalog.report)))
        os.replace(tmp_parquet, parquet)
        os.replace(tmp_meta, meta)
    except OSError as exc:  # read-only disk: still usable, just not cached
        log.warning("could not write cache %s: %s", parquet, exc)
        tmp_parquet.unlink(missing_ok=True)
        tmp_meta.unlink(missing_ok=True)
    finally:
        with _pending_lock:
            if _pending.get(parquet) is threading.current_thread():
                del _pending[parquet]


def wait_for_cache_writes(timeout: float | None = None) -> None:
    """Block until the Parquet copies this process is writing are on disk."""
    with _pending_lock:
        writers = list(_pending.values())
    for writer in writers:
        writer.join(timeout)


def _large_catalog(
    source_id: str, title: str, parquet: Path, report: CleaningReport, checksum: str
) -> Catalog:
    """An out-of-core catalog: the Parquet on disk plus a seeded sample in memory.

    The sample and the whole-catalog totals are kept beside the Parquet, so a warm load reads
    200k rows and a small JSON instead of scanning every track again.
    """
    from core.catalog.backend import DuckDBBackend

    n = large.sample_rows()
    side = parquet.with_name(f"{parquet.stem}.sample{n}.parquet")
    totals_path = parquet.with_name(f"{parquet.stem}.totals.json")
    try:
        totals = json.loads(totals_path.read_text())
        df = large.canonical_dtypes(pd.read_parquet(side))
    except (OSError, ValueError):
        totals = DuckDBBackend(parquet).totals()
        df = large.read_sample(parquet, n)
        try:
            df.to_parquet(side, index=False)
            totals_path.write_text(json.dumps(totals))
        except OSError as exc:
            log.warning("could not write %s: %s", side, exc)
    return Catalog(source_id, title, df, report, checksum, parquet=parquet, totals=totals)


def load_upload(data: bytes, name: str, *, require_valence: bool = True) -> Catalog:
    """Build a catalog from an uploaded file's bytes (never written to disk).

    ``require_valence=False`` reads a file of tracks to predict (no valence column needed).
    """
    checksum = hashlib.sha256(data).hexdigest()
    return build_catalog(
        read_table(data),
        f"{UPLOAD_PREFIX}{name}",
        f"Upload: {name}",
        checksum,
        require_valence=require_valence,
    )
