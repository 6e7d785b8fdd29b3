"""Saving and loading trained models safely (skops, never pickle) with a model card."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from core.modelling import models

#: The fully qualified types beyond skops' own safe defaults that Valence Lab's model files hold
#: (what ``dump_model`` writes for every registry model). Exact names only: no prefixes, and no
#: ``builtins`` callables, because skops *calls* a type with arguments from the file while
#: loading (``builtins.exec`` would run code). Anything else is refused before ``loads``.
ALLOWED_TYPES: frozenset[str] = frozenset(
    {
        "core.modelling.models.TrainedModel",
        "numpy.dtype",
        "sklearn.tree._tree.Tree",
        "sklearn.neighbors._kd_tree.KDTree",
        "sklearn.neighbors._ball_tree.BallTree",
        "sklearn.metrics._dist_metrics.EuclideanDistance64",
        "sklearn.neural_network._stochastic_optimizers.AdamOptimizer",
        "sklearn.neural_network._stochastic_optimizers.SGDOptimizer",
        "xgboost.core.Booster",
        "xgboost.sklearn.XGBClassifier",
        "xgboost.sklearn.XGBRegressor",
        "core.modelling.blend.BlendEstimator",
        "lightgbm.basic.Booster",
        "collections.OrderedDict",  # LightGBM keeps its params in one (a plain container)
        "lightgbm.sklearn.LGBMClassifier",
        "lightgbm.sklearn.LGBMRegressor",
        "catboost.core.CatBoostClassifier",  # its state holds CatBoost's own binary model
        "catboost.core.CatBoostRegressor",
    }
)


class UnsafeModelError(ValueError):
    """A model file holds types outside the trusted allow-list, or is not a model file."""


def dump_model(model: models.TrainedModel) -> bytes:
    """Serialise a trained model with skops (a safe, inspectable format)."""
    import skops.io as sio

    return sio.dumps(model)


def load_model(data: bytes) -> models.TrainedModel:
    """Load a skops model file, refusing any type outside ``ALLOWED_TYPES``.

    The file is audited with ``skops.io.get_untrusted_types`` first; nothing in it is
    constructed unless every type it names is allowed.

    Raises
    ------
    UnsafeModelError
        If the file is not a skops file, holds untrusted types, or is not a TrainedModel.
    """
    import skops.io as sio

    try:
        untrusted = sio.get_untrusted_types(data=data)
    except Exception as exc:  # zip / JSON errors: not a skops file
        raise UnsafeModelError(
            f"Not a skops model file ({type(exc).__name__}); save one from the Model lab or "
            "`python -m core evaluate --save-model`."
        ) from exc
    refused = sorted(t for t in untrusted if t not in ALLOWED_TYPES)
    if refused:
        shown = ", ".join(refused[:10]) + (
            f" and {len(refused) - 10} more" if len(refused) > 10 else ""
        )
        raise UnsafeModelError(
            f"Refusing to load this model file: it holds untrusted types ({shown}). Only files "
            "saved by Valence Lab load."
        )
    try:
        model = sio.loads(data, trusted=untrusted)
    except Exception as exc:  # malformed content of allowed types
        raise UnsafeModelError(f"The model file is damaged ({type(exc).__name__}).") from exc
    if not isinstance(model, models.TrainedModel):
        raise UnsafeModelError(f"The file holds a {type(model).__name__}, not a Valence Lab model")
    return model


def load_model_file(path: Path) -> models.TrainedModel:
    """Load a model file from disk (see :func:`load_model`)."""
    return load_model(Path(path).read_bytes())


def model_card(model: models.TrainedModel, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """A JSON-friendly description: model, task, inputs, params, metrics and provenance."""
    spec = models.REGISTRY.get(model.model_id)
    card = {
        "model": model.model_id,
        "label": spec.label if spec else model.model_id,
        "task": model.task,
        "feature_set": model.feature_set,
        "input_columns": list(model.input_columns),
        "classes": model.classes_,
        "params": model.params,
        "target_transform": model.target_transform,
        "metrics": model.metrics,
        "format": "skops; load with core.modelling.export.load_model (trusted types are checked)",
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    }
    describe = getattr(model.estimator, "describe", None)
    if callable(describe):  # a blend: its members, weights and inputs
        card["members"] = describe(model.feature_names)
    return card | (extra or {})


def model_card_markdown(card: dict[str, Any]) -> str:
    """The model card as Markdown."""
    lines = [f"# Model card: {card['label']} for {card['task']}", ""]
    for key in ("model", "task", "feature_set", "created", "format"):
        lines.append(f"- **{key}**: {card.get(key)}")
    lines += ["", "## Inputs", ", ".join(card["input_columns"]), "", "## Hyperparameters"]
    lines += [f"- {k}: {v}" for k, v in card["params"].items()] or ["- (none)"]
    lines += ["", "## Held-out metrics"]
    lines += [
        f"- {k}: {v:.4f}" if isinstance(v, float) else f"- {k}: {v}"
        for k, v in card.get("metrics", {}).items()
    ] or ["- (not evaluated)"]
    for key in sorted(
        set(card)
        - {
            "model",
            "task",
            "feature_set",
            "created",
            "format",
            "label",
            "input_columns",
            "params",
            "metrics",
            "classes",
        }
    ):
        lines.append(f"- **{key}**: {json.dumps(card[key], default=str)}")
    return "\n".join(lines) + "\n"
