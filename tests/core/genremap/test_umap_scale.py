"""UMAP at scale: fit on a stated sample, place the other rows with transform in chunks."""

from __future__ import annotations

import numpy as np
import pytest

from core.genremap import projection
from tests.conftest import make_synthetic_tracks

pytestmark = pytest.mark.timeout(600)


def test_fit_on_a_sample_and_transform_the_rest(tmp_path, monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_CACHE_DIR", str(tmp_path))
    df = make_synthetic_tracks(1500, n_genres=3, seed=2)
    feats = projection.default_features(df)
    seen = []
    layout = projection.umap_layout(
        df,
        feats,
        n_neighbors=10,
        fit_size=400,
        source_id="t",
        checksum="c",
        on_progress=lambda p: seen.append(p.message),
    )
    assert layout.coords.shape == (1500, 2) and np.isfinite(layout.coords).all()
    assert any("random sample of 400 of 1,500" in m for m in seen)
    assert sum(m.startswith("Placed") for m in seen) == 1  # 1,100 rows: one chunk of 50,000
    # transformed rows land among the fitted ones: the spread is of the same size
    spread = np.ptp(layout.coords, axis=0)
    assert (spread > 1.0).all() and (spread < 100).all()
    # genres that differ in energy stay apart on the map for transformed rows too
    centre = {g: layout.coords[(df["genre"] == g).to_numpy()].mean(axis=0) for g in ("g0", "g2")}
    assert np.linalg.norm(centre["g0"] - centre["g2"]) > 0.5
    again = projection.umap_layout(
        df, feats, n_neighbors=10, fit_size=400, source_id="t", checksum="c"
    )
    assert again.from_cache and np.array_equal(again.coords, layout.coords)


def test_fit_size_is_part_of_the_cache_key_only_when_given():
    args = ("s", "c", ["energy", "valence"], 15, 0.1, None, 0)
    assert projection.umap_cache_key(*args) == projection.umap_cache_key(*args, None)
    assert projection.umap_cache_key(*args) != projection.umap_cache_key(*args, 5000)
