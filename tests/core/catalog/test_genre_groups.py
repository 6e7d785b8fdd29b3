"""core.catalog.genre_groups: the coarse genre groups."""

from __future__ import annotations

from core.catalog import genre_groups


def test_genre_group_mapping_is_complete():
    assert len(genre_groups.GENRE_TO_GROUP) == 114
    assert set(genre_groups.GENRE_TO_GROUP.values()) == set(genre_groups.GROUPS)
    assert genre_groups.GENRE_TO_GROUP["black-metal"] == "metal"
    assert genre_groups.covers(["pop", "K-Pop "]) and not genre_groups.covers(["pop", "edm-ish"])
