"""Read a user's CSV of track ids (Exportify exports included), keeping their other columns.

The id column is found by name (``track_id``, ``id``, ``uri``, ``Track URI``, ``url``,
``spotify_url`` …) or, failing that, by content. Exportify quirks are handled: a BOM, header
whitespace, ``undefined`` cells and local files (``spotify:local:…``, no id). Audio features
already in the file are kept (tagged ``upload`` later), and a numeric rating column is detected
for the taste model.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field

import pandas as pd

from core.catalog.data import read_table
from core.catalog.schema import (
    REQUIRED_COLUMNS,
    SchemaError,
    map_columns,
    map_schema,
    normalise_header,
)
from core.lookup.trackids import is_local_uri, parse_track_id
from core.safety import code_span

log = logging.getLogger(__name__)

DEFAULT_MAX_ROWS = 5_000
DEFAULT_MAX_MB = 5.0
# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
ID_COLUMN_NAMES: tuple[str, ...] = (
    "track_id", "spotify_track_id", "spotify_id", "id", "track_uri", "spotify_uri", "uri",
    "track_url", "spotify_url", "url", "spotify_link", "track_link", "link",
)  # fmt: skip
# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
RATING_COLUMN_NAMES: tuple[str, ...] = (
    "rating", "my_rating", "user_rating", "personal_rating", "score", "my_score", "stars",
    "liked", "like",
)  # fmt: skip
META_COLUMNS: tuple[str, ...] = ("track_name", "artists", "album_name")
_BLANKS = {"", "undefined", "null", "none", "nan", "n/a"}
# Headers core.catalog.schema does not alias yet (Exportify's "Track Duration (ms)").
_EXTRA_ALIASES = {"track_duration_ms": "duration_ms"}


class UploadError(ValueError):
    """An upload that cannot be used; the message says why and what to do."""


def max_rows() -> int:
    """Row cap for id uploads (env ``VALENCE_LAB_LOOKUP_MAX_ROWS``, default 5,000)."""
    try:
        return max(1, int(os.environ.get("VALENCE_LAB_LOOKUP_MAX_ROWS", DEFAULT_MAX_ROWS)))
    except ValueError:
        return DEFAULT_MAX_ROWS


def max_bytes() -> int:
    """Size cap for id uploads in bytes (env ``VALENCE_LAB_LOOKUP_MAX_MB``, default 5 MB)."""
    try:
        mb = float(os.environ.get("VALENCE_LAB_LOOKUP_MAX_MB", DEFAULT_MAX_MB))
    except ValueError:
        mb = DEFAULT_MAX_MB
    return int(max(0.001, mb) * 1_000_000)


@dataclass
class IdUpload:
    """A parsed id upload.

    Attributes
    ----------
    frame
        The user's rows with a valid id (first occurrence of each), all their columns, plus
        ``track_id``; in file order.
    id_column
        The column the ids came from.
    invalid
        ``(line_number, value)`` of rows whose id cell is not a track id (line 1 is the header).
    duplicates, local_files, blank_rows, truncated
        Rows dropped for each reason.
    features
        Canonical audio features and metadata by ``track_id`` for rows that carry a complete
        set, else None.
    rating_column
        A numeric rating column, if any.
    """

    frame: pd.DataFrame
    id_column: str
    invalid: list[tuple[int, str]] = field(default_factory=list)
    duplicates: int = 0
    local_files: int = 0
    blank_rows: int = 0
    truncated: int = 0
    features: pd.DataFrame | None = None
    rating_column: str | None = None

    @property
    def ids(self) -> list[str]:
        """Unique valid ids in file order."""
        return self.frame["track_id"].tolist()

    def ratings(self) -> pd.Series | None:
        """The rating column as numbers by ``track_id`` (non-numbers NaN); None without one."""
        if not self.rating_column:
            return None
        return pd.to_numeric(self.frame.set_index("track_id")[self.rating_column], errors="coerce")

    def notes(self, limit: int) -> list[str]:
        """What the file holds and what was dropped, one phrase each (``limit``: the id cap).

        Markdown: the column name comes from the user's file, so it is a safe code span.
        """
        out = [f"**{len(self.ids):,}** track ids in column {code_span(self.id_column)}"]
        for n, what in (
            (self.duplicates, "repeated ids (looked up once)"),
            (self.local_files, "local files without a Spotify id"),
            (self.blank_rows, "empty / `undefined` rows"),
            (self.truncated, f"ids beyond the {limit:,}-id limit (not looked up)"),
        ):
            if n:
                out.append(f"{n:,} {what}")
        if self.features is not None:
            out.append(f"audio features in the file for {len(self.features):,} tracks")
        return out


def _is_blank(value: object) -> bool:
    return (
        value is None
        or (isinstance(value, float) and pd.isna(value))
        or (str(value).strip().lower() in _BLANKS)
    )


def _id_share(series: pd.Series) -> float:
    values = [v for v in series.head(200).tolist() if not _is_blank(v)]
    if not values:
        return 0.0
    good = sum(parse_track_id(v) is not None or is_local_uri(v) for v in values)
    return good / len(values)


def find_id_column(frame: pd.DataFrame) -> str | None:
    """The column holding track ids: by name first (if its content agrees), else by content.

    Parameters
    ----------
    frame
        The raw upload.

    Returns
    -------
    str or None
        The column name, or None when no column holds ids.
    """
    by_norm = {normalise_header(c): c for c in frame.columns}
    for name in ID_COLUMN_NAMES:
        col = by_norm.get(name)
        if col is not None and _id_share(frame[col]) >= 0.5:
            return col
    shares = {
        c: _id_share(frame[c])
        for c in frame.columns
        if frame[c].dtype == object or pd.api.types.is_string_dtype(frame[c])
    }
    best = max(shares, key=lambda c: shares[c], default=None)
    return best if best is not None and shares[best] >= 0.5 else None


def find_rating_column(frame: pd.DataFrame) -> str | None:
    """A numeric column named like a rating (``rating``, ``score``, ``stars``…), >= 2 values."""
    by_norm = {normalise_header(c): c for c in frame.columns}
    for name in RATING_COLUMN_NAMES:
        col = by_norm.get(name)
        if col is None:
            continue
        values = pd.to_numeric(frame[col], errors="coerce")
        if values.notna().sum() >= 2 and values.nunique() >= 2:
            return col
    return None


def _upload_features(frame: pd.DataFrame) -> pd.DataFrame | None:
    """Canonical features (+ metadata) of rows that carry every required audio feature."""
    raw = frame.drop(columns=["track_id"])
    present = {normalise_header(c) for c in raw.columns}
    raw = raw.rename(
        columns={
            c: _EXTRA_ALIASES[normalise_header(c)]
            for c in raw.columns
            if normalise_header(c) in _EXTRA_ALIASES
            and _EXTRA_ALIASES[normalise_header(c)] not in present
        }
    )
    try:
        mapped, _ = map_schema(raw)
    except SchemaError:
        return None
    if any(c not in mapped for c in REQUIRED_COLUMNS):  # partial feature sets are looked up
        return None
    complete = mapped[list(REQUIRED_COLUMNS)].notna().all(axis=1)
    if not complete.any():
        return None
    keep = [c for c in (*META_COLUMNS, *REQUIRED_COLUMNS, "time_signature") if c in mapped]
    out = mapped.loc[complete, keep].copy()
    out.index = frame.loc[complete, "track_id"].to_numpy()
    out.index.name = "track_id"
    return out


def upload_metadata(frame: pd.DataFrame) -> pd.DataFrame:
    """Track name / artists / album from the user's columns, by ``track_id`` (may be empty)."""
    mapping = map_columns([str(c) for c in frame.columns])
    cols = {canon: mapping[canon] for canon in META_COLUMNS if canon in mapping}
    out = pd.DataFrame({canon: frame[src].astype("string") for canon, src in cols.items()})
    out.index = frame["track_id"].to_numpy()
    if "artists" in out:
        out["artists"] = out["artists"].str.replace(r"\s*,\s*", ";", regex=True)
    return out


def read_id_upload(
    data: bytes,
    name: str = "upload.csv",
    *,
    limit_rows: int | None = None,
    limit_bytes: int | None = None,
) -> IdUpload:
    """Parse an uploaded CSV of track ids.

    Parameters
    ----------
    data
        The file's bytes.
    name
        Its name (for messages).
    limit_rows
        Keep at most this many unique ids (default ``max_rows()``); the rest are counted.
    limit_bytes
        Refuse files larger than this (default ``max_bytes()``).

    Returns
    -------
    IdUpload
        The rows to look up and what was set aside.

    Raises
    ------
    UploadError
        Too large, not a CSV, or no id column.
    """
    limit_rows = limit_rows or max_rows()
    limit_bytes = limit_bytes or max_bytes()
    if len(data) > limit_bytes:
        raise UploadError(
            f"{name} is {len(data) / 1e6:.1f} MB; the limit is {limit_bytes / 1e6:.1f} MB. "
            "Split the file or keep only the id column."
        )
    try:
        raw = read_table(data)
    except SchemaError as exc:
        raise UploadError(f"{name}: {exc}") from exc
    id_col = find_id_column(raw)
    if id_col is None:
        raise UploadError(
            f"No column of {name} holds Spotify track ids. Name it track_id, id, uri or url, "
            "with values like 4uLU6hMCjMI75M1A2tKUQC, spotify:track:… or open.spotify.com links. "
            f"Columns found: {', '.join(map(str, raw.columns[:12]))}."
        )
    out_rows: list[int] = []
    ids: list[str] = []
    seen: set[str] = set()
    result = IdUpload(frame=pd.DataFrame(), id_column=id_col)
    for pos, value in enumerate(raw[id_col].tolist()):
        line = pos + 2  # line 1 is the header
        if _is_blank(value):
            result.blank_rows += 1
        elif is_local_uri(value):
            result.local_files += 1
        elif (track_id := parse_track_id(value)) is None:
            result.invalid.append((line, str(value)[:80]))
        elif track_id in seen:
            result.duplicates += 1
        elif len(ids) >= limit_rows:
            result.truncated += 1
        else:
            seen.add(track_id)
            ids.append(track_id)
            out_rows.append(pos)
    frame = raw.iloc[out_rows].reset_index(drop=True)
    frame = frame.mask(
        frame.astype("string").apply(lambda s: s.str.strip().str.lower()) == "undefined"
    )
    if "track_id" in frame.columns:
        frame = frame.rename(columns={"track_id": "track_id (as uploaded)"})
    frame.insert(0, "track_id", pd.array(ids, dtype="string"))
    result.frame = frame
    result.features = _upload_features(frame) if len(frame) else None
    result.rating_column = find_rating_column(frame)
    return result
