"""The "What-if" tab of *Why valence?*: sliders per input, live prediction, SHAP and neighbours.

Everything computed lives in ``core.explain.whatif``; this module reads widgets, keeps the
sliders in ``st.session_state`` and mirrors the view in the URL (``wi_track``, ``wi_set``) so a
copied link reopens it.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.catalog.data import Catalog
from core.charts.explain import plot_waterfall
from core.explain import whatif
from core.modelling.models import TrainedModel
from core.safety import escape_markdown
from ui.lookup import neighbour_index

SEARCH_KEY = "wi_search"
BASE_KEY = "wi_base"
SEEN_KEY = "wi_base_seen"  # (model/catalog key, base) whose values the sliders hold
LINK_KEY = "wi_link_read"  # model/catalog keys whose URL settings were already applied
SETUP_KEY = "wi_setup"  # (model/catalog key, knobs, medians, scorer) of this session
MAX_OPTIONS = 200


def _slider_key(name: str) -> str:
    return f"wi_k_{name}"


def _labels(df: pd.DataFrame) -> pd.Series:
    """``name - artists`` per catalog row (the id, then the row number, when missing)."""
    if "track_name" in df and df["track_name"].notna().any():
        label = df["track_name"].astype("string").fillna("?")
        if "artists" in df:
            label = (
                label + " - " + df["artists"].astype("string").fillna("?").str.replace(";", ", ")
            )
        return label
    if "track_id" in df:
        return df["track_id"].astype("string").fillna("?")
    return pd.Series([f"row {i}" for i in df.index], index=df.index, dtype="string")


def _set_sliders(values: dict[str, float]) -> None:
    for name, value in values.items():
        st.session_state[_slider_key(name)] = value


def _setup(df: pd.DataFrame, model: TrainedModel, model_key: str) -> tuple:
    """Knobs, medians and the fast scorer of this model and catalog (kept in the session)."""
    setup = st.session_state.get(SETUP_KEY)
    if setup is None or setup[0] != model_key:
        knob_list = whatif.knobs(df, model)
        setup = (model_key, knob_list, whatif.medians(df, knob_list), whatif.Scorer(model))
        st.session_state[SETUP_KEY] = setup
    return setup[1:]


def _read_link(model_key: str, knob_list: list, ids: pd.Series | None) -> dict[str, float]:
    """Apply a shared link once per model and catalog; its settings then belong to the widgets."""
    read = st.session_state.setdefault(LINK_KEY, set())
    if model_key in read:
        return {}
    read.add(model_key)
    row, values, notices = whatif.decode_link(dict(st.query_params), knob_list, ids)
    for notice in notices:
        st.warning(escape_markdown(notice, max_chars=300))
    if row is not None:
        st.session_state[BASE_KEY] = row
        st.session_state[SEARCH_KEY] = ""
    elif whatif.TRACK_PARAM in st.query_params:
        st.session_state[BASE_KEY] = whatif.MEDIAN
    return values


def _pick_base(df: pd.DataFrame) -> object:
    """The starting track's row label, or ``whatif.MEDIAN``."""
    labels = _labels(df)
    left, right = st.columns([2, 3])
    query = left.text_input("Find a starting track", key=SEARCH_KEY, placeholder="title or artist")
    hits = labels[labels.str.contains(query, case=False, regex=False)] if query else labels
    options: list[object] = [whatif.MEDIAN, *hits.index[:MAX_OPTIONS].tolist()]
    current = st.session_state.get(BASE_KEY)
    if current is not None and current not in options:
        options.insert(1, current)
    if query and hits.empty:
        left.caption(f"No track matches {escape_markdown(query, 60)}.")
    return right.selectbox(
        f"Start from ({len(hits):,} matching tracks; first {MAX_OPTIONS} listed)",
        options,
        format_func=lambda i: "the catalog median" if i == whatif.MEDIAN else str(labels[i]),
        key=BASE_KEY,
    )


def _sliders(knob_list: list, start: dict[str, float]) -> dict[str, float]:
    """The reset button and one slider per knob; returns the slider values."""
    st.button(
        "Reset to the starting values",
        key="wi_reset",
        icon=":material/restart_alt:",
        on_click=_set_sliders,
        args=(start,),
    )
    values: dict[str, float] = {}
    cols = st.columns(4)
    for i, knob in enumerate(knob_list):
        values[knob.name] = cols[i % 4].slider(
            knob.label,
            min_value=int(knob.lo) if knob.integer else knob.lo,
            max_value=int(knob.hi) if knob.integer else knob.hi,
            step=int(knob.step) if knob.integer else knob.step,
            format=knob.fmt,
            key=_slider_key(knob.name),
        )
    return values


def _show(result: whatif.WhatIf, base_pred: float, base_row: pd.Series | None) -> None:
    m = st.columns(3)
    m[0].metric(
        "Predicted valence",
        f"{result.prediction:.3f}",
        delta=f"{result.prediction - base_pred:+.3f} vs start",
        border=True,
    )
    m[1].metric("Predicted at start", f"{base_pred:.3f}", border=True)
    measured = base_row.get("valence") if base_row is not None else None
    m[2].metric(
        "Measured at start",
        f"{float(measured):.3f}" if measured is not None and pd.notna(measured) else "n/a",
        border=True,
    )
    chart, near = st.columns([3, 2])
    fig = plot_waterfall(result.shap, 0, title="Why the model predicts this valence")
    fig.update_traces(cliponaxis=False).update_layout(margin={"r": 70})  # labels past the bars
    chart.plotly_chart(fig, width="stretch", key="wi_waterfall")
    near.markdown("**Nearest catalog tracks** (valence taken as the prediction)")
    if result.neighbours.empty:
        near.info("No neighbours: a feature the index needs is missing.")
    else:
        shown = result.neighbours.drop(columns=["track_id"], errors="ignore")
        near.dataframe(shown, hide_index=True, width="stretch")
    if not result.changed.empty:
        near.markdown("**What you moved**")
        near.dataframe(result.changed, hide_index=True, width="stretch")
    st.caption(f"SHAP: {result.shap.method}. Red bars push valence up, blue down.")


def _write_link(base_row: pd.Series | None, values: dict, start: dict) -> None:
    """Mirror the view in the URL (only what differs from the start)."""
    base_id = None
    if base_row is not None and pd.notna(base_row.get("track_id")):
        base_id = str(base_row["track_id"])
    link = whatif.encode_link(base_id, values, start)
    if whatif.SET_PARAM not in link and whatif.SET_PARAM in st.query_params:
        del st.query_params[whatif.SET_PARAM]
    for name, value in link.items():
        if st.query_params.get(name) != value:
            st.query_params[name] = value


def render(catalog: Catalog, model: TrainedModel, model_key: str) -> None:
    """Draw the What-if tab for ``model`` on ``catalog`` (``model_key`` identifies the pair)."""
    if model.is_classifier:
        st.info("What-if moves the inputs of the valence model: switch *Explain* to valence.")
        return
    df = catalog.df
    knob_list, median, scorer = _setup(df, model, model_key)
    if not knob_list:
        st.info("This model has no numeric inputs to move.")
        return
    ids = df["track_id"].astype("string") if "track_id" in df else None
    link_values = _read_link(model_key, knob_list, ids)
    st.caption(
        "Start from a track (or the catalog median), move the sliders, and watch the predicted "
        "valence, its explanation and the nearest catalog tracks follow. The address bar keeps "
        "the view: copy it to share."
    )
    base = _pick_base(df)
    base_row = None if base == whatif.MEDIAN else df.loc[base]
    start = whatif.baseline(df, knob_list, base_row, median)
    if st.session_state.get(SEEN_KEY) != (model_key, base):
        st.session_state[SEEN_KEY] = (model_key, base)
        _set_sliders({**start, **link_values})
    else:
        for knob in knob_list:  # a slider key lost (e.g. after a page switch): back to the start
            st.session_state.setdefault(_slider_key(knob.name), start[knob.name])
    values = _sliders(knob_list, start)
    index = neighbour_index(catalog)
    try:
        result = whatif.evaluate(model, values, start, df, index, base_row=base_row, scorer=scorer)
    except (ValueError, KeyError) as exc:
        st.error(f"The model cannot score these values ({escape_markdown(exc)}).")
        return
    _show(result, scorer.score(whatif.track_frame(start, base_row), df)[0], base_row)
    _write_link(base_row, values, start)
