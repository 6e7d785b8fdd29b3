"""The real spotipy / requests clients against local fake Spotify and ReccoBeats servers."""

from __future__ import annotations

import base64
import logging
import time

import pytest

from core.lookup.ratelimit import ProviderError
from core.lookup.spotify import AudioFeaturesForbiddenError, Credentials, SpotifyClient
from tests.fakes import FAST, fake_apis_fixture  # noqa: F401


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
