"""Track lookup: what about *my* tracks? Search, paste links/ids, or upload a CSV of ids."""

from __future__ import annotations

import streamlit as st

from ui import keys
from ui import lookup_results_views as results
from ui import lookup_views as views
from ui.catalog import require_catalog
from ui.lookup import budget_caption
from ui.moodarc import render as render_mood_arc
from ui.profiles import render_playlist as render_playlist_profile
from ui.widgets import keep

st.title("Track lookup")
st.caption(
    "Bring your own tracks: their audio features (each tagged with where it came from), the "
    "valence the model predicts, a genre guess, similar catalog tracks and an explanation."
)
catalog = require_catalog()
keep(*views.TYPED)  # each is drawn in its mode only
views.render_credentials()
st.caption(budget_caption())
mode = st.segmented_control(
    "Bring tracks by", views.MODES, key="look_mode", default=views.MODES[1], bind="query-params"
)
views.INPUTS.get(mode, views.render_upload)(catalog)  # deselected: the upload box, as before

result = st.session_state.get(keys.LOOK_RESULT)
if not result:
    st.info("Look some tracks up to see their features, predicted valence and similar tracks.")
    st.stop()
table, valence_model = results.render_results(result, catalog)
render_mood_arc(table, result["upload"])
st.subheader("Genre profile")
render_playlist_profile(catalog, table)
results.render_track_detail(table, valence_model, catalog)
results.render_taste(result["upload"], table)
