"""The real spotipy / requests clients against local fake Spotify and ReccoBeats servers."""

from __future__ import annotations

import base64
import logging
import time

import pytest

from core.lookup.ratelimit import ProviderError, RetryPolicy, retry_after_seconds
from core.lookup.reccobeats import BATCH_SIZE, ReccoBeatsClient, parse_features
from core.lookup.spotify import AudioFeaturesForbiddenError, Credentials, SpotifyClient
from tests.conftest import make_synthetic_tracks
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401

FAST = RetryPolicy(max_wait_s=5, max_attempts=3, backoff_s=0.05, max_backoff_s=0.1)


@pytest.fixture(scope="module")
def records() -> dict:
    return records_from_frame(make_synthetic_tracks(90, seed=11))


def client(apis, **kw) -> SpotifyClient:
    return SpotifyClient(Credentials(apis.client_id, apis.client_secret), policy=FAST, **kw)


def test_per_track_lookups_find_known_and_report_unknown(fake_apis, records) -> None:
    fake_apis.add(records)
    ids = list(records)[:40] + ["0" * 22, "1" * 22]
    progress: list[tuple[int, int]] = []
    res = client(fake_apis).tracks(ids, on_progress=lambda p: progress.append((p.step, p.total)))
    assert set(res.found) == set(ids[:40])
    assert sorted(res.missing) == ["0" * 22, "1" * 22]
    assert res.error is None and not res.not_tried
    meta = res.found[ids[0]]
    assert meta["track_name"] == records[ids[0]]["name"]
    assert meta["image_url"].endswith("-64")  # the smallest usable cover
    assert meta["release_year"] == 2019
    assert progress[-1] == (len(ids), len(ids))
    # development mode: one GET /tracks/{id} per track, never the batch endpoint, one token
    assert fake_apis.spotify.requests["/v1/tracks"] == len(ids)
    assert fake_apis.spotify.requests["/api/token"] == 1


def test_search_is_capped_at_ten(fake_apis, records) -> None:
    fake_apis.add(records)
    hits = client(fake_apis).search("song", limit=50)
    assert 0 < len(hits) <= 10
    assert all(h["track_id"] in records for h in hits)
    assert client(fake_apis).search("   ") == []


def test_audio_features_403_is_reported_as_forbidden(fake_apis, records) -> None:
    fake_apis.add(records)
    with pytest.raises(AudioFeaturesForbiddenError, match="403"):
        client(fake_apis).audio_features(list(records)[:5])


def test_429_waits_for_retry_after_and_reports_the_wait(fake_apis, records) -> None:
    fake_apis.add(records)
    fake_apis.spotify.script("/v1/tracks/", 429, {"Retry-After": "1"}, times=2)
    waits: list[tuple[float, str]] = []
    t0 = time.monotonic()
    res = client(fake_apis, on_wait=lambda s, m: waits.append((s, m))).tracks(list(records)[:6])
    assert len(res.found) == 6 and res.error is None
    assert time.monotonic() - t0 >= 0.9  # it really waited
    assert waits and waits[0][0] == 1.0 and "Retry-After" in waits[0][1]


def test_retry_after_beyond_the_cap_stops_and_keeps_partial_results(fake_apis, records) -> None:
    fake_apis.add(records)
    ids = list(records)[:30]
    sp = client(fake_apis, max_workers=2)
    sp.tracks(ids[:1])  # token fetched; the next 429 hits mid-run
    fake_apis.spotify.script("/v1/tracks/", 429, {"Retry-After": "7200"}, times=1)
    t0 = time.monotonic()
    res = sp.tracks(ids)
    assert time.monotonic() - t0 < 10
    assert "7200" in res.error
    assert len(res.found) + len(res.not_tried) + len(res.missing) == len(ids)
    assert res.not_tried  # it stopped instead of sleeping for two hours


def test_server_errors_back_off_then_recover(fake_apis, records) -> None:
    fake_apis.add(records)
    fake_apis.spotify.script("/v1/tracks/", 500, times=2)
    waits: list[str] = []
    res = client(fake_apis, max_workers=1, on_wait=lambda s, m: waits.append(m)).tracks(
        list(records)[:3]
    )
    assert len(res.found) == 3
    assert any("500" in m for m in waits)


def test_a_down_server_gives_an_error_not_a_hang(fake_apis, records) -> None:
    fake_apis.add(records)
    fake_apis.spotify.script("/v1/tracks/", 503, times=10_000)
    t0 = time.monotonic()
    res = client(fake_apis).tracks(list(records))
    assert time.monotonic() - t0 < 10
    assert res.found == {} and "503" in res.error
    assert len(res.not_tried) == len(records)


def test_slow_responses_time_out(fake_apis, records) -> None:
    fake_apis.add(records)
    fake_apis.spotify.slow_s = 1.0
    sp = SpotifyClient(
        Credentials(fake_apis.client_id, fake_apis.client_secret), timeout=0.2, policy=FAST
    )
    t0 = time.monotonic()
    res = sp.tracks(list(records)[:20])
    assert time.monotonic() - t0 < 15
    assert res.error is not None and not res.found


def test_bad_credentials_are_refused_without_leaking_them(fake_apis, records, caplog) -> None:
    fake_apis.add(records)
    caplog.set_level(logging.DEBUG)
    wrong = Credentials(fake_apis.client_id, "not-the-secret-xyz")
    res = SpotifyClient(wrong, policy=FAST).tracks(list(records)[:3])
    assert "refused" in res.error
    assert "not-the-secret-xyz" not in caplog.text and "not-the-secret-xyz" not in res.error
    assert "not-the-secret-xyz" not in repr(wrong)


def test_secret_and_token_never_reach_the_logs(fake_apis, records, caplog) -> None:
    fake_apis.add(records)
    caplog.set_level(logging.DEBUG)
    sp = client(fake_apis)
    sp.tracks(list(records)[:5] + ["0" * 22])
    sp.search("song")
    with pytest.raises(ProviderError):
        sp.audio_features(list(records)[:2])
    basic = base64.b64encode(f"{fake_apis.client_id}:{fake_apis.client_secret}".encode()).decode()
    for secret in (fake_apis.client_secret, basic, fake_apis.spotify.TOKEN):
        assert secret not in caplog.text


def test_reccobeats_batches_of_40_and_reports_missing(fake_apis, records) -> None:
    known = dict(list(records.items())[:80])
    fake_apis.add(known, spotify=False)
    ids = list(records)  # 90: the last 10 are unknown to ReccoBeats
    progress: list[int] = []
    res = ReccoBeatsClient(policy=FAST).audio_features(
        ids, on_progress=lambda p: progress.append(p.step)
    )
    assert set(res.found) == set(known)
    assert sorted(res.missing) == sorted(ids[80:])
    assert fake_apis.reccobeats.requests["/v1/audio-features"] == -(-len(ids) // BATCH_SIZE)
    assert progress == [40, 80, 90]
    first = ids[0]
    assert res.found[first]["valence"] == pytest.approx(records[first]["features"]["valence"])
    meta = ReccoBeatsClient(policy=FAST).tracks(ids[:3]).found
    assert meta[first]["track_name"] == records[first]["name"]


def test_reccobeats_failure_midway_keeps_earlier_batches(fake_apis, records) -> None:
    fake_apis.add(records, spotify=False)
    rb = ReccoBeatsClient(policy=FAST)
    ids = list(records)
    fake_apis.reccobeats.latency_s = 0.0
    res_ok = rb.audio_features(ids[:40])
    assert len(res_ok.found) == 40
    fake_apis.reccobeats.script("/v1/audio-features", 500, times=100)
    res = rb.audio_features(ids)
    assert res.found == {} and len(res.not_tried) == len(ids) and "500" in res.error


def test_reccobeats_parser_maps_href_and_skips_bad_items() -> None:
    tid = "4uLU6hMCjMI75M1A2tKUQC"
    payload = {
        "content": [
            {
                "id": "uuid-1",
                "href": f"https://open.spotify.com/track/{tid}",
                "valence": 0.7,
                "energy": 0.5,
                "key": 2,
            },
            {
                "id": "uuid-2",
                "href": "https://open.spotify.com/album/4uLU6hMCjMI75M1A2tKUQD",
                "valence": 0.1,
            },
            {"id": "uuid-3", "valence": 0.3},
            "junk",
        ]
    }
    parsed = parse_features(payload)
    assert list(parsed) == [tid]
    assert parsed[tid] == {"valence": 0.7, "energy": 0.5, "key": 2.0}
    assert parse_features({"error": "x"}) == {}
    assert parse_features(None) == {}


def test_retry_after_parsing() -> None:
    assert retry_after_seconds({"Retry-After": "12"}) == 12
    assert retry_after_seconds({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0
    assert retry_after_seconds({}, default=3) == 3
    wait, _ = RetryPolicy(max_wait_s=30).wait_for(429, {"Retry-After": "31"}, 0)
    assert wait is None
    assert RetryPolicy(max_attempts=2).wait_for(500, None, 1)[0] is None
    assert RetryPolicy().wait_for(500, None, 2)[0] == 2.0  # doubling backoff
    assert RetryPolicy().wait_for(0, None, 0)[0] == 0.5  # one retry after a timeout …
    assert RetryPolicy().wait_for(0, None, 1)[0] is None  # … then give up
    assert RetryPolicy().wait_for(404, None, 0)[0] is None
