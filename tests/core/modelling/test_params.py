"""core.modelling.params: hyperparameter spaces, validation and slider ticks."""

from __future__ import annotations

import numpy as np
import pytest

from core.modelling import models
from core.modelling.params import Param, ParamError


def test_bad_params_give_readable_messages():
    with pytest.raises(ParamError) as err:
        models.check_params("xgboost", True, {"max_depth": 0, "learning_rate": 0})
    text = str(err.value)
    assert "Max depth must be between 1 and 10" in text
    assert "Learning rate must be between" in text
    assert len(err.value.problems) == 2
    for bad in (
        {"max_depth": "deep"},
        {"max_depth": 2.5},
        {"nope": 1},
        {"subsample": float("nan")},
    ):
        with pytest.raises(ParamError):
            models.check_params("xgboost", True, bad)
    with pytest.raises(ParamError):
        models.check_params("mlp", True, {"hidden_layers": "9999"})


def test_log_param_snaps_to_nearest_tick():
    p = Param("lr", "Learning rate", "float", 0.05, 0.005, 0.5, log=True)
    assert p.snap(0.0501) in p.ticks()
    assert abs(p.snap(0.0501) - 0.05) < 1e-9
    assert p.sample(np.random.default_rng(0)) in p.ticks()
