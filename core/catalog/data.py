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
from collections.abc import Callable, Iterable
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
    arrow_text,
    map_schema,
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
_PY_ASCII_SPACE = " \t\n\r\x0b\x0c\x1c\x1d\x1e\x1f"  # what str.strip() removes in ASCII
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

    Arrow kernels do the split and, for ASCII names, Python's exact ``strip().lower()``; the
    few non-ASCII names go through Python itself so casing rules stay Python's (a Python-level
    split of every row cost ~0.1 s per 30k rows).
    """
    text = pc.fill_null(arrow_text(artists), "")
    several = pc.match_substring(text, ";")
    if pc.any(several).as_py():  # split only the names that have a ";" (the split is costly)
        heads = pc.list_element(pc.split_pattern(pc.filter(text, several), ";", max_splits=1), 0)
        first = pc.replace_with_mask(text, several, heads.cast(text.type))
    else:
        first = text
    out = pc.ascii_lower(pc.utf8_trim(first, _PY_ASCII_SPACE))
    other = pc.invert(pc.string_is_ascii(first))
    if pc.any(other).as_py():
        rest = [a.strip().lower() for a in pc.filter(first, other).to_pylist()]
        out = pc.replace_with_mask(out, other, pa.array(rest, type=out.type))
    out = pc.if_else(pc.equal(out, ""), pa.scalar("(unknown)", out.type), out)
    return pd.Series(ArrowStringArray(out), index=artists.index)


def _join_in_order(
    ids: np.ndarray, genres: np.ndarray, names: np.ndarray, n_ids: int
) -> np.ndarray:
    """``;``-joined genre names per id in first-seen order, vectorised ("" when none).

    ``ids``/``genres`` are integer codes of distinct (id, genre) pairs already in first-seen
    order; ``names`` maps genre codes to text ("" for a missing genre, which is skipped).
    """
    keep = names[genres] != ""
    ids, genres = ids[keep], genres[keep]
    out = np.full(n_ids, "", dtype=object)
    if not len(ids):
        return out
    order = np.argsort(ids, kind="stable")  # by id, first-seen order kept within an id
    ids, genres = ids[order], genres[order]
    starts = np.r_[0, np.flatnonzero(np.diff(ids)) + 1]
    pos = np.arange(len(ids)) - np.repeat(starts, np.diff(np.r_[starts, len(ids)]))
    out[ids[pos == 0]] = names[genres[pos == 0]]
    for k in range(1, int(pos.max()) + 1):
        at = pos == k
        out[ids[at]] = out[ids[at]] + ";" + names[genres[at]]
    return out


def _distinct_pairs(
    ids: np.ndarray, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Distinct (id, value) code pairs in first-seen order: ids, values, counts, first rows."""
    width = int(values.max()) + 1 if len(values) else 1
    key = ids.astype(np.int64) * width + values
    unique, first, n = np.unique(key, return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    unique, first, n = unique[order], first[order], n[order]
    return unique // width, unique % width, n, first


def _collapse_duplicate_ids(df: pd.DataFrame, report: CleaningReport) -> np.ndarray:
    """Rows to keep, one per track_id (the first); repeated ids are relabelled in ``df``.

    The kept row gets the id's most frequent genre (ties: first seen) and all its genres.
    Integer codes throughout, no per-group Python work.
    """
    if "track_id" not in df:
        return np.ones(len(df), dtype=bool)
    encoded = pc.dictionary_encode(arrow_text(df["track_id"]))
    codes = encoded.indices.fill_null(-1).to_numpy().astype(np.int64)  # first-seen order
    uniques = encoded.dictionary
    has_id = codes >= 0
    counts = np.bincount(codes[has_id], minlength=max(len(uniques), 1))  # 1: no id at all
    per_row = counts[np.where(has_id, codes, 0)]
    # rows of the source listing the track (TidyTuesday: playlist appearances), kept for the
    # engineered feature set before duplicates collapse
    df["n_playlists"] = np.where(has_id, per_row, 1).astype(np.int64)
    repeated = has_id & (per_row > 1)
    if not repeated.any():
        return np.ones(len(df), dtype=bool)
    # codes number ids in first-seen order: a row is its id's first when its code tops all before
    running_max = np.maximum.accumulate(codes)
    first_seen = has_id & (codes > np.r_[-1, running_max[:-1]])
    kept_mask = ~has_id | first_seen
    ids, _ = pd.factorize(codes[repeated])  # codes in first-seen order = order of kept rows
    n_ids = int(ids.max()) + 1
    relabel: list[tuple[str, np.ndarray]] = []
    if "genre" in df:
        genre_codes, names = pd.factorize(df.loc[repeated, "genre"].fillna(""))
        names = np.asarray(names, dtype=object)
        pair_id, pair_genre, n, first = _distinct_pairs(ids, genre_codes)
        best = np.lexsort((first, -n, pair_id))  # by id: most frequent, then first seen
        best = best[np.r_[True, np.diff(pair_id[best]) != 0]]
        label = np.empty(n_ids, dtype=object)
        label[pair_id[best]] = names[pair_genre[best]]
        all_genres = _join_in_order(pair_id, pair_genre, names, n_ids)
        report.ids_with_several_genres = int((np.bincount(pair_id) > 1).sum())
        label[label == ""] = None  # a track whose only genre is missing stays unlabelled
        relabel += [("genre", label), ("genres", all_genres)]
    if "subgenres" in df:  # every distinct subgenre of the id, in first-seen order
        sub_codes, sub_names = pd.factorize(df.loc[repeated, "subgenres"].astype("string"))
        sub_names = np.asarray(sub_names, dtype=object)
        sub_codes = np.where(sub_codes < 0, len(sub_names), sub_codes)  # missing -> "" (skipped)
        sub_names = np.r_[sub_names, np.array([""], dtype=object)]
        pair_id, pair_sub, _, _ = _distinct_pairs(ids, sub_codes)
        subs = _join_in_order(pair_id, pair_sub, sub_names, n_ids)
        subs[subs == ""] = None
        relabel.append(("subgenres", subs))
    report.duplicate_ids_collapsed = int(len(df) - kept_mask.sum())
    first_of_repeated = pa.array(repeated & first_seen)
    # relabel the kept (first) row of each repeated id, in place of a copy
    for col, values in relabel:
        text = arrow_text(df[col])
        new = pc.replace_with_mask(text, first_of_repeated, pa.array(values, type=text.type))
        df[col] = pd.Series(ArrowStringArray(new), index=df.index)
    return kept_mask


def _repeated_rows(numbers: pd.DataFrame) -> np.ndarray:
    """Rows whose values may repeat in another row: a superset of exact repeats, found fast.

    One 64-bit hash per row (equal rows hash alike, -0.0 and NaN included) instead
    of ``DataFrame.duplicated``, which factorises every column (3x slower); a hash collision only
    adds a candidate, which the exact comparison afterwards keeps apart.
    """
    row_hash = np.zeros(len(numbers), dtype=np.uint64)
    for col in numbers:
        values = numbers[col].to_numpy(dtype=float)  # hash_array: -0.0 as 0.0, every NaN alike
        row_hash = row_hash * np.uint64(1_000_003) ^ pd.util.hash_array(values)
    return pd.Series(row_hash).duplicated(keep=False).to_numpy()


def _collapse_same_song(df: pd.DataFrame, report: CleaningReport) -> np.ndarray:
    """Rows to keep: the first of each (song name, primary artist, rounded features) group."""
    if "track_name" not in df or df["track_name"].isna().all():
        return np.ones(len(df), dtype=bool)
    name = df["track_name"].fillna("").astype("string").str.lower().str.strip()
    cols = [c for c in _SAME_SONG if c in df]

    def codes(values: pd.Series) -> np.ndarray:  # Arrow hashing of strings to integer codes
        encoded = pc.dictionary_encode(arrow_text(values))
        return encoded.indices.fill_null(-1).to_numpy()

    # Only rows whose rounded features repeat can be the same song: the strings (the costly part
    # of the key; pandas' DataFrame.duplicated took ~3 s at 1M rows) are coded for those alone.
    numbers = pd.DataFrame(
        {c: df[c].round(4).to_numpy(dtype=float) for c in cols}, index=range(len(df))
    )
    candidates = _repeated_rows(numbers) if cols else np.ones(len(df), dtype=bool)
    keep = np.ones(len(df), dtype=bool)
    if candidates.any():
        key = numbers[candidates].assign(
            name=codes(name[candidates]), artist=codes(df["primary_artist"][candidates])
        )
        keep[candidates] = ~key.duplicated(keep="first").to_numpy()
    same = ~keep & (name != "").to_numpy(dtype=bool, na_value=False)
    report.same_song_collapsed = int(same.sum())
    return ~same


_UNPLAYABLE: tuple[tuple[str, str, Callable[[pd.Series], pd.Series]], ...] = (
    ("duration_ms", "too_short", lambda v: v < MIN_DURATION_MS),
    ("tempo", "zero_tempo", lambda v: v == 0),
    ("time_signature", "zero_time_signature", lambda v: v == 0),
)


def _drop_unplayable(df: pd.DataFrame, report: CleaningReport, drop: np.ndarray) -> np.ndarray:
    """``drop`` plus tracks under 30 s, tempo 0 and time signature 0 (columns the file has).

    Each rule is counted among the rows not dropped yet.
    """
    for col, counter, is_bad in _UNPLAYABLE:
        if col in df:
            hit = is_bad(df[col]).to_numpy(dtype=bool, na_value=False) & ~drop
            setattr(report, counter, int(hit.sum()))
            drop = drop | hit
    return drop


def clean_tracks(
    mapped: pd.DataFrame, match: SchemaMatch | None = None
) -> tuple[pd.DataFrame, CleaningReport]:
    """Apply the cleaning rules (each counted) to a canonical-column table."""
    report = CleaningReport(rows_read=len(mapped))
    if match is not None:
        report.schema = match.schema
        report.rescaled = list(match.rescaled)
        report.notes = list(match.notes)
        report.absent_features = [c for c in match.absent if c != "time_signature"]
    df = mapped
    # Each rule is counted on the rows the earlier rules left; the rows are taken out once.
    required = [c for c in REQUIRED_COLUMNS if c in df]
    drop = df[required].isna().any(axis=1).to_numpy().copy()
    report.missing_features = int(drop.sum())

    bad = np.zeros(len(df), dtype=bool)
    for col, (lo, hi) in _VALID_RANGES.items():
        if col in df:
            values = df[col].to_numpy(dtype=float, na_value=np.nan)
            bad |= (values < lo) | (values > hi)
    bad &= ~drop
    report.impossible_values = int(bad.sum())
    drop |= bad

    drop = _drop_unplayable(df, report, drop)
    df = df[~drop] if drop.any() else df.copy(deep=False)  # never mutate the caller's frame
    for col in ("key", "mode", "duration_ms"):
        if col in df:
            df[col] = df[col].round().astype("int64")
    if "time_signature" in df:
        df["time_signature"] = df["time_signature"].fillna(4).round().astype("int64")
    if "popularity" in df:
        df["popularity"] = df["popularity"].astype("Float64")
    if "artists" not in df:
        df["artists"] = pd.NA
    df["artists"] = df["artists"].astype("string")
    df["primary_artist"] = _primary_artist(df["artists"])
    if "genre" in df:
        df["genres"] = df["genre"]
    if "subgenre" in df:
        df["subgenres"] = df["subgenre"]
    keep = _collapse_duplicate_ids(df, report)
    columns = [c for c in ("track_name", "primary_artist", *_SAME_SONG) if c in df]
    keep[keep] = _collapse_same_song(df.loc[keep, columns], report)
    df = df[keep].reset_index(drop=True)  # one take of every column for both collapses
    report.rows_kept = len(df)
    return df, report


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Stable column order: text first, then context, then audio features."""
    first = [c for c in LEADING_COLUMNS if c in df]
    audio = [c for c in AUDIO_COLUMNS if c in df]
    rest = [c for c in df.columns if c not in first and c not in audio]
    return df[first + audio + rest]


def build_catalog(
    raw: pd.DataFrame, source_id: str, title: str, checksum: str, *, require_valence: bool = True
) -> Catalog:
    """Map, clean and order a raw table (files to predict need no valence)."""
    mapped, match = map_schema(raw, require_valence=require_valence)
    df, report = clean_tracks(mapped, match)
    if df.empty:
        raise SchemaError(
            "No usable rows remain after cleaning (see the cleaning report).",
            missing=[],
            recognised=sorted(match.mapping),
        )
    return Catalog(source_id, title, _finish(df), report, checksum)


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
    raw: pd.DataFrame | None = None
    checksum = _remembered_checksum(path)
    if checksum is None:  # a file not seen before: hash it while pandas parses it
        checksum, raw = _hash_while_reading(path)
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
    catalog = build_catalog(read_table(path) if raw is None else raw, source_id, title, checksum)
    # The Parquet copy is written off the caller's path (as long as a cold parse again on a
    # 1M-row file); a later load in this process waits for it, other processes see it only once
    # it is complete (written under a temporary name, then renamed).
    writer = threading.Thread(
        target=_write_cache, args=(catalog, parquet, meta), name=f"cache-{parquet.name}"
    )
    with _pending_lock:
        _pending[parquet] = writer
    writer.start()
    return catalog


def _hash_while_reading(path: Path) -> tuple[str, pd.DataFrame | None]:
    """The file's checksum and, for a file pandas reads whole, its table, read at once.

    Hashing releases the GIL, so it runs beside the parse (a new file cannot have a cache yet,
    unless the same bytes were cached under another name: then the parse is wasted). A 188 MB
    CSV took 0.15-0.4 s to hash here.
    """
    if large.is_large_source(path):
        return _memo_checksum(path), None
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="checksum") as pool:
        digest = pool.submit(_memo_checksum, path)
        raw = read_table(path)
        return digest.result(), raw


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
