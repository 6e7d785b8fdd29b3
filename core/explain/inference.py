"""Classic statistical view of valence: OLS inference, best-subset and stepwise selection.

OLS inference uses statsmodels. Subset selection fits thousands of OLS models, so it works
from one precomputed Gram matrix of the centred features: every subset's fit is a small
``k x k`` solve, and R², adjusted R², AIC and BIC follow from its residual sum of squares
(tests check the numbers against statsmodels).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.modelling import features
from core.progress import Progress, ProgressFn

log = logging.getLogger(__name__)

CRITERIA = ("adj_r2", "aic", "bic")


def design(
    df: pd.DataFrame, feature_set: str = "audio", target: str = "valence"
) -> tuple[pd.DataFrame, pd.Series, list[str]]:
    """Numeric predictors and target for the statistical view.

    Parameters
    ----------
    df
        A catalog frame.
    feature_set
        ``audio``, ``context`` or ``all``; categorical columns (genre one-hots) are left out.
    target
        The response column.

    Returns
    -------
    tuple
        ``X`` (rows without missing values), ``y`` and the notes on dropped columns/rows.
    """
    cols = [
        c
        for c in features.input_columns(df, feature_set, "valence")
        if c not in ("genre", "subgenre")
    ]
    X = features.build_matrix(df, cols, {})
    y = pd.to_numeric(df[target], errors="coerce").astype(float)
    notes: list[str] = []
    constant = [c for c in X if X[c].nunique(dropna=True) < 2]
    if constant:
        notes.append(f"left out constant column(s): {', '.join(constant)}")
        X = X.drop(columns=constant)
    ok = X.notna().all(axis=1) & y.notna()
    if (~ok).any():
        notes.append(f"left out {int((~ok).sum()):,} rows with missing values")
    return X[ok], y[ok], notes


def ols_table(X: pd.DataFrame, y: pd.Series) -> tuple[pd.DataFrame, dict[str, float]]:
    """Full OLS fit of ``y`` on ``X`` with statsmodels.

    Parameters
    ----------
    X
        Predictors (no constant; one is added).
    y
        Response.

    Returns
    -------
    tuple
        A coefficient table (feature, coef, std_err, t, p_value, ci_low, ci_high, and the
        standardised ``std_coef`` = change in ``y`` per standard deviation of the feature with
        its interval ``std_ci_low``/``std_ci_high``, and ``beta`` = fully standardised
        coefficient) and fit statistics (n, r2, adj_r2, aic, bic, f_pvalue).
    """
    import statsmodels.api as sm

    fit = sm.OLS(y.to_numpy(float), sm.add_constant(X.to_numpy(float), has_constant="add")).fit()
    names = ["const", *X.columns]
    ci = np.asarray(fit.conf_int(0.05))
    sd_x = np.r_[np.nan, X.std(ddof=1).to_numpy(float)]
    table = pd.DataFrame(
        {
            "feature": names,
            "coef": fit.params,
            "std_err": fit.bse,
            "t": fit.tvalues,
            "p_value": fit.pvalues,
            "ci_low": ci[:, 0],
            "ci_high": ci[:, 1],
        }
    )
    table["std_coef"] = table["coef"] * sd_x
    table["std_ci_low"] = table["ci_low"] * sd_x
    table["std_ci_high"] = table["ci_high"] * sd_x
    table["beta"] = table["std_coef"] / float(y.std(ddof=1))
    stats = {
        "n": int(fit.nobs),
        "r2": float(fit.rsquared),
        "adj_r2": float(fit.rsquared_adj),
        "aic": float(fit.aic),
        "bic": float(fit.bic),
        "f_pvalue": float(fit.f_pvalue),
    }
    return table, stats


class GramOLS:
    """Fast OLS for any subset of columns from the Gram matrix of the centred data.

    Parameters
    ----------
    X
        Predictors.
    y
        Response. A constant is always included in every model.
    """

    def __init__(self, X: pd.DataFrame, y: pd.Series) -> None:
        x = X.to_numpy(float)
        yv = y.to_numpy(float)
        self.columns = list(X.columns)
        self.n = len(yv)
        xc = x - x.mean(axis=0)
        yc = yv - yv.mean()
        # scale columns to unit norm so the solves are well conditioned
        self._scale = np.sqrt((xc**2).sum(axis=0))
        self._scale[self._scale == 0] = 1.0
        xs = xc / self._scale
        self._gram = xs.T @ xs
        self._xty = xs.T @ yc
        self.tss = float(yc @ yc)
        self.n_fits = 0

    def rss(self, subset: Sequence[int]) -> float:
        """Residual sum of squares of the model with the columns at ``subset`` (+ constant)."""
        self.n_fits += 1
        idx = list(subset)
        if not idx:
            return self.tss
        g = self._gram[np.ix_(idx, idx)]
        c = self._xty[idx]
        try:
            beta = np.linalg.solve(g, c)
        except np.linalg.LinAlgError:
            beta = np.linalg.lstsq(g, c, rcond=None)[0]
        return max(self.tss - float(c @ beta), 0.0)

    def coef(self, subset: Sequence[int]) -> np.ndarray:
        """Slopes of the model with the columns at ``subset`` (in the original units)."""
        idx = list(subset)
        beta = np.linalg.lstsq(self._gram[np.ix_(idx, idx)], self._xty[idx], rcond=None)[0]
        return beta / self._scale[idx]

    def score(self, rss: float, k: int) -> dict[str, float]:
        """R², adjusted R², AIC and BIC (statsmodels' conventions) of a k-predictor model."""
        n = self.n
        r2 = 1.0 - rss / self.tss if self.tss > 0 else 0.0
        adj = 1.0 - (1.0 - r2) * (n - 1) / max(n - k - 1, 1)
        llf = -n / 2 * (np.log(2 * np.pi) + np.log(max(rss, 1e-300) / n) + 1)
        return {
            "r2": r2,
            "adj_r2": adj,
            "aic": float(-2 * llf + 2 * (k + 1)),
            "bic": float(-2 * llf + np.log(n) * (k + 1)),
        }


def _better(a: dict[str, float], b: dict[str, float] | None, criterion: str) -> bool:
    if b is None:
        return True
    return a[criterion] > b[criterion] if criterion == "adj_r2" else a[criterion] < b[criterion]


@dataclass
class Selection:
    """Outcome of subset selection by one criterion."""

    criterion: str
    best_subset: list[str]
    forward: list[str]
    backward: list[str]
    by_size: pd.DataFrame  # best model of each size: k, features, r2, adj_r2, aic, bic
    n_fits: int  # models fitted by the exhaustive search


def best_subsets(
    ols: GramOLS,
    criterion: str = "adj_r2",
    on_progress: ProgressFn | None = None,
) -> tuple[list[str], pd.DataFrame, int]:
    """Exhaustive search over all non-empty subsets.

    Returns
    -------
    tuple
        The best subset by ``criterion``, the best model of each size, and the number of
        models fitted (``2**p - 1``).
    """
    p = len(ols.columns)
    rows = []
    best: tuple[dict[str, float], list[int]] | None = None
    fits = 0
    for k in range(1, p + 1):
        top = None
        for subset in itertools.combinations(range(p), k):
            s = ols.score(ols.rss(subset), k)
            fits += 1
            if top is None or s["r2"] > top[0]["r2"]:  # same k: every criterion agrees
                top = (s, list(subset))
            if best is None or _better(s, best[0], criterion):
                best = (s, list(subset))
        rows.append({"k": k, "features": [ols.columns[i] for i in top[1]], **top[0]})
        if on_progress is not None:
            on_progress(Progress("subset selection", k, p, "size"))
    chosen = [ols.columns[i] for i in best[1]] if best else []
    return chosen, pd.DataFrame(rows), fits


def stepwise(ols: GramOLS, direction: str, criterion: str = "adj_r2") -> list[str]:
    """Greedy forward or backward selection, stopping when ``criterion`` no longer improves."""
    p = len(ols.columns)
    current = [] if direction == "forward" else list(range(p))
    current_score = ols.score(ols.rss(current), len(current))
    while True:
        if direction == "forward":
            candidates = [sorted([*current, j]) for j in range(p) if j not in current]
        else:
            candidates = [[i for i in current if i != j] for j in current] if current else []
        best = None
        for cand in candidates:
            s = ols.score(ols.rss(cand), len(cand))
            if best is None or _better(s, best[0], criterion):
                best = (s, cand)
        if best is None or not _better(best[0], current_score, criterion):
            break
        current_score, current = best
    return [ols.columns[i] for i in sorted(current)]


def select(
    X: pd.DataFrame,
    y: pd.Series,
    criterion: str = "adj_r2",
    on_progress: ProgressFn | None = None,
) -> Selection:
    """Best-subset, forward and backward stepwise selection by one criterion.

    Parameters
    ----------
    X, y
        Predictors and response (no missing values).
    criterion
        ``adj_r2`` (maximised), ``aic`` or ``bic`` (minimised).
    on_progress
        Called with a :class:`~core.progress.Progress` after each subset size.

    Returns
    -------
    Selection
        The kept features of each method, the best model per size and the number of fits.
    """
    if criterion not in CRITERIA:
        raise ValueError(f"Unknown criterion {criterion!r}; choose one of {CRITERIA}")
    if X.shape[1] == 0:
        raise ValueError("There are no numeric features to select from.")
    ols = GramOLS(X, y)
    chosen, by_size, fits = best_subsets(ols, criterion, on_progress)
    return Selection(
        criterion=criterion,
        best_subset=chosen,
        forward=stepwise(ols, "forward", criterion),
        backward=stepwise(ols, "backward", criterion),
        by_size=by_size,
        n_fits=fits,
    )


def kept_table(columns: Sequence[str], ols: pd.DataFrame, selection: Selection) -> pd.DataFrame:
    """Which features each method kept (True/False), one row per feature."""
    significant = set(ols.loc[ols["p_value"] < 0.05, "feature"])
    return pd.DataFrame(
        {
            "feature": list(columns),
            "OLS p < 0.05": [c in significant for c in columns],
            "best subset": [c in selection.best_subset for c in columns],
            "forward stepwise": [c in selection.forward for c in columns],
            "backward stepwise": [c in selection.backward for c in columns],
        }
    )


def format_p(p: float) -> str:
    """A p-value as people read it: ``< 1e-300`` below double precision, never a bare 0."""
    if p is None or not np.isfinite(p):
        return ""
    if p < 1e-300:
        return "< 1e-300"
    if p < 1e-4:
        return f"{p:.1e}"
    return f"{p:.4f}"


def readable_table(table: pd.DataFrame) -> pd.DataFrame:
    """The OLS table for display.

    Plain column names, p-values as text, blanks where a value does not apply (the intercept has
    no per-SD effect), and one interval column, so the table fits its container.
    """

    def num(value: float, digits: int = 4) -> str:
        return "" if value is None or not np.isfinite(value) else f"{value:.{digits}f}"

    rows = []
    for r in table.itertuples(index=False):
        rows.append(
            {
                "feature": "(intercept)" if r.feature == "const" else r.feature,
                "coefficient": num(r.coef),
                "std. error": num(r.std_err),
                "t": num(r.t, 2),
                "p-value": format_p(float(r.p_value)),
                "95 % interval": f"{num(r.ci_low)} to {num(r.ci_high)}",
                "effect of +1 SD": num(r.std_coef),
                "β (standardised)": num(r.beta, 3),
            }
        )
    return pd.DataFrame(rows)
