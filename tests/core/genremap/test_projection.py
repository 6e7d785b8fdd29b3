"""core.genremap.projection: standardised samples, PCA and the UMAP layout cache."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA
from sklearn.preprocessing import StandardScaler

from core.genremap import projection
from core.genremap.projection import ClusterInputError

FEATURES = ["danceability", "energy", "loudness", "acousticness", "tempo", "valence"]


def test_pca_variance_sums_to_one_and_matches_sklearn(synthetic_tracks):
    scaled = projection.standardise(synthetic_tracks, FEATURES)
    result = projection.fit_pca(scaled)
    assert result.explained.sum() == pytest.approx(1.0)
    reference = PCA().fit(StandardScaler().fit_transform(synthetic_tracks[FEATURES]))
    np.testing.assert_allclose(result.explained, reference.explained_variance_ratio_, rtol=1e-8)
    variance = result.variance_frame()
    assert variance["cumulative"].iloc[-1] == pytest.approx(1.0)
    assert variance["cumulative"].is_monotonic_increasing
    # loadings of standardised data are feature-component correlations
    corr = np.corrcoef(scaled.X[:, 0], result.scores[:, 0])[0, 1]
    assert result.loadings.iloc[0, 0] == pytest.approx(corr, abs=1e-6)
    assert list(result.loadings.index) == FEATURES


def test_standardise_drops_constant_features_and_reports_them(synthetic_tracks):
    df = synthetic_tracks.assign(energy=0.5)
    scaled = projection.standardise(df, FEATURES)
    assert scaled.dropped == ["energy"]
    assert "energy" not in scaled.features
    np.testing.assert_allclose(scaled.X.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(scaled.X.std(axis=0), 1)


@pytest.mark.parametrize(
    ("features", "message"),
    [
        (["energy", "liveness"], "must vary"),
        (["energy"], "at least two"),
        (["energy", "nope"], "Unknown"),
    ],
)
def test_standardise_rejects_unusable_inputs(synthetic_tracks, features, message):
    df = synthetic_tracks.assign(energy=0.5, liveness=0.1)
    with pytest.raises(ClusterInputError, match=message):
        projection.standardise(df, features)


def test_standardise_sample_is_reproducible_and_bounded(synthetic_tracks):
    feats = projection.default_features(synthetic_tracks)
    a = projection.standardise_sample(synthetic_tracks, feats, 100, seed=1)
    b = projection.standardise_sample(synthetic_tracks, feats, 100, seed=1)
    assert len(a.X) == 100 and a.index.equals(b.index) and a.index.is_monotonic_increasing
    assert len(projection.standardise_sample(synthetic_tracks, feats, None).X) == len(
        synthetic_tracks.dropna(subset=feats)
    )
    with pytest.raises(ClusterInputError):
        projection.standardise_sample(synthetic_tracks, feats, 3)


def test_umap_layout_is_cached_on_disk_and_not_recomputed(synthetic_tracks, monkeypatch):
    kwargs = {"n_neighbors": 10, "min_dist": 0.2, "sample_size": 250, "seed": 0}
    ids = {"source_id": "test:synthetic", "checksum": "abc123"}
    first = projection.umap_layout(synthetic_tracks, FEATURES, **kwargs, **ids)
    assert not first.from_cache and first.coords.shape == (250, 2)
    assert np.isfinite(first.coords).all()
    assert set(first.rows) <= set(range(len(synthetic_tracks))) and len(set(first.rows)) == 250
    key = projection.umap_cache_key(ids["source_id"], ids["checksum"], FEATURES, 10, 0.2, 250, 0)
    assert projection.umap_cache_path(key).is_file()

    def boom(*args, **kwargs):
        raise AssertionError("UMAP recomputed despite a cached layout")

    monkeypatch.setattr(projection, "compute_umap", boom)
    second = projection.umap_layout(synthetic_tracks, FEATURES, **kwargs, **ids)
    assert second.from_cache
    np.testing.assert_array_equal(second.coords, first.coords)
    np.testing.assert_array_equal(second.rows, first.rows)
    with pytest.raises(AssertionError, match="recomputed"):  # another setting is another key
        projection.umap_layout(synthetic_tracks, FEATURES, **{**kwargs, "min_dist": 0.3}, **ids)


def test_umap_parameters_are_validated():
    with pytest.raises(ClusterInputError, match="n_neighbors"):
        projection.validate_umap_params(50, 50, 0.1)
    with pytest.raises(ClusterInputError, match="min_dist"):
        projection.validate_umap_params(50, 10, 1.5)
    key = projection.umap_cache_key("s", "c", ["a", "b"], 15, 0.1, None, 0)
    assert key != projection.umap_cache_key("s", "c", ["a", "b"], 15, 0.1, 1000, 0)
    assert projection.estimate_umap_seconds(10_000) > projection.estimate_umap_seconds(1_000) > 0
