"""Model registry: estimators, their hyperparameter spaces, validation, and the default models.

CONTRACT used by other modules (core.explain, core.lookup, ui) - keep these names stable:
- ``TrainedModel``: a fitted model plus everything needed to apply it to a catalog-shaped frame.
- ``fit_default_valence_model(df)`` / ``fit_default_genre_model(df)``: XGBoost at the shipped
  defaults on all rows of a catalog (for explanation and prediction of new tracks).

Every model in ``REGISTRY`` has a label, the task kinds it supports, a hyperparameter space
(:class:`core.modelling.params.Param`) that the Model lab turns into sliders, and an estimator
factory.
Classifiers are always fitted on integer codes ``0..K-1`` of ``TrainedModel.classes_``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from core import compute
from core.modelling import features, tasks
from core.modelling.params import Param, ParamError, validate_params

DEFAULT_SEED = 0
N_JOBS = 2

__all__ = [
    "DEFAULT_SEED",
    "REGISTRY",
    "ModelSpec",
    "Param",
    "ParamError",
    "TrainedModel",
    "default_params",
    "fit_default_genre_model",
    "fit_default_valence_model",
    "make_estimator",
    "thread_limited",
    "validate_params",
]


@dataclass
class TrainedModel:
    """A fitted estimator and the recipe for building its input matrix."""

    model_id: str  # registry id, e.g. "xgboost"
    task: str  # "valence" | "genre" | "valence-class" | ...
    feature_set: str  # "audio" | "context" | "all" | "engineered"
    params: dict[str, Any]
    estimator: Any  # fitted; takes matrix(df) as input
    input_columns: list[str]  # catalog columns and derived inputs used
    levels: dict[str, list[str]]  # categorical / multi-hot levels fixed at fit time
    classes_: list[str] | None = None  # class labels (classification), in predict_proba order
    metrics: dict[str, Any] = field(default_factory=dict)
    target_transform: str = "none"  # "none" | "logit": the estimator learns transform(valence)
    text_model: Any = None  # fitted stacked text score (core.modelling.textscore), if used

    @property
    def is_classifier(self) -> bool:
        """Whether the task predicts a label."""
        return self.classes_ is not None

    @property
    def n_text_outputs(self) -> int:
        """Columns of the stacked text score (one per class for classifiers)."""
        return len(self.levels.get(features.TEXT_SCORE, [])) or 1

    def matrix(self, df: pd.DataFrame) -> pd.DataFrame:
        """Numeric model input for catalog-shaped rows (missing columns become NaN)."""
        scores = None
        if self.text_model is not None and features.TEXT_SCORE in self.input_columns:
            from core.modelling import textscore

            scores = textscore.text_scores(self.text_model, df, self.n_text_outputs)
        return features.build_matrix(df, self.input_columns, self.levels, scores)

    @property
    def raw_columns(self) -> list[str]:
        """Catalog columns ``matrix`` reads (derived inputs replaced by their sources)."""
        out: list[str] = []
        for col in self.input_columns:
            if col in features.DERIVED:
                out += list(features.DERIVED[col][0])
            elif col == features.TEXT_SCORE:
                out += ["track_name", "album_name"]
            else:
                out.append(col)
        return list(dict.fromkeys(out))

    @property
    def feature_names(self) -> list[str]:
        """Columns of ``matrix(df)``, in order."""
        names: list[str] = []
        for col in self.input_columns:
            if col in self.levels:
                names += [f"{col}={lv}" for lv in self.levels[col]]
            else:
                names.append(col)
        return names

    def predict_matrix(self, X: pd.DataFrame) -> np.ndarray:
        """Predictions from a model matrix: valence (inverted, clipped) or class codes."""
        pred = self.estimator.predict(X)
        if self.is_classifier:
            return np.asarray(pred, dtype=int).ravel()  # CatBoost gives a column
        out = tasks.inverse_target(np.asarray(pred, dtype=float), self.target_transform)
        return np.clip(out, 0.0, 1.0) if self.task == "valence" else out

    def predict(self, df: pd.DataFrame) -> np.ndarray:
        """Valence (regression) or class label (classification) for each row."""
        pred = self.predict_matrix(self.matrix(df))
        if self.is_classifier:
            return np.asarray(self.classes_, dtype=object)[pred]
        return pred

    def predict_proba(self, df: pd.DataFrame) -> pd.DataFrame:
        """Class probabilities, one column per class (classification only)."""
        if not self.is_classifier:
            raise ValueError("predict_proba needs a classification model")
        proba = self.estimator.predict_proba(self.matrix(df))
        return pd.DataFrame(proba, columns=self.classes_, index=df.index)


Factory = Callable[[bool, dict[str, Any], int], Any]


@dataclass(frozen=True)
class ModelSpec:
    """One registry entry: how to build a model and which knobs it exposes."""

    id: str
    label: str
    space: tuple[Param, ...]
    factory: Factory  # (regression, params, seed) -> unfitted estimator
    training: str  # "boosting" | "lightgbm" | "catboost" | "forest" | "epochs" | "single" | "blend"
    tasks: frozenset[str] = frozenset({"regression", "classification"})
    baseline: bool = False
    note: str = ""

    def params_for(self, regression: bool) -> tuple[Param, ...]:
        """The hyperparameters that apply to a task kind."""
        kind = "regression" if regression else "classification"
        return tuple(p for p in self.space if p.applies_to in ("both", kind))


def _xgb_defaults(task: str) -> dict[str, Any]:
    """Shipped XGBoost defaults (tuned on TidyTuesday with 5-fold grouped CV; see bench/).

    Depth 5 with 400 rounds matches depth 6 / 300 rounds in accuracy (valence MAE 0.1543 vs
    0.1542 audio, 0.1425 vs 0.1428 all) and halves exact SHAP time (1.7 s vs 3.3 s for 2,000
    rows on 2 cores): TreeSHAP's cost grows with leaves x depth^2.
    """
    return {
        "n_estimators": 400,
        "max_depth": 5,
        "learning_rate": 0.06,
        "subsample": 0.8,
        "colsample_bytree": 0.8,
        "min_child_weight": 10.0,
        "reg_lambda": 1.0,
    }


def _imputed(estimator: Any) -> Any:
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return make_pipeline(SimpleImputer(strategy="median"), StandardScaler(), estimator)


def _xgboost(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from xgboost import XGBClassifier, XGBRegressor

    kwargs = {k: v for k, v in params.items() if k != "early_stopping_rounds"}
    cls = XGBRegressor if regression else XGBClassifier
    return cls(**kwargs, random_state=seed, n_jobs=N_JOBS, tree_method="hist")


def _lgbm_defaults() -> dict[str, Any]:
    """Shipped LightGBM defaults (TidyTuesday, grouped 5-fold CV, logit target; see bench/)."""
    return {
        "n_estimators": 600,
        "learning_rate": 0.03,
        "num_leaves": 31,
        "min_child_samples": 20,
        "subsample": 0.8,
        "colsample_bytree": 0.5,
        "reg_lambda": 1.0,
    }


def _lightgbm(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from lightgbm import LGBMClassifier, LGBMRegressor

    kwargs = {k: v for k, v in params.items() if k != "early_stopping_rounds"}
    cls = LGBMRegressor if regression else LGBMClassifier
    return cls(
        **kwargs,
        subsample_freq=1,
        importance_type="gain",
        random_state=seed,
        n_jobs=N_JOBS,
        verbose=-1,
    )


def _catboost_defaults() -> dict[str, Any]:
    """Shipped CatBoost defaults (TidyTuesday, grouped 5-fold CV, logit target; see bench/)."""
    return {"n_estimators": 1000, "learning_rate": 0.07, "depth": 6, "l2_leaf_reg": 3.0}


def _catboost(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from catboost import CatBoostClassifier, CatBoostRegressor

    kwargs = {k: v for k, v in params.items() if k != "early_stopping_rounds"}
    kwargs["iterations"] = int(kwargs.pop("n_estimators"))
    cls = CatBoostRegressor if regression else CatBoostClassifier
    return cls(
        **kwargs,
        loss_function="RMSE" if regression else "MultiClass",
        random_seed=seed,
        thread_count=N_JOBS,
        verbose=0,
        allow_writing_files=False,  # no catboost_info/ folder in the working directory
    )


def _early_stopping(default: int) -> Param:
    """The boosters' early-stopping knob (rounds without improvement; 0 = off)."""
    return Param(
        "early_stopping_rounds", "Early stopping (rounds, 0 = off)", "int", default, 0, 200, step=5
    )


def _rounds(default: int, high: int) -> Param:
    """The boosters' maximum number of boosting rounds."""
    return Param("n_estimators", "Boosting rounds (max)", "int", default, 20, high, step=10)


def _learning_rate(default: float) -> Param:
    """The boosters' learning rate (shrinkage per round)."""
    return Param("learning_rate", "Learning rate", "float", default, 0.005, 0.5, log=True)


def _subsamples(defaults: dict[str, Any], column_low: float) -> tuple[Param, Param]:
    """The row and column subsample shares of XGBoost and LightGBM."""
    return (
        Param("subsample", "Row subsample", "float", defaults["subsample"], 0.3, 1.0, step=0.05),
        Param(
            "colsample_bytree",
            "Column subsample",
            "float",
            defaults["colsample_bytree"],
            column_low,
            1.0,
            step=0.05,
        ),
    )


def _l2(name: str, default: float, low: float) -> Param:
    """The boosters' L2 regularisation of leaf values."""
    return Param(name, "L2 regularisation", "float", default, low, 100.0, log=True)


def _no_factory(regression: bool, params: dict[str, Any], seed: int) -> Any:
    raise ValueError("A blend is built by core.modelling.training.fit_model from its members.")


def _forest(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from sklearn.ensemble import RandomForestClassifier, RandomForestRegressor

    cls = RandomForestRegressor if regression else RandomForestClassifier
    return cls(**params, random_state=seed, n_jobs=N_JOBS)


def _mlp(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from sklearn.neural_network import MLPClassifier, MLPRegressor

    layers = tuple(int(u) for u in str(params["hidden_layers"]).split("-"))
    cls = MLPRegressor if regression else MLPClassifier
    return _imputed(
        cls(
            hidden_layer_sizes=layers,
            alpha=params["alpha"],
            learning_rate_init=params["learning_rate_init"],
            batch_size=int(params["batch_size"]),
            max_iter=int(params["max_epochs"]),
            early_stopping=False,
            random_state=seed,
        )
    )


def _linear(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from sklearn.linear_model import LinearRegression, LogisticRegression

    if regression:
        return _imputed(LinearRegression())
    return _imputed(LogisticRegression(C=params["C"], max_iter=1000, random_state=seed))


def _knn(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from sklearn.neighbors import KNeighborsClassifier, KNeighborsRegressor

    cls = KNeighborsRegressor if regression else KNeighborsClassifier
    return _imputed(cls(n_neighbors=int(params["n_neighbors"]), weights=params["weights"]))


def _tree(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor

    cls = DecisionTreeRegressor if regression else DecisionTreeClassifier
    return cls(**params, random_state=seed)


def _mean(regression: bool, params: dict[str, Any], seed: int) -> Any:
    from sklearn.dummy import DummyClassifier, DummyRegressor

    return DummyRegressor(strategy="mean") if regression else DummyClassifier(strategy="prior")


_XGB = _xgb_defaults("valence")
_LGB = _lgbm_defaults()
_CB = _catboost_defaults()
#: Members a blend can average (each at its shipped defaults).
BLEND_MEMBERS: dict[str, tuple[str, ...]] = {
    "lightgbm+catboost": ("lightgbm", "catboost"),
    "lightgbm+xgboost": ("lightgbm", "xgboost"),
    "lightgbm+xgboost+mlp": ("lightgbm", "xgboost", "mlp"),
    "lightgbm+rf": ("lightgbm", "rf"),
}
REGISTRY: dict[str, ModelSpec] = {
    spec.id: spec
    for spec in (
        ModelSpec(
            "xgboost",
            "XGBoost",
            (
                _rounds(_XGB["n_estimators"], 1000),
                Param("max_depth", "Max depth", "int", _XGB["max_depth"], 1, 10),
                _learning_rate(_XGB["learning_rate"]),
                *_subsamples(_XGB, 0.3),
                Param(
                    "min_child_weight",
                    "Min child weight",
                    "float",
                    _XGB["min_child_weight"],
                    0.1,
                    100.0,
                    log=True,
                ),
                _l2("reg_lambda", _XGB["reg_lambda"], 0.01),
                _early_stopping(30),
            ),
            _xgboost,
            "boosting",
            note=(
                "Gradient-boosted trees; curves per boosting round, early stopping on a "
                "grouped validation split."
            ),
        ),
        ModelSpec(
            "lightgbm",
            "LightGBM",
            (
                _rounds(_LGB["n_estimators"], 2000),
                _learning_rate(_LGB["learning_rate"]),
                Param("num_leaves", "Leaves per tree", "int", _LGB["num_leaves"], 4, 255, log=True),
                Param(
                    "min_child_samples",
                    "Min tracks per leaf",
                    "int",
                    _LGB["min_child_samples"],
                    1,
                    200,
                    log=True,
                ),
                *_subsamples(_LGB, 0.1),
                _l2("reg_lambda", _LGB["reg_lambda"], 0.01),
                _early_stopping(50),
            ),
            _lightgbm,
            "lightgbm",
            note="Leaf-wise gradient-boosted trees; curves per boosting round, early stopping on a "
            "grouped validation split; SHAP from LightGBM's own contributions.",
        ),
        ModelSpec(
            "catboost",
            "CatBoost",
            (
                _rounds(_CB["n_estimators"], 3000),
                _learning_rate(_CB["learning_rate"]),
                Param("depth", "Tree depth (symmetric trees)", "int", _CB["depth"], 2, 10),
                _l2("l2_leaf_reg", _CB["l2_leaf_reg"], 0.1),
                _early_stopping(0),
            ),
            _catboost,
            "catboost",
            note="Symmetric (oblivious) gradient-boosted trees; the curve is scored every few "
            "rounds once the fit ends (CatBoost's callbacks see its own loss, not the model); "
            "SHAP from CatBoost's own exact values.",
        ),
        ModelSpec(
            "blend",
            "Blend (average of models)",
            (
                Param(
                    "members",
                    "Members",
                    "choice",
                    "lightgbm+catboost",
                    choices=tuple(BLEND_MEMBERS),
                ),
                Param(
                    "lightgbm_weight",
                    "LightGBM's weight (the rest share the remainder)",
                    "float",
                    0.5,
                    0.0,
                    1.0,
                    step=0.05,
                ),
                Param(
                    "max_rounds",
                    "Max boosting rounds per booster member",
                    "int",
                    max(_LGB["n_estimators"], _CB["n_estimators"]),
                    20,
                    3000,
                    step=10,
                    help="Caps the members' shipped rounds (LightGBM 600, CatBoost 1,000, "
                    "XGBoost 400).",
                ),
                Param(
                    "other_features",
                    "Inputs of the other members",
                    "choice",
                    "plain",
                    choices=("plain", "same", *features.FEATURE_SETS),
                    help="'plain' is the run's feature set, but 'all' when the run uses the "
                    "engineered set (a different view of the data blends better, and CatBoost "
                    "fits faster without the multi-hot inputs); 'same' is the run's set. "
                    "LightGBM always uses the run's set.",
                ),
                Param(
                    "validation",
                    "Validation carve-out",
                    "choice",
                    "none",
                    choices=("none", "carve-out"),
                    help="'none': members train on every training row at their shipped rounds "
                    "(chosen by grouped CV), so the curve shows training rows only; "
                    "'carve-out': 15 % of the artists are held out for a validation curve and "
                    "early stopping (less data for the members).",
                ),
            ),
            _no_factory,
            "blend",
            note="Averages its members (each at its shipped defaults, each with its own inputs) "
            "on the target's scale; curves per member round; SHAP is the weighted sum of "
            "each member's exact TreeSHAP (LightGBM, CatBoost, XGBoost), or sampled when a "
            "member is an MLP or a forest.",
        ),
        ModelSpec(
            "rf",
            "Random forest",
            (
                Param("n_estimators", "Trees", "int", 150, 10, 500, step=10),
                Param(
                    "max_depth", "Max depth (kept shallow to stay explainable)", "int", 12, 2, 16
                ),
                Param("min_samples_leaf", "Min samples per leaf", "int", 3, 1, 50),
                Param(
                    "max_features", "Features per split (share)", "float", 0.5, 0.1, 1.0, step=0.05
                ),
            ),
            _forest,
            "forest",
            note="Trees are added in batches (warm start); curves per batch.",
        ),
        ModelSpec(
            "mlp",
            "Neural network (MLP)",
            (
                Param(
                    "hidden_layers",
                    "Hidden layers",
                    "choice",
                    "128-64",
                    choices=("32", "64", "128", "64-32", "128-64", "256-128"),
                ),
                Param("alpha", "L2 penalty (alpha)", "float", 1e-4, 1e-6, 1.0, log=True),
                Param("learning_rate_init", "Learning rate", "float", 1e-3, 1e-4, 0.05, log=True),
                Param(
                    "batch_size", "Batch size", "choice", "256", choices=("64", "128", "256", "512")
                ),
                Param("max_epochs", "Epochs (max)", "int", 60, 5, 300, step=5),
                Param("patience", "Early stopping patience (epochs, 0 = off)", "int", 10, 0, 50),
            ),
            _mlp,
            "epochs",
            note="Imputed, standardised inputs; one epoch per step (partial_fit).",
        ),
        ModelSpec(
            "linear",
            "Linear (OLS / logistic)",
            (
                Param(
                    "C",
                    "Inverse regularisation C",
                    "float",
                    1.0,
                    0.001,
                    100.0,
                    log=True,
                    applies_to="classification",
                ),
            ),
            _linear,
            "single",
            baseline=True,
        ),
        ModelSpec(
            "knn",
            "k-nearest neighbours",
            (
                Param("n_neighbors", "Neighbours k", "int", 25, 1, 200, log=True),
                Param("weights", "Weighting", "choice", "uniform", choices=("uniform", "distance")),
            ),
            _knn,
            "single",
            baseline=True,
        ),
        ModelSpec(
            "tree",
            "Single decision tree",
            (
                Param("max_depth", "Max depth", "int", 8, 1, 30),
                Param("min_samples_leaf", "Min samples per leaf", "int", 20, 1, 200, log=True),
            ),
            _tree,
            "single",
            baseline=True,
        ),
        ModelSpec("mean", "Mean / majority (baseline)", (), _mean, "single", baseline=True),
    )
}


def get_spec(model_id: str) -> ModelSpec:
    """The registry entry of a model id (``ValueError`` naming the choices if unknown)."""
    if model_id not in REGISTRY:
        raise ValueError(f"Unknown model {model_id!r}; choose one of {list(REGISTRY)}")
    return REGISTRY[model_id]


def default_params(model_id: str, regression: bool = True) -> dict[str, Any]:
    """The shipped default hyperparameters of a model for a task kind."""
    return {p.name: p.default for p in get_spec(model_id).params_for(regression)}


def check_params(model_id: str, regression: bool, params: dict[str, Any] | None) -> dict[str, Any]:
    """Defaults overlaid with validated ``params`` (``ParamError`` with every problem if bad)."""
    return validate_params(get_spec(model_id).params_for(regression), params or {})


def make_estimator(
    model_id: str, regression: bool, params: dict[str, Any], seed: int, n_jobs: int | None = None
) -> Any:
    """An unfitted estimator for validated params.

    ``n_jobs`` (from the CPU gate, ``core.compute``) sets the threads of models that have them;
    None keeps the registry's default.
    """
    est = get_spec(model_id).factory(regression, params, seed)
    if n_jobs is not None:
        set_threads(est, n_jobs)
    return est


def set_threads(estimator: Any, n_jobs: int) -> Any:
    """Set ``n_jobs`` on an estimator (or a pipeline's steps) that has it; return it."""
    steps = getattr(estimator, "steps", None)
    for est in [s for _, s in steps] if steps else [estimator]:
        if not hasattr(est, "get_params"):
            continue
        if type(est).__module__.startswith("catboost"):
            est.set_params(thread_count=int(n_jobs))  # CatBoost's name for it
        elif "n_jobs" in est.get_params(deep=False):
            est.set_params(n_jobs=int(n_jobs))
    return estimator


def thread_limited(estimator: Any, n_jobs: int) -> Any:
    """A view of a fitted estimator that predicts with ``n_jobs`` threads; the original untouched.

    For work inside a CPU-gate slot on a model other sessions may be predicting with (the
    shared default models): shallow copies share the fitted trees and weights, and only the
    thread setting differs. XGBoost predicts with its booster's own ``nthread``, so it gets a
    copy of the booster (a few milliseconds). CatBoost predicts on every core unless each call
    says otherwise, so its view passes ``thread_count`` to every ``predict``/``predict_proba``
    (its own copy would serialise the whole model). Pipelines and blends are limited step by
    step.
    """
    import copy
    import functools

    from core.modelling.blend import BlendEstimator

    steps = getattr(estimator, "steps", None)
    if steps is not None:
        view = copy.copy(estimator)
        view.steps = [(name, thread_limited(step, n_jobs)) for name, step in steps]
        return view
    if isinstance(estimator, BlendEstimator):
        view = copy.copy(estimator)
        view.estimators = [thread_limited(e, n_jobs) for e in estimator.estimators]
        return view
    module = type(estimator).__module__
    if module.startswith("xgboost") and hasattr(estimator, "_Booster"):
        view = copy.copy(estimator)
        booster = estimator.get_booster().copy()
        booster.set_param({"nthread": int(n_jobs)})
        view._Booster = booster
        view.n_jobs = int(n_jobs)
        return view
    if module.startswith("catboost"):
        view = object.__new__(type(estimator))  # shares the fitted model; copy.copy is deep
        view.__dict__.update(estimator.__dict__)
        for name in ("predict", "predict_proba"):
            if hasattr(estimator, name):
                method = getattr(type(estimator), name)
                setattr(view, name, functools.partial(method, view, thread_count=int(n_jobs)))
        return view
    if getattr(estimator, "n_jobs", None) is not None:
        view = copy.copy(estimator)
        view.n_jobs = int(n_jobs)
        return view
    return estimator


def fit_default_valence_model(
    df: pd.DataFrame,
    feature_set: str = "audio",
    seed: int = DEFAULT_SEED,
    *,
    on_wait: compute.WaitFn | None = None,
) -> TrainedModel:
    """XGBoost valence regressor at the shipped defaults, fitted on every row of ``df``.

    ``on_wait`` is called with the number of jobs ahead while the CPU gate queues the fit.
    """
    cols = features.input_columns(df, feature_set, "valence")
    levels = features.categorical_levels(df, cols)
    params = _xgb_defaults("valence")
    with compute.slot("default valence model", on_wait) as threads:
        est = set_threads(_xgboost(True, params, seed), threads)
        est.fit(features.build_matrix(df, cols, levels), df["valence"].to_numpy(float))
    est.n_jobs = N_JOBS  # prediction later runs outside the gate: keep the old default
    return TrainedModel("xgboost", "valence", feature_set, params, est, cols, levels)


def fit_default_genre_model(
    df: pd.DataFrame,
    feature_set: str = "audio",
    seed: int = DEFAULT_SEED,
    *,
    on_wait: compute.WaitFn | None = None,
) -> TrainedModel:
    """XGBoost genre classifier at the shipped defaults, fitted on every labelled row.

    ``on_wait`` is called with the number of jobs ahead while the CPU gate queues the fit.
    """
    rows = df[df["genre"].notna()]
    classes = sorted(rows["genre"].astype(str).unique().tolist())
    y = pd.Categorical(rows["genre"].astype(str), categories=classes).codes
    cols = features.input_columns(rows, feature_set, "genre")
    levels = features.categorical_levels(rows, cols)
    params = _xgb_defaults("genre")
    with compute.slot("default genre model", on_wait) as threads:
        est = set_threads(_xgboost(False, params, seed), threads)
        est.fit(features.build_matrix(rows, cols, levels), y)
    est.n_jobs = N_JOBS
    return TrainedModel("xgboost", "genre", feature_set, params, est, cols, levels, classes)
