"""The one sampling helper: seeded, reproducible subsets of catalog rows or positions.

``sample_rows`` draws rows of a frame (pandas' seeded ``sample``, so a seed picks the same tracks
as it always has); ``sample_positions`` draws sorted positions with numpy's ``default_rng`` for
code that works on arrays (training curves, silhouettes, mixture fits, permutation importance).
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def sample_rows(
    df: pd.DataFrame, max_rows: int | None, seed: int = 0, *, keep_order: bool = False
) -> pd.DataFrame:
    """A seeded sample of at most ``max_rows`` rows (``df`` itself when it has no more).

    Parameters
    ----------
    df
        Rows to sample; index labels are kept.
    max_rows
        Rows wanted; None means all.
    seed
        Seed of the draw.
    keep_order
        Return the sample in ``df``'s order (sorted by index) instead of draw order.
    """
    if max_rows is None or len(df) <= max_rows:
        return df
    sample = df.sample(n=int(max_rows), random_state=seed)
    return sample.sort_index() if keep_order else sample


def sample_positions(n: int, max_rows: int, seed: int = 0) -> np.ndarray:
    """Sorted positions of a seeded sample of at most ``max_rows`` of ``n`` rows."""
    if n <= max_rows:
        return np.arange(n)
    return np.sort(np.random.default_rng(seed).choice(n, int(max_rows), replace=False))
