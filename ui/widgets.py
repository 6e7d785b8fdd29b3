"""Widget groups shared by the pages."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from core.safety import csv_bytes


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
