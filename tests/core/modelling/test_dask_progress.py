"""core.modelling.dask_progress: the XGBoost callback that reports rounds and obeys the stop flag.

The callback runs inside a task on a small in-process Dask cluster (one worker thread), around
a plain local ``xgboost.train``: it needs a worker (``get_worker``) and the cluster's
``Variable``; without a communicator XGBoost's collective is rank 0 of 1.
"""

from __future__ import annotations

import uuid
from typing import Any

import numpy as np
import pytest
from distributed import Client, LocalCluster, Variable

from core.modelling.dask_progress import RemoteProgress

ROUNDS = 8


@pytest.fixture(scope="module")
def client():
    with (
        LocalCluster(
            n_workers=1, threads_per_worker=1, processes=False, dashboard_address=":0"
        ) as cluster,
        Client(cluster) as c,
    ):
        yield c


def _train(topic: str, stop_name: str, every_s: float, metric: str) -> tuple[int, dict]:
    """Runs on the worker: a small XGBoost fit with the callback; rounds done and eval log."""
    import xgboost as xgb

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    y = X[:, 0] + rng.normal(0, 0.1, 200)
    dtrain, dval = xgb.DMatrix(X[:150], label=y[:150]), xgb.DMatrix(X[150:], label=y[150:])
    log: dict[str, Any] = {}
    booster = xgb.train(
        {"eval_metric": ["rmse", "mae"], "nthread": 1, "max_depth": 2},
        dtrain,
        ROUNDS,
        evals=[(dtrain, "train"), (dval, "validation")],
        callbacks=[RemoteProgress(topic, stop_name, metric, every_s=every_s)],
        evals_result=log,
        verbose_eval=False,
    )
    return booster.num_boosted_rounds(), log


def _run(client: Client, stop: bool, every_s: float = 0.0, metric: str = "mae"):
    run = uuid.uuid4().hex
    topic, stop_name = f"t-{run}", f"s-{run}"
    Variable(stop_name, client=client).set(stop)
    rounds, log = client.submit(_train, topic, stop_name, every_s, metric, pure=False).result()
    return rounds, log, [msg for _, msg in client.get_events(topic)]


def test_every_round_is_reported_with_each_evals_last_metric(client):
    rounds, log, events = _run(client, stop=False)
    assert rounds == ROUNDS  # no stop asked: the fit runs to the end
    assert [e["round"] for e in events] == list(range(1, ROUNDS + 1))
    for e in events:  # one value per eval set, in the evals' order, of the chosen metric
        i = e["round"] - 1
        assert e["values"] == pytest.approx([log["train"]["mae"][i], log["validation"]["mae"][i]])
    assert events[-1]["values"][0] != pytest.approx(log["train"]["rmse"][-1])


def test_the_metric_name_selects_what_is_reported(client):
    _, log, events = _run(client, stop=False, metric="rmse")
    assert events[-1]["values"] == pytest.approx(
        [log["train"]["rmse"][-1], log["validation"]["rmse"][-1]]
    )


def test_a_set_stop_flag_ends_the_fit_after_the_round_that_saw_it(client):
    rounds, log, events = _run(client, stop=True)
    assert rounds == 1 and len(log["train"]["mae"]) == 1
    assert [e["round"] for e in events] == [1]


def test_reports_are_throttled(client):
    rounds, _, events = _run(client, stop=False, every_s=3600.0)
    assert rounds == ROUNDS
    assert len(events) <= 1  # at most the first round within the hour


def test_an_unknown_metric_fails_the_fit(client):
    with pytest.raises(KeyError, match="auc"):
        _run(client, stop=False, metric="auc")


def _openmp_threads_while_training(topic: str, stop_name: str, threads: int | None) -> tuple:
    """Runs on the worker under an OpenMP limit of 1 (a nanny's ``OMP_NUM_THREADS=1``): the
    limit each boosting round saw, and the one left after the fit."""
    import xgboost as xgb
    from threadpoolctl import threadpool_info, threadpool_limits
    from xgboost.callback import TrainingCallback

    def limit() -> int:
        return next(i["num_threads"] for i in threadpool_info() if i["user_api"] == "openmp")

    class Spy(TrainingCallback):
        def __init__(self) -> None:
            super().__init__()
            self.seen: list[int] = []

        def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
            self.seen.append(limit())
            return False

    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 3))
    dtrain = xgb.DMatrix(X, label=X[:, 0])
    spy = Spy()
    with threadpool_limits(limits=1, user_api="openmp"):
        xgb.train(
            {"nthread": threads or 1, "max_depth": 2},
            dtrain,
            3,
            evals=[(dtrain, "train")],
            callbacks=[RemoteProgress(topic, stop_name, "rmse", threads=threads), spy],
            verbose_eval=False,
        )
        after = limit()
    return spy.seen, after


@pytest.mark.parametrize(("threads", "during"), [(2, 2), (None, 1)])
def test_a_worker_training_for_its_host_lifts_the_openmp_limit_while_it_trains(
    client, threads, during
):
    run = uuid.uuid4().hex
    Variable(f"s-{run}", client=client).set(False)
    seen, after = client.submit(
        _openmp_threads_while_training, f"t-{run}", f"s-{run}", threads, pure=False
    ).result()
    assert seen == [during] * 3  # XGBoost caps its threads at this limit
    assert after == 1  # the worker thread's own limit is back for the next task
