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
from urllib.parse import urlparse

import requests
import spotipy
from spotipy.cache_handler import MemoryCacheHandler
from spotipy.exceptions import SpotifyException, SpotifyOauthError
from spotipy.oauth2 import SpotifyClientCredentials

from core.lookup.ratelimit import Gate, ProviderError, ProviderResult, RetryPolicy, WaitFn
from core.outbound import Budget, DeadlineExceeded, DeadlineSession, default_deadline
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


def token_error_message(exc: BaseException) -> str:
    """What a failed token request means, from the HTTP status behind it (for the user).

    Only a 400/401 ``invalid_client`` answer means the id or secret is wrong; a 429, a 5xx or a
    404 is the token service's problem (or a wrong ``SPOTIFY_AUTH_URL``), not the user's.
    """
    http = exc.__context__ if isinstance(exc.__context__, requests.HTTPError) else None
    response = getattr(http, "response", None)
    status = getattr(response, "status_code", None)
    error = str(getattr(exc, "error", "") or "")
    if status in (400, 401) and error in ("invalid_client", "unauthorized_client", ""):
        return "the client id or secret was refused (check them)."
    if status == 429:
        wait = response.headers.get("Retry-After") if response is not None else None
        after = f" (it asks to wait {wait} s)" if wait and str(wait).isdigit() else ""
        return f"the token service is rate-limiting this app{after}; try again in a minute."
    if status is not None and status >= 500:
        return f"the token service is having problems (HTTP {status}); try again later."
    if status == 404:
        return "the token endpoint was not found (HTTP 404): check SPOTIFY_AUTH_URL."
    if status is not None:
        return f"the token service refused the request (HTTP {status})."
    return "the token service answered with something unexpected."


class _ClientCredentials(SpotifyClientCredentials):
    """Client-credentials flow whose token URL is configurable (tests use a local server)."""

    def __init__(self, *, token_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.OAUTH_TOKEN_URL = token_url


#: Hosts Spotify serves cover art from; the page loads images from these only.
IMAGE_HOSTS: tuple[str, ...] = (".scdn.co", ".spotifycdn.com")


def is_cover_url(url: object) -> bool:
    """Whether ``url`` is an https URL on Spotify's image CDN (safe for the page to load)."""
    if not isinstance(url, str):
        return False
    parsed = urlparse(url)
    host = parsed.hostname or ""
    return parsed.scheme == "https" and host.endswith(IMAGE_HOSTS)


def _pick_image(images: list[dict[str, Any]]) -> str | None:
    """The smallest album image at least 64 px wide (a table thumbnail), else any.

    Only images on Spotify's CDN are kept: the browser fetches them, and an API answer is
    not trusted to name any host.
    """
    usable = [im for im in images if isinstance(im, dict) and is_cover_url(im.get("url"))]
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
        Overall deadline of one HTTP call in seconds: connect, headers and the whole answer
        (default ``core.outbound.default_deadline()``). A call that runs past it stops this
        provider for the rest of the lookup.
    budget
        The lookup's total time allowance, shared with the other provider; no call starts
        once it is spent and none runs past it.
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
        timeout: float | None = None,
        budget: Budget | None = None,
        max_workers: int = 8,
        policy: RetryPolicy | None = None,
        on_wait: WaitFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self.max_workers = max_workers
        self.gate = Gate(sleep=sleep)
        self.budget = budget
        self.down: str | None = None  # set when a call ran past its deadline: stop asking
        self._token_lock = threading.Lock()
        self._wait_lock = threading.Lock()
        self._waits: list[tuple[float, str]] = []
        timeout = timeout or default_deadline()
        # No retry adapter (429/5xx come back to us with headers); every call has an overall
        # deadline (connect + whole body), cut to the lookup's remaining budget.
        session = DeadlineSession(timeout, budget=budget, pool_maxsize=max(10, max_workers))
        self._auth = _ClientCredentials(
            token_url=auth_url(),
            client_id=credentials.client_id,
            client_secret=credentials.client_secret,
            requests_timeout=timeout,
            requests_session=session,
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

    def _give_up(self, exc: DeadlineExceeded) -> ProviderError:
        """Stop asking Spotify for the rest of this lookup after a call ran out of time."""
        self.down = f"{exc}; stopped asking it for this lookup."
        self.gate.stop.set()
        return ProviderError(PROVIDER, self.down)

    def _ensure_token(self) -> None:
        if self.down is not None:
            raise ProviderError(PROVIDER, self.down)
        with self._token_lock:
            if self.down is not None:
                raise ProviderError(PROVIDER, self.down)
            try:
                self._auth.get_access_token(as_dict=False)
            except SpotifyOauthError as exc:
                message = token_error_message(exc)
                status = 401 if "refused (check" in message else None
                raise ProviderError(PROVIDER, message, status) from exc
            except DeadlineExceeded as exc:
                raise self._give_up(exc) from exc
            except requests.RequestException as exc:
                raise ProviderError(
                    PROVIDER, f"the token service could not be reached ({type(exc).__name__})."
                ) from exc
            except (ValueError, KeyError, TypeError) as exc:  # 200 with no usable token
                raise ProviderError(
                    PROVIDER, "the token service answered with something that is not a token."
                ) from exc

    def _call(self, fn: Callable[[], Any]) -> Any:
        """Run one API call with our 429/5xx handling; 404/400 return None."""
        self._ensure_token()
        attempt = 0
        while True:
            self.gate.wait()
            if self.gate.stop.is_set():
                raise ProviderError(PROVIDER, "stopped.")
            if self.down is not None:
                raise ProviderError(PROVIDER, self.down)
            try:
                return fn()
            except DeadlineExceeded as exc:
                raise self._give_up(exc) from exc
            except SpotifyException as exc:
                status, headers = exc.http_status, exc.headers
                if status in (400, 404):
                    return None
                if status in (401, 403):
                    what = "the access token was refused." if status == 401 else "access refused"
                    raise ProviderError(PROVIDER, f"{what} ({status}).", status) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                status, headers = 0, None
                log.info("Spotify call failed: %s", type(exc).__name__)
            self._wait_before_retry(status, headers, attempt)
            attempt += 1

    def _wait_before_retry(self, status: int, headers: Any, attempt: int) -> None:
        """Wait as the policy says before the next attempt, or raise when we should give up."""
        wait, reason = self.policy.wait_or_raise(PROVIDER, status, headers, attempt, self.budget)
        if status == 429:
            self.gate.pause(wait)
        self._notify(wait, f"{PROVIDER} {reason}")
        if status != 429:
            self.gate.sleep(wait)

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
