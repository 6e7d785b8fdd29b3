"""Background jobs: run long work in a thread so a page can poll it, show progress and stop it.

A :class:`Job` wraps ``work(on_progress, should_stop) -> result``. The thread never touches the
UI; the page reads ``job.latest``/``job.points`` on each rerun and calls ``job.stop()`` from a
button callback. Pure Python (no Streamlit), so it is tested directly.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from core.compute import WaitCancelledError
from core.progress import Progress, ProgressFn, StopFn

log = logging.getLogger(__name__)

Work = Callable[[ProgressFn, StopFn], Any]


class Job:
    """One background run with thread-safe progress, result, error and a stop flag."""

    def __init__(self, work: Work, label: str = "") -> None:
        self.label = label
        self._work = work
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
            self.result = self._work(self._progress, self._stop.is_set)
        except WaitCancelledError:
            self.error = "Stopped before it started (it was waiting for a free core)."
        except Exception as exc:  # reported to the page as a message, logged with traceback
            log.exception("job %s failed", self.label)
            self.error = f"{type(exc).__name__}: {exc}"
        finally:
            self.finished = time.time()

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
