"""OLS inference and subset selection against statsmodels and planted signals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from core.explain import inference


@pytest.fixture(scope="module")
def planted() -> tuple[pd.DataFrame, pd.Series]:
    """Ten correlated predictors; only x0, x3 and x6 matter."""
    rng = np.random.default_rng(7)
    n, p = 1500, 10
    z = rng.normal(size=(n, p))
    x = z + 0.4 * z[:, [0]]  # correlated with x0, so marginal screening would be misled
    X = pd.DataFrame(x * rng.uniform(0.5, 20, p), columns=[f"x{i}" for i in range(p)])
    y = 1.5 + 0.8 * z[:, 0] - 0.5 * z[:, 3] + 0.3 * z[:, 6] + rng.normal(0, 0.5, n)
    return X, pd.Series(y)


def test_ols_table_matches_closed_form(planted):
    X, y = planted
    table, stats = inference.ols_table(X, y)
    A = np.column_stack([np.ones(len(X)), X.to_numpy()])
    beta, *_ = np.linalg.lstsq(A, y.to_numpy(), rcond=None)
    resid = y.to_numpy() - A @ beta
    sigma2 = resid @ resid / (len(X) - A.shape[1])
    se = np.sqrt(np.diag(sigma2 * np.linalg.inv(A.T @ A)))
    np.testing.assert_allclose(table["coef"], beta, rtol=1e-8)
    np.testing.assert_allclose(table["std_err"], se, rtol=1e-6)
    np.testing.assert_allclose(table["t"], beta / se, rtol=1e-6)
    r2 = 1 - resid @ resid / ((y - y.mean()) ** 2).sum()
    assert stats["r2"] == pytest.approx(r2)
    assert stats["n"] == len(X)
    # standardised coefficient: effect per SD, and its interval scales the same way
    row = table.set_index("feature").loc["x3"]
    assert row["std_coef"] == pytest.approx(row["coef"] * X["x3"].std())
    assert row["std_ci_low"] < row["std_coef"] < row["std_ci_high"]
    signif = set(table.loc[table["p_value"] < 1e-6, "feature"])
    assert {"x0", "x3", "x6"} <= signif


def test_gram_ols_matches_statsmodels_on_subsets(planted):
    X, y = planted
    fast = inference.GramOLS(X, y)
    rng = np.random.default_rng(0)
    for _ in range(6):
        k = int(rng.integers(1, X.shape[1] + 1))
        idx = sorted(rng.choice(X.shape[1], k, replace=False).tolist())
        ref = sm.OLS(y.to_numpy(), sm.add_constant(X.iloc[:, idx].to_numpy())).fit()
        got = fast.score(fast.rss(idx), k)
        assert got["r2"] == pytest.approx(ref.rsquared, rel=1e-9)
        assert got["adj_r2"] == pytest.approx(ref.rsquared_adj, rel=1e-9)
        assert got["aic"] == pytest.approx(ref.aic, rel=1e-9)
        assert got["bic"] == pytest.approx(ref.bic, rel=1e-9)
        np.testing.assert_allclose(fast.coef(idx), ref.params[1:], rtol=1e-7)


def test_selection_finds_the_planted_subset(planted):
    X, y = planted
    truth = ["x0", "x3", "x6"]
    seen: list = []
    bic = inference.select(X, y, "bic", on_progress=seen.append)
    assert bic.n_fits == 2**10 - 1
    assert seen[-1].fraction == pytest.approx(1.0)
    assert [p.step for p in seen] == list(range(1, 11))
    assert bic.best_subset == truth
    assert bic.forward == truth
    assert bic.backward == truth
    assert bic.by_size.set_index("k").loc[3, "features"] == truth
    adj = inference.select(X, y, "adj_r2")
    assert set(truth) <= set(adj.best_subset)
    # exhaustive search can never do worse than the greedy paths on its own criterion
    fast = inference.GramOLS(X, y)

    def adj_r2(cols: list[str]) -> float:
        return fast.score(fast.rss([X.columns.get_loc(c) for c in cols]), len(cols))["adj_r2"]

    assert adj_r2(adj.best_subset) >= max(adj_r2(adj.forward), adj_r2(adj.backward))
    assert adj_r2(adj.best_subset) >= adj.by_size["adj_r2"].max() - 1e-12
    kept = inference.kept_table(list(X.columns), inference.ols_table(X, y)[0], bic)
    assert kept.set_index("feature").loc["x0"].all()
    assert not kept.set_index("feature").loc["x1", "best subset"]


def test_design_drops_constant_columns_and_missing_rows(synthetic_tracks):
    df = synthetic_tracks.copy()
    df.loc[df.index[:5], "tempo"] = np.nan
    X, y, notes = inference.design(df)
    assert "time_signature" not in X  # constant in the fixture
    assert len(X) == len(df) - 5 == len(y)
    assert any("constant" in n for n in notes) and any("5 rows" in n for n in notes)
    with pytest.raises(ValueError, match="criterion"):
        inference.select(X, y, "r2")
    with pytest.raises(ValueError, match="no numeric"):
        inference.select(X.iloc[:, :0], y)


def test_p_values_and_readable_table():
    import numpy as np
    import pandas as pd

    from core.explain.inference import format_p, ols_table, readable_table

    assert format_p(0.0) == "< 1e-300" and format_p(1e-320) == "< 1e-300"
    assert format_p(0.0421) == "0.0421" and format_p(3.2e-12) == "3.2e-12"
    assert format_p(float("nan")) == ""
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"a": rng.normal(size=300), "b": rng.normal(size=300)})
    y = pd.Series(3 * X["a"] + rng.normal(size=300) * 0.01)
    table = readable_table(ols_table(X, y)[0])
    assert table["feature"].tolist() == ["(intercept)", "a", "b"]
    assert table.loc[0, "effect of +1 SD"] == "" and table.loc[1, "p-value"] == "< 1e-300"
    assert table.loc[1, "95 % interval"].count(" to ") == 1
