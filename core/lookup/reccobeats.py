"""ReccoBeats client: keyless audio features (and basic metadata) for Spotify track ids.

``GET {base}/audio-features?ids=a,b,…`` (at most 40 ids a call) answers
``{"content": [{"id": <ReccoBeats uuid>, "href": "https://open.spotify.com/track/<id>",
"acousticness": …, "danceability": …, "energy": …, "instrumentalness": …, "key": …,
"liveness": …, "loudness": …, "mode": …, "speechiness": …, "tempo": …, "valence": …}]}``.
The Spotify id appears only inside ``href``; ids it does not know are simply absent, so we
report them as missing. ``GET {base}/track?ids=…`` answers the same envelope with
``trackTitle``, ``artists`` (``[{"name": …}]``), ``durationMs``, ``href``, ``popularity``.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import requests

from core.catalog.schema import AUDIO_COLUMNS
from core.lookup.ratelimit import Gate, ProviderError, ProviderResult, RetryPolicy, WaitFn
from core.lookup.trackids import parse_track_id
from core.outbound import Budget, DeadlineExceeded, DeadlineSession, default_deadline
from core.progress import Progress, ProgressFn

log = logging.getLogger(__name__)

DEFAULT_BASE = "https://api.reccobeats.com/v1"
BATCH_SIZE = 40
PROVIDER = "ReccoBeats"
#: The audio features ReccoBeats serves (no duration or time signature).
FEATURE_KEYS: tuple[str, ...] = tuple(
    c for c in AUDIO_COLUMNS if c not in ("duration_ms", "time_signature")
)


def api_base() -> str:
    """ReccoBeats base URL (env ``RECCOBEATS_API_BASE``), without a trailing slash."""
    return (os.environ.get("RECCOBEATS_API_BASE") or DEFAULT_BASE).rstrip("/")


def _items_by_id(payload: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """The items of a ReccoBeats answer that carry a Spotify id in their ``href``."""
    items = payload.get("content") if isinstance(payload, dict) else None
    for item in items or []:
        if isinstance(item, dict):
            track_id = parse_track_id(item.get("href"))
            if track_id is not None:
                yield track_id, item


def parse_features(payload: Any) -> dict[str, dict[str, float]]:
    """Map a ``/audio-features`` answer to ``{spotify_id: {feature: value}}``.

    Items without a parsable ``href`` or with a non-numeric feature are skipped.

    Parameters
    ----------
    payload
        The decoded JSON body.

    Returns
    -------
    dict
        Audio features by Spotify id.
    """
    out: dict[str, dict[str, float]] = {}
    for track_id, item in _items_by_id(payload):
        values: dict[str, float] = {}
        for key in FEATURE_KEYS:
            val = item.get(key)
            if isinstance(val, int | float) and not isinstance(val, bool):
                values[key] = float(val)
        if "valence" in values:
            out[track_id] = values
    return out


def parse_tracks(payload: Any) -> dict[str, dict[str, Any]]:
    """Map a ``/track`` answer to ``{spotify_id: metadata}`` (catalog-like column names)."""
    out: dict[str, dict[str, Any]] = {}
    for track_id, item in _items_by_id(payload):
        artists = [a.get("name", "") for a in item.get("artists") or [] if isinstance(a, dict)]
        out[track_id] = {
            "track_id": track_id,
            "track_name": item.get("trackTitle"),
            "artists": ";".join(a for a in artists if a) or None,
            "duration_ms": item.get("durationMs"),
            "popularity": item.get("popularity"),
        }
    return out


class ReccoBeatsClient:
    """Batched ReccoBeats lookups with our own 429/5xx handling and a timeout on every call.

    Parameters
    ----------
    timeout
        Overall deadline of one HTTP call (connect + whole answer; default
        ``core.outbound.default_deadline()``). A call past it stops ReccoBeats for the lookup.
    budget
        The lookup's total time allowance, shared with the other provider.
    policy
        Retry policy for 429 / 5xx / connection errors.
    on_wait
        Called with ``(seconds, message)`` when waiting.
    sleep
        The sleeping function.
    """

    def __init__(
        self,
        *,
        timeout: float | None = None,
        budget: Budget | None = None,
        policy: RetryPolicy | None = None,
        on_wait: WaitFn | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.base = api_base()
        self.timeout = timeout or default_deadline()
        self.budget = budget
        self.down: str | None = None  # set when a call ran past its deadline: stop asking
        self.policy = policy or RetryPolicy()
        self.on_wait = on_wait
        self.gate = Gate(sleep=sleep)
        self._session = DeadlineSession(self.timeout, budget=budget)
        self._session.headers["Accept"] = "application/json"

    def _get(self, path: str, ids: list[str]) -> Any:
        attempt = 0
        while True:
            if self.down is not None:
                raise ProviderError(PROVIDER, self.down)
            self.gate.wait()
            try:
                resp = self._session.get(f"{self.base}/{path}", params={"ids": ",".join(ids)})
                status, headers = resp.status_code, resp.headers
                if status == 200:
                    try:
                        return resp.json()
                    except ValueError as exc:
                        raise ProviderError(
                            PROVIDER, "answered with something that is not JSON."
                        ) from exc
                if status in (400, 404):
                    return {"content": []}
            except DeadlineExceeded as exc:
                self.down = f"{exc}; stopped asking it for this lookup."
                raise ProviderError(PROVIDER, self.down) from exc
            except (requests.Timeout, requests.ConnectionError) as exc:
                status, headers = 0, None
                log.info("ReccoBeats call failed: %s", type(exc).__name__)
            policy = self.policy
            wait, reason = policy.wait_or_raise(PROVIDER, status, headers, attempt, self.budget)
            if self.on_wait is not None:
                self.on_wait(wait, f"{PROVIDER} {reason}")
            self.gate.pause(wait)
            attempt += 1

    def _batched(
        self,
        path: str,
        phase: str,
        ids: list[str],
        parse: Callable[[Any], dict[str, dict[str, Any]]],
        on_progress: ProgressFn | None,
    ) -> ProviderResult:
        result = ProviderResult()
        for start in range(0, len(ids), BATCH_SIZE):
            batch = ids[start : start + BATCH_SIZE]
            try:
                found = parse(self._get(path, batch))
            except ProviderError as exc:
                result.error = str(exc)
                result.not_tried = list(ids[start:])
                break
            wanted = set(batch)
            result.found.update({k: v for k, v in found.items() if k in wanted})
            result.missing += [i for i in batch if i not in found]
            if on_progress is not None:
                on_progress(Progress(phase, min(start + BATCH_SIZE, len(ids)), len(ids), "ids"))
        return result

    def audio_features(
        self, ids: list[str], on_progress: ProgressFn | None = None
    ) -> ProviderResult:
        """Audio features for any number of ids, 40 per call, keeping partial results.

        Parameters
        ----------
        ids
            Unique Spotify track ids.
        on_progress
            Called with a :class:`~core.progress.Progress` (ids done of all) after each batch.

        Returns
        -------
        ProviderResult
            Features by id; ids ReccoBeats lacks in ``missing``; ids left when it failed in
            ``not_tried`` with the reason in ``error``.
        """
        return self._batched(
            "audio-features", f"{PROVIDER} audio features", ids, parse_features, on_progress
        )

    def tracks(self, ids: list[str], on_progress: ProgressFn | None = None) -> ProviderResult:
        """Basic metadata (title, artists, duration, popularity) for ids, 40 per call."""
        return self._batched("track", f"{PROVIDER} track details", ids, parse_tracks, on_progress)
