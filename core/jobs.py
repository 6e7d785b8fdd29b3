"""Background jobs: run long work in a thread so a page can poll it, show progress and stop it.

A :class:`Job` wraps ``work(on_progress, should_stop) -> result``. The thread never touches the
UI; the page reads ``job.latest``/``job.points`` on each rerun and calls ``job.stop()`` from a
button callback. Pure Python (no Streamlit), so it is tested directly.

A job can be tied to its owner with ``alive`` (the UI passes "is this browser session still
connected?"): once ``alive()`` has been false for ``grace_s`` seconds, the work is asked to stop
at its next step, so nobody's closed tab keeps a core busy.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from core import compute
from core.compute import WaitCancelledError
from core.progress import Progress, ProgressFn, StopFn
from core.safety import describe_error

log = logging.getLogger(__name__)

Work = Callable[[ProgressFn, StopFn], Any]


class Job:
    """One background run with thread-safe progress, result, error and a stop flag."""

    def __init__(
        self,
        work: Work,
        label: str = "",
        *,
        alive: Callable[[], bool] | None = None,
        grace_s: float = 5.0,
    ) -> None:
        self.label = label
        self._work = work
        self._alive = alive
        self._grace_s = grace_s
        self._gone_since: float | None = None
        self._last_check = 0.0
        self.abandoned = False  # stopped because its owner went away
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self.latest: Progress | None = None
        self.points: list[Progress] = []
        self.result: Any = None
        self.error: str | None = None
        self.started = time.time()
        self.finished: float | None = None
        self._thread = threading.Thread(target=self._run, name=f"job-{label}", daemon=True)

    def start(self) -> Job:
        """Start the thread and return self."""
        self._thread.start()
        return self

    def _progress(self, progress: Progress) -> None:
        with self._lock:
            self.latest = progress
            self.points.append(progress)

    def _run(self) -> None:
        try:
            self.result = self._work(self._progress, self._should_stop)
        except WaitCancelledError:
            self.error = "Stopped before it started (it was waiting for a free core)."
        except Exception as exc:  # reported to the page as a message, logged with traceback
            log.exception("job %s failed", self.label)
            self.error = describe_error(exc)  # one line, no native trace or server path
        finally:
            self.finished = time.time()
            # the server's own time for the job (queueing for a core included), for operators
            # and the load bench: a browser shows the result later when its renderer is busy
            outcome = "failed" if self.error else "stopped" if self._stop.is_set() else "finished"
            log.info(
                "job %s %s in %.2f s, %.2f s of it queued for a core",
                self.label,
                outcome,
                self.elapsed,
                compute.queued_seconds(),
            )

    def _should_stop(self) -> bool:
        """The work's stop check: a Stop press, or an owner gone for longer than the grace."""
        if self._stop.is_set() or self._alive is None:
            return self._stop.is_set()
        now = time.monotonic()
        if now - self._last_check < 0.5:  # cheap enough to call on every step
            return False
        self._last_check = now
        try:
            alive = bool(self._alive())
        except Exception:  # a broken check must not kill the work
            alive = True
        if alive:
            self._gone_since = None
        elif self._gone_since is None:
            self._gone_since = now
        elif now - self._gone_since >= self._grace_s:
            log.warning("job %s stopped: its session ended", self.label)
            self.abandoned = True
            self._stop.set()
        return self._stop.is_set()

    def stop(self) -> None:
        """Ask the work to stop at its next step (it keeps what it has)."""
        self._stop.set()

    @property
    def stop_requested(self) -> bool:
        """Whether ``stop`` was called."""
        return self._stop.is_set()

    @property
    def running(self) -> bool:
        """Whether the thread is still working."""
        return self._thread.is_alive()

    def wait(self, timeout: float | None = None) -> bool:
        """Block up to ``timeout`` seconds; return True when the job has finished."""
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def snapshot(self) -> tuple[Progress | None, list[Progress]]:
        """The latest progress and a copy of every point so far."""
        with self._lock:
            return self.latest, list(self.points)

    @property
    def elapsed(self) -> float:
        """Seconds since start (until finish once finished)."""
        return (self.finished or time.time()) - self.started
