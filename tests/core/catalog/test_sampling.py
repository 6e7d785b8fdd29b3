"""core.catalog.sampling: the one sampling helper."""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.catalog.sampling import sample_positions, sample_rows


def _frame(n: int) -> pd.DataFrame:
    return pd.DataFrame({"x": np.arange(n)}, index=np.arange(n) * 10)


def test_sample_rows_is_seeded_bounded_and_keeps_labels():
    df = _frame(500)
    a, b = sample_rows(df, 50, seed=3), sample_rows(df, 50, seed=3)
    assert len(a) == 50 and a.index.equals(b.index)
    assert set(a.index) <= set(df.index) and a.index.is_unique
    assert not sample_rows(df, 50, seed=4).index.equals(a.index)
    assert sample_rows(df, 500) is df and sample_rows(df, None) is df


def test_keep_order_returns_the_same_rows_in_catalog_order():
    df = _frame(500)
    drawn = sample_rows(df, 80, seed=1)
    ordered = sample_rows(df, 80, seed=1, keep_order=True)
    assert set(drawn.index) == set(ordered.index)
    assert ordered.index.is_monotonic_increasing and not drawn.index.is_monotonic_increasing


def test_sample_positions_are_sorted_unique_and_seeded():
    pos = sample_positions(1_000, 100, seed=2)
    assert len(pos) == 100 and np.all(np.diff(pos) > 0) and pos.max() < 1_000
    assert np.array_equal(pos, sample_positions(1_000, 100, seed=2))
    assert np.array_equal(sample_positions(7, 100), np.arange(7))
