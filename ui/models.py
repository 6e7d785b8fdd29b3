"""Default models shared by pages, and the hand-off from the Model lab.

Contract: the Model lab stores the user's latest trained model (a
``core.modelling.models.TrainedModel``) under ``ui.keys.ACTIVE_MODEL`` and the id of the dataset
it was trained on under ``ui.keys.ACTIVE_SOURCE``. Other pages call ``active_model(catalog, task)``
to use it, or the cached default XGBoost when there is none, and ``lab_classifier(catalog)``
for a classifier trained on this dataset.
"""

from __future__ import annotations

import streamlit as st

from core.catalog.data import Catalog
from core.modelling import models
from ui import keys
from ui.catalog import UPLOAD_PREFIX, load_public_catalog

ACTIVE_MODEL_KEY = keys.ACTIVE_MODEL
ACTIVE_SOURCE_KEY = keys.ACTIVE_SOURCE


@st.cache_resource(show_spinner="Training the default XGBoost valence model (once)…", max_entries=4)
def _public_default(source_id: str, task: str) -> models.TrainedModel:
    df = load_public_catalog(source_id).df
    if task == "valence":
        return models.fit_default_valence_model(df)
    return models.fit_default_genre_model(df)


def default_model(catalog: Catalog, task: str = "valence") -> models.TrainedModel:
    """The default XGBoost model of a catalog: shared cache for public data, session for uploads."""
    if not catalog.source_id.startswith(UPLOAD_PREFIX):
        return _public_default(catalog.source_id, task)
    key = f"default_model::{catalog.checksum}::{task}"
    if key not in st.session_state:
        with st.spinner("Training a default model on your upload…"):
            fit = (
                models.fit_default_valence_model
                if task == "valence"
                else models.fit_default_genre_model
            )
            st.session_state[key] = fit(catalog.df)
    return st.session_state[key]


def active_model(catalog: Catalog, task: str = "valence") -> tuple[models.TrainedModel, bool]:
    """The Model lab's model for this catalog and task if there is one, else the default.

    Returns the model and whether it came from the Model lab.
    """
    lab = st.session_state.get(ACTIVE_MODEL_KEY)
    if (
        lab is not None
        and lab.task == task
        and st.session_state.get(ACTIVE_SOURCE_KEY) == catalog.source_id
    ):
        return lab, True
    return default_model(catalog, task), False


def lab_classifier(catalog: Catalog) -> models.TrainedModel | None:
    """The Model lab's latest model when it is a classifier trained on this catalog, else None."""
    lab = st.session_state.get(ACTIVE_MODEL_KEY)
    if (
        lab is not None
        and lab.is_classifier
        and st.session_state.get(ACTIVE_SOURCE_KEY) == catalog.source_id
    ):
        return lab
    return None
