"""Why valence? SHAP drivers, one track's explanation, OLS inference, agreement, the recipe."""

from __future__ import annotations

import streamlit as st

from core.catalog.data import Catalog
from core.safety import escape_markdown
from ui import keys
from ui.catalog import require_catalog
from ui.interactions import ROWS as INTER_ROWS
from ui.models import active_model, lab_classifier
from ui.why_valence_stats_views import CRITERIA
from ui.why_valence_views import (
    RENDERERS,
    SHAP_ROWS,
    TABS,
    WhyView,
    link_notice,
)

catalog: Catalog = require_catalog()
df = catalog.df
st.title("Why valence?")
model, from_lab = active_model(catalog, "valence")
class_name: str | None = None
lab = lab_classifier(catalog)
if lab is not None:
    target = st.segmented_control(
        "Explain",
        ["valence", lab.task],
        default="valence",
        format_func=lambda t: "the valence model" if t == "valence" else f"your {t} classifier",
        key="why_target",
    )
    if target == lab.task:
        model, from_lab = lab, True
        class_name = st.selectbox("Class to explain", lab.classes_, key="why_class")
model_key = (
    f"{model.model_id}:{model.task}:{model.feature_set}:{sorted(model.params.items())}:"
    f"{id(model) if from_lab else 'default'}"
)
who = "the model you trained in the Model lab" if from_lab else "the default XGBoost model"
st.caption(
    f"Explaining {who} ({model.model_id}, {model.feature_set} features) on "
    f"{escape_markdown(catalog.title)}, "
    f"{len(df):,} tracks. Train another model in the Model lab and it is explained here."
)
if len(df) < 20 or "valence" not in df:
    st.warning("This dataset is too small to explain (fewer than 20 tracks with valence).")
    st.stop()

link_notice("why_tab", TABS)
link_notice(keys.WHY_ROWS, list(SHAP_ROWS))
link_notice("why_criterion", list(CRITERIA))
link_notice(keys.WHY_INTER_ROWS, list(INTER_ROWS))
tabs = st.tabs(
    TABS,
    key="why_tab",
    bind="query-params",
)


view = WhyView(catalog, model, class_name, model_key, personal=from_lab)
for tab, render in zip(tabs, RENDERERS, strict=True):
    if tab.open is not False:
        with tab:
            st.fragment(render)(view)
