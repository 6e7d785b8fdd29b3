"""The DuckDB Explore backend gives the pandas backend's answers on the same catalog."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.catalog.backend import DuckDBBackend, Filters, PandasBackend

FILTERS = [
    Filters(),
    Filters(genres=("rock", "latin")),
    Filters(popularity=(40.0, 90.0), years=(2000, 2015)),
]


@pytest.fixture(scope="module")
def backends(tidy_catalog, tmp_path_factory):
    path = tmp_path_factory.mktemp("duck") / "tidy.parquet"
    tidy_catalog.df.to_parquet(path, index=False)
    return PandasBackend(tidy_catalog.df), DuckDBBackend(path, threads=1)


@pytest.mark.parametrize("f", FILTERS)
def test_counts_kpis_and_genres(backends, f):
    pdb, ddb = backends
    assert ddb.count(f) == pdb.count(f) > 0
    ref, got = pdb.kpis(f), ddb.kpis(f)
    assert got["tracks"] == ref["tracks"] and got["genres"] == ref["genres"]
    assert got["mean_valence"] == pytest.approx(ref["mean_valence"], abs=1e-12)
    assert got["artists"] == pytest.approx(ref["artists"], rel=0.05)  # HyperLogLog estimate
    assert ddb.genres(f) == pdb.genres(f)


def test_numeric_columns_and_ranges(backends):
    pdb, ddb = backends
    assert ddb.numeric_columns() == pdb.numeric_columns()
    assert ddb.value_range("release_year") == pdb.value_range("release_year")
    assert ddb.value_range("no_such_column") is None


@pytest.mark.parametrize("f", FILTERS)
def test_histogram_matches(backends, f):
    pdb, ddb = backends
    for genres in (None, ("rock", "pop")):
        ref = pdb.histogram(f, "valence", genres)
        got = ddb.histogram(f, "valence", genres)
        assert list(got["group"].unique()) == list(ref["group"].unique())
        assert got["count"].sum() == ref["count"].sum()
        # bins agree except where float rounding puts an edge value in the next bin
        assert (got["count"] - ref["count"]).abs().sum() <= 4
        np.testing.assert_allclose(got["center"], ref["center"])


@pytest.mark.parametrize("method", ["pearson", "spearman"])
def test_correlation_matches(backends, method):
    pdb, ddb = backends
    cols = tuple(pdb.numeric_columns())
    f = FILTERS[1]
    ref, got = pdb.correlation(f, cols, method), ddb.correlation(f, cols, method)
    np.testing.assert_allclose(got.to_numpy(), ref.to_numpy(), atol=1e-9)


def test_genre_means_match(backends):
    pdb, ddb = backends
    feats = ("valence", "energy", "tempo")
    ref, got = pdb.genre_means(FILTERS[2], feats), ddb.genre_means(FILTERS[2], feats)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False, check_names=False)


@pytest.mark.parametrize("degree", [1, 2])
def test_fit_from_sql_moments_matches_polyfit(backends, degree):
    pdb, ddb = backends
    ref = pdb.fit(FILTERS[1], "energy", "valence", degree)
    got = ddb.fit(FILTERS[1], "energy", "valence", degree)
    np.testing.assert_allclose(got.coefficients, ref.coefficients, rtol=1e-6, atol=1e-9)
    assert got.r2 == pytest.approx(ref.r2, abs=1e-9)
    np.testing.assert_allclose(got.y, ref.y, atol=1e-9)


@pytest.mark.parametrize("period", ["year", "decade"])
def test_valence_by_period_matches(backends, period):
    pdb, ddb = backends
    ref = pdb.valence_by_period(FILTERS[0], period)
    got = ddb.valence_by_period(FILTERS[0], period)
    pd.testing.assert_frame_equal(got, ref, check_dtype=False)


def test_sample_and_rows(backends):
    pdb, ddb = backends
    f = FILTERS[1]
    sample = ddb.sample(f, 500, ("energy", "valence", "genre"))
    assert len(sample) == 500 and list(sample.columns) == ["energy", "valence", "genre"]
    assert set(sample["genre"]) <= {"rock", "latin"}
    assert len(ddb.sample(f, 10**7)) == pdb.count(f)
    page = ddb.rows(f, 100, 50)
    pd.testing.assert_frame_equal(
        page.reset_index(drop=True), pdb.rows(f, 100, 50).reset_index(drop=True), check_dtype=False
    )


def test_filters_are_parameters_not_sql(backends):
    _, ddb = backends
    evil = Filters(genres=("rock') OR 1=1 --",))
    assert ddb.count(evil) == 0


def test_unknown_columns_never_reach_sql(backends):
    _, ddb = backends
    with pytest.raises(ValueError, match="unknown column"):
        ddb.histogram(Filters(), 'valence") FROM tracks; --', None)
    with pytest.raises(ValueError, match="unknown column"):
        ddb.fit(Filters(), "energy", "nope", 1)
