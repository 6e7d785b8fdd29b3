"""core.jobs: background work with progress and a stop switch."""

from __future__ import annotations

from core.jobs import Job
from core.progress import Progress


def test_job_runs_in_background_and_stops():
    def work(on_progress, should_stop):
        for i in range(1, 10_000):
            on_progress(Progress("fit", i, 10_000, "round", "mae"))
            if should_stop():
                return i
        return -1

    job = Job(work, "t").start()
    job.stop()
    assert job.wait(10) and 0 < job.result < 10_000 and job.error is None
    latest, points = job.snapshot()
    assert latest is not None and latest.step == job.result and len(points) == job.result
    failing = Job(lambda p, s: 1 / 0, "bad").start()
    assert failing.wait(10) and "ZeroDivisionError" in failing.error
