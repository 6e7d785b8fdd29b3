"""Model lab inputs: hyperparameter widgets bound to the URL, the target transform, the inputs.

Slider values live in ``st.session_state`` under ``lab_<model>_<param>`` keys (the share link
carries them); tuned or reset values wait under ``keys.LAB_PENDING_PARAMS`` until the next run.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from core.modelling import features, tasks
from core.modelling.params import Param
from core.safety import escape_markdown
from ui import keys
from ui.widgets import choose

PENDING_KEY = keys.LAB_PENDING_PARAMS


def param_key(model_id: str, param: Param) -> str:
    """Widget (and URL) key of one hyperparameter of one model."""
    return f"lab_{model_id}_{param.name}"


def apply_pending(model_id: str, space: tuple[Param, ...]) -> None:
    """Move tuned or reset values into the slider keys (must run before the widgets)."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending:
        for p in space:
            if p.name in pending:
                try:
                    value = p.snap(p.validate(pending[p.name]))
                except ValueError:
                    value = p.default
                st.session_state[param_key(model_id, p)] = value


def reset_params(model_id: str, space: tuple[Param, ...]) -> None:
    """Button callback: every slider of the model back to its default."""
    for p in space:
        st.session_state[param_key(model_id, p)] = p.default


def url_notices(model_id: str, space: tuple[Param, ...]) -> list[str]:
    """Messages for hyperparameter values in the URL that are invalid (they are ignored)."""
    notes = []
    for p in space:
        raw = st.query_params.get(param_key(model_id, p))
        if raw is None:
            continue
        try:
            value = p.validate(raw)
        except ValueError as exc:
            notes.append(
                f"Ignored the link's value for {p.label} ({escape_markdown(exc, 120)}); "
                f"using {p.default}."
            )
            continue
        if p.kind != "choice" and value not in p.ticks():
            notes.append(
                f"{p.label}={escape_markdown(raw, 40)} is not a slider position; "
                f"using {escape_markdown(p.snap(value))}."
            )
    return notes


def param_widgets(model_id: str, space: tuple[Param, ...]) -> dict[str, Any]:
    """Render one widget per hyperparameter (bound to the URL) and return the values."""
    values: dict[str, Any] = {}
    cols = st.columns(3)
    for i, p in enumerate(space):
        key = param_key(model_id, p)
        if key in st.session_state and st.session_state[key] not in p.ticks():
            st.session_state[key] = p.snap(st.session_state[key])
        st.session_state.setdefault(key, p.default)
        col = cols[i % 3]
        if p.kind == "choice" or p.log:
            values[p.name] = col.select_slider(
                p.label, options=p.ticks(), key=key, help=p.help or None, bind="query-params"
            )
        else:
            step = p.step or (1 if p.kind == "int" else 0.01)
            cast = int if p.kind == "int" else float
            values[p.name] = col.slider(
                p.label,
                cast(p.low),
                cast(p.high),
                step=cast(step),
                key=key,
                help=p.help or None,
                bind="query-params",
            )
    return values


def target_select(container: Any, regression: bool) -> str:
    """The target transform widget (valence regression only; other tasks learn labels)."""
    if not regression:
        container.selectbox(
            "Target transform",
            ["none"],
            key="lab_target_off",
            disabled=True,
            help="Only valence regression has a target transform.",
        )
        return "none"
    return choose(
        container.selectbox,
        "Target transform",
        tasks.TARGET_TRANSFORMS,
        key="lab_target",
        bind="query-params",
        help="Logit: the model learns log(v / (1 - v)) of valence "
        "(clipped to 0.01-0.99) and its predictions are mapped back; "
        "curves and metrics stay on the valence scale.",
    )


def show_inputs(df: pd.DataFrame, feature_set: str, task: str, columns: list[str]) -> None:
    """The inputs a feature set gives this dataset, and the engineered ones it cannot support."""
    shown = [features.ENGINEERED_LABELS.get(c, c) for c in columns]
    st.caption(f"**Inputs ({len(columns)}):** " + escape_markdown(", ".join(shown), None))
    if features.TEXT_SCORE in columns:
        st.caption(
            "The text score is a TF-IDF ridge on title and album, stacked as one input "
            "(one per class for genre tasks): training tracks get scores from 5 inner "
            "folds grouped by artist, so no track's score has seen its own label."
        )
    missing = features.missing_inputs(df, feature_set, task)
    if missing:
        lines = "; ".join(
            f"{features.ENGINEERED_LABELS.get(k, k)} ({why})" for k, why in missing.items()
        )
        st.info(
            "This dataset cannot support some engineered inputs, so they are left out: "
            + escape_markdown(lines, None)
        )
