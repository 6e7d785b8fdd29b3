"""Default models shared by pages, and the hand-off from the Model lab.

Contract: the Model lab stores the user's latest trained model (a
``core.modelling.models.TrainedModel``) under ``ui.keys.ACTIVE_MODEL`` and the id of the dataset
it was trained on under ``ui.keys.ACTIVE_SOURCE``. Other pages call ``active_model(catalog, task)``
to use it, or the cached default XGBoost when there is none, and ``lab_classifier(catalog)``
for a classifier trained on this dataset.
"""

from __future__ import annotations

import streamlit as st

from core import compute, warm
from core.catalog.data import Catalog
from core.eta import format_seconds
from core.modelling import models
from ui import keys
from ui.cache import memo
from ui.progress import QueueNote
from ui.warm import precomputed

ACTIVE_MODEL_KEY = keys.ACTIVE_MODEL
ACTIVE_SOURCE_KEY = keys.ACTIVE_SOURCE


def _fit_default(catalog: Catalog, task: str, on_wait: compute.WaitFn) -> models.TrainedModel:
    if task == "valence":
        return models.fit_default_valence_model(catalog.df, on_wait=on_wait)
    return models.fit_default_genre_model(catalog.df, on_wait=on_wait)


def training_label(catalog: Catalog, task: str) -> str:
    """The spinner text of a default model's training, with this server's estimate."""
    what = f"the default XGBoost {task} model" + (
        " on your upload" if catalog.is_upload else " (once)"
    )
    seconds = warm.measured_seconds(catalog, f"{task}_model")
    return f"Training {what} ({len(catalog.df):,} tracks, about {format_seconds(seconds)})…"


def default_model(catalog: Catalog, task: str = "valence") -> models.TrainedModel:
    """The default XGBoost model for a catalog: precomputed for public data, session for uploads."""
    stored = precomputed(catalog, f"{task}_model")
    if stored is not None:
        return stored
    with st.spinner(training_label(catalog, task), show_time=True), QueueNote() as queued:
        return memo(catalog, "default_model", task, lambda: _fit_default(catalog, task, queued))


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
