"""core.lookup.results: predictions, neighbours, explanation, summary and CSV."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.charts.explain import plot_waterfall
from core.lookup.resolve import resolve_tracks
from core.lookup.results import (
    add_predictions,
    enriched_csv,
    explain_track,
    fit_neighbours,
    nearest_tracks,
    summarise,
)
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401


def test_predictions_neighbours_and_explanation(catalog_df, valence_model, genre_model) -> None:
    ids = catalog_df["track_id"].head(6).tolist() + ["B" * 22]
    table = add_predictions(resolve_tracks(ids, catalog_df).table, valence_model, genre_model)
    ok = table.iloc[:6]
    assert ok["predicted_valence"].between(0, 1).all() and pd.isna(
        table.loc[6, "predicted_valence"]
    )
    assert np.allclose(ok["valence_diff"], ok["predicted_valence"] - ok["valence"])
    probs = ok[["genre_1_p", "genre_2_p", "genre_3_p"]].to_numpy()
    assert (np.diff(probs, axis=1) <= 1e-7).all() and (probs.sum(axis=1) <= 1 + 1e-6).all()
    assert set(ok["genre_1"]) <= set(genre_model.classes_)

    index = fit_neighbours(catalog_df)
    near = nearest_tracks(index, catalog_df, table.iloc[0], k=5)
    assert len(near) == 5 and table.loc[0, "track_id"] not in set(near["track_id"])
    assert near["distance"].is_monotonic_increasing

    shap_row = explain_track(valence_model, table.iloc[[2]], catalog_df)
    total = shap_row.base_value + shap_row.values.iloc[0].sum()
    assert total == pytest.approx(table.loc[2, "predicted_valence"], abs=1e-4)
    assert len(shap_row.values) == 1  # only the track; the catalog is the background
    assert plot_waterfall(shap_row, 0, title="t").data[0].type == "waterfall"


def test_summary_and_csv(catalog_df, valence_model) -> None:
    ids = catalog_df["track_id"].head(8).tolist()
    table = add_predictions(resolve_tracks(ids, catalog_df).table, valence_model)
    summary = summarise(table, catalog_df)
    assert summary["n_resolved"] == 8
    assert summary["mean_valence"] == pytest.approx(catalog_df["valence"].head(8).mean())
    assert summary["happiest"]["valence"].iloc[0] == pytest.approx(
        catalog_df["valence"].head(8).max()
    )
    user = pd.DataFrame({"track_id": ids, "my note": range(8), "valence": 0.0})
    back = pd.read_csv(io.BytesIO(enriched_csv(table, user)))
    assert list(back.columns[:3]) == ["track_id", "my note", "valence"]
    assert "vl_valence" in back and "vl_predicted_valence" in back and len(back) == 8
    ours = [c for c in back.columns if c not in user.columns]
    assert ours and all(c.startswith("vl_") for c in ours)  # the file's columns once, ours prefixed
    assert list(back.columns).count("valence") == 1


def test_track_labels_tell_releases_apart() -> None:
    from core.lookup.results import track_label, unique_labels

    rows = pd.DataFrame(
        {
            "track_id": ["a" * 22, "b" * 22, "c" * 22],
            "track_name": ["Mr. Brightside", "Mr. Brightside", "Mr. Brightside"],
            "artists": ["The Killers"] * 3,
            "album_name": ["Hot Fuss", "Hot Fuss", "Direct Hits"],
            "release_year": [2004, 2004, 2013],
            "duration_ms": [222_973, 222_973, 223_000],
        }
    )
    assert track_label(rows.iloc[2]) == "Mr. Brightside — The Killers · Direct Hits (2013) · 3:43"
    labels = unique_labels(rows)
    assert len(set(labels.values())) == 3
    assert labels[0].endswith("id " + "a" * 22) and "id " not in labels[2]
    assert track_label(pd.Series({"track_id": "x" * 22})) == "x" * 22


def test_genre_vocabulary_note_names_out_of_vocabulary_genres() -> None:
    from core.lookup.results import genre_vocabulary_note

    classes = ["edm", "latin", "pop", "r&b", "rap", "rock"]
    note, n = genre_vocabulary_note(classes)
    assert n == 0 and "nearest of the catalog's 6 genres" in note
    mine = pd.Series(["contemporary country, country road", "modern rock", "country", None])
    note, n = genre_vocabulary_note(classes, mine)
    assert n == 2 and "2 of your 3 tracks" in note and "contemporary country" in note
    assert "not your tracks' genre" in note


def test_enriched_file_is_named_after_the_upload() -> None:
    from core.lookup.results import enriched_file_name

    assert enriched_file_name("My playlist.csv") == "My playlist_valence_lab.csv"
    assert enriched_file_name("../../etc/pa$$wd.CSV") == "etc_pa_wd_valence_lab.csv"
    assert enriched_file_name(None) == "valence_lab_lookup.csv"
