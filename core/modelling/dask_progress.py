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

    def __init__(self, topic: str, stop_name: str, metric: str, every_s: float = 0.2) -> None:
        super().__init__()
        self.topic, self.stop_name, self.metric, self.every_s = topic, stop_name, metric, every_s
        self._last = 0.0

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
