"""Imported by each Dask worker as it starts (``distributed.worker.preload``).

A fresh worker otherwise imports pandas, XGBoost and the modelling code when the first fit's
tasks arrive: 2.1-2.6 s measured per worker of a 2-worker local cluster, paid inside that fit.
Preloaded, a cluster is ready when it is up. Point remote workers at it the same way:
``dask worker tcp://scheduler:8786 --preload core.modelling.preload``.
"""

from __future__ import annotations

import pandas  # noqa: F401
import xgboost.dask  # noqa: F401

import core.modelling.dask_progress  # noqa: F401
import core.modelling.training  # noqa: F401
