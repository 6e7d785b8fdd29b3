"""Resolving pipeline, id uploads (Exportify included), results, taste model and charts."""

from __future__ import annotations

from core.lookup.idupload import read_id_upload, upload_metadata
from core.lookup.ratelimit import RetryPolicy
from core.lookup.reccobeats import ReccoBeatsClient
from core.lookup.resolve import ProviderState, resolve_tracks
from core.lookup.spotify import Credentials, SpotifyClient
from tests.core.lookup.conftest import exportify_csv
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401

FAST = RetryPolicy(max_wait_s=5, max_attempts=2, backoff_s=0.05)


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
        on_progress=lambda p: stages.append(p.phase),
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
