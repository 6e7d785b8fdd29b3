"""AppTest of the Genre map page with small samples, uploads without genres, and bad inputs."""

from __future__ import annotations

import numpy as np
import pytest
from streamlit.testing.v1 import AppTest

from core.catalog import data
from core.catalog.sampling import sample_rows
from core.genremap import projection
from tests.conftest import make_synthetic_tracks
from tests.pages.helpers import app_test
from ui import genre_map as gm

PAGE = "app_pages/genre_map.py"


def _open(upload: data.Catalog | None = None, query: dict | None = None) -> AppTest:
    at = app_test(PAGE, query=query, upload=upload)
    assert not at.exception
    return at


def _upload(df, name: str) -> data.Catalog:
    return data.load_upload(df.to_csv(index=False).encode(), name)


def _texts(at: AppTest) -> str:
    parts = [*at.warning, *at.info, *at.error, *at.caption, *at.markdown]
    return " ".join(str(e.value) for e in parts)


def test_every_section_renders_on_a_small_sample():
    at = _open()
    assert at.title[0].value == "Genre map"
    at.number_input(key="map_sample").set_value(400).run()
    assert not at.exception
    for color in ("KMeans cluster", "GMM cluster", "energy", "genre group", "genre"):
        at.selectbox(key="map_color").set_value(color).run()
        assert not at.exception, color
    assert "lasso" in _texts(at)
    at.checkbox(key="map_biplot").check().run()
    assert "map_k" not in [s.key for s in at.slider]  # colour by genre: no cluster controls
    at.radio(key="map_section").set_value("Clusters").run()
    at.slider(key="map_k").set_value(4).run()
    assert not at.exception
    assert "silhouette on a random 400" in _texts(at)
    at.radio(key="map_inspect").set_value("GMM").run()
    at.radio(key="map_section").set_value("Genre tree").run()
    assert not at.exception
    assert "map_k" not in [s.key for s in at.slider]  # the tree does not use clusters
    tree = at.dataframe[0].value
    assert sorted(tree["genre"]) == ["edm", "latin", "pop", "r&b", "rap", "rock"]
    at.radio(key="map_section").set_value("Agreement").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert list(table["method"])[0] == "genre (reference)" and len(table) == 4
    assert table["ARI"].between(-1, 1).all() and table["NMI"].between(0, 1).all()


def test_umap_view_uses_a_cached_layout_without_recomputing(tidy_catalog, monkeypatch):
    features = tuple(projection.default_features(tidy_catalog.df))
    sample = 300
    key = projection.umap_cache_key(
        tidy_catalog.source_id, tidy_catalog.checksum, features, 15, 0.1, sample, gm.SEED
    )
    rows = sample_rows(tidy_catalog.df, sample, gm.SEED, keep_order=True).index
    path = projection.umap_cache_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    coords = np.random.default_rng(0).normal(size=(sample, 2)).astype("float32")
    np.savez(path, coords=coords, rows=np.asarray(rows, dtype="int64"))

    def boom(*args, **kwargs):
        raise AssertionError("UMAP recomputed")

    monkeypatch.setattr(projection, "compute_umap", boom)
    at = _open()
    at.number_input(key="map_sample").set_value(sample).run()
    at.radio(key="map_projection").set_value("UMAP").run()
    assert not at.exception
    assert not [e for e in at.error if "recomputed" in str(e.value)]
    assert "lasso" in _texts(at)  # the map was drawn
    # other settings are another layout: submitting them does compute (here: hits the stub)
    at.slider(key="map_min_dist").set_value(0.3)
    next(b for b in at.button if b.label == "Apply").click().run()
    assert any("recomputed" in str(e.value) for e in at.error)


def test_upload_without_genres_colours_by_cluster_and_explains():
    df = make_synthetic_tracks(150, seed=2).drop(columns=["genre"])
    at = _open(_upload(df, "no_genre.csv"))
    assert "genre metrics need genres" in _texts(at)
    assert "genre" not in at.selectbox(key="map_color").options
    at.radio(key="map_section").set_value("Agreement").run()
    assert not at.exception and "needs a genre column" in _texts(at)
    at.radio(key="map_section").set_value("Genre tree").run()
    assert not at.exception and "at least two genres" in _texts(at)
    at.radio(key="map_section").set_value("Clusters").run()
    assert not at.exception


def test_many_genres_use_genre_groups_for_colour():
    df = make_synthetic_tracks(600, n_genres=40, seed=5)
    at = _open(_upload(df, "many_genres.csv"))
    assert at.selectbox(key="map_color").value == "genre group"
    at.selectbox(key="map_color").set_value("genre").run()
    assert not at.exception
    at.radio(key="map_section").set_value("Genre tree").run()
    assert not at.exception
    groups = at.dataframe[0].value["group"]
    assert len(at.dataframe[0].value) == 40 and 2 <= groups.nunique() <= 12
    at.radio(key="map_section").set_value("Agreement").run()
    assert not at.exception


def test_constant_features_give_a_message_not_a_traceback():
    df = make_synthetic_tracks(120, seed=3).assign(energy=0.5, liveness=0.2)
    at = _open(_upload(df, "flat.csv"))
    assert "do not vary" in _texts(at) and "energy" in _texts(at)
    at.multiselect(key="map_features").set_value(["energy", "liveness"]).run()
    assert not at.exception
    assert "must vary" in _texts(at)


@pytest.mark.parametrize("section", ["Clusters", "Agreement"])
def test_tiny_upload_bounds_k_by_the_number_of_tracks(section):
    df = make_synthetic_tracks(12, n_genres=2, seed=4)
    at = _open(_upload(df, "tiny.csv"))
    at.radio(key="map_section").set_value(section).run()
    assert at.slider(key="map_k").max <= 11
    at.slider(key="map_k").set_value(11).run()
    assert not at.exception


def test_link_values_are_validated_with_a_notice():
    at = _open(query={"map_section": "Clusters", "map_k": "999", "map_cov": "banana"})
    assert at.radio(key="map_section").value == "Clusters"
    assert at.slider(key="map_k").value == 6
    assert at.selectbox(key="map_cov").value == "full"
    notice = _texts(at)
    assert "map_k=999" in notice and "map_cov=banana" in notice
    assert "map_section" not in notice


def test_selected_positions_reads_customdata_and_drops_stale_rows():
    event = {
        "selection": {
            "points": [{"customdata": [3, "a"]}, {"customdata": [1, "b"]}, {"customdata": [99]}]
        }
    }
    assert gm.selected_positions(event, 10) == [1, 3]
    by_index = {"selection": {"points": [{"curve_number": 1, "point_index": 0}]}}
    assert gm.selected_positions(by_index, 10, traces=[[0, 2], [5, 7]]) == [5]
    assert gm.selected_positions({"selection": {"points": []}}, 10) == []
    assert gm.selected_positions(None, 10) == []


def test_section_settings_outlive_another_section_and_ride_in_the_link():
    # unbound, Streamlit dropped them whenever another section was shown
    at = _open()
    at.number_input(key="map_sample").set_value(400).run()
    at.checkbox(key="map_biplot").check().run()
    at.radio(key="map_section").set_value("Clusters").run()
    at.radio(key="map_inspect").set_value("GMM").run()
    at.radio(key="map_section").set_value("Genre tree").run()
    at.slider(key="map_groups").set_value(4).run()
    for section in ("Projection", "Clusters", "Genre tree", "Projection"):
        at.radio(key="map_section").set_value(section).run()
        assert not at.exception, section
        if section == "Clusters":
            assert at.radio(key="map_inspect").value == "GMM"
            assert at.query_params["map_inspect"] == "GMM"
        if section == "Genre tree":
            assert at.slider(key="map_groups").value == 4
            assert at.query_params["map_groups"] == "4"
    assert at.checkbox(key="map_biplot").value and at.query_params["map_biplot"] == "true"


def test_bad_section_settings_in_a_link_get_the_notice():
    at = _open(query={"map_section": "Genre tree", "map_groups": "99", "map_inspect": "DBSCAN"})
    assert not at.exception
    notice = _texts(at)
    assert "map_groups=99" in notice and "map_inspect=DBSCAN" in notice
