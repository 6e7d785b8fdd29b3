"""Resolving pipeline, id uploads (Exportify included), results, taste model and charts."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from core.charts.explain import plot_waterfall
from core.charts.lookup import plot_mood_map, plot_taste_drivers
from core.lookup.idupload import UploadError, read_id_upload, upload_metadata
from core.lookup.ratelimit import RetryPolicy
from core.lookup.reccobeats import ReccoBeatsClient
from core.lookup.resolve import ProviderState, resolve_tracks
from core.lookup.results import (
    add_predictions,
    enriched_csv,
    explain_track,
    fit_neighbours,
    nearest_tracks,
    summarise,
)
from core.lookup.spotify import Credentials, SpotifyClient
from core.lookup.taste import MIN_ROWS, TasteError, fit_taste, taste_inputs
from core.modelling import features, models
from tests.conftest import make_synthetic_tracks
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401

FAST = RetryPolicy(max_wait_s=5, max_attempts=2, backoff_s=0.05)


@pytest.fixture(scope="module")
def catalog_df() -> pd.DataFrame:
    df = make_synthetic_tracks(300, n_genres=3, seed=21)
    df["primary_artist"] = df["artists"].str.lower()
    return df


@pytest.fixture(scope="module")
def outside() -> pd.DataFrame:
    """Tracks that are not in the catalog (known to the fake APIs)."""
    return make_synthetic_tracks(60, n_genres=3, seed=22)


@pytest.fixture(scope="module")
def valence_model(catalog_df) -> models.TrainedModel:
    """A small XGBoost valence model (the default's recipe with fewer trees)."""
    from xgboost import XGBRegressor

    cols = features.input_columns(catalog_df, "audio", "valence")
    est = XGBRegressor(n_estimators=30, max_depth=3, random_state=0, n_jobs=1)
    est.fit(features.build_matrix(catalog_df, cols, {}), catalog_df["valence"])
    return models.TrainedModel("xgboost", "valence", "audio", {}, est, cols, {})


@pytest.fixture(scope="module")
def genre_model(catalog_df) -> models.TrainedModel:
    from xgboost import XGBClassifier

    classes = sorted(catalog_df["genre"].unique())
    cols = features.input_columns(catalog_df, "audio", "genre")
    est = XGBClassifier(n_estimators=10, max_depth=3, random_state=0, n_jobs=1)
    est.fit(features.build_matrix(catalog_df, cols, {}), catalog_df["genre"].map(classes.index))
    return models.TrainedModel("xgboost", "genre", "audio", {}, est, cols, {}, classes)


def exportify_csv(df: pd.DataFrame, *, with_features: bool) -> bytes:
    """An Exportify-shaped export: BOM, padded headers, undefined cells, a local file."""
    rows = {
        " Track URI ": ["spotify:track:" + t for t in df["track_id"]],
        "Track Name": df["track_name"],
        "Artist Name(s)": df["artists"].str.replace(";", ","),
        "Album Name": df["album_name"],
        "Track Duration (ms)": df["duration_ms"],
        "Popularity": ["undefined"] * len(df),
        "rating": np.arange(len(df)) % 10 + 1,
    }
    if with_features:
        for col in ("danceability", "energy", "key", "loudness", "mode", "speechiness", "acousticness",
                    "instrumentalness", "liveness", "valence", "tempo", "time_signature"):  # fmt: skip
            rows[col.replace("_", " ").title()] = df[col]
    frame = pd.DataFrame(rows)
    extra = pd.DataFrame(
        [
            {" Track URI ": "spotify:local:Me:Demo:Song:200", "Track Name": "Song"},
            {" Track URI ": "undefined", "Track Name": "undefined"},
            {" Track URI ": "not-a-track", "Track Name": "Broken"},
            {" Track URI ": "spotify:track:" + df["track_id"].iloc[0], "Track Name": "dup"},
        ]
    )
    buf = io.StringIO()
    pd.concat([frame, extra], ignore_index=True).to_csv(buf, index=False)
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def test_exportify_upload_is_read_as_it_comes(outside) -> None:
    up = read_id_upload(exportify_csv(outside.head(12), with_features=True), "playlist.csv")
    assert up.id_column == "Track URI"
    assert up.ids == outside["track_id"].head(12).tolist()
    assert (up.local_files, up.blank_rows, up.duplicates) == (1, 1, 1)
    assert up.invalid == [(12 + 4, "not-a-track")]  # header is line 1
    assert up.rating_column == "rating"
    assert "Track Name" in up.frame and "Album Name" in up.frame  # the user's columns are kept
    assert up.frame["Popularity"].isna().all()  # `undefined` became missing
    assert up.features is not None and len(up.features) == 12
    assert up.features.loc[up.ids[3], "valence"] == pytest.approx(outside["valence"].iloc[3])
    meta = upload_metadata(up.frame)
    assert meta.loc[up.ids[0], "track_name"] == outside["track_name"].iloc[0]


def test_upload_without_features_and_with_an_unnamed_id_column(outside) -> None:
    links = [
        f"https://open.spotify.com/intl-de/track/{t}?si=x" for t in outside["track_id"].head(5)
    ]
    data = pd.DataFrame({"what": links, "note": list("abcde")}).to_csv(index=False).encode()
    up = read_id_upload(data, "links.csv")
    assert up.id_column == "what" and len(up.ids) == 5
    assert up.features is None and up.rating_column is None
    assert list(up.frame.columns) == ["track_id", "what", "note"]


def test_upload_limits_and_broken_files(outside) -> None:
    data = pd.DataFrame({"id": outside["track_id"]}).to_csv(index=False).encode()
    up = read_id_upload(data, limit_rows=10)
    assert len(up.ids) == 10 and up.truncated == len(outside) - 10
    with pytest.raises(UploadError, match="limit is"):
        read_id_upload(data, limit_bytes=100)
    with pytest.raises(UploadError, match="No column"):
        read_id_upload(b"name,score\nfoo,1\nbar,2\n")
    with pytest.raises(UploadError):
        read_id_upload(b"\x00\x01\x02binary")
    with pytest.raises(UploadError):
        read_id_upload(b"")


def test_resolve_order_catalog_upload_reccobeats_missing(fake_apis, catalog_df, outside) -> None:
    from_recco, unknown = outside.iloc[:20], outside.iloc[20:25]
    uploaded = outside.iloc[25:30]
    fake_apis.add(records_from_frame(from_recco), spotify=False)
    up = read_id_upload(exportify_csv(uploaded, with_features=True), "u.csv")
    ids = catalog_df["track_id"].head(5).tolist() + uploaded["track_id"].tolist()
    ids += from_recco["track_id"].tolist() + unknown["track_id"].tolist()
    stages: list[str] = []
    res = resolve_tracks(
        ids,
        catalog_df,
        upload_features=up.features,
        upload_meta=upload_metadata(up.frame),
        reccobeats=ReccoBeatsClient(policy=FAST),
        on_progress=lambda s, d, t: stages.append(s),
    )
    t = res.table
    assert t["track_id"].tolist() == ids  # one row per id, in order
    assert res.counts == {"catalog": 5, "upload": 5, "reccobeats": 20, "missing": 5}
    assert sorted(res.missing) == sorted(unknown["track_id"])
    assert any("no audio features for 5" in m for m in res.messages)
    # ReccoBeats has no duration (taken from its track details) nor time signature (filled)
    rb = t[t["feature_source"] == "reccobeats"]
    assert rb["duration_ms"].tolist() == from_recco["duration_ms"].astype(float).tolist()
    assert (rb["filled"] == "time_signature").all()
    assert rb["time_signature"].eq(catalog_df["time_signature"].median()).all()
    assert (t.loc[t["feature_source"] == "catalog", "filled"] == "").all()
    assert rb["track_name"].tolist() == from_recco["track_name"].tolist()
    assert t.loc[t["feature_source"] == "catalog", "in_catalog"].all()
    assert t["genre"].head(5).tolist() == catalog_df["genre"].head(5).tolist()
    assert t["genre"].iloc[5:].isna().all()
    assert t.loc[5, "track_name"] == uploaded["track_name"].iloc[0]
    assert "ReccoBeats audio features" in stages


def test_resolve_with_spotify_credentials(fake_apis, catalog_df, outside) -> None:
    fake_apis.add(records_from_frame(outside.iloc[:10]))
    state = ProviderState()
    sp = SpotifyClient(Credentials(fake_apis.client_id, fake_apis.client_secret), policy=FAST)
    ids = outside["track_id"].head(10).tolist()
    res = resolve_tracks(
        ids, catalog_df, spotify=sp, reccobeats=ReccoBeatsClient(policy=FAST), state=state
    )
    assert (res.table["feature_source"] == "reccobeats").all()
    assert res.table["image_url"].notna().all() and (res.table["meta_source"] == "spotify").all()
    assert not state.audio_features_allowed and "403" in state.audio_features_reason
    assert any("403" in m for m in res.messages)
    calls = fake_apis.spotify.requests["/v1/audio-features"]
    resolve_tracks(
        ids, catalog_df, spotify=sp, reccobeats=ReccoBeatsClient(policy=FAST), state=state
    )
    assert fake_apis.spotify.requests["/v1/audio-features"] == calls  # not asked again this session


def test_provider_down_keeps_what_was_resolved(fake_apis, catalog_df, outside) -> None:
    fake_apis.reccobeats.script("/v1/", 503, times=1000)
    ids = catalog_df["track_id"].head(3).tolist() + outside["track_id"].head(4).tolist()
    res = resolve_tracks(ids, catalog_df, reccobeats=ReccoBeatsClient(policy=FAST))
    assert res.counts == {"catalog": 3, "missing": 4}
    assert any("503" in m and "kept" in m for m in res.messages)


def test_resolve_without_any_provider_uses_catalog_only(catalog_df) -> None:
    ids = catalog_df["track_id"].head(4).tolist() + ["A" * 22]
    res = resolve_tracks(ids, catalog_df)
    assert res.counts == {"catalog": 4, "missing": 1} and res.missing == ["A" * 22]
    assert resolve_tracks([], catalog_df).table.empty


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


def test_summary_csv_and_mood_map(catalog_df, valence_model) -> None:
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
    fig = plot_mood_map(catalog_df, table, sample=100)
    assert len(fig.data) == 2 and len(fig.data[1].x) == 8


def test_taste_model_reports_spread_and_refuses_tiny_data(catalog_df) -> None:
    df = catalog_df.head(60)
    table = resolve_tracks(df["track_id"].tolist(), catalog_df).table
    ratings = pd.Series((df["danceability"] * 10).round().to_numpy(), index=df["track_id"])
    X, y, n_spotify = taste_inputs(table, ratings)
    assert len(X) == 60 and n_spotify == 0
    res = fit_taste(X, y, n_repeats=2)
    assert res.mae_std > 0 and res.mae_mean < res.baseline_mae  # it learns the planted signal
    assert (
        res.importance["feature"].iloc[0] == "danceability"
        and res.importance["direction"].iloc[0] > 0
    )
    assert plot_taste_drivers(res.importance).data[0].type == "bar"
    with pytest.raises(TasteError, match=str(MIN_ROWS)):
        fit_taste(X.head(MIN_ROWS - 1), y.head(MIN_ROWS - 1))


def test_taste_inputs_leave_out_spotify_features(catalog_df) -> None:
    table = resolve_tracks(catalog_df["track_id"].head(5).tolist(), catalog_df).table
    table.loc[0, "feature_source"] = "spotify"
    X, _, n_spotify = taste_inputs(table, pd.Series(1.0, index=table["track_id"]))
    assert n_spotify == 1 and len(X) == 4


def test_the_files_own_features_win_and_differences_are_counted(catalog_df) -> None:
    from core.lookup.resolve import resolve_tracks as resolve

    ids = catalog_df["track_id"].head(6).tolist()
    mine = catalog_df.head(6).set_index("track_id")[["danceability", "energy", "valence"]].copy()
    mine.iloc[:2, mine.columns.get_loc("valence")] = [0.01, 0.02]  # two differ from the catalog
    res = resolve(ids, catalog_df, upload_features=mine)
    assert res.counts == {"upload": 6}
    assert res.table["valence"].head(2).tolist() == [0.01, 0.02]
    assert any("6 track(s)" in m and "2 of them" in m and "your file's" in m for m in res.messages)
    kept = resolve(ids, catalog_df, upload_features=mine, prefer_upload=False)
    assert kept.counts == {"catalog": 6}
    assert kept.table["valence"].head(2).tolist() == catalog_df["valence"].head(2).tolist()
    assert any("the catalog's values are used" in m for m in kept.messages)


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
