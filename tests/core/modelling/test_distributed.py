"""Training on a real Dask LocalCluster (2 worker processes) gives the local path's numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from core.modelling import distributed
from core.modelling.experiment import RunConfig, cross_validate, run_experiment
from core.modelling.tuning import auto_tune
from tests.conftest import ROOT

pytestmark = pytest.mark.timeout(900)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as lc:
        yield lc.scheduler_address


@pytest.fixture(scope="module")
def frame(tidy_catalog):
    return tidy_catalog.df


@pytest.fixture(scope="module")
def local_holdout(frame):
    with distributed.use_engine("local"):
        return run_experiment(frame, RunConfig())


def test_local_is_the_default_and_never_starts_dask(monkeypatch):
    monkeypatch.delenv(distributed.SCHEDULER_ENV, raising=False)
    assert distributed.active_client() is None
    monkeypatch.setenv(distributed.SCHEDULER_ENV, "tcp://127.0.0.1:1")
    with distributed.use_engine("local"):
        assert distributed.active_client() is None  # --engine local beats the variable


def test_xgboost_dask_matches_local_mae(frame, cluster, local_holdout):
    seen = []
    with distributed.use_engine("dask", cluster):
        res = run_experiment(frame, RunConfig(), on_progress=seen.append)
    assert abs(res.metrics["mae"] - local_holdout.metrics["mae"]) <= 0.002
    assert seen and seen[-1].step == res.fit.steps_done and seen[-1].validation is not None
    assert res.fit.best_step is not None  # early stopping followed the validation curve
    assert type(res.model.estimator).__name__ == "XGBRegressor"  # a plain local model


def test_stop_ends_a_dask_fit_early(frame, cluster):
    with distributed.use_engine("dask", cluster):
        res = run_experiment(
            frame,
            RunConfig(params={"n_estimators": 1000, "early_stopping_rounds": 0}),
            should_stop=lambda: True,
        )
    assert res.fit.stopped and res.fit.steps_done < 1000


def test_a_dask_fit_without_early_stopping_draws_the_local_curve(frame, cluster):
    """Validation rows are not scored every round on the workers; the curve comes out alike."""
    config = RunConfig(params={"n_estimators": 240, "early_stopping_rounds": 0})
    with distributed.use_engine("local"):
        local = run_experiment(frame, config).fit.history
    seen = []
    with distributed.use_engine("dask", cluster):
        remote = run_experiment(frame, config, on_progress=seen.append).fit.history
    assert remote["step"].tolist() == local["step"].tolist()  # 1, 3, 6, ..., 240
    assert remote["validation"].notna().all() and seen[-1].validation is not None
    for col in ("train", "validation"):  # XGBoost's distributed sketch: a slightly other model
        assert remote[col].to_numpy() == pytest.approx(local[col].to_numpy(), abs=0.01)


def test_xgboost_trains_in_one_worker_per_host_with_all_its_threads(frame, cluster):
    """Two 1-thread workers on one host: the data and the boosting go to one of them, with 2
    threads, instead of two processes all-reducing histograms over loopback."""
    from distributed import get_task_stream

    with distributed.use_engine("dask", cluster):
        client = distributed.active_client()
        assert distributed.training_plan(client) == ([min(client.nthreads())], 2)
        with get_task_stream(client) as ts:
            run_experiment(frame, RunConfig(params={"n_estimators": 30}))
    # data partitions, quantile sketches and the boosting task: all on the chosen worker
    assert ts.data and {t["worker"] for t in ts.data} == {min(client.nthreads())}


def test_the_training_plan_takes_one_worker_per_host():
    workers = {
        "tcp://a:1": {"host": "a", "nthreads": 1},
        "tcp://a:2": {"host": "a", "nthreads": 3},
        "tcp://b:1": {"host": "b", "nthreads": 4},
    }
    assert distributed.plan_for(workers) == (["tcp://a:2", "tcp://b:1"], 4)
    workers["tcp://b:1"]["nthreads"] = 2  # hosts differ: each worker keeps its own count
    assert distributed.plan_for(workers) == (["tcp://a:2", "tcp://b:1"], None)


def test_a_local_cluster_shares_the_cores_and_tells_openmp(monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_CPU_BUDGET", "2")
    monkeypatch.delenv(distributed.SCHEDULER_ENV, raising=False)
    with distributed.use_engine("dask", workers=1):
        client = distributed.active_client()
        client.wait_for_workers(1)
        (nthreads,) = client.nthreads().values()
        omp = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
        profiler = client.run(_profiler_on)
        preloaded = client.run(lambda: "xgboost.dask" in sys.modules)
    assert nthreads == 2 and list(omp.values()) == ["2"]  # a nanny's default would cap it at 1
    assert list(profiler.values()) == [False]  # no stack sampling every 10 ms beside a fit
    assert list(preloaded.values()) == [True]  # imported as it started, not in the first fit


def test_tasks_on_a_local_cluster_use_one_thread_each_though_openmp_may_use_the_host(
    monkeypatch,
):
    monkeypatch.setenv("VALENCE_LAB_CPU_BUDGET", "2")
    monkeypatch.delenv(distributed.SCHEDULER_ENV, raising=False)
    with distributed.use_engine("dask", workers=2):
        client = distributed.active_client()
        client.wait_for_workers(2)
        omp = client.run(lambda: os.environ.get("OMP_NUM_THREADS"))
        limits = distributed.map_tasks(client, _openmp_limit, [], [0, 1, 2, 3])
    assert list(omp.values()) == ["2", "2"]  # the worker that trains for the host uses both
    assert limits == [1, 1, 1, 1]  # two tasks at once on two cores: one thread each


def _openmp_limit(_item: int) -> int:
    import xgboost  # noqa: F401  (loads the OpenMP runtime)
    from threadpoolctl import threadpool_info

    return next(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")


def _profiler_on() -> bool:
    import dask

    return dask.config.get("distributed.worker.profile.enabled")


def test_genre_classifier_on_dask(frame, cluster):
    with distributed.use_engine("dask", cluster):
        res = run_experiment(frame, RunConfig(task="genre"))
    assert res.metrics["accuracy"] > 0.45  # six genres: chance is ~0.17
    assert len(res.model.classes_) == 6


def test_cv_folds_as_dask_tasks_match_local(frame, cluster):
    config = RunConfig(folds=3)
    with distributed.use_engine("local"):
        local = cross_validate(frame, config)
    seen = []
    with distributed.use_engine("dask", cluster):
        remote = cross_validate(frame, config, on_progress=seen.append)
    assert remote["folds_done"] == 3 and [p.step for p in seen] == [1, 2, 3]
    assert remote["metrics"]["mae"] == pytest.approx(local["metrics"]["mae"], abs=1e-4)


@pytest.mark.parametrize(
    ("model_id", "transform"),
    [("xgboost", "none"), ("lightgbm", "logit")],  # the Dask trial once fitted LightGBM unsplit
)
def test_autotune_trials_as_dask_tasks_match_local(frame, cluster, model_id, transform):
    kwargs = {
        "task": "valence",
        "model_id": model_id,
        "n_candidates": 4,
        "max_seconds": 3600,
        "target_transform": transform,
    }
    with distributed.use_engine("local"):
        local = auto_tune(frame, **kwargs)
    with distributed.use_engine("dask", cluster):
        remote = auto_tune(frame, **kwargs)
    assert len(remote["trials"]) == len(local["trials"])
    assert remote["best_score"] == pytest.approx(local["best_score"], abs=0.002)
    # every trial is the same fit (split, target transform) wherever it runs
    by_rung = ["rung", "mae"]
    assert remote["trials"].sort_values(by_rung)["mae"].to_numpy() == pytest.approx(
        local["trials"].sort_values(by_rung)["mae"].to_numpy(), abs=1e-3
    )


def test_the_same_data_scattered_twice_survives_the_first_release(cluster):
    """A fit then an auto-tune scatter the same rows; dropping the first must not lose them."""
    import gc

    with distributed.use_engine("dask", cluster):
        client = distributed.active_client()
        data = pd.Series(range(1000))
        first = distributed.scatter(client, data)
        second = distributed.scatter(client, data)
        assert first.key != second.key  # content-hashed keys would be shared
        del first
        gc.collect()
        out = distributed.map_tasks(client, lambda xs, i: int(xs.sum()) + i, [second], [0, 1, 2])
    assert out == [499500, 499501, 499502]


def test_unreachable_scheduler_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(distributed, "CONNECT_TIMEOUT_S", 1)
    with (
        distributed.use_engine("dask", "tcp://127.0.0.1:9"),
        pytest.raises(distributed.EngineError, match="Could not reach the Dask scheduler"),
    ):
        distributed.active_client()


def test_cli_engine_dask(cluster, local_holdout, tmp_path):
    env = {**os.environ, distributed.SCHEDULER_ENV: cluster}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "core",
            "evaluate",
            "--source",
            "tidytuesday-spotify-songs",
            "--engine",
            "dask",
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=600,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    out = json.loads(proc.stdout)
    assert out["engine"] == "dask"
    assert abs(out["metrics"]["mae"] - local_holdout.metrics["mae"]) <= 0.002
