"""Genre profiles: Cohen's d by hand, size labels, and the closest genre of a set of tracks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.catalog import profiles
from tests.conftest import make_synthetic_tracks


def test_cohens_d_matches_a_hand_computation():
    a = pd.DataFrame({"energy": [0.2, 0.4, 0.6], "valence": [0.5, 0.5, 0.6]})
    b = pd.DataFrame({"energy": [0.5, 0.7, 0.9, 0.7], "valence": [0.5, 0.6, 0.5, 0.6]})
    t = profiles.compare_groups(a, b).set_index("feature")
    pooled = np.sqrt((2 * 0.04 + 3 * np.var([0.5, 0.7, 0.9, 0.7], ddof=1)) / 5)
    d = (0.4 - 0.7) / pooled
    assert t.loc["energy", "cohens_d"] == pytest.approx(d)
    assert t.loc["energy", "difference"] == pytest.approx(-0.3)
    assert t.loc["energy", "size"] == "large"
    assert t.loc["energy", "d_low"] < d < t.loc["energy", "d_high"]
    assert t.index[0] == "energy"  # largest |d| first
    assert list(t.columns[:3]) == ["mean_a", "mean_b", "difference"]


def test_sizes_and_degenerate_groups():
    assert [profiles._size(x) for x in (0.1, -0.3, 0.6, -2.0, np.nan)] == [
        "negligible",
        "small",
        "medium",
        "large",
        "n/a",
    ]
    one = pd.DataFrame({"energy": [0.5]})
    t = profiles.compare_groups(one, pd.DataFrame({"energy": [0.1, 0.2]}))
    assert np.isnan(t.loc[0, "cohens_d"]) and t.loc[0, "size"] == "n/a"
    assert profiles.compare_groups(pd.DataFrame({"x": [1]}), pd.DataFrame({"x": [2]})).empty


def test_closest_genre_of_tracks_drawn_from_one_genre():
    cat = make_synthetic_tracks(600, n_genres=3, seed=3)  # energy rises with the genre index
    mine = cat[cat["genre"] == "g2"].sample(30, random_state=1)
    close = profiles.closest_genres(mine, cat)
    assert close.loc[0, "genre"] == "g2"
    assert close["distance"].is_monotonic_increasing
    assert close.loc[0, "votes"] == close["votes"].max()
    assert close.loc[0, "n_genre"] == (cat["genre"] == "g2").sum()
    t = profiles.compare_groups(mine, cat[cat["genre"] == "g0"])
    alike, apart = profiles.evidence(t)
    assert apart[0] == "energy" and "energy" not in alike
