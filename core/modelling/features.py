"""Feature sets: which catalog columns go into a model, and the numeric matrix built from them.

``audio``   the Spotify audio features (valence excluded when it is the target);
``context`` audio + popularity, explicit and release year where the source has them;
``all``     context + one-hot genre and subgenre (only for targets other than genre).
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from core.catalog.schema import AUDIO_COLUMNS, CONTEXT_COLUMNS

FEATURE_SETS: dict[str, str] = {
    "audio": "Audio features only",
    "context": "Audio + context (popularity, explicit, release year)",
    "all": "Audio + context + genre/subgenre one-hot",
}
#: Tasks whose target is a genre label (genre columns can never be inputs to them).
GENRE_TASKS = frozenset({"genre", "subgenre", "genre-group"})


def audio_columns(df: pd.DataFrame, task: str = "valence") -> list[str]:
    """Audio feature columns present in ``df`` (valence left out for valence tasks)."""
    drop_valence = task in {"valence", "valence-class"}
    return [c for c in AUDIO_COLUMNS if c in df and not (drop_valence and c == "valence")]


def input_columns(df: pd.DataFrame, feature_set: str, task: str = "valence") -> list[str]:
    """Raw catalog columns a feature set uses for a task."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"Unknown feature set {feature_set!r}; choose one of {list(FEATURE_SETS)}")
    cols = audio_columns(df, task)
    if feature_set in {"context", "all"}:
        cols += [c for c in CONTEXT_COLUMNS if c in df and df[c].notna().any()]
    if feature_set == "all" and task not in GENRE_TASKS:
        cols += [c for c in ("genre", "subgenre") if c in df and df[c].notna().any()]
    return cols


def categorical_levels(df: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """Sorted levels of the categorical columns among ``columns`` (fixed at training time)."""
    return {
        c: sorted(df[c].dropna().astype(str).unique().tolist())
        for c in columns
        if c in ("genre", "subgenre")
    }


def build_matrix(
    df: pd.DataFrame, columns: Sequence[str], levels: dict[str, list[str]] | None = None
) -> pd.DataFrame:
    """Numeric float matrix from raw columns: booleans as 0/1, categoricals one-hot on ``levels``.

    Missing context values (e.g. an unknown release year) are left as NaN; tree models handle
    them and the other models' pipelines impute.
    """
    levels = levels if levels is not None else categorical_levels(df, columns)
    parts: dict[str, pd.Series] = {}
    for col in columns:
        if col in levels:
            values = df[col].astype("string") if col in df else pd.Series(pd.NA, index=df.index)
            for level in levels[col]:
                parts[f"{col}={level}"] = (values == level).fillna(False).astype("float64")
        elif col in df:
            parts[col] = pd.to_numeric(df[col].astype("Float64"), errors="coerce").astype("float64")
        else:
            parts[col] = pd.Series(float("nan"), index=df.index)
    return pd.DataFrame(parts, index=df.index)
