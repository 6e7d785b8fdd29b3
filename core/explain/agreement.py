"""Do the importance measures agree? Feature ranks and a summary generated from them.

Ranks by mean |SHAP|, |standardised OLS coefficient|, permutation importance and impurity
importance, side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core.explain.shapley import sample_rows
from core.modelling.models import TrainedModel


class _ValenceScale:
    """The model as scikit-learn's permutation importance sees it: matrix in, valence out.

    A model trained on the logit of valence (or a blend) would otherwise be scored on the
    scale its estimator learned.
    """

    def __init__(self, model: TrainedModel) -> None:
        self.model = model

    def fit(self, X: pd.DataFrame, y: np.ndarray | None = None) -> _ValenceScale:
        """Already fitted; present for scikit-learn's checks."""
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Valence predictions for a model matrix."""
        return self.model.predict_matrix(X)


def permutation_importance(
    model: TrainedModel,
    df: pd.DataFrame,
    *,
    max_rows: int = 2000,
    n_repeats: int = 3,
    seed: int = 0,
) -> pd.Series:
    """Increase in mean absolute error when each feature is shuffled (valence models).

    Parameters
    ----------
    model
        A fitted valence regressor.
    df
        Catalog rows with a ``valence`` column; a seeded sample of ``max_rows`` is used.
    max_rows
        Rows used (a seeded sample).
    n_repeats
        Shuffles per feature.
    seed
        Seed of the sample and the shuffles.

    Returns
    -------
    pd.Series
        Importance per feature name (MAE increase, in valence units).
    """
    from sklearn.inspection import permutation_importance as sk_permutation

    rows = sample_rows(df[df["valence"].notna()], max_rows, seed)
    result = sk_permutation(
        _ValenceScale(model),
        model.matrix(rows),
        rows["valence"].to_numpy(float),
        scoring="neg_mean_absolute_error",
        n_repeats=n_repeats,
        random_state=seed,
    )
    return pd.Series(result.importances_mean, index=model.feature_names)


def impurity_importance(model: TrainedModel) -> pd.Series | None:
    """The estimator's own ``feature_importances_`` (tree models), or None when it has none."""
    est = model.estimator
    values = getattr(est, "feature_importances_", None)
    if values is None and hasattr(est, "steps"):
        values = getattr(est.steps[-1][1], "feature_importances_", None)
    if values is None or len(values) != len(model.feature_names):
        return None
    return pd.Series(np.asarray(values, float), index=model.feature_names)


def agreement_table(
    shap_importance: pd.DataFrame,
    ols: pd.DataFrame | None,
    permutation: pd.Series | None,
    impurity: pd.Series | None,
) -> pd.DataFrame:
    """Rank of each feature under each importance measure (1 = most important).

    Parameters
    ----------
    shap_importance
        From ``mean_abs_shap``.
    ols
        From ``inference.ols_table`` (ranked by |std_coef|); None to leave out.
    permutation, impurity
        Importance per feature; None to leave out.

    Returns
    -------
    pd.DataFrame
        One row per feature with ``rank_*`` columns and the underlying values, sorted by SHAP.
    """
    table = shap_importance[["feature", "mean_abs_shap"]].copy()
    if ols is not None:
        std = ols[ols["feature"] != "const"].set_index("feature")["std_coef"]
        table["ols_std_coef"] = table["feature"].map(std)
    if permutation is not None:
        table["permutation"] = table["feature"].map(permutation)
    if impurity is not None:
        table["impurity"] = table["feature"].map(impurity)
    measures = {
        "rank_shap": "mean_abs_shap",
        "rank_ols": "ols_std_coef",
        "rank_permutation": "permutation",
        "rank_impurity": "impurity",
    }
    for rank, col in measures.items():
        if col in table:
            table[rank] = table[col].abs().rank(ascending=False, method="min").astype("Int64")
    return table.reset_index(drop=True)


def _names(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + f" and {items[-1]}"


def summarise(table: pd.DataFrame, shap_importance: pd.DataFrame) -> str:
    """A plain-language paragraph generated from the agreement table and SHAP directions."""
    if table.empty:
        return "There is nothing to summarise: no feature was explained."
    ranks = [c for c in table if c.startswith("rank_")]
    top = table.sort_values("rank_shap").head(3)["feature"].tolist()
    share = shap_importance["mean_abs_shap"]
    top_share = float(share.head(3).sum() / share.sum()) if share.sum() > 0 else 0.0
    direction = shap_importance.set_index("feature")["mean_shap_corr"]
    words = []
    for f in top:
        c = direction.get(f, np.nan)
        if np.isnan(c) or abs(c) < 0.2:
            words.append(f"{f} (mixed direction)")
        else:
            words.append(f"{f} ({'higher raises' if c > 0 else 'higher lowers'} valence)")
    text = (
        f"The model leans most on {_names(words)}; together they carry {top_share:.0%} of the "
        "average absolute SHAP effect."
    )
    firsts = {c: table.loc[table[c] == 1, "feature"].tolist() for c in ranks}
    leaders = {f for v in firsts.values() for f in v}
    measures = len([c for c in ranks if table[c].notna().any()])
    if len(leaders) == 1:
        text += f" All {measures} measures agree that {leaders.pop()} matters most."
    else:
        named = [f"{c.removeprefix('rank_')}: {', '.join(v)}" for c, v in firsts.items() if v]
        text += f" The measures disagree on the top feature ({'; '.join(named)})."
    if "rank_ols" in table and table["rank_ols"].notna().sum() >= 3:
        both = table.dropna(subset=["rank_ols"])
        rho = float(both["rank_shap"].astype(float).corr(both["rank_ols"].astype(float)))
        gap = (both["rank_ols"].astype(float) - both["rank_shap"].astype(float)).sort_values()
        text += f" SHAP and linear (OLS) rankings correlate at {rho:+.2f}."
        if gap.iloc[-1] >= 3:
            f = both.loc[gap.index[-1], "feature"]
            text += (
                f" {f} ranks much higher for the model than for OLS, a sign its effect is "
                "non-linear or an interaction."
            )
    weakest = table.sort_values("rank_shap")["feature"].tail(2).tolist()
    text += f" The weakest drivers are {_names(weakest)}."
    return text
