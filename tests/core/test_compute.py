"""The CPU gate: thread counts never exceed the budget, queued jobs say how many are ahead."""

from __future__ import annotations

import threading
import time

import pytest

from core import compute
from tests.fakes.gate import held_gate_fixture  # noqa: F401


def test_free_cores_reads_affinity_and_honours_the_override(monkeypatch):
    monkeypatch.delenv("VALENCE_LAB_CPU_BUDGET", raising=False)
    import os

    assert 1 <= compute.free_cores() <= len(os.sched_getaffinity(0))
    monkeypatch.setenv("VALENCE_LAB_CPU_BUDGET", "3")
    assert compute.free_cores() == 3


def test_cgroup_quota_v2_and_v1(tmp_path):
    (tmp_path / "cpu.max").write_text("150000 100000\n")
    assert compute._cgroup_quota(tmp_path) == 1.5
    (tmp_path / "cpu.max").write_text("max 100000\n")
    assert compute._cgroup_quota(tmp_path) is None
    v1 = tmp_path / "v1"
    (v1 / "cpu").mkdir(parents=True)
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("200000")
    (v1 / "cpu" / "cpu.cfs_period_us").write_text("100000")
    assert compute._cgroup_quota(v1) == 2.0
    (v1 / "cpu" / "cpu.cfs_quota_us").write_text("-1")
    assert compute._cgroup_quota(v1) is None


def test_a_solo_job_gets_every_core_and_a_probe_can_take_them_back():
    assert compute.Gate(2).slot("a").__enter__() == 2
    with compute.Gate(2, probe=lambda: 1.0).slot("busy elsewhere") as n:
        assert n == 1  # one core busy with a rerun or another process: do not oversubscribe
    with compute.Gate(4).slot("capped", max_threads=1) as n:
        assert n == 1


def test_jobs_queue_in_order_and_threads_never_exceed_the_budget():
    gate = compute.Gate(2)
    peak, active, order, waits = [0], [0], [], {}
    lock = threading.Lock()
    release = threading.Event()

    def job(name: str) -> None:
        def on_wait(ahead: int) -> None:
            waits.setdefault(name, []).append(ahead)

        with gate.slot(name, on_wait) as n:
            with lock:
                active[0] += n
                peak[0] = max(peak[0], active[0])
                order.append((name, n))
            release.wait(5)
            with lock:
                active[0] -= n

    first = threading.Thread(target=job, args=("first",))
    first.start()
    while not gate.snapshot()["running"]:
        time.sleep(0.01)
    others = [threading.Thread(target=job, args=(f"job{i}",)) for i in range(3)]
    for t in others:
        t.start()
        time.sleep(0.05)  # a stable arrival order
    deadline = time.time() + 5
    while len(gate.snapshot()["queued"]) < 3 and time.time() < deadline:
        time.sleep(0.01)
    assert gate.snapshot()["queued"] == ["job0", "job1", "job2"]
    assert waits == {"job0": [1], "job1": [2], "job2": [3]}  # "waiting behind N jobs"
    release.set()
    for t in [first, *others]:
        t.join(5)
    assert [name for name, _ in order] == ["first", "job0", "job1", "job2"]
    assert order[0] == ("first", 2)
    assert peak[0] <= 2
    assert gate.held == 0


def test_a_second_job_gets_the_free_core_while_a_one_thread_job_runs():
    gate = compute.Gate(2)
    with gate.slot("one", max_threads=1) as a:
        got = []
        t = threading.Thread(target=lambda: got.append(gate.slot("two").__enter__()))
        t.start()
        t.join(2)
        assert (a, got) == (1, [1])


def test_nested_slots_reuse_the_outer_threads_instead_of_deadlocking():
    gate = compute.Gate(2)
    with gate.slot("outer") as n, gate.slot("inner") as m:
        assert (n, m) == (2, 2)
        with gate.slot("inner capped", max_threads=1) as k:
            assert k == 1
    assert gate.held == 0


def test_stop_while_waiting_leaves_the_queue_clean():
    gate = compute.Gate(1)
    stop = threading.Event()
    errors = []

    def waiter() -> None:
        try:
            with gate.slot("late", should_stop=stop.is_set):
                pass
        except compute.WaitCancelledError as exc:
            errors.append(str(exc))

    with gate.slot("busy"):
        t = threading.Thread(target=waiter)
        t.start()
        time.sleep(0.1)
        stop.set()
        t.join(2)
    assert errors and "waiting for a free core" in errors[0]
    assert gate.snapshot()["queued"] == []
    with gate.slot("next") as n:
        assert n == 1


def test_a_failing_job_releases_its_cores():
    gate = compute.Gate(2)
    with pytest.raises(ValueError), gate.slot("boom"):
        raise ValueError("x")
    assert gate.held == 0
    with gate.slot("after") as n:
        assert n == 2


def test_training_waits_for_the_gate_and_says_so(monkeypatch):
    from core.catalog import data
    from core.jobs import Job
    from core.modelling import tasks
    from core.modelling.training import fit_model
    from tests.conftest import make_synthetic_tracks

    monkeypatch.setattr(compute, "_gate", compute.Gate(1))
    raw = make_synthetic_tracks(200, 3, seed=1)
    t = tasks.make_target(data.load_upload(raw.to_csv(index=False).encode(), "s.csv").df, "valence")
    params = {"n_estimators": 20, "early_stopping_rounds": 0}

    def work(on_progress, should_stop):
        return fit_model(
            t.rows,
            t.y,
            "xgboost",
            "valence",
            params,
            on_progress=on_progress,
            should_stop=should_stop,
        )

    with compute.slot("someone else's fit"):
        job = Job(work, "queued").start()
        deadline = time.time() + 10
        while job.latest is None and time.time() < deadline:
            time.sleep(0.02)
        assert job.latest.phase == "wait" and "waiting behind 1 job" in job.latest.message
        assert job.running
        stopped = Job(work, "stopped").start()
        time.sleep(0.3)
        stopped.stop()
        assert stopped.wait(5)
        assert stopped.error and "waiting for a free core" in stopped.error
    assert job.wait(30) and job.error is None
    assert job.result.steps_done == 20
    assert job.points[-1].phase == "fit"


def test_a_job_that_queued_logs_its_wait_and_threads(caplog, held_gate):
    """Operators (and the load bench) can tell a job's time in the queue from its run time."""
    caplog.set_level("DEBUG", logger="core.compute")
    release = held_gate.hold(5)
    threading.Timer(0.3, release.set).start()
    with held_gate.gate.slot("SHAP") as threads:
        assert threads == 1
    infos = [r.getMessage() for r in caplog.records if r.levelname == "INFO"]
    debugs = [r.getMessage() for r in caplog.records if r.levelname == "DEBUG"]
    assert len(infos) == 1 and infos[0].startswith("gate: SHAP starts with 1 thread(s) after 0.")
    assert float(infos[0].split("after ")[1].split(" s")[0]) >= 0.25
    assert any(m.startswith("gate: fit xgboost starts with 1 thread(s) after 0.0") for m in debugs)


def test_a_job_stopped_in_the_queue_still_counts_its_wait(held_gate):
    release = held_gate.hold(5)
    try:
        t0 = time.monotonic()
        stop = lambda: time.monotonic() - t0 > 0.3  # noqa: E731
        with (
            pytest.raises(compute.WaitCancelledError),
            held_gate.gate.slot("SHAP", should_stop=stop),
        ):
            pass
        assert compute.queued_seconds() >= 0.3
    finally:
        release.set()
