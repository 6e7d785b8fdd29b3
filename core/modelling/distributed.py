"""Training beyond one process with Dask.

XGBoost trains through ``xgboost.dask``; CV folds and auto-tune trials run as Dask tasks; batch
prediction runs by partitions.

Nothing here runs unless a scheduler is named: ``VALENCE_LAB_DASK_SCHEDULER`` (an address such
as ``tcp://10.0.0.5:8786``, a Coiled or Kubernetes scheduler), or :func:`use_engine` (what
``python -m core evaluate --engine dask`` does; without an address it starts a local cluster of
two worker processes for the run). Without either, every function in ``core.modelling`` runs
locally as before, and ``dask`` is never imported.

Inside a Dask worker the local path is always used, so a task never fans out again.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    from distributed import Client

log = logging.getLogger(__name__)

SCHEDULER_ENV = "VALENCE_LAB_DASK_SCHEDULER"
ENGINES = ("local", "dask")
CONNECT_TIMEOUT_S = 10

# A local cluster shares the app's cores, so its housekeeping is turned down: Dask's worker
# profiler samples every thread's stack every 10 ms and the event-loop monitors tick every
# 20 ms and 0.5 s. An idle 2-worker cluster used 16 % of a core with the defaults and 4 % with
# these (10 s of psutil CPU times), CPU a fit beside it on two cores would otherwise lose.
# Its workers import the modelling code as they start (core.modelling.preload), not in a fit.
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.tick.interval": "500ms",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.preload": ["core.modelling.preload"],
}

_lock = threading.Lock()
_clients: dict[str, Client] = {}
_override = threading.local()


class EngineError(RuntimeError):
    """The Dask scheduler named in the configuration cannot be reached."""


def _in_worker() -> bool:
    try:
        from distributed import get_worker

        get_worker()
        return True
    except (ImportError, ValueError):
        return False


def scheduler_address() -> str | None:
    """The scheduler to use now: :func:`use_engine`'s, else ``VALENCE_LAB_DASK_SCHEDULER``."""
    address = getattr(_override, "address", None)
    if address is not None:
        return address or None
    return os.environ.get(SCHEDULER_ENV) or None


def active_client() -> Client | None:
    """A client of the configured scheduler, or None for the local path (and inside workers)."""
    address = scheduler_address()
    if not address or _in_worker():
        return None
    with _lock:
        client = _clients.get(address)
        if client is None or client.status not in ("running", "connecting"):
            from distributed import Client

            try:
                client = Client(address, timeout=CONNECT_TIMEOUT_S, set_as_default=False)
            except OSError as exc:
                raise EngineError(
                    f"Could not reach the Dask scheduler at {address} ({SCHEDULER_ENV}); "
                    "unset it to train locally."
                ) from exc
            _clients[address] = client
        return client


@contextlib.contextmanager
def use_engine(engine: str, address: str | None = None, workers: int = 2) -> Iterator[str | None]:
    """Run the block on ``engine`` (``local`` or ``dask``); yields the scheduler address.

    ``dask`` without an address uses ``VALENCE_LAB_DASK_SCHEDULER``, or starts a
    ``LocalCluster`` of ``workers`` processes sharing this machine's cores (two workers on two
    cores: one thread each; one worker: both) that lives for the block.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    previous = getattr(_override, "address", None)
    cluster = None
    try:
        if engine == "local":
            _override.address = ""
        else:
            address = address or os.environ.get(SCHEDULER_ENV)
            if not address:
                import dask
                from distributed import LocalCluster

                from core.compute import free_cores

                # The machine's cores shared out between the workers. OpenMP may use all of
                # them (a nanny's default OMP_NUM_THREADS=1 would cap XGBoost at one thread):
                # the worker that trains for the host (training_plan) builds its matrices with
                # them, and every task is held to one thread per model (_run_task)
                cores = free_cores()
                threads = max(1, cores // workers)
                with dask.config.set(LOCAL_CLUSTER_CONFIG):
                    cluster = LocalCluster(
                        n_workers=workers,
                        threads_per_worker=threads,
                        processes=True,
                        dashboard_address=None,
                        env={"OMP_NUM_THREADS": str(cores)},
                    )
                address = cluster.scheduler_address
            _override.address = address
        yield scheduler_address()
    finally:
        _override.address = previous
        if cluster is not None:
            with _lock:
                client = _clients.pop(cluster.scheduler_address, None)
            if client is not None:
                client.close()
            cluster.close()


def training_plan(client: Client) -> tuple[list[str], int | None]:
    """The workers XGBoost trains in, one per host, and the threads each uses.

    XGBoost's workers all-reduce histograms several times per tree level. Worker processes on
    one host would do that over loopback TCP, each waiting at every barrier for a partner the
    OS may have descheduled; one process using the host's cores shares memory instead (on two
    cores: 2 workers of 1 thread fitted 1M rows in 1.4-1.6x the local time, one worker of 2
    threads in 1.2x). So the data goes to one worker per host (the one with most threads),
    which trains with the threads of all that host's workers: ``nthread`` when every host has
    the same count, else each worker's own.
    """
    return plan_for(client.scheduler_info(n_workers=-1).get("workers", {}))


def plan_for(workers: dict[str, dict[str, Any]]) -> tuple[list[str], int | None]:
    """:func:`training_plan` for the scheduler's ``workers`` (address -> host, nthreads)."""
    hosts: dict[str, list[tuple[int, str]]] = {}
    for address, info in sorted(workers.items()):
        host = info.get("host") or address
        hosts.setdefault(host, []).append((int(info.get("nthreads") or 1), address))
    chosen = sorted(max(members, key=lambda m: m[0])[1] for members in hosts.values())
    totals = {sum(n for n, _ in members) for members in hosts.values()}
    return chosen, (totals.pop() if len(totals) == 1 else None)


# ---- XGBoost through xgboost.dask ----------------------------------------------------------
def fit_xgboost(
    client: Client,
    X: pd.DataFrame,
    y: np.ndarray,
    fit_pos: np.ndarray,
    val_pos: np.ndarray,
    curve_pos: np.ndarray,
    regression: bool,
    n_classes: int,
    params: dict[str, Any],
    seed: int,
    report: Callable[[int, float, float | None], bool],
) -> tuple[Any, bool, int | None]:
    """Train an XGBoost model with ``xgboost.dask.train``; returns a local sklearn model.

    The workers score the train curve on the ``curve_pos`` rows (the local path's sample, not
    every training row) and the validation rows ``val_pos`` every round: pass them only when
    early stopping needs them (scoring 200k validation rows every round made a 1M-row fit ~1.3x
    slower).

    ``report(round, train, validation)`` is called as rounds finish on the workers (at most
    every 0.2 s, and after the last round) and returns True to stop: the workers then leave the
    boosting loop together at the next round. Early stopping (``early_stopping_rounds``) follows
    the validation metric as the local path does, and keeps the rounds up to the best one.
    """
    import dask.dataframe as dd
    from xgboost import dask as dxgb

    chosen, threads = training_plan(client)
    booster_params = {
        "max_depth": params["max_depth"],
        "learning_rate": params["learning_rate"],
        "subsample": params["subsample"],
        "colsample_bytree": params["colsample_bytree"],
        "min_child_weight": params["min_child_weight"],
        "reg_lambda": params["reg_lambda"],
        "tree_method": "hist",
        "seed": seed,
        "objective": "reg:squarederror" if regression else "multi:softprob",
        "eval_metric": ["mae"] if regression else ["merror"],
    }
    if not regression and n_classes > 2:
        booster_params["num_class"] = n_classes
    elif not regression:
        booster_params |= {"objective": "binary:logistic", "eval_metric": ["error"]}
    if threads:
        booster_params["nthread"] = threads

    # float32 is what XGBoost keeps anyway: half the bytes to copy and send
    X32 = _float32(X)

    def dmatrix(pos: np.ndarray, ref: Any = None) -> Any:
        frame = X32.iloc[pos].reset_index(drop=True)
        label = pd.Series(np.asarray(y)[pos]).reset_index(drop=True)
        n = max(1, min(len(chosen), len(frame) // 1000 or 1))
        parts = dd.from_pandas(frame, npartitions=n), dd.from_pandas(label, npartitions=n)
        data, labels = client.persist(list(parts), workers=chosen, allow_other_workers=False)
        # quantised once on the workers, as the local path's QuantileDMatrix; evals share
        # the training matrix's bins
        return dxgb.DaskQuantileDMatrix(client, data, labels, ref=ref)

    with client.as_current():  # xgboost.dask looks the client up as the current one
        return _train(
            client, dmatrix, fit_pos, val_pos, curve_pos, regression, params, booster_params, report
        )


def _float32(frame: pd.DataFrame) -> pd.DataFrame:
    wide = [c for c, t in frame.dtypes.items() if t == np.float64]
    return frame.astype(dict.fromkeys(wide, np.float32)) if wide else frame


def _train(
    client: Client,
    dmatrix: Callable[..., Any],
    fit_pos: np.ndarray,
    val_pos: np.ndarray,
    curve_pos: np.ndarray,
    regression: bool,
    params: dict[str, Any],
    booster_params: dict[str, Any],
    report: Callable[[int, float, float | None], bool],
) -> tuple[Any, bool, int | None]:
    import queue
    import uuid

    from distributed import Variable
    from xgboost import dask as dxgb

    from core.modelling.dask_progress import RemoteProgress

    total = int(params["n_estimators"])
    dtrain = dmatrix(fit_pos)
    evals = [(dmatrix(curve_pos, dtrain), "train")]
    if len(val_pos):
        evals.append((dmatrix(val_pos, dtrain), "validation"))
    patience = int(params.get("early_stopping_rounds", 0)) if len(val_pos) else 0
    metric = booster_params["eval_metric"][0]
    run_id = uuid.uuid4().hex
    topic, stop_name = f"vl-progress-{run_id}", f"vl-stop-{run_id}"
    stop_var = Variable(stop_name, client=client)
    stop_var.set(False)
    events: queue.Queue = queue.Queue()
    client.subscribe_topic(topic, lambda event: events.put(event[1]))
    callback = RemoteProgress(topic, stop_name, metric, threads=booster_params.get("nthread"))
    box: dict[str, Any] = {}

    def train() -> None:
        try:
            with client.as_current():
                box["out"] = dxgb.train(
                    client,
                    booster_params,
                    dtrain,
                    num_boost_round=total,
                    evals=evals,
                    early_stopping_rounds=patience or None,
                    callbacks=[callback],
                    verbose_eval=False,
                )
        except BaseException as exc:  # re-raised in the caller's thread
            box["error"] = exc

    worker = threading.Thread(target=train, name=f"xgboost-dask-{run_id[:8]}", daemon=True)
    worker.start()
    stopped = False

    def drain(timeout: float) -> None:
        nonlocal stopped
        try:
            msg = events.get(timeout=timeout)
        except queue.Empty:
            return
        values = list(msg["values"])
        if not regression:
            values = [1.0 - v for v in values]
        val = values[1] if len(values) > 1 else None
        if report(int(msg["round"]), values[0], val) and not stopped:
            stopped = True
            stop_var.set(True)

    while worker.is_alive():
        drain(0.1)
    while not events.empty():
        drain(0.0)
    client.unsubscribe_topic(topic)
    stop_var.delete()
    if "error" in box:
        raise box["error"]
    est, done, best = _local_model(box["out"], metric, regression, patience, report)
    return est, stopped and done < total, best


def _local_model(
    out: dict[str, Any],
    metric: str,
    regression: bool,
    patience: int,
    report: Callable[[int, float, float | None], bool],
) -> tuple[Any, int, int | None]:
    """The trained booster as a local sklearn model; reports the last round."""
    import xgboost as xgb

    booster, history = out["booster"], out["history"]
    done = len(history["train"][metric])
    train_last = history["train"][metric][-1]
    val_last = history["validation"][metric][-1] if "validation" in history else None
    if not regression:
        train_last, val_last = 1 - train_last, None if val_last is None else 1 - val_last
    report(done, float(train_last), None if val_last is None else float(val_last))
    best = None
    if patience:
        best = int(np.argmin(history["validation"][metric]))
        booster = booster[: best + 1]
    cls = xgb.XGBRegressor if regression else xgb.XGBClassifier
    est = cls(n_jobs=2)
    est.load_model(bytearray(booster.save_raw("json")))
    return est, done, None if best is None else best + 1


# ---- tasks: folds, trials, prediction -------------------------------------------------------
def _run_task(fn: Callable[..., Any], *args: Any) -> Any:
    """Run ``fn`` inside a worker with one thread per model.

    A worker runs as many tasks at once as it has threads, so folds and trials fill its cores
    without oversubscribing them; OpenMP and BLAS pools are held to one thread per task too
    (a local cluster's workers may otherwise use every core of the host).
    """
    from threadpoolctl import threadpool_limits

    from core.modelling import models

    models.N_JOBS = 1
    with threadpool_limits(limits=1):
        return fn(*args)


def scatter(client: Client, obj: Any) -> Any:
    """Copy ``obj`` to every worker under a fresh key (a Future).

    Not content-hashed: with ``hash=True`` two scatters of the same data share one key, and
    the release of an earlier, dropped Future can forget the data under a later one's tasks
    ("cancelled for reason: lost dependencies", seen when an auto-tune followed a fit).
    """
    return client.scatter(obj, broadcast=True, hash=False)


def map_tasks(
    client: Client,
    fn: Callable[..., Any],
    shared: Sequence[Any],
    items: Sequence[Any],
    on_done: Callable[[int, Any], None] | None = None,
    should_stop: Callable[[], bool] | None = None,
    deadline: float | None = None,
) -> list[Any]:
    """``fn(*shared, item)`` for every item as Dask tasks; results in item order.

    ``shared`` objects are scattered once to every worker. ``on_done(index, result)`` runs as
    each task finishes; when ``should_stop()`` turns True or ``deadline`` (``time.monotonic``)
    passes, the remaining tasks are cancelled and their results are None.
    """
    import time

    from distributed import Future, as_completed

    handles = [o if isinstance(o, Future) else scatter(client, o) for o in shared]
    futures = [
        client.submit(
            _run_task, fn, *handles, item, pure=False, key=f"vl-{i}-{os.urandom(4).hex()}"
        )
        for i, item in enumerate(items)
    ]
    index = {f.key: i for i, f in enumerate(futures)}
    results: list[Any] = [None] * len(futures)
    pending = as_completed(futures, with_results=False, loop=client.loop)
    for future in pending:
        i = index[future.key]
        results[i] = future.result()
        if on_done is not None:
            on_done(i, results[i])
        late = deadline is not None and time.monotonic() > deadline
        if (should_stop is not None and should_stop()) or late:
            rest = [f for f in futures if not f.done()]
            client.cancel(rest)
            break
    return results


def predict_partitions(
    client: Client, model: Any, df: pd.DataFrame, rows: int = 50_000
) -> np.ndarray:
    """``model.predict`` over ``df`` in chunks of ``rows`` spread over the workers."""
    chunks = [df.iloc[i : i + rows] for i in range(0, len(df), rows)]
    futures = client.map(_run_task, [model.predict] * len(chunks), chunks, pure=False)
    return np.concatenate(client.gather(futures)) if chunks else np.array([])
