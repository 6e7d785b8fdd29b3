"""The XGBoost callback that carries progress and stop between the page and Dask workers.

Imported only when training on a Dask cluster (it imports xgboost and distributed).
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
from distributed import Variable, get_worker
from xgboost import collective
from xgboost.callback import TrainingCallback


class RemoteProgress(TrainingCallback):
    """An XGBoost callback run on every worker: rank 0 reports rounds and polls the stop flag.

    The stop decision is all-reduced so every worker leaves the boosting loop at the same round.
    """

    def __init__(
        self,
        topic: str,
        stop_name: str,
        metric: str,
        every_s: float = 0.2,
        threads: int | None = None,
    ) -> None:
        super().__init__()
        self.topic, self.stop_name, self.metric, self.every_s = topic, stop_name, metric, every_s
        self.threads = threads
        self._last = 0.0
        self._limits: Any = None

    def before_training(self, model: Any) -> Any:
        """Let the boosting loop use ``threads`` OpenMP threads in this worker's task thread.

        XGBoost caps its threads at OpenMP's limit, which a Dask nanny sets to the worker's
        own thread count (``OMP_NUM_THREADS``); a worker training for its whole host
        (:func:`core.modelling.distributed.training_plan`) needs the host's. The limit is the
        calling thread's own, and :meth:`after_training` puts it back.
        """
        if self.threads:
            from threadpoolctl import threadpool_limits

            self._limits = threadpool_limits(limits=self.threads, user_api="openmp")
        return model

    def after_training(self, model: Any) -> Any:
        """Restore the task thread's OpenMP limit."""
        if self._limits is not None:
            self._limits.restore_original_limits()
            self._limits = None
        return model

    def after_iteration(self, model: Any, epoch: int, evals_log: dict) -> bool:
        """Report (rank 0, throttled) and return the stop decision every worker agreed on."""
        flag = 0.0
        now = time.monotonic()
        if collective.get_rank() == 0 and now - self._last >= self.every_s:
            self._last = now
            values = [float(evals_log[name][self.metric][-1]) for name in evals_log]
            get_worker().log_event(self.topic, {"round": epoch + 1, "values": values})
            flag = 1.0 if Variable(self.stop_name).get(timeout=5) else 0.0
        agreed = collective.allreduce(np.array([flag]), collective.Op.MAX)
        return bool(agreed[0] > 0)
