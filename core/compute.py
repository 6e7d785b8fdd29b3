"""One CPU budget for the whole server process: heavy jobs queue for cores, nothing else does.

On a shared 2-core machine, OpenMP/joblib threads that outnumber the free cores spin at barriers
while their partner is descheduled: a 2-thread XGBoost fit next to one busy core is ~1.6x slower
than a 1-thread fit, and 3-5x slower under heavy load (issue 11). A global
``OMP_WAIT_POLICY=PASSIVE`` would cure that but slows a solo fit 2.5x. So every heavy job
(training, tuning, SHAP of a sample, permutation importance, UMAP, the recipe, a lookup's CPU
part) asks this gate for cores and is told how many threads to use::

    from core import compute

    with compute.slot("fit xgboost", on_wait=lambda ahead: print(f"waiting behind {ahead}")) as n:
        XGBRegressor(n_jobs=n).fit(X, y)

Rules
-----
* ``free_cores()`` is what this process may use: ``os.sched_getaffinity`` capped by the cgroup
  CPU quota (v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``); ``VALENCE_LAB_CPU_BUDGET`` overrides it.
* A job starts when it is first in line and at least one core of the budget is free; it gets
  ``min(max_threads, cores not held by running jobs, cores not busy with other work)`` threads,
  fixed for its run, so the threads of all jobs never exceed the budget. "Busy with other work"
  is sampled from ``/proc/stat`` for the allowed CPUs over ~0.1 s (interactive reruns, other
  processes); set ``VALENCE_LAB_CPU_PROBE=0`` to skip the probe.
* A queued job gets ``on_wait(ahead)`` (jobs running or queued before it) when it starts
  waiting and whenever that number changes; ``should_stop`` ends the wait with
  :class:`WaitCancelledError`.
* Slots are re-entrant per thread: a fit inside a tuning trial inside a job uses the outer
  slot's threads instead of queueing behind itself.
* Interactive work (filters, tabs, charts, one track's SHAP or what-if) never calls ``slot``
  and so never waits.

Pure Python, no Streamlit: the UI turns ``on_wait`` into a progress message.
"""

from __future__ import annotations

import itertools
import logging
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

WaitFn = Callable[[int], None]
StopFn = Callable[[], bool]
POLL_S = 0.2
PROBE_S = 0.1
#: A job that waited at least this long for a core logs its start at INFO (operators and the
#: load bench read it); quicker starts log at DEBUG, so slider-driven SHAP calls stay quiet.
WAIT_LOG_S = 0.1

__all__ = [
    "WaitCancelledError",
    "Gate",
    "busy_cores",
    "free_cores",
    "gate",
    "held_threads",
    "queued_seconds",
    "slot",
]


class WaitCancelledError(RuntimeError):
    """A job was stopped while it waited for a core."""


def _cgroup_quota(root: Path = Path("/sys/fs/cgroup")) -> float | None:
    """CPUs allowed by the cgroup quota (None when unlimited or unknown)."""
    try:
        quota, period = (root / "cpu.max").read_text().split()[:2]  # cgroup v2
        return None if quota == "max" else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:  # cgroup v1
        quota = int((root / "cpu" / "cpu.cfs_quota_us").read_text())
        period = int((root / "cpu" / "cpu.cfs_period_us").read_text())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def _allowed_cpus() -> list[int]:
    try:
        return sorted(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # not Linux
        return list(range(os.cpu_count() or 1))


def free_cores() -> int:
    """Cores this process may use: CPU affinity capped by the cgroup quota (at least 1)."""
    override = os.environ.get("VALENCE_LAB_CPU_BUDGET", "").strip()
    if override.isdigit() and int(override) > 0:
        return int(override)
    cores = len(_allowed_cpus())
    quota = _cgroup_quota()
    if quota is not None:
        cores = min(cores, max(1, int(quota)))  # a 1.5-CPU quota runs 1 thread without throttling
    return max(1, cores)


def _cpu_times(cpus: list[int]) -> tuple[int, int] | None:
    """(busy, total) jiffies summed over ``cpus`` from /proc/stat (None when unreadable)."""
    try:
        lines = Path("/proc/stat").read_text().splitlines()
    except OSError:
        return None
    wanted = {f"cpu{c}" for c in cpus}
    busy = total = 0
    for line in lines:
        parts = line.split()
        if parts and parts[0] in wanted:
            values = [int(v) for v in parts[1:9]]
            idle = values[3] + values[4]  # idle + iowait
            total += sum(values)
            busy += sum(values) - idle
    return (busy, total) if total else None


def busy_cores(window_s: float = PROBE_S) -> float:
    """Cores of the allowed CPUs busy over a short window (0.0 when it cannot be measured)."""
    cpus = _allowed_cpus()
    first = _cpu_times(cpus)
    if first is None:
        return 0.0
    time.sleep(window_s)
    second = _cpu_times(cpus)
    if second is None or second[1] <= first[1]:
        return 0.0
    return len(cpus) * (second[0] - first[0]) / (second[1] - first[1])


def _probe_enabled() -> bool:
    return os.environ.get("VALENCE_LAB_CPU_PROBE", "1").strip() not in {"0", "false", "no"}


@dataclass
class _Ticket:
    number: int
    label: str
    threads: int = 0


class Gate:
    """A FIFO queue of jobs over ``capacity`` cores (one shared instance: :func:`gate`)."""

    def __init__(self, capacity: int, probe: Callable[[], float] | None = None) -> None:
        self.capacity = max(1, int(capacity))
        self._probe = probe
        self._cond = threading.Condition()
        self._queue: deque[_Ticket] = deque()
        self._running: list[_Ticket] = []
        self._numbers = itertools.count(1)
        self._local = threading.local()

    @property
    def held(self) -> int:
        """Threads held by running jobs."""
        with self._cond:
            return sum(t.threads for t in self._running)

    def snapshot(self) -> dict[str, list[str] | int]:
        """Running and queued job labels (for a status line or a test)."""
        with self._cond:
            return {
                "capacity": self.capacity,
                "running": [f"{t.label} ({t.threads})" for t in self._running],
                "queued": [t.label for t in self._queue],
            }

    def _free(self) -> int:
        return self.capacity - sum(t.threads for t in self._running)

    def _other_busy(self, held: int) -> int:
        """Cores busy with work that holds no slot (reruns, other processes), rounded."""
        if self._probe is None:
            return 0
        try:
            busy = float(self._probe())
        except Exception:  # a probe must never stop a job
            log.debug("cpu probe failed", exc_info=True)
            return 0
        return max(0, int(busy - held + 0.35))  # a core counts as busy from ~35 % use

    def _note_queued(self, seconds: float) -> None:
        """Add to the calling thread's time in the queue (:func:`queued_seconds`)."""
        self._local.queued_s = getattr(self._local, "queued_s", 0.0) + seconds

    @contextmanager
    def slot(
        self,
        label: str,
        on_wait: WaitFn | None = None,
        *,
        max_threads: int | None = None,
        should_stop: StopFn | None = None,
    ) -> Iterator[int]:
        """Wait for a core, then yield the number of threads this job may use."""
        outer = getattr(self._local, "threads", None)
        if outer is not None:  # nested call in a thread that already holds a slot
            yield max(1, min(outer, max_threads or outer))
            return
        ticket = _Ticket(next(self._numbers), label)
        entered = time.monotonic()
        last_ahead = -1
        with self._cond:
            self._queue.append(ticket)
            while not (self._queue[0] is ticket and self._free() >= 1):
                ahead = len(self._running) + list(self._queue).index(ticket)
                if on_wait is not None and ahead != last_ahead:
                    last_ahead = ahead
                    self._cond.release()
                    try:
                        on_wait(ahead)
                    finally:
                        self._cond.acquire()
                if should_stop is not None and should_stop():
                    self._queue.remove(ticket)
                    self._cond.notify_all()
                    self._note_queued(time.monotonic() - entered)
                    raise WaitCancelledError(f"{label}: stopped while waiting for a free core")
                self._cond.wait(POLL_S)
            self._queue.popleft()
            waited = time.monotonic() - entered  # in line (the probe below is not waiting)
            free = self._free()
            held = self.capacity - free
            ticket.threads = free  # claimed now so the next job in line cannot take it too
            self._running.append(ticket)
        others = self._other_busy(held) if free > 1 and (max_threads or 2) > 1 else 0
        threads = max(1, min(free, max_threads or free, self.capacity - held - others))
        with self._cond:
            ticket.threads = threads
            self._cond.notify_all()  # give back what the probe said is busy elsewhere
        self._local.threads = threads
        self._note_queued(waited)
        # labels are fixed names and model ids, never a visitor's text
        log.log(
            logging.INFO if waited >= WAIT_LOG_S else logging.DEBUG,
            "gate: %s starts with %d thread(s) after %.2f s in the queue",
            label,
            threads,
            waited,
        )
        try:
            yield threads
        finally:
            self._local.threads = None
            with self._cond:
                self._running.remove(ticket)
                self._cond.notify_all()


_gate: Gate | None = None
_gate_lock = threading.Lock()


def gate() -> Gate:
    """The process-wide gate (created on first use from :func:`free_cores`)."""
    global _gate
    with _gate_lock:
        if _gate is None:
            _gate = Gate(free_cores(), busy_cores if _probe_enabled() else None)
        return _gate


def slot(
    label: str,
    on_wait: WaitFn | None = None,
    *,
    max_threads: int | None = None,
    should_stop: StopFn | None = None,
) -> AbstractContextManager[int]:
    """Wait for cores on the process-wide gate, then yield the thread count (see the module doc)."""
    return gate().slot(label, on_wait, max_threads=max_threads, should_stop=should_stop)


def waiting_message(ahead: int) -> str:
    """What a queued job tells its visitor: ``waiting behind 2 jobs for a free core``."""
    return f"waiting behind {ahead} {'job' if ahead == 1 else 'jobs'} for a free core"


def queued_seconds() -> float:
    """Seconds the calling thread has spent waiting for cores on the process-wide gate so far.

    A job runs in a thread of its own, so this is its time in the queue (``core.jobs`` logs it).
    """
    return getattr(gate()._local, "queued_s", 0.0)


def held_threads() -> int | None:
    """Threads of the slot the calling thread holds (None outside a slot)."""
    return getattr(gate()._local, "threads", None)
