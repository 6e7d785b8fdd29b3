"""SHAP explanations of a ``TrainedModel`` and the tidy frames the "Why valence?" page draws.

Which explainer runs depends on the fitted estimator:

* XGBoost: the booster's native TreeSHAP (``pred_contribs=True``): exact and fast.
* LightGBM: its native TreeSHAP (``pred_contrib=True``): exact and fast.
* A blend of XGBoost / LightGBM members: each member's exact TreeSHAP on its own columns,
  combined with the blend's weights (the blend averages on the margin scale, and Shapley values
  are linear in the model, so the sum is the blend's exact SHAP). A blend with any other member
  takes the sampled path below.
* scikit-learn tree ensembles: ``shap.TreeExplainer`` (exact) on a sample capped by the size of
  the forest, because TreeSHAP on deep forests is slow; the cap is reported.
* anything else (Pipelines with an MLP, linear model, kNN ...): interventional Shapley values by
  antithetic permutation sampling (the algorithm of shap's ``PermutationExplainer``, in numpy, so
  there is no numba compile on first use) on a small sample against a small background; sample
  and background sizes are reported.

Classifiers explain one class (``class_name``): tree paths in log-odds, the sampled path in
probability; valence models under the logit transform are explained on the logit scale they
learned; ``ShapResult.output`` says which.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core import compute
from core.catalog.sampling import sample_rows
from core.modelling.blend import BlendEstimator, member_kind
from core.modelling.models import TrainedModel

log = logging.getLogger(__name__)

#: Rows explained by the model-agnostic path, and the size of its background sample.
#: Explaining at most this many rows (one track: the One track tab, a lookup's track, the
#: what-if of a model that is not XGBoost) is interactive: it takes no slot on the CPU gate, so
#: it never waits behind another visitor's job, and runs on one thread (issue 11).
INTERACTIVE_ROWS = 20
AGNOSTIC_MAX_ROWS = 200
AGNOSTIC_BACKGROUND = 50
AGNOSTIC_PERMUTATIONS = 10  # feature orders per row (antithetic pairs)
#: TreeSHAP work budget for scikit-learn forests (leaves x depth^2 summed over trees, x rows).
FOREST_BUDGET = 4e8
FOREST_MIN_ROWS = 50


@dataclass
class ShapResult:
    """SHAP values for a sample of rows.

    ``values`` (rows x ``feature_names``) sum, per row, to ``prediction - base_value``;
    ``data`` holds the model-input matrix of the same rows, indexed like the catalog rows.
    """

    values: pd.DataFrame
    base_value: float
    data: pd.DataFrame
    prediction: np.ndarray
    method: str
    n_explained: int
    output: str = "valence"
    class_name: str | None = None

    @property
    def feature_names(self) -> list[str]:
        """Explained features, in model order."""
        return list(self.values.columns)


def _class_index(model: TrainedModel, class_name: str | None) -> tuple[int | None, str | None]:
    if not model.is_classifier:
        return None, None
    classes = [str(c) for c in model.classes_ or []]
    if class_name is None:
        return 0, classes[0]
    if str(class_name) not in classes:
        raise ValueError(f"Unknown class {class_name!r}; the model knows {classes}")
    return classes.index(str(class_name)), str(class_name)


def _is_xgboost(est: object) -> bool:
    return type(est).__module__.startswith("xgboost") and hasattr(est, "get_booster")


def _is_sklearn_forest(est: object) -> bool:
    """A scikit-learn tree ensemble or single decision tree (what shap's TreeExplainer walks)."""
    mod = type(est).__module__
    if mod.startswith("sklearn.tree"):
        return hasattr(est, "tree_")
    return mod.startswith("sklearn.ensemble") and hasattr(est, "estimators_")


def _for_class(
    contribs: np.ndarray, margin: np.ndarray, k: int | None
) -> tuple[np.ndarray, np.ndarray]:
    """The contributions and margin of class ``k`` (rows x classes x features arrays)."""
    if contribs.ndim == 3:  # multi-class: (rows, classes, features + 1)
        idx = k if k is not None else 0
        return contribs[:, idx, :], margin[:, idx]
    if k == 0:  # binary: the margin is the log-odds of class 1
        return -contribs, -margin
    return contribs, margin


def _slot(
    n_rows: int, on_wait: compute.WaitFn | None, max_threads: int | None = None
) -> AbstractContextManager[int]:
    """The CPU gate's slot for explaining ``n_rows`` rows; a few rows run at once, one thread."""
    if n_rows <= INTERACTIVE_ROWS:
        return nullcontext(1)
    return compute.slot("SHAP", on_wait, max_threads=max_threads)


def xgb_native(
    est: object, X: pd.DataFrame, threads: int | None = None
) -> Callable[..., np.ndarray]:
    """Native predictions of an XGBoost model on ``X``: call with ``pred_contribs=True`` etc.

    Only the trees ``predict()`` uses are asked (early stopping), with ``threads`` threads on a
    copy of the booster when given (the model may be shared by other sessions).
    """
    import xgboost as xgb

    booster = est.get_booster()
    if threads is not None:
        booster = booster.copy()
        booster.set_param({"nthread": int(threads)})
    kwargs = {}
    if hasattr(est, "best_score"):  # early stopping: explain the trees predict() uses
        kwargs["iteration_range"] = (0, int(est.best_iteration) + 1)
    dm = xgb.DMatrix(
        X.to_numpy(np.float32),
        missing=np.nan,
        feature_names=booster.feature_names,
        feature_types=booster.feature_types,
    )
    return lambda **what: np.asarray(booster.predict(dm, **what, **kwargs), dtype=float)


def _xgb_contribs(
    est: object, X: pd.DataFrame, k: int | None, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Native TreeSHAP contributions (last column: bias) and the raw margin of each row."""
    predict = xgb_native(est, X, threads)
    return _for_class(predict(pred_contribs=True), predict(output_margin=True), k)


def _lgb_contribs(
    est: object, X: pd.DataFrame, k: int | None, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """LightGBM's native TreeSHAP (last column: bias) and raw margin, like ``_xgb_contribs``."""
    kwargs = {} if threads is None else {"num_threads": int(threads)}  # per call: no mutation
    contribs = np.asarray(est.predict(X, pred_contrib=True, **kwargs), dtype=float)
    margin = np.asarray(est.predict(X, raw_score=True, **kwargs), dtype=float)
    width = X.shape[1] + 1
    if contribs.shape[1] > width:  # multi-class: classes x (features + 1) per row
        contribs = contribs.reshape(len(X), -1, width)
    return _for_class(contribs, margin, k)


def _cb_contribs(
    est: object, X: pd.DataFrame, k: int | None, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """CatBoost's exact SHAP values (last column: expected value) and raw margin."""
    from catboost import Pool

    kwargs = {} if threads is None else {"thread_count": int(threads)}  # per call
    contribs = np.asarray(
        est.get_feature_importance(Pool(X), type="ShapValues", **kwargs), dtype=float
    )
    margin = np.asarray(est.predict(X, prediction_type="RawFormulaVal"), dtype=float)
    return _for_class(contribs, margin, k)


#: Members whose own library computes exact TreeSHAP values, and their names on the page.
NATIVE_KINDS = ("xgboost", "lightgbm", "catboost")
ENGINES = {"xgboost": "XGBoost", "lightgbm": "LightGBM", "catboost": "CatBoost"}


def _native_contribs(
    est: object, X: pd.DataFrame, k: int | None, threads: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    kind = member_kind(est)
    if kind == "lightgbm":
        return _lgb_contribs(est, X, k, threads)
    if kind == "catboost":
        return _cb_contribs(est, X, k, threads)
    return _xgb_contribs(est, X, k, threads)


def _blend_contribs(
    blend: BlendEstimator, X: pd.DataFrame, k: int | None, threads: int | None = None
) -> tuple[np.ndarray, float, np.ndarray]:
    """Weighted sum of each member's native TreeSHAP, on the blend's columns."""
    vals = np.zeros((len(X), X.shape[1]))
    base, margin = 0.0, np.zeros(len(X))
    for est, cols, w in zip(blend.estimators, blend.columns, blend.weights, strict=True):
        contribs, m = _native_contribs(est, X.iloc[:, cols], k, threads)
        vals[:, cols] += w * contribs[:, :-1]
        base += w * float(contribs[0, -1])
        margin += w * m
    return vals, base, margin


def _is_tree_blend(est: object) -> bool:
    return isinstance(est, BlendEstimator) and all(
        member_kind(e) in NATIVE_KINDS for e in est.estimators
    )


def _regression_output(model: TrainedModel) -> str:
    return "logit of valence" if model.target_transform == "logit" else "valence"


def forest_row_cap(est: object, max_rows: int) -> int:
    """Rows a scikit-learn forest can be explained on within ``FOREST_BUDGET``.

    Parameters
    ----------
    est
        A fitted scikit-learn tree ensemble (``estimators_``) or decision tree (``tree_``).
    max_rows
        The caller's cap.

    Returns
    -------
    int
        ``min(max_rows, budget / work per row)``, at least ``FOREST_MIN_ROWS``.
    """
    trees = np.ravel(est.estimators_) if hasattr(est, "estimators_") else [est]
    work = sum(t.tree_.n_leaves * max(t.tree_.max_depth, 1) ** 2 for t in trees)
    return int(min(max_rows, max(FOREST_MIN_ROWS, FOREST_BUDGET // max(work, 1))))


def _model_output(est: object, X: pd.DataFrame, k: int | None) -> np.ndarray:
    """What the non-XGBoost paths explain: the regression output or one class's probability."""
    if k is None:
        return np.asarray(est.predict(X), dtype=float)
    return np.asarray(est.predict_proba(X), dtype=float)[:, k]


def _tree_explainer(est: object, X: pd.DataFrame, k: int | None) -> tuple[np.ndarray, float]:
    import shap

    explainer = shap.TreeExplainer(est)
    vals = np.asarray(explainer.shap_values(X.to_numpy(float), check_additivity=False), float)
    base = np.ravel(explainer.expected_value)
    if vals.ndim == 3:  # (rows, features, outputs)
        idx = k if k is not None else 0
        return vals[:, :, idx], float(base[idx])
    return vals, float(base[0])


def _agnostic(
    est: object, X: pd.DataFrame, background: pd.DataFrame, k: int | None, seed: int
) -> tuple[np.ndarray, float]:
    """Interventional Shapley values by antithetic permutation sampling (numpy only).

    For each row and each sampled feature order (and its reverse), features are switched from
    background values to the row's values one at a time; each switch's change in the mean
    prediction over the background is that feature's contribution. Per order the
    contributions add up exactly to ``f(x) - mean f(background)``.
    """
    cols = list(X.columns)
    x_all, bg = X.to_numpy(float), background.to_numpy(float)
    n_bg, p = bg.shape
    rng = np.random.default_rng(seed)
    orders = []
    for _ in range(AGNOSTIC_PERMUTATIONS // 2):
        perm = rng.permutation(p)
        orders += [perm, perm[::-1]]
    base = float(_model_output(est, background, k).mean())
    out = np.zeros((len(x_all), p))
    for i, x in enumerate(x_all):
        # (orders, p + 1 steps, background rows, features)
        grid = np.broadcast_to(bg, (len(orders), p + 1, n_bg, p)).copy()
        for o, perm in enumerate(orders):
            for step, j in enumerate(perm, start=1):
                grid[o, step:, :, j] = x[j]
        pred = _model_output(est, pd.DataFrame(grid.reshape(-1, p), columns=cols), k)
        means = pred.reshape(len(orders), p + 1, n_bg).mean(axis=2)
        gains = np.diff(means, axis=1)  # (orders, p): gain of the step's feature
        for o, perm in enumerate(orders):
            out[i, perm] += gains[o]
    return out / len(orders), base


def shap_values(
    model: TrainedModel,
    df: pd.DataFrame,
    *,
    class_name: str | None = None,
    max_rows: int = 2000,
    seed: int = 0,
    background: pd.DataFrame | None = None,
    on_wait: compute.WaitFn | None = None,
) -> ShapResult:
    """SHAP values of ``model`` for (a seeded sample of) the catalog rows ``df``.

    Parameters
    ----------
    model
        A fitted ``TrainedModel``.
    df
        Catalog-shaped rows to explain; at most ``max_rows`` of them are sampled (fewer for
        deep forests and for the model-agnostic path, see the module docstring).
    class_name
        For classifiers, the class whose score is explained (default: the first class).
    max_rows
        Cap on explained rows.
    seed
        Seed of the row sample and of the sampled explainer.
    background
        Catalog rows the model-agnostic path samples its background from (default ``df``).
        Pass the catalog when explaining a few tracks: a background made of the explained
        rows themselves gives every feature a SHAP value of 0.
    on_wait
        Called with the number of jobs ahead while the CPU gate (``core.compute``) queues it.

    Returns
    -------
    ShapResult
        Values, base value, explained input rows, predictions and the method used.
    """
    if len(df) == 0:
        raise ValueError("There are no rows to explain.")
    k, cls = _class_index(model, class_name)
    est = model.estimator
    if _is_xgboost(est) or member_kind(est) in NATIVE_KINDS:
        rows = sample_rows(df, max_rows, seed)
        X = model.matrix(rows)
        with _slot(len(X), on_wait) as threads:
            contribs, prediction = _native_contribs(est, X, k, threads)
        vals, base = contribs[:, :-1], float(contribs[0, -1])
        what = _regression_output(model) if k is None else f"log-odds of {cls!r}"
        engine = ENGINES[member_kind(est)]
        method = f"exact TreeSHAP ({engine} native) on {len(rows):,} rows"
        return _result(model, rows, X, vals, base, prediction, method, what, cls)
    if _is_tree_blend(est):
        rows = sample_rows(df, max_rows, seed)
        X = model.matrix(rows)
        with _slot(len(X), on_wait) as threads:
            vals, base, prediction = _blend_contribs(est, X, k, threads)
        what = _regression_output(model) if k is None else f"log-odds of {cls!r}"
        parts = ", ".join(f"{m} x {w:.2f}" for m, w in zip(est.members, est.weights, strict=True))
        method = (
            f"exact TreeSHAP of each blend member ({parts}), weighted like the blend, "
            f"on {len(rows):,} rows"
        )
        return _result(model, rows, X, vals, base, prediction, method, what, cls)
    what = _regression_output(model) if k is None else f"probability of {cls!r}"
    if _is_sklearn_forest(est):
        cap = forest_row_cap(est, max_rows)
        rows = sample_rows(df, cap, seed)
        X = model.matrix(rows)
        try:
            with _slot(len(X), on_wait, max_threads=1):
                vals, base = _tree_explainer(est, X, k)
        except Exception as exc:  # an ensemble shap cannot walk: use the sampled path
            log.info("TreeExplainer failed (%s); using the permutation explainer", exc)
        else:
            capped = " (capped for this forest's size)" if cap < min(max_rows, len(df)) else ""
            method = f"exact TreeSHAP (shap TreeExplainer) on {len(rows):,} rows{capped}"
            prediction = _model_output(est, X, k)
            return _result(model, rows, X, vals, base, prediction, method, what, cls)
    rows = sample_rows(df, min(max_rows, AGNOSTIC_MAX_ROWS), seed)
    X = model.matrix(rows)
    pool = df if background is None else background
    bg = model.matrix(sample_rows(pool, AGNOSTIC_BACKGROUND, seed + 1))
    with _slot(len(X), on_wait, max_threads=1):
        vals, base = _agnostic(est, X, bg, k, seed)
    method = (
        f"sampled permutation SHAP on {len(rows):,} rows "
        f"({AGNOSTIC_PERMUTATIONS} feature orders, background of {len(bg):,} rows)"
    )
    return _result(model, rows, X, vals, base, _model_output(est, X, k), method, what, cls)


def _result(
    model: TrainedModel,
    rows: pd.DataFrame,
    X: pd.DataFrame,
    vals: np.ndarray,
    base: float,
    prediction: np.ndarray,
    method: str,
    output: str,
    class_name: str | None,
) -> ShapResult:
    names = model.feature_names
    return ShapResult(
        values=pd.DataFrame(vals, columns=names, index=rows.index),
        base_value=float(base),
        data=X.set_axis(names, axis=1),
        prediction=np.asarray(prediction, dtype=float),
        method=method,
        n_explained=len(rows),
        output=output,
        class_name=class_name,
    )


def mean_abs_shap(result: ShapResult) -> pd.DataFrame:
    """Global importance: mean |SHAP| per feature, largest first.

    Parameters
    ----------
    result
        SHAP values.

    Returns
    -------
    pd.DataFrame
        Columns ``feature``, ``mean_abs_shap``, ``mean_shap_corr`` (correlation of the feature's
        value with its SHAP value: > 0 means "higher value, higher prediction").
    """
    vals, data = result.values, result.data
    corr = [
        _safe_corr(data[c].to_numpy(float), vals[c].to_numpy(float)) for c in result.feature_names
    ]
    out = pd.DataFrame(
        {
            "feature": result.feature_names,
            "mean_abs_shap": vals.abs().mean().to_numpy(),
            "mean_shap_corr": corr,
        }
    )
    return out.sort_values("mean_abs_shap", ascending=False, ignore_index=True)


def _safe_corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    if ok.sum() < 3 or np.std(a[ok]) == 0 or np.std(b[ok]) == 0:
        return float("nan")
    return float(np.corrcoef(a[ok], b[ok])[0, 1])


def beeswarm_frame(
    result: ShapResult, *, max_points: int = 1000, top_n: int = 12, seed: int = 0
) -> pd.DataFrame:
    """Long frame for a beeswarm: one row per (track, feature), on a seeded sample of tracks.

    Parameters
    ----------
    result
        SHAP values.
    max_points
        Tracks drawn per feature (a seeded sample when more were explained).
    top_n
        Features kept (largest mean |SHAP|).
    seed
        Seed of the sample and the vertical jitter.

    Returns
    -------
    pd.DataFrame
        Columns ``feature``, ``shap``, ``value``, ``colour`` (the value's rank within the
        feature, 0 to 1) and ``jitter``.
    """
    rng = np.random.default_rng(seed)
    n = len(result.values)
    pick = np.sort(rng.choice(n, size=min(n, max_points), replace=False))
    features = mean_abs_shap(result)["feature"].head(top_n).tolist()
    parts = []
    for name in features:
        value = result.data[name].to_numpy(float)[pick]
        shap_v = result.values[name].to_numpy(float)[pick]
        colour = pd.Series(value).rank(pct=True).fillna(0.5).to_numpy()
        spread = np.abs(shap_v - np.median(shap_v))
        scale = 0.35 / (1 + spread / (np.std(shap_v) + 1e-12))
        jitter = rng.uniform(-1, 1, len(pick)) * scale
        parts.append(
            pd.DataFrame(
                {
                    "feature": name,
                    "shap": shap_v,
                    "value": value,
                    "colour": colour,
                    "jitter": jitter,
                }
            )
        )
    return pd.concat(parts, ignore_index=True) if parts else pd.DataFrame()


def strongest_interaction(result: ShapResult, feature: str) -> str | None:
    """The feature that best explains the spread of ``feature``'s SHAP at equal values.

    Like shap's ``approximate_interactions``: sort by the feature's value, cut into bins, and sum
    |correlation| between its SHAP and each other feature inside the bins.
    """
    x = result.data[feature].to_numpy(float)
    order = np.argsort(x, kind="stable")
    others = [f for f in result.feature_names if f != feature]
    if not others:
        return None
    s = result.values[feature].to_numpy(float)[order]
    z = result.data[others].to_numpy(float)[order]
    n_bins = max(1, min(20, len(order) // 30))
    score = np.zeros(len(others))
    for chunk in np.array_split(np.arange(len(order)), n_bins):  # all features at once per bin
        score += np.abs(np.nan_to_num(_binned_corr(s[chunk], z[chunk])))
    best = int(np.argmax(score))  # the first of equal scores, as the loop it replaced
    return others[best] if score[best] > 0.0 else None


def _binned_corr(s: np.ndarray, z: np.ndarray) -> np.ndarray:
    """Pearson correlation of ``s`` with each column of ``z`` over the rows both have finite.

    NaN for a column with fewer than 3 such rows or no spread (``_safe_corr`` column-wise).
    """
    ok = np.isfinite(z) & np.isfinite(s)[:, None]
    n = ok.sum(axis=0)
    with np.errstate(invalid="ignore", divide="ignore"):
        s_mean = np.where(ok, s[:, None], 0.0).sum(axis=0) / n
        z_mean = np.where(ok, z, 0.0).sum(axis=0) / n
        ds = np.where(ok, s[:, None] - s_mean, 0.0)
        dz = np.where(ok, z - z_mean, 0.0)
        var_s, var_z = (ds**2).sum(axis=0), (dz**2).sum(axis=0)
        corr = (ds * dz).sum(axis=0) / np.sqrt(var_s * var_z)
    return np.where((n >= 3) & (var_s > 0) & (var_z > 0), corr, np.nan)


def dependence_frame(result: ShapResult, feature: str) -> tuple[pd.DataFrame, str | None]:
    """Values and SHAP of one feature plus the strongest interacting feature's values."""
    if feature not in result.values:
        raise KeyError(f"{feature!r} is not an explained feature")
    other = strongest_interaction(result, feature)
    frame = pd.DataFrame(
        {
            "value": result.data[feature].to_numpy(float),
            "shap": result.values[feature].to_numpy(float),
        }
    )
    if other is not None:
        frame["interaction_value"] = result.data[other].to_numpy(float)
    return frame, other


def genre_drivers(result: ShapResult, genres: pd.Series, *, top_n: int = 10) -> pd.DataFrame:
    """Mean SHAP of each feature within each genre (genres x the ``top_n`` strongest features).

    ``genres`` is indexed like the catalog; rows without a genre are left out. An empty frame
    when no explained row has a genre.
    """
    labels = genres.reindex(result.values.index)
    keep = labels.notna().to_numpy()
    if not keep.any():
        return pd.DataFrame()
    features = mean_abs_shap(result)["feature"].head(top_n).tolist()
    vals = result.values.loc[keep, features]
    return vals.groupby(labels[keep].astype(str).to_numpy()).mean().sort_index()
