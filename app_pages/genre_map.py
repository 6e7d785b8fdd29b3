"""Genre map: can audio features alone tell genres apart, and which genres sound alike."""

from __future__ import annotations

import streamlit as st

from core import warm
from core.catalog.data import Catalog
from core.genremap import projection
from core.safety import escape_markdown
from ui import genre_map as gm
from ui.catalog import require_catalog
from ui.genre_map_views import VIEWS, MapView

DEFAULT_SAMPLE = warm.UMAP_SAMPLE  # its UMAP is precomputed for public datasets
SECTIONS = list(VIEWS)

st.title("Genre map")
st.caption(
    "Do genres separate on audio features alone, and which genres are neighbours? Features are "
    "standardised (z-scores); every view uses the same random sample of tracks (seed 0)."
)
catalog: Catalog = require_catalog()
df = catalog.df
if len(df) < projection.MIN_ROWS:
    st.info(
        f"The Genre map needs at least {projection.MIN_ROWS} tracks; this dataset has {len(df)}."
    )
    st.stop()

checks = gm.link_checks(len(df), SECTIONS, list(df.columns), len(catalog.genres))
bad_link = gm.invalid_link_values(checks)
if bad_link:
    st.warning(f"Ignored invalid link settings ({', '.join(bad_link)}); using the defaults.")
with st.expander("Features and sample size", expanded=False):
    left, right = st.columns([3, 1])
    features = left.multiselect(
        "Features (each standardised to mean 0, SD 1)",
        projection.available_features(df),
        default=projection.default_features(df),
        key="map_features",
        bind="query-params",
    )
    sample = int(
        right.number_input(
            "Tracks in the sample",
            min_value=min(200, len(df)),
            max_value=len(df),
            value=min(DEFAULT_SAMPLE, len(df)),
            step=1000,
            key="map_sample",
            bind="query-params",
        )
    )
    st.caption(
        f"Default {min(DEFAULT_SAMPLE, len(df)):,} random tracks of {len(df):,}: enough for the "
        f"shape of the map and fast to redraw. A UMAP of this sample takes about "
        f"{projection.estimate_umap_seconds(sample):.0f} s once, then it is cached."
    )
sample_arg = None if sample >= len(df) else sample
feats = tuple(features)
try:
    scaled = gm.memo(
        catalog,
        "scaled",
        (feats, sample_arg, gm.SEED),
        lambda: projection.standardise_sample(df, feats, sample_arg, gm.SEED),
    )
except projection.ClusterInputError as exc:
    st.warning(
        f"{escape_markdown(exc, None)} Adjust the features or the sample under **Features and "
        "sample size**."
    )
    st.stop()
if scaled.dropped:
    st.warning(f"Left out because they do not vary in this sample: {', '.join(scaled.dropped)}.")
n = len(scaled.X)

section = st.radio("View", SECTIONS, horizontal=True, key="map_section", bind="query-params")
k, n_comp, cov = gm.cluster_controls(n, section or SECTIONS[0])  # only where clusters are used

view = MapView(catalog, scaled, feats, sample_arg, k, n_comp, cov)
VIEWS[section or SECTIONS[0]](view)
