"""Model lab: "Compare runs", the session's runs of one task side by side.

Each finished run is summarised by ``core.modelling.compare.summarise_run`` (``remember``);
this module lets the user pick runs and draws the comparison.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from core.charts import compare as charts
from core.modelling import compare, metrics
from core.modelling.experiment import RunResult

SUMMARY_KEY = "lab_run_summaries"
MAX_KEPT = 30


def remember(run: int, result: RunResult) -> None:
    """Keep a finished run's summary for comparison (the oldest go past ``MAX_KEPT``)."""
    store = st.session_state.setdefault(SUMMARY_KEY, {})
    store[run] = compare.summarise_run(run, result)
    for old in sorted(store)[:-MAX_KEPT]:
        del store[old]


def render(task: str) -> None:
    """Pick runs of ``task`` from this session and compare them."""
    runs = [r for _, r in sorted(st.session_state.get(SUMMARY_KEY, {}).items()) if r.task == task]
    if len(runs) < 2:
        st.caption("Train at least two models for this task to compare them here.")
        return
    labels = {r.label: r for r in runs}
    picked = st.multiselect(
        "Runs to compare",
        list(labels),
        default=list(labels)[-2:],
        key="lab_compare_runs",
        max_selections=6,
    )
    chosen = [labels[p] for p in picked if p in labels]
    if len(chosen) < 2:
        st.info("Pick two or more runs.")
        return
    regression = not chosen[0].classifier
    metric = metrics.primary_metric(regression)
    label = metrics.LABELS.get(metric, metric)
    diff = compare.settings_diff(chosen)
    st.markdown("**What differs between their settings**")
    if diff.empty:
        st.caption("Nothing: these runs were set up identically (differences are chance).")
    else:
        st.dataframe(diff, hide_index=True, width="stretch")
    left, right = st.columns(2)
    table = compare.metric_table(chosen, metric)
    left.plotly_chart(charts.plot_metric(table, label), width="stretch", key="lab_cmp_metric")
    _curves(right, chosen, label)
    if table["folds"].eq(0).any():
        left.caption(
            "Runs without k-fold CV show their test score only; set folds to get error bars."
        )
    if regression:
        st.plotly_chart(charts.plot_predictions(chosen), width="stretch", key="lab_cmp_pva")
    else:
        recall = compare.per_class_recall(chosen)
        st.plotly_chart(
            charts.plot_class_recall(recall, chosen), width="stretch", key="lab_cmp_recall"
        )


def _curves(container: Any, chosen: list[compare.RunSummary], label: str) -> None:
    """The runs' learning curves, or a note when none was fitted step by step (an empty chart)."""
    stepped = [r.label for r in chosen if len(r.history) > 1]
    if not stepped:
        container.caption(
            "No learning curves: these models are fitted in one step. Boosted trees, forests "
            "and the neural network draw one."
        )
        return
    container.plotly_chart(charts.plot_curves(chosen, label), width="stretch", key="lab_cmp_curves")
