"""The track catalog: read any supported CSV, clean it with a counted report, cache it.

``load_catalog(source_id)`` is the one entry point for public sources; ``load_upload`` reads a
user's file (kept in that user's session by the UI, never on disk).
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import logging
import re
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from core.catalog import sources
from core.catalog.schema import (
    AUDIO_COLUMNS,
    REQUIRED_COLUMNS,
    UNIT_FEATURES,
    SchemaError,
    SchemaMatch,
    map_schema,
)
from core.progress import ProgressFn

log = logging.getLogger(__name__)

#: Bump when cleaning rules change: it is part of the Parquet cache key.
CLEANING_VERSION = 5
#: Source ids of user uploads start with this (kept out of shared caches and off disk).
UPLOAD_PREFIX = "upload:"
MIN_DURATION_MS = 30_000
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
    "Catalog",
    "CleaningReport",
    "SchemaError",
    "clean_tracks",
    "file_checksum",
    "load_catalog",
    "load_upload",
    "read_table",
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

    @property
    def is_upload(self) -> bool:
        """Whether this is a user's upload: personal data, kept per session, never shared."""
        return self.source_id.startswith(UPLOAD_PREFIX)

    @property
    def genres(self) -> list[str]:
        """Sorted genre labels (empty when the source has none)."""
        if "genre" not in self.df:
            return []
        return sorted(self.df["genre"].dropna().unique().tolist())

    @property
    def n_artists(self) -> int:
        """Distinct primary artists."""
        return int(self.df["primary_artist"].nunique())


def file_checksum(path: Path) -> str:
    """sha256 of a file's bytes (hex)."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _memo_checksum(path: Path) -> str:
    """``file_checksum`` remembered on disk by (path, size, mtime): warm loads skip the hashing."""
    memo_path = sources.cache_dir() / "catalog" / "checksums.json"
    stat = path.stat()
    key = f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}"
    try:
        memo = json.loads(memo_path.read_text())
    except (OSError, ValueError):
        memo = {}
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
    raw = source.read_bytes() if isinstance(source, Path) else source
    if isinstance(raw, io.BytesIO):
        raw = raw.getvalue()
    if not raw or not raw.strip():
        raise SchemaError("The file is empty.", missing=list(REQUIRED_COLUMNS), recognised=[])
    if b"\x00" in raw[:4096]:
        raise SchemaError(
            "This is not a text CSV file (it contains binary data).",
            missing=list(REQUIRED_COLUMNS),
            recognised=[],
        )
    try:
        text_head = raw[:65536].decode("utf-8-sig")
        encoding = "utf-8-sig"
    except UnicodeDecodeError:
        text_head = raw[:65536].decode("latin-1")
        encoding = "latin-1"
    sep = _sniff_delimiter(
        text_head.split("\n", 20)[0] + "\n" + "\n".join(text_head.split("\n")[1:5])
    )
    try:
        frame = pd.read_csv(io.BytesIO(raw), sep=sep, encoding=encoding, low_memory=False)
    except (pd.errors.ParserError, UnicodeDecodeError, ValueError) as exc:
        raise SchemaError(
            f"Could not parse the file as CSV: {exc}", missing=list(REQUIRED_COLUMNS), recognised=[]
        ) from exc
    frame.columns = [str(c).replace("\ufeff", "").strip() for c in frame.columns]
    return frame


def _primary_artist(artists: pd.Series) -> pd.Series:
    first = artists.fillna("").astype("string").str.split(";").str[0].str.strip().str.lower()
    return first.mask(first == "", "(unknown)").astype("string")


def _collapse_duplicate_ids(df: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    has_id = df["track_id"].notna() if "track_id" in df else pd.Series(False, index=df.index)
    if not has_id.any():
        return df
    with_id = df[has_id]
    counts = with_id["track_id"].value_counts()
    dup_ids = counts.index[counts > 1]
    if len(dup_ids) == 0:
        return df
    if "genre" in df:
        dups = with_id[with_id["track_id"].isin(dup_ids)][["track_id", "genre"]].copy()
        dups["genre"] = dups["genre"].fillna("")
        dups["order"] = np.arange(len(dups))
        stats = dups.groupby(["track_id", "genre"], sort=False).agg(
            n=("order", "size"), first=("order", "min")
        )
        stats = stats.reset_index().sort_values(
            ["track_id", "n", "first"], ascending=[True, False, True]
        )
        label = stats.drop_duplicates("track_id").set_index("track_id")["genre"]
        all_genres = (
            stats.sort_values(["track_id", "first"])
            .groupby("track_id", sort=False)["genre"]
            .agg(lambda g: ";".join(x for x in g if x))
        )
        report.ids_with_several_genres = int((stats.groupby("track_id").size() > 1).sum())
    all_subgenres = _all_values(with_id[with_id["track_id"].isin(dup_ids)], "subgenre")
    kept = df[~has_id | ~df.duplicated("track_id", keep="first")].copy()
    report.duplicate_ids_collapsed = len(df) - len(kept)
    is_dup = kept["track_id"].isin(dup_ids)
    ids = kept.loc[is_dup, "track_id"]
    kept.loc[is_dup, "n_playlists"] = ids.map(counts).to_numpy()
    if "genre" in df:
        kept.loc[is_dup, "genre"] = ids.map(label).replace("", pd.NA).to_numpy()
        kept.loc[is_dup, "genres"] = ids.map(all_genres).to_numpy()
    if all_subgenres is not None:
        kept.loc[is_dup, "subgenres"] = ids.map(all_subgenres).to_numpy()
    return kept


def _all_values(dups: pd.DataFrame, column: str) -> pd.Series | None:
    """Every distinct value of ``column`` per track_id, ';'-joined in first-seen order."""
    if column not in dups:
        return None
    values = dups[["track_id", column]].dropna().drop_duplicates()
    return values.groupby("track_id", sort=False)[column].agg(lambda v: ";".join(map(str, v)))


def _collapse_same_song(df: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    if "track_name" not in df or df["track_name"].isna().all():
        return df
    name = df["track_name"].fillna("").astype("string").str.lower().str.strip()
    features = [c for c in ("danceability", "energy", "valence", "tempo") if c in df]
    key = pd.DataFrame(
        {"name": name, "artist": df["primary_artist"], **{c: df[c].round(4) for c in features}}
    )
    same = key.duplicated(keep="first") & (name != "")
    report.same_song_collapsed = int(same.sum())
    return df[~same]


def _drop_unplayable(df: pd.DataFrame, report: CleaningReport) -> pd.DataFrame:
    """Drop tracks under 30 s, tempo 0 and time signature 0, where the file has those columns."""
    rules = (
        ("duration_ms", lambda v: v < MIN_DURATION_MS, "too_short"),
        ("tempo", lambda v: v == 0, "zero_tempo"),
        ("time_signature", lambda v: v == 0, "zero_time_signature"),
    )
    for col, is_bad, counter in rules:
        if col in df:
            bad = is_bad(df[col])
            setattr(report, counter, int(bad.sum()))
            df = df[~bad]
    return df


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
    required = [c for c in REQUIRED_COLUMNS if c in df]
    missing = df[required].isna().any(axis=1)
    report.missing_features = int(missing.sum())
    df = df[~missing]

    bad = pd.Series(False, index=df.index)
    for col, (lo, hi) in _VALID_RANGES.items():
        if col in df:
            bad |= (df[col] < lo) | (df[col] > hi)
    report.impossible_values = int(bad.sum())
    df = df[~bad]

    df = _drop_unplayable(df, report)
    df = df.copy()
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
    if "track_id" in df:
        # rows of the source listing the track (TidyTuesday: playlist appearances), kept for
        # the engineered feature set before duplicates collapse
        df["n_playlists"] = np.int64(1)
    df = _collapse_duplicate_ids(df, report)
    df = _collapse_same_song(df, report)
    df = df.reset_index(drop=True)
    report.rows_kept = len(df)
    return df, report


def _finish(df: pd.DataFrame) -> pd.DataFrame:
    """Stable column order: text first, then context, then audio features."""
    first = [
        c
        for c in (
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
        if c in df
    ]
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
    checksum = _memo_checksum(path)
    title = source_title(source_id)
    parquet, meta = _cache_paths(source_id, checksum)
    if parquet.is_file() and meta.is_file():
        try:
            df = pd.read_parquet(parquet)
            report = CleaningReport(**json.loads(meta.read_text()))
            return Catalog(source_id, title, df, report, checksum)
        except (OSError, ValueError, TypeError) as exc:  # a corrupt cache is rebuilt
            log.warning("ignoring unreadable cache %s: %s", parquet, exc)
    catalog = build_catalog(read_table(path), source_id, title, checksum)
    try:
        catalog.df.to_parquet(parquet, index=False)
        meta.write_text(json.dumps(asdict(catalog.report)))
    except OSError as exc:  # read-only disk: still usable, just not cached
        log.warning("could not write cache %s: %s", parquet, exc)
    return catalog


def load_upload(data: bytes, name: str, *, require_valence: bool = True) -> Catalog:
    """Build a catalog from an uploaded file's bytes (never written to disk).

    ``require_valence=False`` reads a file of tracks to predict (no valence column needed).
    """
    checksum = hashlib.sha256(data).hexdigest()
    return build_catalog(
        read_table(data), f"{UPLOAD_PREFIX}{name}", f"Upload: {name}", checksum,
        require_valence=require_valence,
    )  # fmt: skip
