"""Fake Spotify and ReccoBeats servers as pytest fixtures.

Import the fixtures into a test module
(``from tests.fakes import fake_apis_fixture  # noqa: F401``); the fixture is named ``fake_apis``.
``fake_apis`` starts both servers on 127.0.0.1, points ``SPOTIFY_API_BASE``, ``SPOTIFY_AUTH_URL``
and ``RECCOBEATS_API_BASE`` at them and clears ``SPOTIPY_CLIENT_ID/SECRET`` so nothing leaks in
from the environment.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from core.lookup.ratelimit import RetryPolicy
from tests.fakes.servers import FakeReccoBeats, FakeSpotify, records_from_frame

__all__ = [
    "FAST",
    "FakeApis",
    "FakeReccoBeats",
    "FakeSpotify",
    "fake_apis_fixture",
    "records_from_frame",
]

#: A retry policy that keeps tests fast (short waits, few attempts).
FAST = RetryPolicy(max_wait_s=5, max_attempts=3, backoff_s=0.05, max_backoff_s=0.1)
CLIENT_ID = "test-client-id-0001"
CLIENT_SECRET = "s3cr3t-value-that-must-never-show"


@dataclass
class FakeApis:
    """Both fake servers and the credentials the fake Spotify accepts."""

    spotify: FakeSpotify
    reccobeats: FakeReccoBeats
    client_id: str = CLIENT_ID
    client_secret: str = CLIENT_SECRET

    def add(self, records: dict, *, spotify: bool = True, reccobeats: bool = True) -> None:
        """Make tracks known to one or both servers."""
        if spotify:
            self.spotify.records.update(records)
        if reccobeats:
            self.reccobeats.records.update(records)


@pytest.fixture(name="fake_apis")
def fake_apis_fixture(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeApis]:
    spotify = FakeSpotify({}, CLIENT_ID, CLIENT_SECRET)
    recco = FakeReccoBeats({})
    monkeypatch.setenv("SPOTIFY_API_BASE", spotify.api_base)
    monkeypatch.setenv("SPOTIFY_AUTH_URL", spotify.token_url)
    monkeypatch.setenv("RECCOBEATS_API_BASE", recco.api_base)
    monkeypatch.delenv("SPOTIPY_CLIENT_ID", raising=False)
    monkeypatch.delenv("SPOTIPY_CLIENT_SECRET", raising=False)
    try:
        yield FakeApis(spotify, recco)
    finally:
        spotify.close()
        recco.close()
