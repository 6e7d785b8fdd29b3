"""Resolve a user's track ids to audio features and metadata, each tagged with its source.

Feature order: the user's uploaded columns (they win over the catalog unless the user prefers
the catalog) → the loaded catalog → Spotify ``audio-features``
(tried once per session; after a 403 we stop asking and say why) → ReccoBeats (40 ids a call).
Metadata: the catalog / upload first, then Spotify ``GET /tracks/{id}`` when credentials exist
(also for covers when the lookup is small), else ReccoBeats. Anything a provider lacks is
reported, never dropped silently; a provider that fails keeps what was resolved so far.

Spotify's developer policy forbids training models on its API content: these results are for
lookup and prediction only and are never added to any training set.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from core.catalog.schema import AUDIO_COLUMNS
from core.lookup.ratelimit import ProviderError
from core.lookup.reccobeats import ReccoBeatsClient
from core.lookup.spotify import AudioFeaturesForbiddenError, SpotifyClient
from core.progress import ProgressFn

log = logging.getLogger(__name__)

# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
META_COLUMNS: tuple[str, ...] = (
    "track_name", "artists", "album_name", "image_url", "release_date", "release_year",
    "popularity", "explicit",
)  # fmt: skip
FEATURES: tuple[str, ...] = AUDIO_COLUMNS
#: Lookups this small also fetch Spotify metadata (covers) for tracks already in the catalog.
COVER_LIMIT = 200
SPOTIFY_FEATURE_BATCH = 100


@dataclass
class ProviderState:
    """What this session learned about the providers (kept in the user's session only)."""

    audio_features_tried: bool = False
    audio_features_allowed: bool = True
    audio_features_reason: str | None = None


@dataclass
class Resolution:
    """One row per requested id with features, metadata and their sources, plus what went wrong.

    Attributes
    ----------
    table
        Columns: track_id, metadata, audio features, ``feature_source`` (catalog / upload /
        spotify / reccobeats / missing), ``meta_source``, ``filled`` (features filled with the
        catalog median because no provider has them), ``in_catalog``, ``genre`` (the catalog's
        label, for catalog tracks only; models with genre inputs use it).
    messages
        Notes for the user (provider failures, the audio-features 403 …).
    missing
        Ids for which no provider had audio features.
    """

    table: pd.DataFrame
    messages: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        """How many tracks got their features from each source."""
        return self.table["feature_source"].value_counts().to_dict()


def _empty_table(ids: list[str]) -> pd.DataFrame:
    table = pd.DataFrame({"track_id": pd.array(ids, dtype="string")})
    for col in META_COLUMNS:
        table[col] = pd.Series(pd.NA, index=table.index, dtype="object")
    for col in FEATURES:
        table[col] = np.nan
    table["feature_source"] = "missing"
    table["meta_source"] = ""
    table["filled"] = ""
    table["in_catalog"] = False
    table["genre"] = pd.Series(pd.NA, index=table.index, dtype="object")
    return table.set_index(pd.Index(ids, name="id"), drop=False)


def _fill(
    table: pd.DataFrame, values: pd.DataFrame, columns: list[str], only_missing: bool
) -> None:
    """Write ``values`` (indexed by id) into ``table`` for the given columns."""
    ids = values.index.intersection(table.index)
    for col in columns:
        if col not in values:
            continue
        new = values.loc[ids, col]
        if only_missing:
            cur = table.loc[ids, col]
            new = new.where(cur.isna(), cur)
        table.loc[ids, col] = new.to_numpy(dtype=object)


def _from_catalog(table: pd.DataFrame, catalog_df: pd.DataFrame) -> None:
    if "track_id" not in catalog_df:
        return
    cat = catalog_df[catalog_df["track_id"].isin(table.index)].drop_duplicates("track_id")
    if cat.empty:
        return
    cat = cat.set_index("track_id")
    ids = cat.index
    for col in FEATURES:
        if col in cat:
            table.loc[ids, col] = cat[col].to_numpy(dtype=float)
    _fill(table, cat, [c for c in META_COLUMNS if c in cat], only_missing=False)
    table.loc[ids, "feature_source"] = "catalog"
    table.loc[ids, "meta_source"] = "catalog"
    table.loc[ids, "in_catalog"] = True
    if "genre" in cat:
        table.loc[ids, "genre"] = cat["genre"].astype(object).to_numpy()


def _from_upload(
    table: pd.DataFrame,
    features: pd.DataFrame | None,
    meta: pd.DataFrame | None,
    *,
    prefer_upload: bool = True,
) -> tuple[int, int]:
    """Take the file's metadata and features; returns (tracks also in the catalog, of which differ).

    With ``prefer_upload`` the file's feature values win over the catalog's; otherwise they only
    fill tracks the catalog lacks.
    """
    if meta is not None and len(meta):
        meta = meta[~meta.index.duplicated()]
        cols = [c for c in meta.columns if c in META_COLUMNS]
        _fill(table, meta, cols, only_missing=True)
        has_name = table["meta_source"].eq("") & table["track_name"].notna()
        table.loc[has_name, "meta_source"] = "upload"
    if features is None or features.empty:
        return 0, 0
    features = features[~features.index.duplicated()]
    ours = table.index.intersection(features.index)
    both = ours[table.loc[ours, "feature_source"].eq("catalog").to_numpy()]
    shared = [c for c in FEATURES if c in features]
    n_differ = 0
    if len(both) and shared:
        cat_vals = table.loc[both, shared].to_numpy(dtype=float)
        file_vals = features.loc[both, shared].to_numpy(dtype=float)
        with np.errstate(invalid="ignore"):
            differs = np.abs(cat_vals - file_vals) > 0.005 * np.maximum(1.0, np.abs(cat_vals))
        n_differ = int(differs.any(axis=1).sum())
    source = table.loc[ours, "feature_source"]
    need = ours if prefer_upload else ours[source.eq("missing").to_numpy()]
    for col in shared:
        table.loc[need, col] = features.loc[need, col].to_numpy(dtype=float)
    table.loc[need, "feature_source"] = "upload"
    return len(both), n_differ


def _apply_features(table: pd.DataFrame, found: dict[str, dict], source: str) -> None:
    if not found:
        return
    frame = pd.DataFrame.from_dict(found, orient="index")
    ids = frame.index.intersection(table.index)
    for col in FEATURES:
        if col in frame:
            table.loc[ids, col] = pd.to_numeric(frame.loc[ids, col], errors="coerce").to_numpy(
                float
            )
    table.loc[ids, "feature_source"] = source


def _apply_meta(table: pd.DataFrame, found: dict[str, dict], source: str, overwrite: bool) -> None:
    if not found:
        return
    frame = pd.DataFrame.from_dict(found, orient="index")
    cols = [c for c in META_COLUMNS if c in frame]
    _fill(table, frame, cols, only_missing=not overwrite)
    ids = frame.index.intersection(table.index)
    table.loc[ids, "meta_source"] = source
    if "duration_ms" in frame:  # providers without duration (ReccoBeats features) get it here
        dur = pd.to_numeric(frame.loc[ids, "duration_ms"], errors="coerce")
        cur = table.loc[ids, "duration_ms"]
        table.loc[ids, "duration_ms"] = cur.where(cur.notna(), dur).to_numpy(float)


def _spotify_features(
    table: pd.DataFrame, spotify: SpotifyClient, state: ProviderState, messages: list[str]
) -> None:
    need = table.index[table["feature_source"].eq("missing")].tolist()
    if not need or not state.audio_features_allowed:
        return
    for start in range(0, len(need), SPOTIFY_FEATURE_BATCH):
        try:
            found = spotify.audio_features(need[start : start + SPOTIFY_FEATURE_BATCH])
        except AudioFeaturesForbiddenError as exc:
            state.audio_features_allowed = False
            state.audio_features_reason = str(exc)
            messages.append(str(exc))
            break
        except ProviderError as exc:
            messages.append(f"{exc} Features from Spotify skipped.")
            break
        finally:
            state.audio_features_tried = True
        _apply_features(table, found, "spotify")


def _fill_missing_features(table: pd.DataFrame, catalog_df: pd.DataFrame) -> None:
    """Fill features no provider returns (duration, time signature) with the catalog median."""
    has = ~table["feature_source"].eq("missing")
    filled: dict[str, list[str]] = {}
    for col in FEATURES:
        if col == "valence" or col not in catalog_df:
            continue
        gap = has & table[col].isna()
        if gap.any():
            table.loc[gap, col] = float(catalog_df[col].median())
            for tid in table.index[gap]:
                filled.setdefault(tid, []).append(col)
    for tid, cols in filled.items():
        table.loc[tid, "filled"] = ", ".join(cols)


def _reccobeats_features(
    table: pd.DataFrame,
    client: ReccoBeatsClient,
    messages: list[str],
    on_progress: ProgressFn | None,
) -> None:
    """Features from ReccoBeats for the rows still without any (in place)."""
    need = table.index[table["feature_source"].eq("missing")].tolist()
    if not need:
        return
    res = client.audio_features(need, on_progress=on_progress)
    _apply_features(table, res.found, "reccobeats")
    if res.missing:
        messages.append(f"ReccoBeats has no audio features for {len(res.missing):,} track(s).")
    if res.error:
        messages.append(
            f"{res.error} {len(res.not_tried):,} track(s) were not asked; results so far are kept."
        )


def _spotify_meta(
    table: pd.DataFrame,
    client: SpotifyClient,
    messages: list[str],
    on_progress: ProgressFn | None,
    *,
    all_ids: bool,
) -> None:
    """Spotify metadata for rows without a title, or for every row when ``all_ids`` (covers)."""
    meta_need = list(table.index) if all_ids else table.index[table["track_name"].isna()].tolist()
    res = client.tracks(meta_need, on_progress=on_progress)
    _apply_meta(table, res.found, "spotify", overwrite=True)
    if res.missing:
        messages.append(f"Spotify does not know {len(res.missing):,} of the ids.")
    if res.error:
        messages.append(
            f"{res.error} Details of {len(res.not_tried):,} track(s) were not "
            "fetched; results so far are kept."
        )


def _reccobeats_meta(
    table: pd.DataFrame,
    client: ReccoBeatsClient,
    messages: list[str],
    on_progress: ProgressFn | None,
) -> None:
    """ReccoBeats details for rows without a title or (with features) without a duration."""
    meta_need = table.index[
        table["track_name"].isna()
        | (table["duration_ms"].isna() & table["feature_source"].ne("missing"))
    ].tolist()
    if not meta_need:
        return
    res = client.tracks(meta_need, on_progress=on_progress)
    _apply_meta(table, res.found, "reccobeats", overwrite=False)
    if res.error:
        messages.append(f"{res.error} Track details are incomplete.")


def resolve_tracks(
    ids: list[str],
    catalog_df: pd.DataFrame,
    *,
    upload_features: pd.DataFrame | None = None,
    upload_meta: pd.DataFrame | None = None,
    spotify: SpotifyClient | None = None,
    reccobeats: ReccoBeatsClient | None = None,
    state: ProviderState | None = None,
    on_progress: ProgressFn | None = None,
    cover_limit: int = COVER_LIMIT,
    prefer_upload: bool = True,
) -> Resolution:
    """Resolve unique track ids to features and metadata from every available source.

    Parameters
    ----------
    ids
        Unique Spotify track ids, in the order to show them.
    catalog_df
        The loaded catalog (``Catalog.df``).
    upload_features, upload_meta
        Features / metadata from the user's file, indexed by ``track_id``.
    spotify
        A client when credentials exist, else None.
    reccobeats
        A ReccoBeats client, or None to skip it.
    state
        This session's provider state (updated in place).
    on_progress
        Called with a :class:`~core.progress.Progress` (phase: the provider and what it
        fetches) while providers are asked.
    cover_limit
        With Spotify credentials, lookups of at most this many ids fetch metadata for every
        track (covers, release dates); larger ones only for tracks the catalog/upload lacks.
    prefer_upload
        The file's own feature values win over the catalog's (default); False keeps the
        catalog's values for tracks it has. Either way a message says how many differ.

    Returns
    -------
    Resolution
        The table (one row per id, in order), user messages and the ids left without features.
    """
    state = state or ProviderState()
    table = _empty_table(list(ids))
    messages: list[str] = []
    if not ids:
        return Resolution(table.reset_index(drop=True), messages, [])
    _from_catalog(table, catalog_df)
    n_both, n_differ = _from_upload(
        table, upload_features, upload_meta, prefer_upload=prefer_upload
    )
    if n_both:
        used = "your file's values are used" if prefer_upload else "the catalog's values are used"
        messages.append(
            f"{n_both:,} track(s) with features in your file are also in the catalog; "
            f"{n_differ:,} of them have different values there; {used}."
        )
    if spotify is not None:
        _spotify_features(table, spotify, state, messages)

    if reccobeats is not None:
        _reccobeats_features(table, reccobeats, messages, on_progress)
    if spotify is not None:
        all_ids = len(ids) <= cover_limit
        _spotify_meta(table, spotify, messages, on_progress, all_ids=all_ids)
    elif reccobeats is not None:
        _reccobeats_meta(table, reccobeats, messages, on_progress)
    _fill_missing_features(table, catalog_df)
    missing = table.index[table["feature_source"].eq("missing")].tolist()
    out = table.reset_index(drop=True)
    for col in ("key", "mode", "time_signature", "duration_ms"):
        out[col] = out[col].round()
    return Resolution(out, messages, missing)
