"""Feature sets: which catalog columns go into a model, and the numeric matrix built from them.

``audio``       the Spotify audio features (valence excluded when it is the target);
``context``     audio + popularity, explicit and release year where the source has them;
``all``         context + one-hot genre and subgenre (only for targets other than genre);
``engineered``  all + inputs derived from the raw rows and the text of titles and albums:
                multi-hot of every genre and subgenre a track was listed under (valence tasks
                only), number of playlists, release month, title/album flags, title length and
                word count, and a stacked TF-IDF text score (:mod:`core.modelling.textscore`).

A dataset without some of these columns (the 114k set, uploads) gets the inputs it can
support; :func:`missing_inputs` says which ones it lacks and why.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from core.catalog.schema import AUDIO_COLUMNS, CONTEXT_COLUMNS

FEATURE_SETS: dict[str, str] = {
    "audio": "Audio features only",
    "context": "Audio + context (popularity, explicit, release year)",
    "all": "Audio + context + genre/subgenre one-hot",
    "engineered": "All + engineered (playlists, month, title flags, text score)",
}
#: Tasks whose target is a genre label (genre columns can never be inputs to them).
GENRE_TASKS = frozenset({"genre", "subgenre", "genre-group"})
#: Columns holding ';'-separated lists, turned into multi-hot indicators.
MULTI_HOT: tuple[str, ...] = ("genres", "subgenres")
#: The stacked text score (fitted on labels with inner folds; see core.modelling.textscore).
TEXT_SCORE = "text_score"

_FLAGS: dict[str, tuple[str, str]] = {
    # name: (catalog column, case-insensitive regex)
    "title_remix": ("track_name", r"\bremix|\brmx\b|\bmix\)|\bbootleg\b|\brework\b"),
    "title_feat": ("track_name", r"\bfeat\.?\b|\bft\.?\s|\bfeaturing\b|\bwith\s"),
    "title_live": ("track_name", r"\blive\b"),
    "title_remaster": ("track_name", r"\bremaster"),
    "title_edit": ("track_name", r"\bedit\b|\bversion\b|\bradio\b"),
    "title_acoustic": ("track_name", r"\bacoustic\b|\bunplugged\b|\bpiano\b"),
    "title_christmas": ("track_name", r"christmas|xmas|santa|navidad|\bsnow"),
    "title_love": ("track_name", r"\blove\b|\bamor\b|\bheart"),
    "title_sad": ("track_name", r"\bsad\b|\bcry|\btears?\b|\blonely\b|\bdie\b|\bdead\b|\bdark"),
    "title_dance": ("track_name", r"\bdance\b|\bparty\b|\bsummer\b|\bbaila"),
    "album_remix": ("album_name", r"\bremix|\bmixes\b|\brmx\b"),
    "album_live": ("album_name", r"\blive\b"),
    "album_christmas": ("album_name", r"christmas|xmas|navidad|holiday"),
    "album_hits": ("album_name", r"\bhits\b|\bbest of\b|\bcollection\b|\bgreatest\b|\banthology"),
    "album_deluxe": ("album_name", r"\bdeluxe\b|\bexpanded\b|\bedition\b|\banniversary\b"),
    "album_soundtrack": ("album_name", r"soundtrack|\bost\b|motion picture|\bfrom the\b"),
    "album_remaster": ("album_name", r"\bremaster"),
    "album_is_title": ("album_name", ""),  # single: album named like the track
}


#: "(feat. X)", "[Remix]" or " - Radio Edit" at the end of a title.
_TITLE_TAIL = r"\s*[\(\[].*$|\s+-\s+.*$"


def _text(df: pd.DataFrame, column: str) -> pd.Series:
    if column not in df:
        return pd.Series(pd.NA, index=df.index, dtype="string")
    return df[column].astype("string")


def _flag(name: str) -> Callable[[pd.DataFrame], pd.Series]:
    column, pattern = _FLAGS[name]

    def compute(df: pd.DataFrame) -> pd.Series:
        text = _text(df, column)
        if name == "album_is_title":  # a single: album named like the title's core
            title = _text(df, "track_name").str.lower().str.replace(_TITLE_TAIL, "", regex=True)
            album = text.str.lower().str.replace(_TITLE_TAIL, "", regex=True)
            same = album.str.strip() == title.str.strip()
        else:
            same = text.str.contains(pattern, flags=re.IGNORECASE, regex=True)
        return same.astype("Float64").astype("float64")

    return compute


def _title_length(df: pd.DataFrame) -> pd.Series:
    return _text(df, "track_name").str.len().astype("Float64").astype("float64")


def _title_words(df: pd.DataFrame) -> pd.Series:
    words = _text(df, "track_name").str.split().str.len()
    return words.astype("Float64").astype("float64")


#: Derived numeric inputs: name -> (source columns it needs, function of the catalog frame).
DERIVED: dict[str, tuple[tuple[str, ...], Callable[[pd.DataFrame], pd.Series]]] = {
    "title_length": (("track_name",), _title_length),
    "title_words": (("track_name",), _title_words),
    **{
        name: ((col,) if name != "album_is_title" else (col, "track_name"), _flag(name))
        for name, (col, _) in _FLAGS.items()
    },
}
#: Engineered inputs in menu order (before the derived ones): raw catalog columns.
ENGINEERED_RAW: tuple[str, ...] = ("n_playlists", "release_month")
ENGINEERED_LABELS: dict[str, str] = {
    "genres": "multi-hot of every playlist genre",
    "subgenres": "multi-hot of every playlist subgenre",
    "n_playlists": "number of playlists",
    "release_month": "release month",
    "title_length": "title length",
    "title_words": "title word count",
    TEXT_SCORE: "stacked TF-IDF text score (title + album)",
}


def audio_columns(df: pd.DataFrame, task: str = "valence") -> list[str]:
    """Audio feature columns present in ``df`` (valence left out for valence tasks)."""
    drop_valence = task in {"valence", "valence-class"}
    return [c for c in AUDIO_COLUMNS if c in df and not (drop_valence and c == "valence")]


def _usable(df: pd.DataFrame, column: str) -> bool:
    return column in df and bool(df[column].notna().any())


def _varies(df: pd.DataFrame, column: str) -> bool:
    return _usable(df, column) and df[column].nunique(dropna=True) > 1


def engineered_candidates(task: str) -> list[str]:
    """Every engineered input a task could use, in order (genre lists only for non-genre tasks)."""
    names = [] if task in GENRE_TASKS else list(MULTI_HOT)
    return names + list(ENGINEERED_RAW) + list(DERIVED) + [TEXT_SCORE]


def _engineered_status(df: pd.DataFrame, name: str) -> str | None:
    """None when ``df`` supports an engineered input, else why not."""
    if name in MULTI_HOT or name in ENGINEERED_RAW:
        if not _usable(df, name):
            return f"the dataset has no {name} column"
        if not _varies(df, name):
            return f"{name} is the same for every track"
        return None
    needs = DERIVED[name][0] if name in DERIVED else ("track_name", "album_name")
    have = [c for c in needs if _usable(df, c)]
    if name == TEXT_SCORE:
        return None if have else "the dataset has no track or album names"
    return None if len(have) == len(needs) else f"the dataset has no {' / '.join(needs)}"


def missing_inputs(df: pd.DataFrame, feature_set: str, task: str = "valence") -> dict[str, str]:
    """Engineered inputs the dataset cannot support: input -> reason (empty when none)."""
    if feature_set != "engineered":
        return {}
    out = {}
    for name in engineered_candidates(task):
        reason = _engineered_status(df, name)
        if reason is not None:
            out[name] = reason
    return out


def input_columns(df: pd.DataFrame, feature_set: str, task: str = "valence") -> list[str]:
    """Raw catalog columns (and derived inputs) a feature set uses for a task."""
    if feature_set not in FEATURE_SETS:
        raise ValueError(f"Unknown feature set {feature_set!r}; choose one of {list(FEATURE_SETS)}")
    cols = audio_columns(df, task)
    if feature_set in {"context", "all", "engineered"}:
        cols += [c for c in CONTEXT_COLUMNS if c in df and df[c].notna().any()]
    if feature_set in {"all", "engineered"} and task not in GENRE_TASKS:
        cols += [c for c in ("genre", "subgenre") if c in df and df[c].notna().any()]
    if feature_set == "engineered":
        cols += [n for n in engineered_candidates(task) if _engineered_status(df, n) is None]
    return cols


def _split_levels(values: pd.Series) -> list[str]:
    items = values.dropna().astype(str).str.split(";").explode().str.strip()
    return sorted(items[items != ""].unique().tolist())


def categorical_levels(df: pd.DataFrame, columns: Sequence[str]) -> dict[str, list[str]]:
    """Sorted levels of the categorical and multi-hot columns among ``columns`` (fixed at fit)."""
    levels = {
        c: sorted(df[c].dropna().astype(str).unique().tolist())
        for c in columns
        if c in ("genre", "subgenre")
    }
    levels |= {c: _split_levels(df[c]) for c in columns if c in MULTI_HOT and c in df}
    return levels


def _multi_hot(values: pd.Series, levels: list[str]) -> dict[str, pd.Series]:
    cleaned = values.astype("string").fillna("").str.replace(r"\s*;\s*", ";", regex=True)
    dummies = cleaned.str.strip().str.get_dummies(sep=";")
    dummies = dummies.reindex(columns=levels, fill_value=0).astype("float64")
    return {level: dummies[level] for level in levels}


def build_matrix(
    df: pd.DataFrame,
    columns: Sequence[str],
    levels: dict[str, list[str]] | None = None,
    text_scores: np.ndarray | None = None,
) -> pd.DataFrame:
    """Numeric float matrix from raw columns: booleans as 0/1, categoricals one-hot on ``levels``.

    Missing context values (e.g. an unknown release year) are left as NaN; tree models handle
    them and the other models' pipelines impute. Multi-hot columns get one indicator per level;
    derived inputs are computed from the text columns; ``text_score`` takes ``text_scores``
    (rows x outputs) or NaN when none are given.
    """
    levels = levels if levels is not None else categorical_levels(df, columns)
    parts: dict[str, Any] = {}
    for col in columns:
        if col == TEXT_SCORE:
            names = [f"{col}={lv}" for lv in levels[col]] if col in levels else [col]
            values = (
                np.full((len(df), len(names)), np.nan)
                if text_scores is None
                else np.asarray(text_scores, float).reshape(len(df), -1)
            )
            for j, name in enumerate(names):
                parts[name] = pd.Series(values[:, j], index=df.index)
        elif col in MULTI_HOT and col in levels:
            values = df[col] if col in df else pd.Series(pd.NA, index=df.index)
            for level, series in _multi_hot(values, levels[col]).items():
                parts[f"{col}={level}"] = series
        elif col in levels:
            values = df[col].astype("string") if col in df else pd.Series(pd.NA, index=df.index)
            for level in levels[col]:
                parts[f"{col}={level}"] = (values == level).fillna(False).astype("float64")
        elif col in DERIVED:
            parts[col] = DERIVED[col][1](df)
        elif col in df:
            parts[col] = pd.to_numeric(df[col].astype("Float64"), errors="coerce").astype("float64")
        else:
            parts[col] = pd.Series(float("nan"), index=df.index)
    return pd.DataFrame(parts, index=df.index)
