"""Widget groups shared by the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core.safety import csv_bytes

KEPT_PREFIX = "kept:"  # session keys of the values keep() holds aside


def keep(*widget_keys: str) -> None:
    """Keep these widgets' values through runs that do not draw them.

    Streamlit drops the state of a widget that a finished run did not draw (its mode, tab or
    section was closed), so a visitor's typed text was gone on return. Call before any of them
    is drawn, in every run that may change them: at the top of the page for text boxes (their
    text can arrive with the click that closes their mode), or just before drawing pickers whose
    value only changes in runs that draw them (``ui.cellpick``). The widgets must have no
    default of their own. A value is copied aside while the widget holds one and put back once
    Streamlit dropped it.
    """
    for key in widget_keys:
        aside = KEPT_PREFIX + key
        if key in st.session_state:
            st.session_state[aside] = st.session_state[key]
        elif aside in st.session_state:
            st.session_state[key] = st.session_state[aside]


def choose(
    widget: Callable[..., Any],
    label: str,
    labels: Mapping[Any, str],
    *,
    key: str,
    options: Iterable[Any] | None = None,
    **kwargs: Any,
) -> Any:
    """A choice among the keys of ``labels`` (or ``options``), each shown by its label.

    ``widget`` is the drawing call (``st.selectbox``, ``column.segmented_control``,
    ``st.multiselect``...); ``kwargs`` go to it unchanged (``bind="query-params"``,
    ``default``, ``help``). Returns what the widget returns.
    """
    keys = list(labels if options is None else options)
    return widget(label, keys, format_func=labels.get, key=key, **kwargs)


def csv_download(
    label: str, frame: pd.DataFrame, file_name: str, *, key: str, **kwargs: Any
) -> None:
    """A download button for ``frame`` as CSV (formula cells neutralised: ``csv_bytes``)."""
    st.download_button(
        label, csv_bytes(frame), file_name=file_name, mime="text/csv", key=key, **kwargs
    )
