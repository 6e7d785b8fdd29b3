"""Finding 4 (hang on a slow provider) and 6 (misleading token messages).

A provider that answers 200 and then drips one byte at a time, one that drips its headers and
one that never answers: every call ends at its overall deadline, the socket is released, and a
whole lookup ends with a clear message well within 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from core.catalog import sources
from core.lookup.ratelimit import ProviderError
from core.lookup.reccobeats import ReccoBeatsClient
from core.lookup.resolve import resolve_tracks
from core.lookup.spotify import Credentials, SpotifyClient
from core.outbound import Budget, DeadlineExceeded, DeadlineSession
from tests.conftest import make_synthetic_tracks
from tests.fakes import fake_apis_fixture, records_from_frame  # noqa: F401
from tests.security.drip import HostileServer

IDS = make_synthetic_tracks(6, 2, seed=3)["track_id"].tolist()


@pytest.fixture(params=["drip", "drip-headers", "never"])
def hostile(request) -> Iterator[HostileServer]:
    server = HostileServer(request.param, interval=0.2)
    yield server
    server.close()


def test_one_call_ends_at_its_deadline_and_releases_the_socket(hostile) -> None:
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="within 2 s"):
        DeadlineSession(2.0).get(f"{hostile.root}/v1/anything")
    assert time.monotonic() - started < 3.0
    assert hostile.wait_all_closed(3.0), "the client kept its socket open"


def test_budget_cuts_a_call_short_and_blocks_new_ones(hostile) -> None:
    budget = Budget(1.5)
    session = DeadlineSession(30.0, budget=budget)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        session.get(hostile.root)
    assert time.monotonic() - started < 2.5
    with pytest.raises(DeadlineExceeded, match="budget"):
        session.get(hostile.root)
    assert len(hostile.connections) == 1


def test_reccobeats_stops_asking_after_a_deadline(hostile, monkeypatch) -> None:
    monkeypatch.setenv("RECCOBEATS_API_BASE", f"{hostile.root}/v1")
    client = ReccoBeatsClient(timeout=2.0)
    started = time.monotonic()
    res = client.audio_features(IDS * 10)  # two batches: the second is never tried
    assert time.monotonic() - started < 3.5
    assert res.error and "did not finish answering within 2 s" in res.error
    assert len(res.not_tried) == 60 and client.down
    again = client.tracks(IDS)
    assert again.error and len(hostile.connections) == 1
    assert hostile.wait_all_closed(3.0)


def test_spotify_token_endpoint_drip(hostile, monkeypatch) -> None:
    monkeypatch.setenv("SPOTIFY_AUTH_URL", f"{hostile.root}/api/token")
    client = SpotifyClient(Credentials("id", "secret"), timeout=2.0)
    started = time.monotonic()
    res = client.tracks(IDS)
    with pytest.raises(ProviderError):
        client.audio_features(IDS)
    assert time.monotonic() - started < 3.5
    assert res.error and "within 2 s" in res.error and len(res.not_tried) == len(IDS)
    assert hostile.wait_all_closed(3.0)


def test_spotify_api_drip_with_concurrent_workers(fake_apis, hostile, monkeypatch) -> None:
    monkeypatch.setenv("SPOTIFY_API_BASE", f"{hostile.root}/v1/")
    creds = Credentials(fake_apis.client_id, fake_apis.client_secret)
    client = SpotifyClient(creds, timeout=2.0, max_workers=4)
    started = time.monotonic()
    res = client.tracks(IDS * 1)
    assert time.monotonic() - started < 4.0
    assert res.error and "stopped asking" in res.error
    assert not res.found and len(res.not_tried) == len(IDS)
    assert hostile.wait_all_closed(3.0)


def test_whole_lookup_with_both_providers_dripping_ends_within_30_s(fake_apis, monkeypatch):
    """Default deadlines, as on the page: Spotify's API and ReccoBeats both drip."""
    spotify_drip, recco_drip = HostileServer("drip", 0.5), HostileServer("drip", 0.5)
    try:
        monkeypatch.setenv("SPOTIFY_API_BASE", f"{spotify_drip.root}/v1/")
        monkeypatch.setenv("RECCOBEATS_API_BASE", f"{recco_drip.root}/v1")
        creds = Credentials(fake_apis.client_id, fake_apis.client_secret)
        catalog = make_synthetic_tracks(50, 2, seed=4)
        budget = Budget(60)
        started = time.monotonic()
        res = resolve_tracks(
            IDS,
            catalog,
            spotify=SpotifyClient(creds, budget=budget),
            reccobeats=ReccoBeatsClient(budget=budget),
            budget=budget,
        )
        took = time.monotonic() - started
        assert took < 30, took
        text = " ".join(res.messages)
        assert "did not finish answering" in text and "stopped asking it" in text
        assert sorted(res.missing) == sorted(IDS)
        assert spotify_drip.wait_all_closed(3) and recco_drip.wait_all_closed(3)
    finally:
        spotify_drip.close()
        recco_drip.close()


def test_lookup_budget_stops_a_slow_but_honest_provider(fake_apis) -> None:
    outside = make_synthetic_tracks(120, 2, seed=5)
    fake_apis.add(records_from_frame(outside), spotify=False)
    fake_apis.reccobeats.latency_s = 0.8  # 3 batches of 40: 2.4 s, over the 1.5 s budget
    budget = Budget(1.5)
    started = time.monotonic()
    res = resolve_tracks(
        outside["track_id"].tolist(),
        make_synthetic_tracks(50, 2, seed=4),
        reccobeats=ReccoBeatsClient(budget=budget),
        budget=budget,
    )
    assert time.monotonic() - started < 2.5
    assert any("1 s time budget" in m or "2 s time budget" in m for m in res.messages)
    assert 0 < (res.table["feature_source"] == "reccobeats").sum() < 120  # partial, kept


def test_catalog_download_has_an_overall_deadline(hostile, tmp_path) -> None:
    started = time.monotonic()
    with pytest.raises(sources.DownloadError, match="longer than 2 s|sent nothing"):
        sources.download(f"{hostile.root}/d.csv", tmp_path / "d.csv", timeout=30, deadline=2)
    assert time.monotonic() - started < 3.5
    assert not (tmp_path / "d.csv").exists() and not (tmp_path / "d.csv.part").exists()
    assert hostile.wait_all_closed(3.0)


@pytest.mark.parametrize(
    ("status", "headers", "expected"),
    [
        (500, {}, "token service is having problems (HTTP 500)"),
        (503, {}, "HTTP 503"),
        (429, {"Retry-After": "30"}, "rate-limiting this app (it asks to wait 30 s)"),
        (404, {}, "not found (HTTP 404)"),
    ],
)
def test_token_failures_are_not_blamed_on_the_credentials(fake_apis, status, headers, expected):
    fake_apis.spotify.script("/api/token", status, headers)
    client = SpotifyClient(Credentials(fake_apis.client_id, fake_apis.client_secret))
    res = client.tracks(IDS)
    assert res.error and expected in res.error
    assert "refused" not in res.error


def test_wrong_credentials_still_say_so(fake_apis) -> None:
    client = SpotifyClient(Credentials(fake_apis.client_id, "wrong"))
    res = client.tracks(IDS)
    assert res.error and "client id or secret was refused" in res.error


def test_cover_images_only_from_spotifys_cdn() -> None:
    from core.lookup.spotify import track_metadata

    def cover(url: str) -> object:
        item = {"id": IDS[0], "album": {"images": [{"url": url, "width": 300}]}}
        return track_metadata(item)["image_url"]

    assert cover("https://i.scdn.co/image/abc") == "https://i.scdn.co/image/abc"
    for bad in (
        "https://evil.example/x.png",
        "http://i.scdn.co/x",
        "javascript:alert(1)",
        "https://i.scdn.co.evil.example/x",
        "//evil.example/x",
    ):
        assert cover(bad) is None, bad
