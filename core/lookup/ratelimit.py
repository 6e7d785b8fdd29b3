"""Shared handling of 429 / 5xx answers for the Spotify and ReccoBeats clients.

Neither client lets its HTTP library retry (spotipy can sleep for an hour on a 429); they ask a
``RetryPolicy`` what to do after each failed attempt and share one ``Gate`` per provider, so a
``Retry-After`` seen by one worker thread pauses all of them. ``ProviderResult`` is what
both clients return for a batch of ids.
"""

from __future__ import annotations

import email.utils
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

log = logging.getLogger(__name__)

#: ``on_wait(seconds, message)``: a provider asked us to wait (the page shows it).
WaitFn = Callable[[float, str], None]


class ProviderError(RuntimeError):
    """A provider failed in a way retrying will not fix (down, timed out, refused, rate-capped).

    Parameters
    ----------
    provider
        "Spotify" or "ReccoBeats".
    message
        What happened, fit to show to a user (never contains credentials).
    status
        The HTTP status when there was one.
    """

    def __init__(self, provider: str, message: str, status: int | None = None) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.status = status


@dataclass
class ProviderResult:
    """A provider's answer for many ids: results by Spotify id, ids it lacks, ids not tried.

    ``missing`` are ids the provider answered for but does not know; ``not_tried`` are ids
    left when it failed, with the reason in ``error`` (what was found so far is kept).
    """

    found: dict[str, dict[str, Any]] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    not_tried: list[str] = field(default_factory=list)
    error: str | None = None


def retry_after_seconds(headers: Mapping[str, str] | None, default: float = 1.0) -> float:
    """Seconds from a ``Retry-After`` header (delta-seconds or an HTTP date); ``default`` if absent.

    Parameters
    ----------
    headers
        Response headers (any case-insensitive or plain mapping).
    default
        Used when the header is missing or unreadable.

    Returns
    -------
    float
        A non-negative number of seconds.
    """
    if not headers:
        return default
    value = None
    for key, val in headers.items():
        if str(key).lower() == "retry-after":
            value = str(val).strip()
            break
    if not value:
        return default
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return default
    return max(0.0, when.timestamp() - time.time())


@dataclass
class RetryPolicy:
    """How long to wait after a failed attempt, or whether to give up.

    Attributes
    ----------
    max_wait_s
        Longest ``Retry-After`` we honour; a longer one stops the provider for this run.
    max_attempts
        Tries per request (the first one included) for 429 and 5xx answers.
    backoff_s
        First 5xx backoff; doubled on each further attempt.
    max_backoff_s
        Cap on one 5xx backoff.
    max_attempts_unreachable
        Tries after a timeout or connection error (each may already have cost a full timeout).
    """

    max_wait_s: float = 30.0
    max_attempts: int = 4
    backoff_s: float = 0.5
    max_backoff_s: float = 4.0
    max_attempts_unreachable: int = 2

    def wait_for(
        self, status: int, headers: Mapping[str, str] | None, attempt: int
    ) -> tuple[float | None, str]:
        """Seconds to wait before attempt ``attempt + 1`` (None: give up) and why.

        Parameters
        ----------
        status
            HTTP status of the failed attempt (0 for a connection error).
        headers
            Its headers.
        attempt
            0-based index of the attempt that failed.

        Returns
        -------
        tuple
            ``(seconds or None, reason)``.
        """
        if status == 0 and attempt + 1 >= min(self.max_attempts, self.max_attempts_unreachable):
            return None, "could not be reached or did not answer in time"
        if attempt + 1 >= self.max_attempts:
            return None, f"gave up after {self.max_attempts} attempts (last status {status})"
        if status == 429:
            wait = retry_after_seconds(headers)
            if wait > self.max_wait_s:
                return (
                    None,
                    f"rate limited: asked to wait {wait:.0f} s (more than {self.max_wait_s:.0f} s)",
                )
            return wait, f"rate limited: waiting {wait:.0f} s as asked (Retry-After)"
        if status >= 500 or status == 0:
            wait = min(self.max_backoff_s, self.backoff_s * 2**attempt)
            return wait, f"server error {status}: retrying in {wait:.1f} s"
        return None, f"status {status}"

    def wait_or_raise(
        self,
        provider: str,
        status: int,
        headers: Mapping[str, str] | None,
        attempt: int,
        budget: Any = None,
    ) -> tuple[float, str]:
        """:meth:`wait_for`, raising :class:`ProviderError` where the client must give up.

        It gives up when the policy says so, or when the wait would outlast the lookup's time
        ``budget`` (an object with ``remaining()`` seconds, or None for no budget).
        """
        wait, reason = self.wait_for(status, headers, attempt)
        if wait is None:
            raise ProviderError(provider, reason, status or None)
        if budget is not None and wait >= budget.remaining():
            raise ProviderError(
                provider,
                f"{reason}, but the lookup's time budget has only {budget.remaining():.0f} s left.",
                status or None,
            )
        return wait, reason


@dataclass
class Gate:
    """A pause shared by the worker threads of one provider, plus a stop flag.

    Attributes
    ----------
    sleep
        The sleeping function (tests may pass a fake).
    """

    sleep: Callable[[float], None] = time.sleep
    _resume_at: float = 0.0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    stop: threading.Event = field(default_factory=threading.Event)

    def pause(self, seconds: float) -> None:
        """Hold every worker for ``seconds`` from now (the longest pause wins)."""
        with self._lock:
            self._resume_at = max(self._resume_at, time.monotonic() + seconds)

    def wait(self) -> None:
        """Block until any pause has passed (returns early when stopped)."""
        while not self.stop.is_set():
            with self._lock:
                left = self._resume_at - time.monotonic()
            if left <= 0:
                return
            self.sleep(min(left, 0.25))
