"""Figures of the Track lookup page: mood map and taste drivers (waterfalls: charts.explain)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from core.catalog.sampling import sample_rows
from core.charts import ACCENT, hbars, markers, style

QUADRANTS: tuple[tuple[float, float, str], ...] = (
    (0.97, 0.97, "happy · energetic"),
    (0.03, 0.97, "tense · angry"),
    (0.03, 0.03, "sad · low"),
    (0.97, 0.03, "calm · content"),
)


def plot_mood_map(
    catalog_df: pd.DataFrame, tracks: pd.DataFrame, *, sample: int = 4000, seed: int = 0
) -> go.Figure:
    """Valence (x) against energy (y): the catalog as a grey cloud, the user's tracks on top.

    Parameters
    ----------
    catalog_df
        The catalog (a random sample of ``sample`` rows is drawn).
    tracks
        The user's tracks: track_name, artists, valence (or predicted_valence), energy,
        feature_source.
    sample
        Catalog points drawn at most.
    seed
        Seed of the catalog sample.
    """
    cat = sample_rows(catalog_df, sample, seed)
    cloud = {"size": 4, "color": "rgba(150,150,150,0.25)"}
    fig = go.Figure(
        markers(cat["valence"], cat["energy"], cloud, name="catalog", gl=True, hoverinfo="skip")
    )
    val = pd.to_numeric(tracks.get("valence"), errors="coerce")
    if "predicted_valence" in tracks:
        val = val.fillna(pd.to_numeric(tracks["predicted_valence"], errors="coerce"))
    mine = tracks.assign(_v=val, _e=pd.to_numeric(tracks.get("energy"), errors="coerce")).dropna(
        subset=["_v", "_e"]
    )
    names = (
        mine.get("track_name", pd.Series("", index=mine.index)).fillna(mine["track_id"]).astype(str)
    )
    artists = mine.get("artists", pd.Series("", index=mine.index)).fillna("").astype(str)
    source = mine.get("feature_source", pd.Series("", index=mine.index)).astype(str)
    fig.add_trace(
        markers(
            mine["_v"],
            mine["_e"],
            {"size": 11, "color": ACCENT, "line": {"width": 1, "color": "#111"}},
            name="your tracks",
            text=names + " — " + artists.str.replace(";", ", "),
            customdata=np.stack([source], axis=-1),
            hovertemplate=(
                "%{text}<br>valence %{x:.2f} · energy %{y:.2f}"
                "<br>features: %{customdata[0]}<extra></extra>"
            ),
        )
    )
    for x, y, label in QUADRANTS:
        fig.add_annotation(
            x=x,
            y=y,
            text=label,
            showarrow=False,
            font={"color": "#888", "size": 11},
            xanchor="right" if x > 0.5 else "left",
        )
    fig.add_hline(y=0.5, line={"color": "#ccc", "dash": "dot"})
    fig.add_vline(x=0.5, line={"color": "#ccc", "dash": "dot"})
    fig.update_xaxes(title="valence (sad → happy)", range=[0, 1])
    fig.update_yaxes(title="energy", range=[0, 1])
    return style(fig, height=460, title="Mood map: your tracks over the catalog")


def plot_taste_drivers(importance: pd.DataFrame, *, top: int = 10) -> go.Figure:
    """Mean |SHAP| of the taste model per feature, coloured by direction (liked higher / lower)."""
    imp = importance.head(top).iloc[::-1]
    colors = np.where(imp["direction"] >= 0, ACCENT, "#9467bd")
    fig = go.Figure(hbars(imp["mean_abs_shap"], imp["feature"], color=colors))
    fig.update_xaxes(title="mean |SHAP| (rating points)")
    return style(
        fig, height=120 + 26 * len(imp), title="What your ratings follow (green: more is liked)"
    )
