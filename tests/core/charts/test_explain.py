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
