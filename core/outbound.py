"""Outbound HTTP with an overall deadline per call and an optional total budget per task.

``requests`` timeouts apply to each socket read, so a server that answers 200 and then sends
one byte every few seconds keeps a call (and its socket) alive for as long as it likes.
:class:`DeadlineSession` bounds the *whole* call, connect + headers + body: a watchdog timer
shuts the call's socket down when the deadline passes, the response is closed, and the caller
gets :class:`DeadlineExceeded` (a ``requests.Timeout``) with a message fit for a user.

:class:`Budget` is a wall-clock allowance shared by every call of one task (a lookup): each
call's deadline is cut to what is left of it, and once it is spent no new call starts.
Pure Python; no Streamlit.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

DEFAULT_DEADLINE_S = 10.0
CONNECT_TIMEOUT_S = 5.0
DEFAULT_MAX_BODY = 20 * 1024 * 1024
_CHUNK = 1 << 14
_local = threading.local()


class DeadlineExceeded(requests.Timeout):
    """A call (or the task's budget) ran out of time; the message says which and how long."""


class Budget:
    """A total time allowance for one task, shared by all its calls (thread-safe to read).

    Parameters
    ----------
    seconds
        The allowance, counted from construction.
    """

    def __init__(self, seconds: float) -> None:
        self.seconds = float(seconds)
        self.started = time.monotonic()

    def remaining(self) -> float:
        """Seconds left (never negative)."""
        return max(0.0, self.seconds - (time.monotonic() - self.started))

    @property
    def spent(self) -> bool:
        """Whether the allowance is used up."""
        return self.remaining() <= 0.0

    @property
    def elapsed(self) -> float:
        """Seconds since the task started."""
        return time.monotonic() - self.started


class _Watch:
    """The connections one call used, and a timer that shuts them down at its deadline."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.fired = False
        self.connections: list[HTTPConnection] = []
        self._lock = threading.Lock()
        self._previous: _Watch | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True

    def add(self, conn: HTTPConnection) -> None:
        with self._lock:
            self.connections.append(conn)
            fired = self.fired
        if fired:  # a connection picked up after the deadline: close it at once
            _shutdown(conn)
        if self._previous is not None:  # an enclosing ``watched`` block bounds it too
            self._previous.add(conn)

    def _fire(self) -> None:
        with self._lock:
            self.fired = True
            conns = list(self.connections)
        for conn in conns:
            _shutdown(conn)

    def __enter__(self) -> _Watch:
        self._previous = getattr(_local, "watch", None)
        _local.watch = self
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()
        _local.watch = self._previous


def _shutdown(conn: HTTPConnection) -> None:
    """Make a blocked read on ``conn`` return at once, then close it (never reused)."""
    sock = getattr(conn, "sock", None)
    if sock is not None:  # the OS-level shutdown, also for TLS sockets (no close_notify)
        with contextlib.suppress(OSError):
            socket.socket.shutdown(sock, socket.SHUT_RDWR)


class _Watched:
    """Mixed into a connection class: each request joins the calling thread's watch, if any."""

    def request(self, *args: Any, **kwargs: Any) -> None:
        watch = getattr(_local, "watch", None)
        if watch is not None:
            watch.add(self)
        super().request(*args, **kwargs)  # type: ignore[misc]


class _WatchedHTTPConnection(_Watched, HTTPConnection):
    pass


class _WatchedHTTPSConnection(_Watched, HTTPSConnection):
    pass


class _WatchedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _WatchedHTTPConnection


class _WatchedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _WatchedHTTPSConnection


_POOLS = {"http": _WatchedHTTPPool, "https": _WatchedHTTPSPool}


class _WatchedAdapter(HTTPAdapter):
    """An adapter whose connections register with the calling thread's watch."""

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _POOLS

    def proxy_manager_for(self, proxy: str, **proxy_kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **proxy_kwargs)
        manager.pool_classes_by_scheme = _POOLS
        return manager


def _describe(url: str) -> str:
    """Scheme and host of a URL (no path or query: those may carry ids or tokens)."""
    parsed = requests.utils.urlparse(url)
    return f"{parsed.scheme}://{parsed.hostname}" if parsed.hostname else "the server"


class DeadlineSession(requests.Session):
    """A ``requests.Session`` whose every call finishes (or fails) within ``deadline_s``.

    Parameters
    ----------
    deadline_s
        Longest wall-clock time for one call: connect, headers and the whole body.
    budget
        Optional total allowance shared with other calls; each call gets at most what is left.
    max_body
        Largest body read into memory (bytes); more fails the call.
    pool_maxsize
        Connections kept per host (for concurrent callers).
    """

    def __init__(
        self,
        deadline_s: float = DEFAULT_DEADLINE_S,
        *,
        budget: Budget | None = None,
        max_body: int = DEFAULT_MAX_BODY,
        pool_maxsize: int = 10,
    ) -> None:
        super().__init__()
        self.deadline_s = float(deadline_s)
        self.budget = budget
        self.max_body = max_body
        adapter = _WatchedAdapter(pool_maxsize=pool_maxsize, max_retries=0)
        self.mount("http://", adapter)
        self.mount("https://", adapter)

    def call_limit(self) -> float:
        """Seconds the next call may take (the deadline, cut to the budget's remainder)."""
        limit = self.deadline_s
        if self.budget is not None:
            limit = min(limit, self.budget.remaining())
        return limit

    def request(self, method: str | bytes, url: str | bytes, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        """Like ``requests.Session.request``, but the whole call is bounded (body read here)."""
        where = _describe(str(url))
        limit = self.call_limit()
        if limit <= 0:
            raise DeadlineExceeded(
                f"the time budget of {self.budget.seconds:.0f} s is spent"  # type: ignore[union-attr]
                if self.budget is not None
                else f"no time left to call {where}"
            )
        stream = kwargs.pop("stream", False)
        read = _read_timeout(kwargs.get("timeout"))
        kwargs["timeout"] = (min(CONNECT_TIMEOUT_S, limit), min(read, limit) if read else limit)
        started = time.monotonic()
        resp: requests.Response | None = None
        with _Watch(limit) as watch:
            try:
                resp = super().request(method, url, stream=True, **kwargs)
                if not stream:
                    _read_body(resp, started + limit, self.max_body)
            except DeadlineExceeded:
                _close(resp)
                raise
            except (requests.RequestException, OSError, ValueError) as exc:
                _close(resp)
                if watch.fired or time.monotonic() - started >= limit:
                    raise DeadlineExceeded(
                        f"{where} did not finish answering within {limit:.0f} s"
                    ) from exc
                raise
        return resp  # streamed: the caller reads the body (inside ``watched``) and checks the clock


def _read_timeout(value: Any) -> float | None:
    """The per-read timeout a caller asked for (``requests``' float or ``(connect, read)``)."""
    if isinstance(value, tuple | list) and len(value) == 2:
        value = value[1]
    return float(value) if isinstance(value, int | float) and value > 0 else None


def default_deadline() -> float:
    """Per-call deadline in seconds (env ``VALENCE_LAB_HTTP_DEADLINE_S``, default 10)."""
    try:
        value = float(os.environ.get("VALENCE_LAB_HTTP_DEADLINE_S", DEFAULT_DEADLINE_S))
    except ValueError:
        return DEFAULT_DEADLINE_S
    return value if 0 < value <= 600 else DEFAULT_DEADLINE_S


def _close(resp: requests.Response | None) -> None:
    if resp is not None:
        resp.close()


def _read_body(resp: requests.Response, deadline: float, max_body: int) -> None:
    """Read the whole body into ``resp`` before ``deadline`` (monotonic), else close and raise."""
    chunks: list[bytes] = []
    size = 0
    try:
        for chunk in resp.iter_content(_CHUNK):
            chunks.append(chunk)
            size += len(chunk)
            if size > max_body:
                raise requests.ConnectionError(f"the answer is larger than {max_body:,} bytes")
            if time.monotonic() > deadline:
                raise DeadlineExceeded(
                    f"{_describe(resp.url)} did not finish answering in time "
                    f"({size:,} bytes after the deadline)"
                )
    except BaseException:
        resp.close()
        raise
    resp._content = b"".join(chunks)  # noqa: SLF001 - what requests itself sets after reading
    resp._content_consumed = True  # noqa: SLF001
    resp.close()  # returns the connection to the pool


@contextmanager
def watched(seconds: float) -> Iterator[None]:
    """Run a block (e.g. a streamed download) under one deadline: its sockets shut at the end.

    Calls made through a :class:`DeadlineSession` inside the block are cut off when
    ``seconds`` have passed; the caller should still check the clock between chunks.
    """
    with _Watch(seconds):
        yield
