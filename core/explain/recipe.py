"""The valence recipe: an additive model valence ≈ b + Σ f_i(x_i), measured honestly.

Each numeric feature gets a smooth shape function (a cubic B-spline with quantile knots, flat
beyond the data), ``key`` one value per pitch class, binary columns a single slope; one ridge
regression fits them all. Accuracy is measured on grouped 5-fold cross-validation (no artist in
both train and test), on the same folds as plain OLS and the black box (XGBoost at the shipped
defaults), so "how much of the black box's gain over OLS the recipe keeps" is a fair number.
The fitted recipe exports as JSON: an intercept and, per feature, a grid of (x, f(x)) points
that ``predict_json`` interpolates, so it can be applied anywhere without this code.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import OneHotEncoder, SplineTransformer

from core import compute
from core.modelling import features, metrics, models, splits
from core.progress import Progress, ProgressFn, reporter

log = logging.getLogger(__name__)

N_KNOTS = 10
ALPHA = 1.0
GRID_POINTS = 60
CATEGORICAL = ("key", "time_signature")
PHASE = "recipe"


def recipe_columns(df: pd.DataFrame, feature_set: str = "audio") -> dict[str, str]:
    """Feature -> kind (``spline``, ``categorical`` or ``linear``) for the recipe's inputs."""
    kinds: dict[str, str] = {}
    for col in features.input_columns(df, feature_set, "valence"):
        if col in ("genre", "subgenre", *features.MULTI_HOT):
            continue  # additive genre offsets would hide the audio story; not in the recipe
        if col == features.TEXT_SCORE:
            continue  # fitted on labels: it would need inner folds inside every recipe fold
        values = features.build_matrix(df, [col], {})[col].dropna()
        if values.nunique() < 2:
            continue
        if col in CATEGORICAL:
            kinds[col] = "categorical"
        elif values.nunique() <= 2:
            kinds[col] = "linear"
        else:
            kinds[col] = "spline"
    return kinds


def _matrix(df: pd.DataFrame, kinds: dict[str, str]) -> pd.DataFrame:
    return features.build_matrix(df, list(kinds), {})


def make_recipe(kinds: dict[str, str], n_knots: int = N_KNOTS, alpha: float = ALPHA) -> Pipeline:
    """Unfitted recipe pipeline: per-feature spline / one-hot / linear blocks, then ridge."""
    blocks = []
    for col, kind in kinds.items():
        if kind == "spline":
            step = make_pipeline(
                SimpleImputer(strategy="median"),
                SplineTransformer(
                    n_knots=n_knots, degree=3, knots="quantile", extrapolation="constant"
                ),
            )
        elif kind == "categorical":
            step = make_pipeline(
                SimpleImputer(strategy="most_frequent"),
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
            )
        else:
            step = SimpleImputer(strategy="median")
        blocks.append((col, step, [col]))
    pre = ColumnTransformer(blocks, remainder="drop", verbose_feature_names_out=False)
    return Pipeline([("basis", pre), ("ridge", Ridge(alpha=alpha))])


def recipe_folds(df: pd.DataFrame, n_splits: int = 5) -> list[tuple[np.ndarray, np.ndarray]]:
    """Grouped K-fold by primary artist, unshuffled, with fewer folds when artists are few.

    Rows without an artist are their own group, so a catalog without artists folds by track.
    """
    n = min(n_splits, splits.count_groups(df))
    if n < 2:
        raise ValueError("The recipe needs at least two artists (or tracks) to cross-validate.")
    return splits.grouped_folds(df, n, seed=None)


def _scores(y: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    """MAE and R² of clipped predictions, rounded for the JSON report."""
    scores = metrics.regression_metrics(y, np.clip(pred, 0.0, 1.0))
    return {"mae": round(scores["mae"], 5), "r2": round(scores["r2"], 5)}


def black_box_model(
    seed: int, overrides: dict[str, Any] | None = None, n_jobs: int | None = None
) -> Any:
    """The registry's XGBoost regressor at its shipped defaults (plus validated overrides)."""
    params = models.check_params("xgboost", True, overrides)
    return models.make_estimator("xgboost", True, params, seed, n_jobs=n_jobs)


def shape_functions(model: Pipeline, X: pd.DataFrame, kinds: dict[str, str]) -> dict[str, Any]:
    """Each feature's centred f_i on a grid, plus the intercept that makes them add up.

    Returns
    -------
    dict
        ``intercept`` and ``features``: name -> {kind, x, f, knots}; f is centred so that its
        mean over the training rows is 0, the intercept absorbs the shifts.
    """
    pre: ColumnTransformer = model.named_steps["basis"]
    coef = model.named_steps["ridge"].coef_
    intercept = float(model.named_steps["ridge"].intercept_)
    out: dict[str, Any] = {}
    for col, kind in kinds.items():
        block = pre.named_transformers_[col]
        part = coef[pre.output_indices_[col]]
        values = X[col].to_numpy(float)
        finite = values[np.isfinite(values)]
        if kind == "spline":
            lo, hi = np.quantile(finite, [0.005, 0.995])
            grid = np.unique(np.r_[np.linspace(lo, hi, GRID_POINTS), finite.min(), finite.max()])
            knots = block[-1].bsplines_[0].t[3:-3].tolist()
        else:
            grid = np.unique(finite)
            knots = []
        f_grid = block.transform(pd.DataFrame({col: grid})) @ part
        f_data = block.transform(X[[col]]) @ part
        shift = float(np.mean(f_data))
        intercept += shift
        out[col] = {
            "kind": kind,
            "x": [round(float(v), 6) for v in grid],
            "f": [round(float(v), 6) for v in f_grid - shift],
            "range": round(float(np.max(f_grid) - np.min(f_grid)), 5),
            "knots": [round(float(v), 6) for v in knots],
        }
    return {"intercept": round(intercept, 6), "features": out}


def predict_json(recipe: dict[str, Any], df: pd.DataFrame) -> np.ndarray:
    """Apply an exported recipe: intercept + Σ f_i(x_i), f_i interpolated on its grid.

    Categorical values not on the grid contribute 0; missing values contribute 0 (the average).
    """
    total = np.full(len(df), float(recipe["intercept"]))
    for col, spec in recipe["features"].items():
        x = pd.to_numeric(df[col].astype("Float64"), errors="coerce").to_numpy(float)
        xs, fs = np.asarray(spec["x"], float), np.asarray(spec["f"], float)
        if spec["kind"] == "spline" or spec["kind"] == "linear":
            f = np.interp(x, xs, fs)
        else:
            lookup = dict(zip(xs.tolist(), fs.tolist(), strict=True))
            f = np.array([lookup.get(v, 0.0) for v in x])
        total += np.where(np.isfinite(x), f, 0.0)
    return np.clip(total, 0.0, 1.0)


def _interaction_basis(
    X: pd.DataFrame, a: str, b: str, fitted: tuple | None = None
) -> tuple[np.ndarray, tuple]:
    """Tensor product of coarse splines of two features (and the fitted spline transformers)."""
    if fitted is None:
        fitted = tuple(
            make_pipeline(
                SimpleImputer(strategy="median"),
                SplineTransformer(n_knots=4, degree=2, knots="quantile", extrapolation="constant"),
            ).fit(X[[c]])
            for c in (a, b)
        )
    ba, bb = (t.transform(X[[c]]) for t, c in zip(fitted, (a, b), strict=True))
    return np.einsum("ni,nj->nij", ba, bb).reshape(len(X), -1), fitted


def _oof(
    make: Callable[[], Any],
    X: pd.DataFrame,
    y: np.ndarray,
    folds: list[tuple[np.ndarray, np.ndarray]],
) -> np.ndarray:
    """Out-of-fold predictions of a model family on fixed folds."""
    pred = np.empty(len(y))
    for train, test in folds:
        model = make().fit(X.iloc[train], y[train])
        pred[test] = model.predict(X.iloc[test])
    return pred


def _make_ols() -> Pipeline:
    return make_pipeline(SimpleImputer(strategy="median"), LinearRegression())


def evaluate(
    df: pd.DataFrame,
    feature_set: str = "audio",
    *,
    seed: int = 0,
    n_splits: int = 5,
    interaction: bool = True,
    black_box: bool = True,
    black_box_params: dict[str, Any] | None = None,
    on_progress: ProgressFn | None = None,
) -> dict[str, Any]:
    """Fit the recipe, OLS and the black box on the same grouped folds and compare them.

    Parameters
    ----------
    df
        Catalog frame (rows without valence are left out).
    feature_set
        ``audio``, ``context`` or ``all`` (genre one-hots are not used by the recipe or OLS).
    seed
        Seed of the black box.
    n_splits
        Folds (grouped by primary artist).
    interaction
        Also try the strongest pairwise interaction among the three most important features.
    black_box
        Also cross-validate XGBoost at the shipped defaults (the slow part).
    black_box_params
        Overrides of the shipped XGBoost defaults (e.g. fewer trees in tests).
    on_progress
        Called with a :class:`~core.progress.Progress` share and a message.

    Returns
    -------
    dict
        JSON-able report: ``recipe``, ``ols``, ``black_box`` (mae, r2), ``gain_kept``,
        ``shape_functions`` (intercept and per-feature grids), ``interaction``, ``n_tracks``,
        ``folds``, ``feature_set``, ``features``.
    """
    progress = reporter(on_progress)

    def report(fraction: float, message: str) -> None:
        progress(Progress.share(PHASE, fraction, message))

    def waiting(ahead: int) -> None:
        report(0.0, compute.waiting_message(ahead))

    with compute.slot("valence recipe", waiting) as threads:
        return _evaluate(
            df,
            feature_set,
            seed,
            n_splits,
            interaction,
            black_box,
            black_box_params,
            report,
            threads,
        )


def _evaluate(
    df: pd.DataFrame,
    feature_set: str,
    seed: int,
    n_splits: int,
    interaction: bool,
    black_box: bool,
    black_box_params: dict[str, Any] | None,
    report: Callable[[float, str], None],
    threads: int,
) -> dict[str, Any]:
    rows = df[pd.to_numeric(df["valence"], errors="coerce").notna()]
    kinds = recipe_columns(rows, feature_set)
    if not kinds:
        raise ValueError("The catalog has no usable numeric features for the recipe.")
    X = _matrix(rows, kinds)
    y = pd.to_numeric(rows["valence"]).to_numpy(float)
    folds = recipe_folds(rows, n_splits)
    report(0.02, "fitting the recipe on each fold")
    out: dict[str, Any] = {"feature_set": feature_set, "features": kinds}
    recipe_pred = _oof(lambda: make_recipe(kinds), X, y, folds)
    out["recipe"] = _scores(y, recipe_pred)
    report(0.15, "fitting OLS on each fold")
    out["ols"] = _scores(y, _oof(_make_ols, X, y, folds))
    out["black_box"] = None
    if black_box:
        cols = features.input_columns(rows, feature_set, "valence")
        levels = features.categorical_levels(rows, cols)
        M = features.build_matrix(rows, cols, levels)
        pred = np.empty(len(y))
        for i, (train, test) in enumerate(folds):
            report(0.2 + 0.6 * i / len(folds), f"fitting XGBoost on fold {i + 1}/{len(folds)}")
            model = black_box_model(seed, black_box_params, threads).fit(M.iloc[train], y[train])
            pred[test] = model.predict(M.iloc[test])
        label = "xgboost (shipped defaults)" if not black_box_params else "xgboost (modified)"
        out["black_box"] = {"model": label, **_scores(y, pred)}
        gap = out["ols"]["mae"] - out["black_box"]["mae"]
        gained = out["ols"]["mae"] - out["recipe"]["mae"]
        out["gain_kept"] = round(gained / gap, 4) if gap > 0 else None
    else:
        out["gain_kept"] = None
    report(0.82, "fitting the final recipe on all tracks")
    final = make_recipe(kinds).fit(X, y)
    out["shape_functions"] = shape_functions(final, X, kinds)
    out["interaction"] = None
    if interaction:
        report(0.88, "looking for the strongest pairwise interaction")
        out["interaction"] = _best_interaction(X, y, kinds, folds, out)
    out["n_tracks"] = len(rows)
    out["folds"] = len(folds)
    out["grouped_by"] = "primary_artist" if "primary_artist" in rows else "track"
    report(1.0, "done")
    return out


def _best_interaction(
    X: pd.DataFrame,
    y: np.ndarray,
    kinds: dict[str, str],
    folds: list[tuple[np.ndarray, np.ndarray]],
    out: dict[str, Any],
) -> dict[str, Any] | None:
    """Cross-validate recipe + one tensor-spline pair term for pairs of the top features.

    The additive basis is built once per fold; each candidate pair only adds its tensor
    columns before the ridge fit (the same model as the recipe pipeline plus the pair).
    """
    shapes = out["shape_functions"]["features"]
    spline = [c for c in kinds if kinds[c] == "spline"]
    top = sorted(spline, key=lambda c: -shapes[c]["range"])[:3]
    pairs = [(a, b) for i, a in enumerate(top) for b in top[i + 1 :]]
    if not pairs:
        return None
    preds = {pair: np.empty(len(y)) for pair in pairs}
    for train, test in folds:
        basis = make_recipe(kinds).named_steps["basis"].fit(X.iloc[train])
        b_tr, b_te = basis.transform(X.iloc[train]), basis.transform(X.iloc[test])
        for a, b in pairs:
            t_tr, fitted = _interaction_basis(X.iloc[train], a, b)
            t_te, _ = _interaction_basis(X.iloc[test], a, b, fitted)
            ridge = Ridge(alpha=ALPHA).fit(np.hstack([b_tr, t_tr]), y[train])
            preds[(a, b)][test] = ridge.predict(np.hstack([b_te, t_te]))
    best = None
    for (a, b), pred in preds.items():
        score = _scores(y, pred)
        if best is None or score["mae"] < best["mae"]:
            best = {"features": [a, b], **score}
    best["mae_change"] = round(best["mae"] - out["recipe"]["mae"], 5)
    return best


def cli_recipe(df: pd.DataFrame, feature_set: str = "audio", seed: int = 0) -> dict[str, Any]:
    """The report ``python -m core recipe`` prints (see ``evaluate``)."""
    return evaluate(df, feature_set, seed=seed)
