"""Figures for the "Why valence?" page (pure: frames in, figures out).

SHAP waterfall, importance, beeswarm, dependence and genre drivers; standardised OLS
coefficients; the recipe's shape functions.
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from core.charts import ACCENT, DIVERGING, hbars, markers, style

if TYPE_CHECKING:
    from core.explain.shapley import ShapResult

UP = "#d6604d"  # pushes the prediction up
DOWN = "#4393c3"  # pushes it down


def _fmt(value: float) -> str:
    if pd.isna(value):
        return "missing"
    if abs(value) >= 1000 or float(value).is_integer():
        return f"{value:,.0f}"
    return f"{value:.3g}"


def plot_waterfall(
    result: ShapResult, row: int, *, top_n: int = 10, title: str | None = None
) -> go.Figure:
    """Waterfall from the base value to one row's prediction.

    Parameters
    ----------
    result
        SHAP values from ``core.explain.shapley.shap_values``.
    row
        Position of the row in ``result.values`` (0-based).
    top_n
        Features shown individually (largest |SHAP| first); the rest are summed into one bar.
    title
        Optional figure title.

    Returns
    -------
    go.Figure
        A horizontal waterfall, base value at the top, prediction at the bottom.
    """
    if not 0 <= row < len(result.values):
        raise IndexError(f"row {row} is outside the {len(result.values)} explained rows")
    contrib = result.values.iloc[row]
    inputs = result.data.iloc[row]
    order = contrib.abs().sort_values(ascending=False).index.tolist()
    shown, rest = order[:top_n], order[top_n:]
    labels = [f"{name} = {_fmt(inputs[name])}" for name in shown]
    deltas = [float(contrib[name]) for name in shown]
    if rest:
        labels.append(f"{len(rest)} other features")
        deltas.append(float(contrib[rest].sum()))
    prediction = result.base_value + float(contrib.sum())
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            y=["base value", *labels, "prediction"],
            x=[result.base_value, *deltas, prediction],
            measure=["absolute", *["relative"] * len(deltas), "total"],
            text=[f"{result.base_value:.3f}", *[f"{d:+.3f}" for d in deltas], f"{prediction:.3f}"],
            textposition="outside",
            increasing={"marker": {"color": UP}},
            decreasing={"marker": {"color": DOWN}},
            totals={"marker": {"color": ACCENT}},
            connector={"line": {"color": "#bbbbbb", "width": 1}},
        )
    )
    fig.update_yaxes(autorange="reversed")
    fig.update_xaxes(title=result.output)
    return style(fig, height=140 + 32 * (len(labels) + 2), title=title)


def plot_importance(importance: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Bar chart of mean |SHAP| per feature (frame from ``explain.mean_abs_shap``)."""
    frame = importance.sort_values("mean_abs_shap")
    colors = [UP if v >= 0 else DOWN for v in frame["mean_shap_corr"].fillna(0)]
    hover = "%{y}: %{x:.4f}<extra></extra>"
    fig = go.Figure(
        hbars(frame["mean_abs_shap"], frame["feature"], color=colors, hovertemplate=hover)
    )
    fig.update_xaxes(title="mean |SHAP| (average effect on the prediction)")
    return style(fig, height=120 + 26 * len(frame), title=title)


def plot_beeswarm(points: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """One row per feature, one dot per track, coloured by the feature's value (low to high).

    ``points`` comes from ``explain.beeswarm_frame`` (feature, shap, value, colour, jitter).
    One WebGL trace per feature, so the hover names the feature from the trace and reads the
    value from a float32 array: 12 x 1,000 points are ~0.25 MB to send instead of ~0.65 MB
    with a (name, text) pair per point. A feature with missing values keeps text values so
    the hover can say "missing".
    """
    order = points.groupby("feature")["shap"].apply(lambda s: s.abs().mean()).sort_values()
    fig = go.Figure()
    for i, (name, part) in enumerate(points.groupby("feature", sort=False)):
        row = order.index.get_loc(name)
        value = part["value"].to_numpy(float)
        label = html.escape(str(name))
        if np.isnan(value).any():
            custom, shown = part["value"].map(_fmt).to_numpy(object), "%{customdata}"
        else:
            custom, shown = value.astype(np.float32), f"%{{customdata:{_d3_format(value)}}}"
        fig.add_trace(
            go.Scattergl(
                x=part["shap"].to_numpy(np.float32),
                y=(row + part["jitter"].to_numpy(float)).astype(np.float32),
                mode="markers",
                name=label,
                showlegend=False,
                marker={
                    "color": part["colour"].to_numpy(np.float32),
                    "colorscale": DIVERGING,
                    "cmin": 0,
                    "cmax": 1,
                    "size": 4,
                    "opacity": 0.7,
                    "showscale": i == 0,
                    "colorbar": {
                        "title": "feature value",
                        "tickvals": [0, 1],
                        "ticktext": ["low", "high"],
                    },
                },
                customdata=custom,
                hovertemplate=f"{label} = {shown}<br>SHAP %{{x:+.3f}}<extra></extra>",
            )
        )
    fig.update_yaxes(
        tickvals=list(range(len(order))), ticktext=list(order.index), range=[-0.6, len(order) - 0.4]
    )
    fig.update_xaxes(title="SHAP value (effect on the prediction)", zeroline=True)
    return style(fig, height=120 + 32 * len(order), title=title)


def _d3_format(values: np.ndarray) -> str:
    """The hover format that writes ``values`` as :func:`_fmt` does (whole numbers, 3 digits)."""
    if np.all(values == np.round(values)) or np.abs(values).max(initial=0) >= 1000:
        return ",.0f"
    return ".3~g"


def plot_dependence(
    frame: pd.DataFrame, feature: str, interaction: str | None, *, title: str | None = None
) -> go.Figure:
    """SHAP of ``feature`` against its value, coloured by the interacting feature."""
    marker: dict = {"size": 5, "opacity": 0.7, "color": ACCENT}
    if interaction is not None:
        marker.update(
            color=frame["interaction_value"], colorscale=DIVERGING, colorbar={"title": interaction}
        )
    hover = f"{feature} %{{x:.3g}}<br>SHAP %{{y:+.3f}}<extra></extra>"
    fig = go.Figure(markers(frame["value"], frame["shap"], marker, gl=None, hovertemplate=hover))
    fig.update_xaxes(title=feature)
    fig.update_yaxes(title=f"SHAP of {feature}", zeroline=True)
    return style(fig, height=420, title=title)


def plot_genre_drivers(drivers: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Heatmap of mean SHAP per genre (rows) and feature (columns), centred at zero."""
    bound = float(np.nanmax(np.abs(drivers.to_numpy(float)))) if drivers.size else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=drivers.to_numpy(float),
            x=list(drivers.columns),
            y=list(drivers.index),
            colorscale=DIVERGING,
            zmid=0,
            zmin=-bound,
            zmax=bound,
            colorbar={"title": "mean SHAP"},
            hovertemplate="%{y} · %{x}: %{z:+.3f}<extra></extra>",
        )
    )
    return style(fig, height=160 + 30 * len(drivers), title=title)


def plot_coefficients(coefs: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Standardised OLS coefficients with 95 % intervals (frame from ``inference.ols_table``)."""
    frame = coefs[coefs["feature"] != "const"].sort_values("std_coef")
    err_hi = frame["std_ci_high"] - frame["std_coef"]
    err_lo = frame["std_coef"] - frame["std_ci_low"]
    fig = go.Figure(
        go.Scatter(
            x=frame["std_coef"],
            y=frame["feature"],
            mode="markers",
            marker={"color": [UP if v >= 0 else DOWN for v in frame["std_coef"]], "size": 9},
            error_x={"type": "data", "array": err_hi, "arrayminus": err_lo},
            hovertemplate="%{y}: %{x:+.4f} per SD<extra></extra>",
        )
    )
    fig.add_vline(x=0, line_color="#999999")
    fig.update_xaxes(title="change in valence per standard deviation of the feature")
    return style(fig, height=120 + 28 * len(frame), title=title)


def plot_shape_functions(shapes: dict, *, cols: int = 3, title: str | None = None) -> go.Figure:
    """Grid of the recipe's centred shape functions f_i(x_i) (from ``recipe`` JSON)."""
    names = list(shapes)
    rows = max(1, -(-len(names) // cols))
    fig = make_subplots(rows=rows, cols=cols, subplot_titles=names, vertical_spacing=0.08)
    for i, name in enumerate(names):
        curve = shapes[name]
        discrete = curve.get("kind") == "categorical" or (
            curve.get("kind") == "linear" and len(curve["x"]) <= 12
        )
        if discrete:  # key, mode, explicit: one value per level, drawn as bars, not a curve
            labels = _level_labels(name, curve["x"])
            trace: go.BaseTraceType = go.Bar(
                x=labels,
                y=curve["f"],
                marker={"color": [ACCENT if v >= 0 else "#4c78a8" for v in curve["f"]]},
                name=name,
                showlegend=False,
                hovertemplate=f"{name} %{{x}}: %{{y:+.3f}}<extra></extra>",
            )
        else:
            trace = go.Scatter(
                x=curve["x"],
                y=curve["f"],
                mode="lines",
                line={"color": ACCENT},
                name=name,
                showlegend=False,
                hovertemplate=f"{name} %{{x:.3g}}: %{{y:+.3f}}<extra></extra>",
            )
        fig.add_trace(trace, row=i // cols + 1, col=i % cols + 1)
        if discrete:
            fig.update_xaxes(type="category", row=i // cols + 1, col=i % cols + 1)
    fig.update_yaxes(zeroline=True, zerolinecolor="#cccccc")
    return style(fig, height=220 * rows + 60, title=title)


def plot_interaction_matrix(matrix: pd.DataFrame, *, title: str | None = None) -> go.Figure:
    """Heatmap of mean |SHAP interaction| per feature pair (diagonal: main effects)."""
    z = matrix.to_numpy(float)
    names = [html.escape(str(c)) for c in matrix.columns]  # one-hot names carry user labels
    off = z.copy()
    np.fill_diagonal(off, np.nan)
    fig = go.Figure(
        go.Heatmap(
            z=off,
            x=names,
            y=names,
            colorscale="Reds",
            zmin=0,
            zmax=float(np.nanmax(off)) if np.isfinite(off).any() else 1,
            hovertemplate="%{y} × %{x}: %{z:.4f}<extra></extra>",
            colorbar={"title": "mean |interaction|"},
        )
    )
    diag = [f"{v:.3f}" for v in np.diag(z)]
    fig.add_scatter(
        x=names,
        y=names,
        mode="text",
        text=diag,
        textfont={"size": 10, "color": "#555"},
        hoverinfo="skip",
        showlegend=False,
    )
    fig.update_yaxes(autorange="reversed")
    return style(fig, height=160 + 34 * len(matrix), title=title)


def plot_pair_dependence(
    frame: pd.DataFrame, a: str, b: str, *, title: str | None = None
) -> go.Figure:
    """The interaction of ``a`` and ``b`` against ``a``'s value, coloured by ``b``'s value."""
    a, b = html.escape(str(a)), html.escape(str(b))
    marker = {
        "size": 5,
        "color": frame["other_value"],
        "colorscale": DIVERGING,
        "showscale": a != b,
        "colorbar": {"title": b},
        "opacity": 0.7,
    }
    hover = f"{a} %{{x:.3g}}<br>effect %{{y:+.4f}}<extra></extra>"
    fig = go.Figure(
        markers(frame["value"], frame["interaction"], marker, gl=None, hovertemplate=hover)
    )
    fig.add_hline(y=0, line={"color": "#999", "dash": "dot"})
    fig.update_xaxes(title=a)
    fig.update_yaxes(title="main effect" if a == b else f"{a} × {b} interaction (valence)")
    return style(fig, height=400, title=title)


_KEYS = ("C", "C♯/D♭", "D", "D♯/E♭", "E", "F", "F♯/G♭", "G", "G♯/A♭", "A", "A♯/B♭", "B")


def _level_labels(name: str, values: list[float]) -> list[str]:
    """Readable levels of a categorical feature: key names, minor/major, else the number."""
    out = []
    for v in values:
        n = int(round(v))
        if name == "key":
            out.append(_KEYS[n] if 0 <= n < 12 else "none")
        elif name == "mode":
            out.append({0: "minor", 1: "major"}.get(n, str(n)))
        else:
            out.append(f"{v:g}")
    return out
