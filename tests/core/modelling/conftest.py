"""Fixtures shared by the modelling tests."""

from __future__ import annotations

import pandas as pd
import pytest

from core.catalog import data
from tests.conftest import make_synthetic_tracks


@pytest.fixture(scope="module")
def lab_df() -> pd.DataFrame:
    """A cleaned 400-track synthetic catalog with three genres."""
    raw = make_synthetic_tracks(400, 3, seed=2)
    return data.load_upload(raw.to_csv(index=False).encode(), "syn.csv").df
