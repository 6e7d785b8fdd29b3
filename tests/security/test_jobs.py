"""Finding 7 (work outliving its user): a job whose session is gone stops within 15 s, and a
session runs at most one job."""

from __future__ import annotations

import threading
import time

from streamlit.testing.v1 import AppTest

from core.catalog import data
from core.jobs import Job
from core.modelling.experiment import RunConfig, run_experiment
from tests.conftest import ROOT, SAMPLE, make_synthetic_tracks


def test_job_stops_once_its_owner_is_gone_for_the_grace_period() -> None:
    connected = threading.Event()
    connected.set()
    steps = []

    def work(on_progress, should_stop):
        end = time.monotonic() + 60
        while time.monotonic() < end and not should_stop():
            steps.append(1)
            time.sleep(0.02)
        return len(steps)

    job = Job(work, "loop", alive=connected.is_set, grace_s=1.0).start()
    time.sleep(1.5)
    assert job.running  # alive: keeps working
    connected.clear()
    gone = time.monotonic()
    assert job.wait(10)
    assert time.monotonic() - gone < 3.0
    assert job.abandoned and job.stop_requested and job.error is None


def test_a_brief_disconnect_within_the_grace_keeps_the_job() -> None:
    state = {"alive": True}

    def work(on_progress, should_stop):
        end = time.monotonic() + 3
        while time.monotonic() < end:
            if should_stop():
                return "stopped"
            time.sleep(0.02)
        return "done"

    job = Job(work, "blip", alive=lambda: state["alive"], grace_s=2.0).start()
    time.sleep(0.5)
    state["alive"] = False
    time.sleep(0.8)  # a reconnect inside the grace period
    state["alive"] = True
    assert job.wait(10) and job.result == "done" and not job.abandoned


def test_real_training_stops_when_its_session_ends() -> None:
    raw = make_synthetic_tracks(8000, 3, seed=9).to_csv(index=False).encode()
    df = data.load_upload(raw, "big.csv").df
    config = RunConfig(
        task="valence",
        model_id="xgboost",
        params={
            "n_estimators": 1000,
            "max_depth": 10,
            "learning_rate": 0.005,
            "early_stopping_rounds": 0,
        },
    )
    alive = {"value": True}
    job = Job(
        lambda p, s: run_experiment(df, config, p, s),
        "train",
        alive=lambda: alive["value"],
        grace_s=2.0,
    ).start()
    time.sleep(0.5)
    alive["value"] = False
    gone = time.monotonic()
    assert job.wait(30)
    assert time.monotonic() - gone < 15
    assert job.abandoned and job.result is not None and job.result.stopped


def test_one_running_job_per_session() -> None:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.selectbox(key="dataset").set_value(SAMPLE).run()
    at.switch_page("app_pages/model_lab.py").run()
    at.selectbox(key="lab_model").set_value("rf").run()
    at.slider(key="lab_rf_n_estimators").set_value(500).run()
    at.button(key="lab_train").click().run()
    entry = at.session_state["lab_job"]
    first = entry["job"]
    try:
        assert first.running
        at.button(key="lab_train").click().run()  # a second click while it runs
        assert at.session_state["lab_job"]["job"] is first
        assert at.button(key="lab_train").disabled
    finally:
        first.stop()
        assert first.wait(60)
