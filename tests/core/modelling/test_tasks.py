"""core.modelling.tasks: targets of each task."""

from __future__ import annotations

import numpy as np
import pytest

from core.catalog import genre_groups
from core.modelling import tasks


def test_tasks_valence_class_and_genre_groups(lab_df, sample_catalog):
    t = tasks.make_target(lab_df, "valence-class")
    counts = {c: int(np.sum(t.y == c)) for c in tasks.VALENCE_CLASSES}
    assert all(abs(n - len(t.y) / 3) <= 2 for n in counts.values())
    assert "genre-group" not in tasks.available_tasks(lab_df)  # g0/g1/g2 are not HF genres
    assert "genre-group" in tasks.available_tasks(sample_catalog.df)
    grouped = tasks.make_target(sample_catalog.df, "genre-group")
    assert set(grouped.y) <= set(genre_groups.GROUPS)
    with pytest.raises(ValueError):
        tasks.make_target(lab_df, "subgenre")
