"""Results of a lookup: predictions, genre top-3, neighbours, explanation, summary, CSV.

What the Track lookup page shows about resolved tracks, as pure functions of the resolved table.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sklearn.neighbors import NearestNeighbors
from sklearn.preprocessing import StandardScaler

from core import compute
from core.catalog.schema import SOUND_FEATURES
from core.explain.shapley import ShapResult, shap_values
from core.modelling.models import TrainedModel
from core.safety import csv_bytes

log = logging.getLogger(__name__)

#: Standardised features that define "sounds like": the continuous ones but duration.
NEIGHBOUR_FEATURES: tuple[str, ...] = SOUND_FEATURES
# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
RESULT_COLUMNS: tuple[str, ...] = (
    "predicted_valence", "valence_diff", "genre_1", "genre_1_p", "genre_2", "genre_2_p",
    "genre_3", "genre_3_p",
)  # fmt: skip


def add_predictions(
    table: pd.DataFrame,
    valence_model: TrainedModel,
    genre_model: TrainedModel | None = None,
    on_wait: compute.WaitFn | None = None,
) -> pd.DataFrame:
    """Predicted valence, its difference from the measured one, and the genre top-3.

    Parameters
    ----------
    table
        ``Resolution.table``; rows without features get NaN predictions.
    valence_model
        A valence regressor (``TrainedModel``).
    genre_model
        A genre classifier, or None to skip the genre guess.
    on_wait
        Called with the number of jobs ahead while the CPU gate queues the predictions.

    Returns
    -------
    pandas.DataFrame
        A copy of ``table`` with ``predicted_valence``, ``valence_diff`` (predicted − actual)
        and ``genre_k`` / ``genre_k_p`` for k = 1..3.
    """
    out = table.copy()
    for col in RESULT_COLUMNS:
        out[col] = np.nan if col.endswith(("_p", "valence", "diff")) else None
    ok = out["feature_source"].ne("missing")
    if not ok.any():
        return out
    rows = out.loc[ok]
    with compute.slot("lookup predictions", on_wait, max_threads=1):  # the lookup's CPU part
        out.loc[ok, "predicted_valence"] = valence_model.predict(rows)
        proba = None
        if genre_model is not None and genre_model.is_classifier:
            proba = genre_model.predict_proba(rows).to_numpy()
    out["valence_diff"] = out["predicted_valence"] - pd.to_numeric(out["valence"], errors="coerce")
    if proba is not None:
        classes = np.asarray(genre_model.classes_, dtype=object)
        top = np.argsort(-proba, axis=1)[:, :3]
        for k in range(min(3, proba.shape[1])):
            out.loc[ok, f"genre_{k + 1}"] = classes[top[:, k]]
            out.loc[ok, f"genre_{k + 1}_p"] = proba[np.arange(len(rows)), top[:, k]]
    return out


@dataclass
class NeighbourIndex:
    """A fitted nearest-neighbour index over a catalog's standardised audio features."""

    scaler: StandardScaler
    nn: NearestNeighbors
    columns: list[str]


def fit_neighbours(
    catalog_df: pd.DataFrame, k: int = 6, on_wait: compute.WaitFn | None = None
) -> NeighbourIndex:
    """Fit the "sounds like" index on a catalog (once per catalog; the UI caches it).

    Parameters
    ----------
    catalog_df
        The catalog table.
    k
        Neighbours to ask for by default (one extra lets a catalog track skip itself).
    on_wait
        Called with the number of jobs ahead while the CPU gate queues the fit.
    """
    cols = [c for c in NEIGHBOUR_FEATURES if c in catalog_df]
    X = catalog_df[cols].to_numpy(dtype=float)
    with compute.slot("neighbour index", on_wait, max_threads=1):
        scaler = StandardScaler().fit(X)
        nn = NearestNeighbors(n_neighbors=min(k, len(X)), n_jobs=1).fit(scaler.transform(X))
    return NeighbourIndex(scaler, nn, cols)


def nearest_tracks(
    index: NeighbourIndex, catalog_df: pd.DataFrame, track: pd.Series, k: int = 5
) -> pd.DataFrame:
    """The ``k`` catalog tracks closest to ``track`` (itself excluded), with distances.

    Returns
    -------
    pandas.DataFrame
        Catalog rows (name, artists, genre, valence, energy …) plus ``distance``.
    """
    x = np.array([[float(track[c]) for c in index.columns]])
    if np.isnan(x).any():
        return pd.DataFrame()
    dist, pos = index.nn.kneighbors(
        index.scaler.transform(x), n_neighbors=min(k + 1, index.nn.n_samples_fit_)
    )
    rows = catalog_df.iloc[pos[0]].copy()
    rows["distance"] = dist[0]
    if "track_id" in rows:
        rows = rows[rows["track_id"] != track.get("track_id")]
    keep = [
        c
        for c in (
            "track_id",
            "track_name",
            "artists",
            "genre",
            "valence",
            "energy",
            "danceability",
            "distance",
        )
        if c in rows
    ]
    return rows[keep].head(k).reset_index(drop=True)


def explain_track(
    model: TrainedModel,
    row: pd.DataFrame,
    catalog_df: pd.DataFrame,
    *,
    seed: int = 0,
) -> ShapResult:
    """SHAP values of one track's prediction (``core.explain.shapley``), the track at position 0.

    The catalog serves as the background the model-agnostic path (MLP, linear models) needs;
    tree models explain the track exactly.

    Parameters
    ----------
    model
        A fitted valence ``TrainedModel``.
    row
        One resolved track (catalog-shaped columns).
    catalog_df
        The catalog the background rows come from.
    seed
        Seed of the background sample and of the sampled explainer.
    """
    cols = list(model.raw_columns)  # derived inputs (title flags, text score) need their text
    track = row.reindex(columns=cols).reset_index(drop=True)
    return shap_values(model, track, max_rows=1, seed=seed, background=catalog_df)


def summarise(table: pd.DataFrame, catalog_df: pd.DataFrame) -> dict[str, Any]:
    """Headline facts: counts, mean valence vs the catalog, the happiest and saddest tracks.

    Valence is the measured one where known, else the predicted one.
    """
    val = pd.to_numeric(table["valence"], errors="coerce")
    if "predicted_valence" in table:
        val = val.fillna(pd.to_numeric(table["predicted_valence"], errors="coerce"))
    ranked = table.assign(_v=val).dropna(subset=["_v"]).sort_values("_v")
    cols = [c for c in ("track_name", "artists", "_v") if c in ranked]
    return {
        "n": len(table),
        "n_resolved": int(val.notna().sum()),
        "mean_valence": float(val.mean()) if val.notna().any() else None,
        "catalog_mean_valence": float(catalog_df["valence"].mean()),
        "happiest": ranked[cols].tail(3).iloc[::-1].rename(columns={"_v": "valence"}),
        "saddest": ranked[cols].head(3).rename(columns={"_v": "valence"}),
    }


#: Prefix of every column the app adds to a user's file in the enriched CSV.
ENRICHED_PREFIX = "vl_"


def enriched_frame(table: pd.DataFrame, user_frame: pd.DataFrame | None = None) -> pd.DataFrame:
    """The user's columns once, as they came, then ours, each prefixed ``vl_``; one row per track.

    Without a user file the resolved columns keep their own names.
    """
    resolved = table.drop(columns=["image_url"], errors="ignore")
    if user_frame is None or user_frame.empty:
        return resolved.reset_index(drop=True)
    user = user_frame.drop_duplicates("track_id")
    ours = resolved.rename(
        columns={c: f"{ENRICHED_PREFIX}{c}" for c in resolved.columns if c != "track_id"}
    )
    return user.merge(ours, on="track_id", how="left")


def enriched_csv(table: pd.DataFrame, user_frame: pd.DataFrame | None = None) -> bytes:
    """``enriched_frame`` as spreadsheet-safe UTF-8 CSV bytes."""
    return csv_bytes(enriched_frame(table, user_frame))


def enriched_file_name(upload_name: str | None) -> str:
    """``<upload stem>_valence_lab.csv`` (safe characters only), or a generic name."""
    stem = re.sub(r"\.(csv|tsv|txt)$", "", str(upload_name or ""), flags=re.I)
    stem = re.sub(r"[^0-9A-Za-z._ -]+", "_", stem).strip(" ._-")[:80]
    return f"{stem}_valence_lab.csv" if stem else "valence_lab_lookup.csv"


def format_duration(ms: object) -> str:
    """``3:42`` from milliseconds ('' when unknown)."""
    try:
        value = float(ms)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""
    if not np.isfinite(value) or value <= 0:
        return ""
    seconds = int(round(value / 1000))
    return f"{seconds // 60}:{seconds % 60:02d}"


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def track_label(row: Any) -> str:
    """``Title — Artist · Album (2004) · 3:42``: enough to tell releases of a song apart."""
    get = row.get if hasattr(row, "get") else lambda k, d=None: getattr(row, k, d)
    name = _text(get("track_name")) or _text(get("track_id")) or "(unknown track)"
    artists = _text(get("artists")).replace(";", ", ")
    label = f"{name} — {artists}" if artists else name
    album = _text(get("album_name"))
    year = get("release_year")
    if year is None or (isinstance(year, float) and np.isnan(year)) or year is pd.NA:
        year = _text(get("release_date"))[:4]
    year = str(int(year)) if isinstance(year, int | float | np.integer) else str(year or "")
    extra = [f"{album} ({year})" if album and year else album or year]
    extra.append(format_duration(get("duration_ms")))
    extra = [e for e in extra if e]
    return " · ".join([label, *extra])


def unique_labels(rows: pd.DataFrame) -> dict[Any, str]:
    """``track_label`` of each row by index; rows that would read the same get their id added."""
    labels = {i: track_label(r) for i, r in rows.iterrows()}
    seen = pd.Series(list(labels.values())).value_counts()
    for i, label in labels.items():
        if seen[label] > 1:
            tid = _text(rows.loc[i].get("track_id")) or str(i)
            labels[i] = f"{label} · id {tid}"
    return labels


def genre_vocabulary_note(
    classes: list[str], user_genres: pd.Series | None = None
) -> tuple[str, int]:
    """Say that genre guesses can only be the model's catalog genres, and who that misleads.

    Parameters
    ----------
    classes
        The genre model's labels.
    user_genres
        The user's own genre text per track (e.g. Exportify's comma-separated artist genres),
        or None.

    Returns
    -------
    (str, int)
        The note, and how many of the user's tracks carry a genre outside the vocabulary.
    """
    vocab = sorted(str(c) for c in classes)
    shown = ", ".join(vocab[:12]) + (f" and {len(vocab) - 12} more" if len(vocab) > 12 else "")
    base = (
        f"Genre guesses are the nearest of the catalog's {len(vocab)} genres ({shown}); "
        "a track of another genre still gets one of these."
    )
    if user_genres is None:
        return base, 0
    lowered = [v.lower() for v in vocab]
    outside: dict[str, int] = {}
    n_out = 0
    for text in user_genres.dropna().astype(str):
        tokens = [t.strip().lower() for t in re.split(r"[,;|]", text) if t.strip()]
        if not tokens:
            continue
        if not any(v == t or v in t.split() or v in t for t in tokens for v in lowered):
            n_out += 1
            for t in tokens[:2]:
                outside[t] = outside.get(t, 0) + 1
    if not n_out:
        return base, 0
    top = ", ".join(g for g, _ in sorted(outside.items(), key=lambda kv: -kv[1])[:5])
    n_all = int(user_genres.notna().sum())
    return (
        f"{n_out:,} of your {n_all:,} tracks have genres the catalog does not have ({top}). "
        f"Their guesses can only be one of the catalog's {len(vocab)} genres ({shown}): they "
        "are the nearest catalog genres, not your tracks' genre.",
        n_out,
    )


def hit_label(hit: dict[str, Any]) -> str:
    """A search hit as "title — artist, artist · album (year) · 3:42"."""
    return track_label(hit)


def genre_guess(table: pd.DataFrame) -> list[str]:
    """Per row, the genre top-3 as "pop 61% · rock 20% · ..." (empty without a genre model)."""
    out = []
    for r in table.itertuples():
        pairs = [
            (getattr(r, f"genre_{i}", None), getattr(r, f"genre_{i}_p", None)) for i in (1, 2, 3)
        ]
        out.append(" · ".join(f"{g} {p:.0%}" for g, p in pairs if isinstance(g, str)))
    return out
