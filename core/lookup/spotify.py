"""Spotify Web API client for lookups: client-credentials auth, per-track metadata, search.

Designed around Spotify's 2024-2026 rules: ``audio-features`` answers 403 for new apps (we try
once and then stop asking); development-mode apps get no batch ``GET /tracks`` (one
``GET /tracks/{id}`` per track, run with bounded concurrency) and at most 10 search results; a
429 carries ``Retry-After``, which we honour ourselves (capped) because spotipy's own retrying
can sleep for hours. Tokens live in memory per client (``MemoryCacheHandler``): never a
``.cache`` file shared between users. Results are for lookup and prediction only: Spotify's
developer policy forbids training models on API content.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, ThreadPoolExecutor, wait
from dataclasses import dataclass
from typing import Any

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from core.lookup.ratelimit import Gate, ProviderError, ProviderResult, RetryPolicy, WaitFn
from core.progress import Progress, ProgressFn

log = logging.getLogger(__name__)
_worker = threading.local()  # marks lookup worker threads: they queue waits for the caller
# spotipy logs request headers (Basic auth of id:secret, bearer tokens) at DEBUG and every 404
# at ERROR; we report failures ourselves, so its logger stays quiet.
logging.getLogger("spotipy").setLevel(logging.CRITICAL)

DEFAULT_API_BASE = "https://api.spotify.com/v1/"
DEFAULT_AUTH_URL = "https://accounts.spotify.com/api/token"
SEARCH_LIMIT = 10  # development-mode apps get at most 10 results
PROVIDER = "Spotify"
PHASE_TRACKS = f"{PROVIDER} track details"


def api_base() -> str:
    """Spotify API base URL (env ``SPOTIFY_API_BASE``), always ending in a slash."""
    base = os.environ.get("SPOTIFY_API_BASE") or DEFAULT_API_BASE
    return base if base.endswith("/") else base + "/"


def auth_url() -> str:
    """Token endpoint (env ``SPOTIFY_AUTH_URL``)."""
    return os.environ.get("SPOTIFY_AUTH_URL") or DEFAULT_AUTH_URL


@dataclass(frozen=True, repr=False)
class Credentials:
    """A Spotify app's client id and secret; ``repr`` never shows the secret."""

    client_id: str
    client_secret: str

    def __repr__(self) -> str:
        return f"Credentials(client_id={self.client_id[:4]}…, client_secret=***)"

    @classmethod
    def from_env(cls) -> Credentials | None:
        """Credentials from ``SPOTIPY_CLIENT_ID`` / ``SPOTIPY_CLIENT_SECRET``, or None."""
        cid = os.environ.get("SPOTIPY_CLIENT_ID", "").strip()
        secret = os.environ.get("SPOTIPY_CLIENT_SECRET", "").strip()
        return cls(cid, secret) if cid and secret else None


class AudioFeaturesForbiddenError(ProviderError):
    """Spotify refused ``audio-features`` (403): closed to apps created after Nov 2024."""


class _ClientCredentials(SpotifyClientCredentials):
    """Client-credentials flow whose token URL is configurable (tests use a local server)."""

    def __init__(self, *, token_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.OAUTH_TOKEN_URL = token_url


def _pick_image(images: list[dict[str, Any]]) -> str | None:
    """The smallest album image at least 64 px wide (a table thumbnail), else any."""
    usable = [im for im in images if im.get("url")]
    if not usable:
        return None
    wide = [im for im in usable if (im.get("width") or 0) >= 64]
    pool = wide or usable
    return min(pool, key=lambda im: im.get("width") or 10_000)["url"]


def track_metadata(item: dict[str, Any], track_id: str | None = None) -> dict[str, Any]:
    """Flatten a Spotify track object into catalog-like metadata columns.

    Parameters
    ----------
    item
        A track object from ``GET /tracks/{id}`` or search.
    track_id
        The id that was asked for (Spotify may relink to another id); defaults to ``item["id"]``.

    Returns
    -------
    dict
        track_id, track_name, artists (``;``-joined), album_name, image_url, release_date,
        release_year, popularity, explicit, duration_ms.
    """
    album = item.get("album") or {}
    release = album.get("release_date")
    year = int(release[:4]) if isinstance(release, str) and release[:4].isdigit() else None
    return {
        "track_id": track_id or item.get("id"),
        "track_name": item.get("name"),
        "artists": ";".join(a.get("name", "") for a in item.get("artists") or []) or None,
        "album_name": album.get("name"),
        "image_url": _pick_image(album.get("images") or []),
        "release_date": release,
        "release_year": year,
        "popularity": item.get("popularity"),
        "explicit": item.get("explicit"),
        "duration_ms": item.get("duration_ms"),
    }


class SpotifyClient:
    """A small Spotify client for one user's session (never shared between users).

    Parameters
    ----------
    credentials
        The app's client id and secret.
    timeout
        Seconds before any single HTTP call gives up.
    max_workers
        Concurrent per-track lookups.
    policy
        What to do after a 429 / 5xx / connection error.
    on_wait
        Called with ``(seconds, message)`` whenever we wait on Spotify's request.
    sleep
        The sleeping function (tests may speed it up).
    """

    def __init__(
        self,
        credentials: Credentials,
        *,
        timeout: float = 5.0,
        max_workers: int = 8,
        policy: RetryPolicy | None = None,
        on_wait: WaitFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self.max_workers = max_workers
        self.gate = Gate(sleep=sleep)
        self._token_lock = threading.Lock()
        self._wait_lock = threading.Lock()
        self._waits: list[tuple[float, str]] = []
        session = requests.Session()  # no retry adapter: 429/5xx come back to us with headers
        adapter = requests.adapters.HTTPAdapter(pool_maxsize=max(10, max_workers), max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        self._auth = _ClientCredentials(
            token_url=auth_url(),
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            requests_timeout=timeout,
            cache_handler=MemoryCacheHandler(),
        )
        self._sp = spotipy.Spotify(
            auth_manager=self._auth,
            requests_session=session,
            requests_timeout=timeout,
            retries=0,
            status_retries=0,
            backoff_factor=0,
        )
        self._sp.prefix = api_base()

    def __repr__(self) -> str:
        return f"SpotifyClient(base={self._sp.prefix!r})"

    def _ensure_token(self) -> None:
        with self._token_lock:
            try:
                self._auth.get_access_token(as_dict=False)
            except SpotifyOauthError as exc:
                raise ProviderError(
                    PROVIDER, "the client id or secret was refused (check them).", 401
                ) from exc
            except requests.RequestException as exc:
                raise ProviderError(
                    PROVIDER, f"the token service could not be reached ({type(exc).__name__})."
                ) from exc

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run one API call with our 429/5xx handling; 404/400 return None."""
        self._ensure_token()
        attempt = 0
        while True:
            self.gate.wait()
            if self.gate.stop.is_set():
                raise ProviderError(PROVIDER, "stopped.")
            try:
                return fn()
            except SpotifyException as exc:
                status, headers = exc.http_status, exc.headers
                if status in (400, 404):
                    return None
                if status == 401:
                    raise ProviderError(PROVIDER, "the access token was refused.", 401) from exc
                if status == 403:
                    raise ProviderError(PROVIDER, "access refused (403).", 403) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                status, headers = 0, None
                log.info("Spotify call failed: %s", type(exc).__name__)
            wait, reason = self.policy.wait_for(status, headers, attempt)
            if wait is None:
                raise ProviderError(PROVIDER, reason, status or None)
            if status == 429:
                self.gate.pause(wait)
            self._notify(wait, f"{PROVIDER} {reason}")
            if status != 429:
                self.gate.sleep(wait)
            attempt += 1

    def _notify(self, seconds: float, message: str) -> None:
        """Report a wait: directly from the caller's thread, queued from worker threads."""
        if getattr(_worker, "active", False):
            with self._wait_lock:
                self._waits.append((seconds, message))
        elif self.on_wait is not None:
            self.on_wait(seconds, message)

    def _drain_waits(self) -> None:
        with self._wait_lock:
            waits, self._waits = self._waits, []
        if self.on_wait is not None and waits:
            self.on_wait(*max(waits))

    def search(self, query: str, limit: int = SEARCH_LIMIT) -> list[dict[str, Any]]:
        """Search tracks by free text (at most 10 results in development mode).

        Parameters
        ----------
        query
            Track and/or artist text.
        limit
            Results wanted (capped at 10).

        Returns
        -------
        list of dict
            ``track_metadata`` of each hit, in Spotify's order.
        """
        query = query.strip()
        if not query:
            return []
        limit = max(1, min(int(limit), SEARCH_LIMIT))
        res = self._call(lambda: self._sp.search(q=query[:200], limit=limit, type="track"))
        items = ((res or {}).get("tracks") or {}).get("items") or []
        return [track_metadata(it) for it in items if it and it.get("id")]

    def track(self, track_id: str) -> dict[str, Any] | None:
        """``GET /tracks/{id}`` as ``track_metadata``; None when Spotify does not know the id."""
        item = self._call(lambda: self._sp._get(f"tracks/{track_id}"))
        return track_metadata(item, track_id) if item else None

    def tracks(self, ids: list[str], on_progress: ProgressFn | None = None) -> ProviderResult:
        """Look tracks up one by one with bounded concurrency, keeping partial results.

        Parameters
        ----------
        ids
            Track ids (already unique).
        on_progress
            Called with a :class:`~core.progress.Progress` as lookups finish (from the calling
            thread).

        Returns
        -------
        ProviderResult
            Found metadata by id, ids Spotify does not know, ids not tried because the provider
            failed (with the reason in ``error``).
        """
        result = ProviderResult()
        if not ids:
            return result
        self.gate.stop.clear()
        try:
            self._ensure_token()
        except ProviderError as exc:
            result.error, result.not_tried = str(exc), list(ids)
            return result
        lock = threading.Lock()

        def one(track_id: str) -> None:
            _worker.active = True
            if self.gate.stop.is_set():
                with lock:
                    result.not_tried.append(track_id)
                return
            try:
                meta = self.track(track_id)
            except ProviderError as exc:
                with lock:
                    result.not_tried.append(track_id)
                    if result.error is None and str(exc) != f"{PROVIDER}: stopped.":
                        result.error = str(exc)
                self.gate.stop.set()
                return
            with lock:
                if meta is None:
                    result.missing.append(track_id)
                else:
                    result.found[track_id] = meta

        with ThreadPoolExecutor(max_workers=self.max_workers) as pool:
            pending = {pool.submit(one, track_id) for track_id in ids}
            while pending:  # callbacks run here, in the caller's thread, at least every 0.25 s
                _, pending = wait(pending, timeout=0.25, return_when=FIRST_COMPLETED)
                self._drain_waits()
                if on_progress is not None:
                    on_progress(Progress(PHASE_TRACKS, len(ids) - len(pending), len(ids), "ids"))
        return result

    def audio_features(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """Spotify's own audio features for up to 100 ids (old apps only).

        Raises
        ------
        AudioFeaturesForbiddenError
            On 403, which every app created after November 2024 gets.
        ProviderError
            When Spotify is down or rate-limits beyond the cap.
        """
        if not ids:
            return {}
        try:
            res = self._call(lambda: self._sp._get("audio-features", ids=",".join(ids[:100])))
        except ProviderError as exc:
            if exc.status == 403:
                raise AudioFeaturesForbiddenError(
                    PROVIDER,
                    "audio-features answered 403: Spotify closed this endpoint to apps "
                    "created after November 2024, so features come from the catalog, your "
                    "upload or ReccoBeats instead.",
                    403,
                ) from exc
            raise
        items = (res or {}).get("audio_features") or []
        return {it["id"]: it for it in items if it and it.get("id")}
