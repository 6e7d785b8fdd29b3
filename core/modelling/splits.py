"""Honest splits: grouped by primary artist so no artist is on both sides, with a fixed seed.

The naive random split exists only to show how much a leaky split flatters a model.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sklearn.model_selection import (
    GroupKFold,
    GroupShuffleSplit,
    KFold,
    ShuffleSplit,
    StratifiedKFold,
)

from core.catalog.schema import arrow_text

SPLITS: dict[str, str] = {
    "grouped": "Grouped by primary artist (honest)",
    "random": "Naive random split (leaky, for comparison)",
}
GROUP_COLUMN = "primary_artist"


def artist_groups(df: pd.DataFrame) -> np.ndarray:
    """Group label of each row: its primary artist (rows without one form their own group)."""
    return _group_names(df).to_numpy(zero_copy_only=False).astype(object)


def _group_names(df: pd.DataFrame) -> pa.Array:
    """Primary artists as Arrow strings; a row without one is named ``__row<position>``."""
    if GROUP_COLUMN in df:
        names = arrow_text(df[GROUP_COLUMN])
    else:
        names = pa.nulls(len(df), pa.large_string())
    missing = names.is_null()
    if pc.any(missing).as_py():  # fallback names for those rows only (f-strings for 1M: 0.5 s)
        rows = np.flatnonzero(missing.to_numpy(zero_copy_only=False))
        fallback = pa.array([f"__row{i}" for i in rows], type=names.type)
        names = pc.replace_with_mask(names, missing, fallback)
    return names


def group_codes(df: pd.DataFrame) -> np.ndarray:
    """Each row's group as an integer, numbered in the sorted order of the group names.

    Splitters given these codes make exactly the splits the names make (they number groups
    by sorting them), without sorting a million Python strings: Arrow codes the names and
    sorts only the distinct ones (UTF-8 byte order is Python's code-point order). A grouped
    split of 1M tracks took 5.2 s with the names.
    """
    encoded = pc.dictionary_encode(_group_names(df))
    order = pc.sort_indices(encoded.dictionary).to_numpy()
    rank = np.empty(len(order), dtype=np.int64)
    rank[order] = np.arange(len(order))
    return rank[encoded.indices.to_numpy()]


def _check(df: pd.DataFrame, test_size: float) -> None:
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be between 0 and 1, got {test_size}")
    if len(df) < 4:
        raise ValueError(f"Need at least 4 rows to split, got {len(df)}")


def grouped_split(
    df: pd.DataFrame, test_size: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Positional train/test indices with no primary artist on both sides.

    Parameters
    ----------
    df : pandas.DataFrame
        Catalog rows (``primary_artist`` is used as the group).
    test_size : float
        Share of artists (approximately of rows) held out.
    seed : int
        Seed of the shuffle.

    Returns
    -------
    tuple of numpy.ndarray
        Train and test positions into ``df``.
    """
    _check(df, test_size)
    groups = group_codes(df)
    if groups.max(initial=0) < 1:
        raise ValueError("A grouped split needs at least two artists.")
    splitter = GroupShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(df)), groups=groups))
    return np.sort(train), np.sort(test)


def random_split(
    df: pd.DataFrame, test_size: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Positional train/test indices of a naive (leaky) row-level random split."""
    _check(df, test_size)
    splitter = ShuffleSplit(n_splits=1, test_size=test_size, random_state=seed)
    train, test = next(splitter.split(np.zeros(len(df))))
    return np.sort(train), np.sort(test)


def group_folds(
    groups: np.ndarray, k: int = 5, seed: int | None = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` folds over rows labelled by ``groups``, no group in two folds (positional indices).

    ``seed`` shuffles which groups share a fold; None keeps scikit-learn's deterministic
    size-balanced assignment.
    """
    # integer codes in the sorted order of the names: the same folds as the names give, but
    # scikit-learn's np.isin over object arrays took ~1 s per fold on 28k tracks
    if not np.issubdtype(np.asarray(groups).dtype, np.integer):  # codes (group_codes) as they are
        groups = np.unique(np.asarray(groups, dtype=object).astype(str), return_inverse=True)[1]
    if k < 2:
        raise ValueError(f"Cross-validation needs at least 2 folds, got {k}")
    if len(set(groups)) < k:
        raise ValueError(f"{k} grouped folds need at least {k} artists.")
    if seed is None:
        splitter = GroupKFold(n_splits=k)
    else:
        splitter = GroupKFold(n_splits=k, shuffle=True, random_state=seed)
    return list(splitter.split(np.zeros(len(groups)), groups=groups))


def grouped_folds(
    df: pd.DataFrame, k: int = 5, seed: int | None = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` grouped folds by primary artist as positional indices (see :func:`group_folds`)."""
    return group_folds(group_codes(df), k, seed)


def stratified_folds(labels: np.ndarray, k: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Up to ``k`` stratified folds of class ``labels`` (fewer when the rarest class is small)."""
    y = np.asarray(labels, dtype=object).astype(str)
    k = max(2, min(k, int(pd.Series(y).value_counts().min())))
    return list(StratifiedKFold(n_splits=k).split(np.zeros(len(y)), y))


def count_groups(df: pd.DataFrame) -> int:
    """Distinct primary artists (rows without one count as their own group)."""
    return len(pc.unique(_group_names(df)))


def random_folds(
    df: pd.DataFrame, k: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """``k`` naive shuffled folds (leaky across artists) as positional indices."""
    if k < 2 or k > len(df):
        raise ValueError(f"Cross-validation needs between 2 and {len(df)} folds, got {k}")
    return list(KFold(n_splits=k, shuffle=True, random_state=seed).split(np.zeros(len(df))))


def make_split(
    df: pd.DataFrame, split: str = "grouped", test_size: float = 0.2, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test positions for a split kind (``grouped`` or ``random``)."""
    if split == "grouped":
        return grouped_split(df, test_size, seed)
    if split == "random":
        return random_split(df, test_size, seed)
    raise ValueError(f"Unknown split {split!r}; choose one of {list(SPLITS)}")


def make_folds(
    df: pd.DataFrame, split: str = "grouped", k: int = 5, seed: int = 0
) -> list[tuple[np.ndarray, np.ndarray]]:
    """Cross-validation folds for a split kind."""
    if split == "grouped":
        return grouped_folds(df, k, seed)
    if split == "random":
        return random_folds(df, k, seed)
    raise ValueError(f"Unknown split {split!r}; choose one of {list(SPLITS)}")
