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


def test_job_logs_how_it_ended_and_its_server_time(caplog):
    """One log line per job: finished, stopped or failed, with its seconds (read by bench load)."""
    import logging
    import re

    caplog.set_level(logging.INFO, logger="core.jobs")
    assert Job(lambda p, s: 42, "train-xgboost").start().wait(10)
    stopped = Job(lambda p, s: s() or 0, "tune")
    stopped.stop()
    assert stopped.start().wait(10)
    assert Job(lambda p, s: 1 / 0, "bad").start().wait(10)
    lines = [r.getMessage() for r in caplog.records if r.name == "core.jobs"]
    assert re.search(
        r"^job train-xgboost finished in \d+\.\d\d s, 0\.00 s of it queued for a core$",
        "\n".join(lines),
        re.M,
    )
    assert any(line.startswith("job tune stopped in ") for line in lines)
    assert any(line.startswith("job bad failed in ") for line in lines)


def test_job_log_tells_its_time_queued_for_a_core_from_its_run(caplog, monkeypatch):
    """A job that waited behind another for the CPU gate says how long (bench load reads it)."""
    import logging
    import re
    import threading

    from core import compute

    monkeypatch.setattr(compute, "_gate", compute.Gate(1))
    caplog.set_level(logging.INFO, logger="core.jobs")
    busy, release = threading.Event(), threading.Event()

    def hold(p, s):
        with compute.slot("fit xgboost"):
            busy.set()
            release.wait(5)

    def queued(p, s):
        with compute.slot("fit rf"):
            return 1

    first = Job(hold, "train-xgboost").start()
    assert busy.wait(5)
    second = Job(queued, "train-rf").start()
    threading.Timer(0.4, release.set).start()
    assert first.wait(10) and second.wait(10) and second.result == 1
    line = next(r.getMessage() for r in caplog.records if "train-rf" in r.getMessage())
    took, waited = map(float, re.findall(r"([0-9.]+) s", line))
    assert 0.3 <= waited <= took, line
