"""Figures of the Genre map: projections (WebGL), scree, loadings, clustering curves, genre tree."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots
from scipy.cluster import hierarchy

from core.charts import ACCENT, DIVERGING, PALETTE, SEQUENTIAL, genre_colors, lines, style

OTHER_COLOR = "#c8c8c8"
_HOVER = (
    "<b>%{customdata[1]}</b><br>%{customdata[2]}<br>genre: %{customdata[3]}"
    "<br>%{customdata[4]}<extra></extra>"
)


def _hover_data(frame: pd.DataFrame, color: str) -> np.ndarray:
    """Hover data columns: row position, track, artists, genre, colour value (for hover)."""
    n = len(frame)

    def text(col: str) -> np.ndarray:
        if col not in frame:
            return np.full(n, "–", dtype=object)
        return frame[col].astype("string").fillna("–").to_numpy(dtype=object)

    value = frame[color]
    shown = value.round(3).astype(str) if pd.api.types.is_float_dtype(value) else value.astype(str)
    return np.column_stack(
        [
            np.arange(n),
            text("track_name"),
            text("artists"),
            text("genre"),
            (f"{color}: " + shown).to_numpy(dtype=object),
        ]
    )


def plot_projection(
    frame: pd.DataFrame,
    x: str,
    y: str,
    color: str,
    *,
    title: str | None = None,
    categorical: bool | None = None,
    point_size: int = 4,
) -> go.Figure:
    """WebGL scatter of a 2-D projection coloured by a label or a numeric column.

    ``customdata[0]`` of every point is its row position in ``frame`` (selections map back
    through it). Labels named ``other`` are drawn grey and last.
    """
    categorical = (
        not pd.api.types.is_numeric_dtype(frame[color]) if categorical is None else categorical
    )
    custom = _hover_data(frame, color)
    fig = go.Figure()
    if categorical:
        labels = frame[color].astype(str).to_numpy()
        levels = sorted(set(labels), key=lambda v: (v == "other", _natural(v)))
        colors = genre_colors([v for v in levels if v != "other"])
        for level in levels:
            mask = labels == level
            fig.add_trace(
                go.Scattergl(
                    x=frame[x].to_numpy()[mask],
                    y=frame[y].to_numpy()[mask],
                    mode="markers",
                    name=level,
                    marker={
                        "size": point_size,
                        "opacity": 0.35 if level == "other" else 0.7,
                        "color": OTHER_COLOR if level == "other" else colors[level],
                    },
                    customdata=custom[mask],
                    hovertemplate=_HOVER,
                )
            )
    else:
        fig.add_trace(
            go.Scattergl(
                x=frame[x],
                y=frame[y],
                mode="markers",
                name=color,
                marker={
                    "size": point_size,
                    "opacity": 0.7,
                    "color": frame[color].astype("float64"),
                    "colorscale": SEQUENTIAL,
                    "colorbar": {"title": {"text": color}},
                },
                customdata=custom,
                hovertemplate=_HOVER,
            )
        )
    fig.update_layout(
        xaxis_title=x, yaxis_title=y, dragmode="lasso", legend={"itemsizing": "constant"}
    )
    return style(fig, height=560, title=title)


def _natural(value: str) -> tuple:
    """Sort '10: a' after '9: b' and 'cluster 10' after 'cluster 9'."""
    head = value.split(":")[0].replace("cluster", "").strip()
    return (0, int(head), value) if head.isdigit() else (1, 0, value)


def add_loading_arrows(fig: go.Figure, loadings: pd.DataFrame, scale: float = 1.0) -> go.Figure:
    """Biplot arrows of each feature's PC1/PC2 loading (scaled to the scores' spread)."""
    for feature, row in loadings.iterrows():
        x, y = row.iloc[0] * scale, row.iloc[1] * scale
        fig.add_annotation(
            x=x,
            y=y,
            ax=0,
            ay=0,
            xref="x",
            yref="y",
            axref="x",
            ayref="y",
            text=str(feature),
            showarrow=True,
            arrowhead=2,
            arrowwidth=1.5,
            arrowcolor="#333",
            font={"size": 11},
        )
    return fig


def plot_scree(variance: pd.DataFrame) -> go.Figure:
    """Explained (bars) and cumulative (line) variance ratio per principal component."""
    fig = go.Figure()
    fig.add_bar(
        x=variance["component"], y=variance["explained"], name="explained", marker_color=PALETTE[0]
    )
    fig.add_trace(
        lines(
            variance["component"],
            variance["cumulative"],
            {"color": ACCENT},
            name="cumulative",
            mode="lines+markers",
        )
    )
    fig.update_layout(yaxis={"title": "share of variance", "tickformat": ".0%", "range": [0, 1.05]})
    return style(fig, height=340, title="Scree: variance explained per component")


def plot_loadings(loadings: pd.DataFrame, max_components: int = 6) -> go.Figure:
    """Heatmap of feature loadings on the first components (diverging, centred on 0)."""
    shown = loadings.iloc[:, :max_components]
    limit = float(np.abs(shown.to_numpy()).max()) or 1.0
    fig = go.Figure(
        go.Heatmap(
            z=shown.to_numpy(),
            x=list(shown.columns),
            y=list(shown.index),
            colorscale=DIVERGING,
            zmin=-limit,
            zmax=limit,
            text=shown.round(2).to_numpy(),
            texttemplate="%{text}",
            hovertemplate="%{y} on %{x}: %{z:.2f}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed")
    return style(
        fig, height=60 + 28 * len(shown), title="Loadings (correlation of feature and component)"
    )


def plot_kmeans_sweep(sweep: pd.DataFrame, k: int | None = None) -> go.Figure:
    """Elbow (inertia) and sampled silhouette over k, the chosen k marked."""
    fig = make_subplots(rows=1, cols=2, subplot_titles=("Elbow: inertia", "Silhouette (sampled)"))
    fig.add_scatter(
        x=sweep["k"], y=sweep["inertia"], mode="lines+markers", name="inertia", row=1, col=1
    )
    fig.add_scatter(
        x=sweep["k"],
        y=sweep["silhouette"],
        mode="lines+markers",
        name="silhouette",
        line={"color": ACCENT},
        row=1,
        col=2,
    )
    if k is not None:
        for col in (1, 2):
            fig.add_vline(x=k, line_dash="dot", line_color="#888", row=1, col=col)
    fig.update_xaxes(title_text="k", dtick=1)
    fig.update_layout(showlegend=False)
    return style(fig, height=320)


def plot_information_criteria(sweep: pd.DataFrame, n: int | None = None) -> go.Figure:
    """BIC and AIC of Gaussian mixtures over the number of components (lower is better)."""
    fig = go.Figure()
    fig.add_scatter(x=sweep["components"], y=sweep["bic"], mode="lines+markers", name="BIC")
    fig.add_scatter(x=sweep["components"], y=sweep["aic"], mode="lines+markers", name="AIC")
    if n is not None:
        fig.add_vline(x=n, line_dash="dot", line_color="#888")
    fig.update_layout(xaxis={"title": "components", "dtick": 1}, yaxis_title="criterion")
    return style(fig, height=320, title="Gaussian mixture: BIC / AIC (lower is better)")


def plot_heatmap(table: pd.DataFrame, title: str, *, percent: bool = True) -> go.Figure:
    """A row-normalised table (clusters x genres, or true x predicted genre) as a heatmap."""
    z = table.to_numpy(dtype=float)
    text = (
        np.vectorize(lambda v: f"{v:.0%}" if percent else f"{v:.2f}")(z) if z.size <= 900 else None
    )
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[str(c) for c in table.columns],
            y=[str(i) for i in table.index],
            colorscale="Blues",
            zmin=0,
            zmax=1 if percent else None,
            text=text,
            texttemplate="%{text}" if text is not None else None,
            hovertemplate="%{y} → %{x}: %{z:.1%}<extra></extra>",
        )
    )
    fig.update_yaxes(autorange="reversed", type="category")
    fig.update_xaxes(type="category")
    return style(fig, height=max(260, 60 + 24 * len(table)), title=title)


#: Short axis names for the radar, so long feature names are not clipped in a half-width column.
# Layout kept by hand (fmt: skip below): a table of names reads better packed than one a line.
SHORT_NAMES = {
    "danceability": "dance", "instrumentalness": "instrumental", "acousticness": "acoustic",
    "speechiness": "speech", "duration_ms": "duration", "time_signature": "time sig.",
    "popularity": "popular", "release_year": "year",
}  # fmt: skip


def plot_profiles(profiles: pd.DataFrame) -> go.Figure:
    """Radar of each cluster's mean standardised features (0 = catalog average)."""
    fig = go.Figure()
    names = list(profiles.columns) + [profiles.columns[0]]
    theta = [SHORT_NAMES.get(c, c) for c in names]
    for i, (cluster, row) in enumerate(profiles.iterrows()):
        values = list(row.to_numpy()) + [row.iloc[0]]
        fig.add_scatterpolar(
            r=values,
            theta=theta,
            customdata=names,
            name=str(cluster),
            line={"color": PALETTE[i % len(PALETTE)]},
            hovertemplate="%{customdata}: %{r:.2f} SD<extra>" + str(cluster) + "</extra>",
        )
    fig.update_layout(
        polar={
            "radialaxis": {"angle": 90, "tickfont": {"size": 10}},
            "angularaxis": {"tickfont": {"size": 11}},
            "domain": {"x": [0.1, 0.9], "y": [0.12, 0.95]},
        },
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "x": 0.5, "xanchor": "center"},
    )
    style(fig, height=500, title="Cluster profiles (mean z-score per feature, 0 = average)")
    fig.update_layout(margin={"l": 40, "r": 40, "t": 60, "b": 60})
    return fig


def plot_dendrogram(
    linkage: np.ndarray, labels: Sequence[str], groups: dict[str, str] | None = None
) -> go.Figure:
    """Horizontal dendrogram of genre centroids drawn from scipy's layout (leaves top-down)."""
    tree = hierarchy.dendrogram(linkage, labels=list(labels), no_plot=True, orientation="left")
    fig = go.Figure()
    for xs, ys in zip(tree["dcoord"], tree["icoord"], strict=True):
        fig.add_scatter(
            x=xs,
            y=ys,
            mode="lines",
            line={"color": "#555", "width": 1.2},
            hoverinfo="skip",
            showlegend=False,
        )
    leaves = tree["ivl"]
    ticks = [5 + 10 * i for i in range(len(leaves))]
    names = [f"{g}  [{groups[g].split(':')[0]}]" if groups else g for g in leaves]
    fig.update_yaxes(
        tickvals=ticks, ticktext=names, range=[0, 10 * len(leaves)], autorange="reversed"
    )
    fig.update_xaxes(title_text="merge distance (standardised features)", autorange="reversed")
    return style(fig, height=max(300, 40 + 18 * len(leaves)), title="Which genres sound alike")


def plot_agreement(table: pd.DataFrame) -> go.Figure:
    """Grouped bars of ARI and NMI against genre for each method."""
    shown = table[table["method"] != "genre (reference)"]
    fig = go.Figure()
    for i, (col, name) in enumerate(
        (("ari", "adjusted Rand index"), ("nmi", "normalised mutual information"))
    ):
        fig.add_bar(x=shown["method"], y=shown[col], name=name, marker_color=PALETTE[i])
    fig.update_layout(barmode="group", yaxis={"title": "agreement with genre", "range": [0, 1]})
    return style(fig, height=320)
