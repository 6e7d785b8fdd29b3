"""Do the importance measures agree? Feature ranks and a summary generated from them.

Ranks by mean |SHAP|, |standardised OLS coefficient|, permutation importance and impurity
importance, side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from core import compute
from core.modelling import importance
from core.modelling.models import TrainedModel


def permutation_importance(
    model: TrainedModel,
    df: pd.DataFrame,
    *,
    max_rows: int = importance.PERMUTATION_ROWS,
    n_repeats: int = importance.PERMUTATION_REPEATS,
    seed: int = 0,
    on_wait: compute.WaitFn | None = None,
) -> pd.Series:
    """MAE increase when each model input is shuffled, per SHAP feature name (valence models).

    A thin view of :func:`core.modelling.importance.permutation_importance` on the rows of
    ``df`` that have a valence, indexed like the SHAP tables. It queues on the CPU gate
    (``on_wait`` hears how many jobs are ahead).
    """
    rows = df[df["valence"].notna()]
    table = importance.permutation_importance(
        model,
        rows,
        rows["valence"].to_numpy(float),
        max_rows=max_rows,
        n_repeats=n_repeats,
        seed=seed,
        per_level=True,
        on_wait=on_wait,
    )
    return table.set_index("feature")["importance"]


def impurity_importance(model: TrainedModel) -> pd.Series | None:
    """The trees' own split gain per SHAP feature name, or None for models without it."""
    table = importance.impurity_importance(model, per_level=True)
    return None if table is None else table.set_index("feature")["importance"]


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
