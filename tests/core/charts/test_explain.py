"""core.charts.explain: SHAP and recipe figures."""

from __future__ import annotations


def test_key_and_mode_are_drawn_as_bars_not_curves():
    from core.charts.explain import plot_shape_functions

    shapes = {
        "energy": {"kind": "spline", "x": [0.1, 0.5, 0.9], "f": [-0.1, 0.0, 0.1]},
        "key": {"kind": "categorical", "x": [0, 1, 11], "f": [0.01, -0.02, 0.0]},
        "mode": {"kind": "linear", "x": [0, 1], "f": [-0.01, 0.01]},
    }
    fig = plot_shape_functions(shapes)
    kinds = {t.name: t.type for t in fig.data}
    assert kinds == {"energy": "scatter", "key": "bar", "mode": "bar"}
    bars = {t.name: list(t.x) for t in fig.data if t.type == "bar"}
    assert bars["key"] == ["C", "C♯/D♭", "B"] and bars["mode"] == ["minor", "major"]


def test_dependence_plots_use_webgl_only_for_thousands_of_points():
    import numpy as np
    import pandas as pd

    from core.charts import GL_POINTS
    from core.charts.explain import plot_dependence, plot_pair_dependence

    def frame(n: int) -> pd.DataFrame:
        rng = np.random.default_rng(0)
        return pd.DataFrame(
            {
                "value": rng.random(n),
                "shap": rng.normal(size=n),
                "interaction": rng.normal(size=n),
                "interaction_value": rng.random(n),
                "other_value": rng.random(n),
            }
        )

    for n, kind in ((1000, "scatter"), (GL_POINTS + 1, "scattergl")):
        assert plot_dependence(frame(n), "energy", "tempo").data[0].type == kind
        assert plot_pair_dependence(frame(n), "energy", "tempo").data[0].type == kind


def test_beeswarm_names_each_feature_once_and_sends_compact_arrays():
    import numpy as np
    import pandas as pd
    import plotly.io as pio

    from core.charts.explain import plot_beeswarm

    rng = np.random.default_rng(1)
    n = 1000
    values = {f"f{i}": rng.random(n) for i in range(10)}
    values["year"] = rng.integers(1960, 2020, n).astype(float)
    values["tempo"] = np.where(rng.random(n) < 0.01, np.nan, rng.random(n) * 200)
    points = pd.concat(
        pd.DataFrame(
            {
                "feature": name,
                "shap": rng.normal(0, 0.01 * (i + 1), n),
                "value": v,
                "colour": pd.Series(v).rank(pct=True).fillna(0.5),
                "jitter": rng.uniform(-0.3, 0.3, n),
            }
        )
        for i, (name, v) in enumerate(values.items())
    )
    fig = plot_beeswarm(points)
    assert [t.name for t in fig.data] == list(values)
    hover = {t.name: t.hovertemplate for t in fig.data}
    assert hover["year"].startswith("year = %{customdata:,.0f}")
    assert hover["f0"].startswith("f0 = %{customdata:.3~g}")
    tempo = next(t for t in fig.data if t.name == "tempo")
    assert "missing" in set(tempo.customdata) and hover["tempo"].startswith("tempo = %{customdata}")
    assert sum(t.marker.showscale for t in fig.data) == 1
    # rows ordered by mean |SHAP|: the largest (the last feature made) on top
    assert list(fig.layout.yaxis.ticktext)[-1] == "tempo"
    # 12,000 points: ~0.27 MB of JSON (a name and a text per point made it 0.65 MB)
    assert len(pio.to_json(fig, validate=False)) < 350_000
