"""The mood arc of a playlist: valence in playlist order, the "Added At" timeline, and reorders.

Pure functions behind the Track lookup page's *Mood arc* section:

* :func:`arc_frame` lines the looked-up tracks up in playlist order with the valence to use
  (the file's own, else the resolved measurement, else the model's prediction, and which),
  energy, the date each was added and the features that define "sounds like";
* :func:`smooth` is a Gaussian kernel smoother over positions (gaps allowed);
* :func:`monthly` summarises mood by the month tracks were added;
* :func:`reorder` sorts a playlist into an arc (rising, falling, peak in the middle) or chains
  it by nearest neighbour in standardised feature space and improves the chain with 2-opt
  ("smoothest transitions");
* :func:`export_frame` writes the playlist in the new order in Exportify's columns (the user's
  own columns when the upload is an Exportify file), for ``core.safety.csv_bytes``.

Nothing here talks to Spotify: a reorder is a file, the user's playlist is not modified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.spatial.distance import cdist

from core.catalog.schema import SOUND_FEATURES, normalise_header

ARCS: dict[str, str] = {
    "rising": "Rising (saddest → happiest)",
    "falling": "Falling (happiest → saddest)",
    "peak": "Peak in the middle",
    "smooth": "Smoothest transitions",
}
#: Features that define a transition's size (standardised within the playlist).
ARC_FEATURES: tuple[str, ...] = SOUND_FEATURES
#: Exportify's column names for the canonical columns (watsonbox/exportify's export header).
EXPORTIFY_COLUMNS: dict[str, str] = {
    "track_uri": "Track URI",
    "track_name": "Track Name",
    "artists": "Artist Name(s)",
    "album_name": "Album Name",
    "release_date": "Album Release Date",
    "duration_ms": "Track Duration (ms)",
    "explicit": "Explicit",
    "popularity": "Popularity",
    "added_at": "Added At",
    "danceability": "Danceability",
    "energy": "Energy",
    "key": "Key",
    "loudness": "Loudness",
    "mode": "Mode",
    "speechiness": "Speechiness",
    "acousticness": "Acousticness",
    "instrumentalness": "Instrumentalness",
    "liveness": "Liveness",
    "valence": "Valence",
    "tempo": "Tempo",
    "time_signature": "Time Signature",
}
TWO_OPT_PASSES = 2
MAX_TWO_OPT = 3000


def _column(frame: pd.DataFrame | None, name: str) -> str | None:
    """The column of ``frame`` whose normalised header is ``name``."""
    if frame is None:
        return None
    return next((c for c in frame.columns if normalise_header(c) == name), None)


def _numeric(table: pd.DataFrame, col: str) -> pd.Series:
    """``table[col]`` as floats (all NaN when the column is absent)."""
    if col not in table:
        return pd.Series(np.nan, index=table.index, dtype=float)
    return pd.to_numeric(table[col], errors="coerce").astype(float)


def parse_added_at(values: pd.Series) -> pd.Series:
    """Exportify's "Added At" (ISO 8601, e.g. ``2021-03-04T18:22:01Z``) as UTC timestamps.

    Anything that is not a date (``undefined``, blanks, junk) becomes NaT.
    """
    text = values.astype("string").str.strip()
    parsed = pd.to_datetime(text, utc=True, errors="coerce", format="ISO8601")
    if parsed.isna().all() and text.notna().any():
        parsed = pd.to_datetime(text, utc=True, errors="coerce", format="mixed")
    return parsed


def arc_frame(
    table: pd.DataFrame,
    upload_frame: pd.DataFrame | None = None,
    file_valence: pd.Series | None = None,
) -> pd.DataFrame:
    """The looked-up tracks in playlist order, with the valence to draw and its source.

    Parameters
    ----------
    table
        The lookup's table (``Resolution.table`` with ``predicted_valence``), in playlist order.
    upload_frame
        The user's rows (``IdUpload.frame``) for "Added At", or None for pasted tracks.
    file_valence
        Valence the user's file carries, by ``track_id`` (used first when given).

    Returns
    -------
    pd.DataFrame
        ``position`` (1-based), ``track_id``, ``label``, ``valence``, ``valence_source``
        ("your file", the resolved feature source, "predicted" or "missing"), ``energy``,
        ``added_at`` and the ``ARC_FEATURES`` (valence = the one used).
    """
    out = pd.DataFrame({"position": np.arange(1, len(table) + 1)}, index=table.index)
    out["track_id"] = table["track_id"].astype("string").to_numpy()
    name = table.get("track_name", pd.Series(pd.NA, index=table.index)).astype("string")
    artists = table.get("artists", pd.Series(pd.NA, index=table.index)).astype("string")
    label = name.fillna(out["track_id"])
    out["label"] = (label + " — " + artists.str.replace(";", ", ").fillna("?")).fillna(label)
    measured = _numeric(table, "valence")
    predicted = _numeric(table, "predicted_valence")
    own = (
        pd.to_numeric(out["track_id"].map(file_valence), errors="coerce")
        if file_valence is not None
        else pd.Series(np.nan, index=table.index)
    )
    source = table.get("feature_source", pd.Series("resolved", index=table.index)).astype(str)
    out["valence"] = own.fillna(measured).fillna(predicted)
    out["valence_source"] = np.select(
        [own.notna(), measured.notna(), predicted.notna()],
        ["your file", source, "predicted"],
        default="missing",
    )
    for col in ARC_FEATURES:
        if col != "valence":
            out[col] = _numeric(table, col)
    added = _column(upload_frame, "added_at")
    if added is not None and "track_id" in upload_frame:
        when = pd.Series(
            parse_added_at(upload_frame[added]).to_numpy(), index=upload_frame["track_id"]
        )
        when = when[~when.index.duplicated()]
        out["added_at"] = out["track_id"].map(when).to_numpy()
    else:
        out["added_at"] = pd.Series(pd.NaT, index=out.index, dtype="datetime64[ns, UTC]")
    return out.reset_index(drop=True)


def smooth(values: pd.Series | np.ndarray, bandwidth: float | None = None) -> np.ndarray:
    """A Gaussian kernel smoother over positions 0..n-1 that skips missing values.

    ``bandwidth`` (in positions) defaults to ``max(1.5, n / 12)``: a trend, not the wiggles.
    Positions too far from any known value (no weight) stay NaN.
    """
    y = np.asarray(values, dtype=float)
    n = len(y)
    if n == 0:
        return y
    bw = bandwidth or max(1.5, n / 12)
    ok = np.isfinite(y)
    pos = np.arange(n, dtype=float)
    w = np.exp(-0.5 * ((pos[:, None] - pos[None, ok]) / bw) ** 2)
    total = w.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (w @ y[ok]) / total
    out[total < 1e-9] = np.nan
    return out


def monthly(frame: pd.DataFrame) -> pd.DataFrame:
    """Mood by the month tracks were added: ``month``, ``tracks``, ``valence``, ``energy``."""
    dated = frame.dropna(subset=["added_at", "valence"])
    if dated.empty:
        return pd.DataFrame(columns=["month", "tracks", "valence", "energy"])
    month = dated["added_at"].dt.tz_convert(None).dt.to_period("M").dt.to_timestamp()
    out = dated.groupby(month).agg(
        tracks=("valence", "size"), valence=("valence", "mean"), energy=("energy", "mean")
    )
    return out.rename_axis("month").reset_index()


@dataclass
class Reorder:
    """A new playlist order and how smooth it is.

    ``order`` holds row positions of the arc frame in the new order (tracks without valence
    last, in their old order); the step sizes are mean distances between consecutive tracks
    in standardised feature space, before and after.
    """

    arc: str
    order: np.ndarray
    mean_step_before: float
    mean_step_after: float
    unplaced: int


def _standardised(frame: pd.DataFrame) -> np.ndarray:
    cols = [c for c in ARC_FEATURES if c in frame and frame[c].notna().any()]
    X = frame[cols].to_numpy(dtype=float)
    mean = np.nanmean(X, axis=0)
    X = np.where(np.isnan(X), mean, X)
    std = X.std(axis=0)
    return (X - X.mean(axis=0)) / np.where(std > 0, std, 1.0)


def mean_step(X: np.ndarray, order: np.ndarray) -> float:
    """Mean distance between consecutive rows of ``X`` taken in ``order``."""
    if len(order) < 2:
        return 0.0
    P = X[order]
    return float(np.linalg.norm(np.diff(P, axis=0), axis=1).mean())


def _nearest_chain(X: np.ndarray, start: int, D: np.ndarray | None = None) -> np.ndarray:
    """Greedy nearest-neighbour path through every row of ``X``, from ``start``.

    ``D`` (from :func:`_pairwise`) saves recomputing distances; without it they are computed
    row by row (large playlists).
    """
    n = len(X)
    visited = np.zeros(n, dtype=bool)
    path = np.empty(n, dtype=int)
    cur = start
    for i in range(n):
        path[i] = cur
        visited[cur] = True
        if i == n - 1:
            break
        d = D[cur].astype(float) if D is not None else ((X - X[cur]) ** 2).sum(axis=1)
        d[visited] = np.inf
        cur = int(np.argmin(d))
    return path


def _pairwise(X: np.ndarray) -> np.ndarray:
    """Euclidean distances between all rows of ``X`` (float32: 2,000 tracks take 16 MB).

    scipy's ``cdist`` loops in C without BLAS threads, which spin on a busy shared CPU.
    """
    return cdist(X, X).astype(np.float32)


def _two_opt(D: np.ndarray, path: np.ndarray, passes: int = TWO_OPT_PASSES) -> np.ndarray:
    """Improve an open path by 2-opt: reverse a segment when that shortens the path.

    The first track stays first (it is the playlist's opener). Each pass scans every edge once
    and applies the best reversal found for it; stops early when a pass changes nothing.
    ``D`` holds the pairwise distances (:func:`_pairwise`).
    """
    path = path.copy()
    n = len(path)
    if n < 4:
        return path
    for _ in range(passes):
        improved = False
        edge = D[path[:-1], path[1:]].astype(float)  # edge[k]: path[k] -> path[k+1]
        for i in range(n - 2):
            # reverse path[i+1 .. j] for j in i+2 .. n-1
            gain = D[path[i], path[i + 2 :]] - edge[i]
            gain[:-1] += D[path[i + 1], path[i + 3 :]] - edge[i + 2 :]
            j = int(np.argmin(gain))
            if gain[j] < -1e-6:
                j += i + 2
                path[i + 1 : j + 1] = path[i + 1 : j + 1][::-1].copy()
                hi = min(j + 1, n - 1)  # edges i .. j changed (edge j exists when j < n-1)
                edge[i:hi] = D[path[i:hi], path[i + 1 : hi + 1]]
                improved = True
        if not improved:
            break
    return path


def reorder(frame: pd.DataFrame, arc: str) -> Reorder:
    """Sort the playlist ``frame`` (from :func:`arc_frame`) into ``arc``.

    Parameters
    ----------
    frame
        The arc frame, in the current playlist order.
    arc
        One of ``ARCS``: ``rising``, ``falling``, ``peak`` (rises to the happiest track in
        the middle, then falls), ``smooth`` (nearest-neighbour chain from the current first
        track, improved by 2-opt, minimising the feature-space jump between neighbours).

    Returns
    -------
    Reorder
        The new order and the mean transition size before and after.

    Raises
    ------
    ValueError
        For an unknown arc.
    """
    if arc not in ARCS:
        raise ValueError(f"Unknown arc {arc!r}; choose one of {list(ARCS)}")
    valence = frame["valence"].to_numpy(dtype=float)
    placed = np.flatnonzero(np.isfinite(valence))
    rest = np.flatnonzero(~np.isfinite(valence))
    X = _standardised(frame) if len(frame) else np.zeros((0, 0))
    if arc == "smooth" and len(placed) > 1:
        # Over MAX_TWO_OPT tracks the distance matrix would not fit the memory budget: the
        # greedy chain alone (distances computed row by row).
        Xp = X[placed]
        D = _pairwise(Xp) if len(placed) <= MAX_TWO_OPT else None
        chain = _nearest_chain(Xp, 0, D)
        order = placed[_two_opt(D, chain) if D is not None else chain]
    else:
        by_valence = placed[np.argsort(valence[placed], kind="stable")]
        if arc == "falling":
            by_valence = placed[np.argsort(-valence[placed], kind="stable")]
        if arc == "peak":
            by_valence = np.concatenate([by_valence[0::2], by_valence[1::2][::-1]])
        order = by_valence
    full = np.concatenate([order, rest]).astype(int)
    return Reorder(
        arc=arc,
        order=full,
        mean_step_before=mean_step(X, placed),
        mean_step_after=mean_step(X, order),
        unplaced=len(rest),
    )


def export_frame(
    frame: pd.DataFrame,
    order: np.ndarray,
    table: pd.DataFrame,
    upload_frame: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """The playlist in ``order`` as an Exportify-style table.

    When the user uploaded an Exportify file (it has a ``Track URI`` column), their own rows and
    columns come back, reordered, exactly as read (so the file re-imports wherever the original
    would). Otherwise the columns are built from the lookup under Exportify's header names.

    Parameters
    ----------
    frame
        The arc frame (its ``track_id`` gives each position's track).
    order
        Row positions of ``frame`` in the new order (``Reorder.order``).
    table
        The lookup table (metadata and features, by ``track_id``).
    upload_frame
        The user's rows (``IdUpload.frame``), or None.
    """
    ids = frame["track_id"].to_numpy()[np.asarray(order, dtype=int)]
    if upload_frame is not None and _column(upload_frame, "track_uri") is not None:
        rows = upload_frame.drop_duplicates("track_id").set_index("track_id")
        out = rows.reindex(ids).reset_index(drop=True)
        if "track_id (as uploaded)" in out:
            out = out.rename(columns={"track_id (as uploaded)": "track_id"})
        return out
    info = table.drop_duplicates("track_id").set_index("track_id").reindex(ids)
    info = info.assign(track_uri=[f"spotify:track:{t}" for t in ids])
    if "artists" in info:
        info["artists"] = info["artists"].astype("string").str.replace(";", ", ")
    added = frame.set_index("track_id")["added_at"]
    if added.notna().any():
        info["added_at"] = (
            added[~added.index.duplicated()].reindex(ids).dt.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    cols = [c for c in EXPORTIFY_COLUMNS if c in info]
    return info[cols].rename(columns=EXPORTIFY_COLUMNS).reset_index(drop=True)
