import numpy as np
import pandas as pd
import pytest

from core.modelling import splits


def _frame(n=200, artists=40):
    rng = np.random.default_rng(0)
    return pd.DataFrame(
        {"primary_artist": [f"a{i}" for i in rng.integers(0, artists, n)], "x": rng.normal(size=n)}
    )


def test_grouped_split_has_no_artist_on_both_sides():
    df = _frame()
    train, test = splits.grouped_split(df, 0.25, seed=3)
    assert len(train) + len(test) == len(df)
    assert not set(df["primary_artist"].iloc[train]) & set(df["primary_artist"].iloc[test])
    again = splits.grouped_split(df, 0.25, seed=3)
    assert np.array_equal(train, again[0]) and np.array_equal(test, again[1])


def test_grouped_split_on_real_catalog(tidy_catalog):
    df = tidy_catalog.df
    train, test = splits.grouped_split(df, 0.2, seed=0)
    assert not set(df["primary_artist"].iloc[train]) & set(df["primary_artist"].iloc[test])
    assert 0.1 < len(test) / len(df) < 0.3


def test_grouped_folds_partition_rows_and_artists():
    df = _frame()
    folds = splits.grouped_folds(df, 5, seed=1)
    assert len(folds) == 5
    seen = np.concatenate([test for _, test in folds])
    assert sorted(seen) == list(range(len(df)))
    for train, test in folds:
        assert not set(df["primary_artist"].iloc[train]) & set(df["primary_artist"].iloc[test])


def test_random_split_mixes_artists_and_bad_inputs_raise():
    df = _frame()
    train, test = splits.random_split(df, 0.3, seed=0)
    assert set(df["primary_artist"].iloc[train]) & set(df["primary_artist"].iloc[test])
    with pytest.raises(ValueError):
        splits.grouped_split(df, 0.0)
    with pytest.raises(ValueError):
        splits.grouped_folds(df, 1)
    with pytest.raises(ValueError):
        splits.make_split(df, "sideways")
    with pytest.raises(ValueError, match="two artists"):
        splits.grouped_split(pd.DataFrame({"primary_artist": ["a"] * 10}), 0.2)


def test_group_folds_shuffled_or_not_and_stratified_fallback():
    df = _frame(300, 30)
    groups = df["primary_artist"].to_numpy()
    for seed in (0, None):
        folds = splits.group_folds(groups, 5, seed=seed)
        assert len(folds) == 5
        assert sorted(np.concatenate([t for _, t in folds]).tolist()) == list(range(len(df)))
        for train, test in folds:
            assert not set(groups[train]) & set(groups[test])
    assert splits.count_groups(df) == df["primary_artist"].nunique()
    with pytest.raises(ValueError, match="at least 40 artists"):
        splits.group_folds(groups, 40)
    labels = np.array(["a"] * 20 + ["b"] * 3)
    strat = splits.stratified_folds(labels, 5)
    assert len(strat) == 3  # the rarest class has 3 rows
    assert all(set(labels[test]) == {"a", "b"} for _, test in strat)


def test_group_codes_number_groups_in_the_names_sorted_order():
    """Integer codes make exactly the splits and folds the names made (sklearn sorts groups)."""
    from sklearn.model_selection import GroupKFold, GroupShuffleSplit

    from core.modelling import splits

    rng = np.random.default_rng(3)
    pool = [
        "zed",
        "Zed",
        "émile",
        "emile",
        "ømega",
        "ß",
        "a b",
        "10cc",
        "2pac",
        "🎵 x",
        "(unknown)",
    ]
    names = pd.Series(rng.choice(pool, 400), dtype="string")
    names[rng.random(400) < 0.05] = pd.NA  # each its own group, named after its row
    df = pd.DataFrame({"primary_artist": names})
    by_name = splits.artist_groups(df)
    assert (
        by_name[names.isna().to_numpy()] == [f"__row{i}" for i in np.flatnonzero(names.isna())]
    ).all()
    codes = splits.group_codes(df)
    assert (codes == np.unique(by_name.astype(str), return_inverse=True)[1]).all()
    assert splits.count_groups(df) == len(set(by_name))
    old = next(
        GroupShuffleSplit(n_splits=1, test_size=0.2, random_state=0).split(df, groups=by_name)
    )
    train, test = splits.grouped_split(df, 0.2, 0)
    assert (train == np.sort(old[0])).all() and (test == np.sort(old[1])).all()
    old_folds = GroupKFold(5, shuffle=True, random_state=0).split(df, groups=by_name)
    for (a, b), (c, d) in zip(splits.grouped_folds(df, 5, 0), old_folds, strict=True):
        assert (a == c).all() and (b == d).all()
