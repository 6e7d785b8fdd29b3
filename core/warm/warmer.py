"""The server's background warmer: one thread that builds parts in priority order."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from core.catalog import data
from core.catalog.data import Catalog
from core.progress import Progress
from core.warm.artefacts import build_part
from core.warm.parts import PARTS, estimate_seconds
from core.warm.store import WarmError, is_ready

log = logging.getLogger("core.warm")  # one name in server logs (bench_load counts its lines)


# --------------------------------------------------------------------------- the background warmer
@dataclass
class PartState:
    """Where a part stands in this process's :class:`Warmer`."""

    state: str  # "ready" | "building" | "queued" | "failed" | "absent"
    message: str = ""
    fraction: float = 0.0
    elapsed_s: float = 0.0
    remaining_s: float | None = None  # rough estimate, None when unknown or overdue
    usual_s: float | None = None  # the estimate of the whole step on an idle machine
    ahead: int = 0  # parts that will be built before this one


@dataclass
class _Task:
    source_id: str
    part: str
    catalog: Catalog | None = None


@dataclass
class Warmer:
    """One background thread per server that builds parts in priority order.

    ``schedule`` queues public sources at the back (start-up); ``request`` moves one part of a
    catalog a visitor is waiting for (and what it needs) to the front. A failed part is reported
    (``PartState.state == "failed"``) and not retried until requested again.
    """

    load_catalog: Callable[[str], Catalog] = field(
        default=lambda sid: data.load_catalog(sid, allow_download=False)
    )
    _queue: list[_Task] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _thread: threading.Thread | None = None
    _current: _Task | None = None
    _progress: tuple[float, str] = (0.0, "")
    _started: float = 0.0
    _failed: dict[tuple[str, str], str] = field(default_factory=dict)
    _estimates: dict[tuple[str, str], float] = field(default_factory=dict)
    built: list[tuple[str, str, float]] = field(default_factory=list)

    def schedule(self, source_ids: Iterable[str], parts: Iterable[str] | None = None) -> None:
        """Queue every part of these public sources behind what is queued already."""
        names = list(parts) if parts is not None else list(PARTS)
        with self._lock:
            for sid in source_ids:
                if data.is_upload_id(sid):
                    continue
                for part in names:
                    if not any(t.source_id == sid and t.part == part for t in self._queue):
                        self._queue.append(_Task(sid, part))
        self._ensure_thread()

    def request(self, catalog: Catalog, part: str) -> None:
        """Build ``part`` of ``catalog`` next (after the part being built now)."""
        if catalog.is_upload:
            raise WarmError("Uploads are never precomputed.")
        with self._lock:
            self._failed.pop((catalog.source_id, part), None)
            order = [*PARTS[part].needs, part]
            self._queue = [
                t for t in self._queue if not (t.source_id == catalog.source_id and t.part in order)
            ]
            self._queue[:0] = [_Task(catalog.source_id, p, catalog) for p in order]
        self._ensure_thread()

    def state(self, catalog: Catalog, part: str) -> PartState:
        """Where ``part`` of ``catalog`` stands (cheap: a file check and the queue)."""
        if is_ready(catalog, part):
            return PartState("ready", fraction=1.0)
        n = len(catalog.df)
        with self._lock:
            failed = self._failed.get((catalog.source_id, part))
            if failed is not None:
                return PartState("failed", message=failed)
            current = self._current
            fraction, message = self._progress
            elapsed = time.time() - self._started if current else 0.0
            queue = list(self._queue)
            alive = self._thread is not None and self._thread.is_alive()
        remaining_now = 0.0
        if current is not None:
            usual = self._estimates.get((current.source_id, current.part), 1.0)
            expected = usual
            if fraction >= 0.2 and elapsed > 1.0:
                expected = max(expected, elapsed / fraction)
            remaining_now = max(expected - elapsed, 1.0)
            if current.source_id == catalog.source_id and current.part == part:
                left = expected - elapsed if expected > elapsed else None  # None: overdue
                return PartState("building", message, fraction, elapsed, left, usual)
        ahead_s = remaining_now
        for position, task in enumerate(queue):
            if task.source_id == catalog.source_id and task.part == part:
                own = estimate_seconds(catalog, part)
                if not alive:
                    return PartState("absent")
                ahead = position + (current is not None)
                return PartState("queued", remaining_s=ahead_s + own, ahead=ahead)
            ahead_s += self._estimates.get((task.source_id, task.part), 0.0) or (
                estimate_seconds(catalog, task.part) if task.source_id == catalog.source_id else 0
            )
        return PartState("absent", remaining_s=estimate_seconds(catalog, part) if n else None)

    @property
    def busy(self) -> bool:
        """Whether the thread is building or has work queued."""
        with self._lock:
            return self._current is not None or bool(self._queue)

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until the queue is empty (tests, CLI); True when it is."""
        deadline = None if timeout is None else time.time() + timeout
        while self.busy:
            if deadline is not None and time.time() > deadline:
                return False
            time.sleep(0.05)
        return True

    def _ensure_thread(self) -> None:
        with self._lock:
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._run, name="valence-warm", daemon=True)
            self._thread.start()

    def _report(self, progress: Progress) -> None:
        with self._lock:
            self._progress = (progress.fraction, progress.message or self._progress[1])

    def _run(self) -> None:
        catalogs: dict[str, Catalog] = {}
        while True:
            with self._lock:
                if not self._queue:
                    self._current = None
                    return
                task = self._queue.pop(0)
                if task.catalog is not None:
                    catalogs[task.source_id] = task.catalog
                self._current = task
                self._progress = (0.0, f"Starting {PARTS[task.part].title}…")
                self._started = time.time()
            try:
                catalog = catalogs.get(task.source_id)
                if catalog is None:
                    catalog = catalogs[task.source_id] = self.load_catalog(task.source_id)
                if not is_ready(catalog, task.part):
                    key = (task.source_id, task.part)
                    self._estimates[key] = estimate_seconds(catalog, task.part)
                    result = build_part(catalog, task.part, self._report)
                    if result["status"] == "built":
                        self.built.append((task.source_id, task.part, result["seconds"]))
                        log.info(
                            "precomputed %s of %s in %.1fs",
                            task.part,
                            task.source_id,
                            result["seconds"],
                        )
            except Exception as exc:  # reported to the waiting page; the server log has the rest
                log.exception("precomputing %s of %s failed", task.part, task.source_id)
                with self._lock:
                    self._failed[(task.source_id, task.part)] = f"{type(exc).__name__}: {exc}"
            with self._lock:
                self._current = None
                if not any(t.source_id == task.source_id for t in self._queue):
                    catalogs.pop(task.source_id, None)  # free the frame once a source is done
