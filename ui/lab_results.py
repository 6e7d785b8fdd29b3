"""Model lab: render a finished run (metrics, leaky-vs-honest, CV, plots, tables, downloads)."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import streamlit as st

from core.charts import models as charts
from core.modelling import export, metrics
from core.modelling.experiment import RunResult
from ui import keys, lab_diagnostics

RESULT_TABS = ["Learning curve", "Predictions", "Errors by genre", "Importances", "Download"]


def _metric_row(
    values: dict[str, float], names: tuple[str, ...], other: dict | None = None
) -> None:
    cols = st.columns(len(names))
    for col, name in zip(cols, names, strict=True):
        if name in values:
            delta = None
            if other is not None and name in other:
                delta = f"{values[name] - other[name]:+.4f} vs grouped"
            col.metric(metrics.LABELS[name], f"{values[name]:.4f}", delta=delta, delta_color="off")


def show_result(entry: dict[str, Any]) -> None:
    """Everything about the latest run."""
    result: RunResult = entry["result"]
    cfg, fit, model = result.config, result.fit, result.model
    regression = not model.is_classifier
    names = metrics.REGRESSION_METRICS if regression else metrics.CLASSIFICATION_METRICS
    st.subheader(f"Run {entry['run']}: {entry['card']['label']} on {cfg.task}")
    if result.stopped:
        st.warning(
            f"Stopped after {fit.steps_done} of {fit.steps_planned} {fit.unit}s; the "
            "partial model was kept and scored below."
        )
    st.caption(
        f"{result.n_train:,} training tracks ({fit.n_validation:,} of them held out for "
        f"the validation curve) · {result.n_test:,} test tracks · split: {cfg.split} · "
        f"fit {fit.fit_seconds:.2f} s"
        + (f" · best {fit.unit} {fit.best_step}" if fit.best_step else "")
    )
    members = entry["card"].get("members")
    if members:
        st.caption(
            "**Blend of:** "
            + "; ".join(
                f"{m['member']} × {m['weight']:.2f} on {m['n_inputs']} inputs "
                f"({', '.join(m['inputs'])})"
                for m in members
            )
        )
    if model.target_transform != "none":
        st.caption(
            f"Target transform: {model.target_transform} (the model learned "
            "log(v / (1 - v)); metrics are on the valence scale)."
        )
    _metric_row(result.metrics, names, result.comparison)
    if result.comparison is not None:
        st.info(
            "**Naive random split vs honest grouped split** (same model and params): the "
            "random split lets an artist's songs sit on both sides, which flatters the score."
        )
        table = pd.DataFrame(
            {"naive random split": result.metrics, "grouped by artist": result.comparison}
        ).loc[list(names)]
        st.dataframe(table.style.format("{:.4f}"), width="stretch")
    if result.cv:
        st.markdown(f"**{len(result.fold_metrics)}-fold {cfg.split} cross-validation** (mean ± sd)")
        st.dataframe(
            pd.DataFrame(
                {
                    metrics.LABELS[n]: [f"{result.cv[n]:.4f} ± {result.cv[n + '_sd']:.4f}"]
                    for n in names
                    if n in result.cv
                }
            ),
            hide_index=True,
        )
    tabs = st.tabs(RESULT_TABS, key=keys.LAB_RESULT_TAB, on_change="rerun")
    renderers = (_curve, _predictions, _errors, _importances, _downloads)
    for tab, render in zip(tabs, renderers, strict=True):
        if tab.open is not False:  # only the open tab's charts are built and sent
            with tab:
                render(entry)


def _curve(entry: dict[str, Any]) -> None:
    result: RunResult = entry["result"]
    fit, regression = result.fit, not result.model.is_classifier
    names = metrics.REGRESSION_METRICS if regression else metrics.CLASSIFICATION_METRICS
    if len(fit.history) > 1:
        st.plotly_chart(
            charts.plot_learning_curve(
                fit.history, names[0] if regression else "accuracy", fit.unit
            ),
            key="lab_curve",
        )
    else:
        st.caption("This model is fitted in one step; there is no curve to show.")


def _errors(entry: dict[str, Any]) -> None:
    result: RunResult = entry["result"]
    pred, regression = result.predictions, not result.model.is_classifier
    if regression and "genre" in pred:
        st.dataframe(
            metrics.per_group_regression(pred["actual"], pred["predicted"], pred["genre"]),
            hide_index=True,
        )
    elif not regression:
        st.dataframe(metrics.per_class_table(pred["actual"], pred["predicted"]), hide_index=True)
    else:
        st.caption("This dataset has no genre column.")


def _importances(entry: dict[str, Any]) -> None:
    result: RunResult = entry["result"]
    if result.importances is not None and len(result.importances):
        st.plotly_chart(charts.plot_importances(result.importances), key="lab_importances")
        st.caption(
            "Permutation: how much the test score drops when a column is shuffled "
            "(2,000 test tracks, 3 repeats). Impurity: the model's own split gains."
        )
    elif result.stopped:
        st.caption("No importances: the run was stopped before they were computed.")


def _predictions(entry: dict[str, Any]) -> None:
    result: RunResult = entry["result"]
    regression = not result.model.is_classifier
    pred = result.predictions
    if pred.empty:
        st.caption("No test rows.")
        return
    if regression:
        c1, c2 = st.columns(2)
        c1.plotly_chart(charts.plot_predicted_vs_actual(pred), key="lab_pva")
        c2.plotly_chart(charts.plot_residuals(pred), key="lab_resid")
        return
    cm = metrics.confusion_frame(pred["actual"], pred["predicted"])
    lab_diagnostics.confusion_chart(charts.plot_confusion(cm), cm)
    st.caption(
        "Rows are normalised (each actual class sums to 1); classes the model confuses "
        "are placed next to each other. Click a cell to list its tracks below."
    )
    lab_diagnostics.render(result)


def _downloads(entry: dict[str, Any]) -> None:
    card = entry["card"]
    run = entry["run"]
    c1, c2, c3 = st.columns(3)
    c1.download_button(
        "Model (skops)",
        entry["model_bytes"],
        file_name=f"valence_lab_run{run}.skops",
        mime="application/octet-stream",
        key="lab_dl_model",
    )
    c2.download_button(
        "Model card (JSON)",
        json.dumps(card, indent=2, default=str),
        file_name=f"valence_lab_run{run}_card.json",
        mime="application/json",
        key="lab_dl_card",
    )
    c3.download_button(
        "Model card (Markdown)",
        export.model_card_markdown(card),
        file_name=f"valence_lab_run{run}_card.md",
        mime="text/markdown",
        key="lab_dl_card_md",
    )
    st.caption(
        "skops files load without pickle: `python -m core predict --data tracks.csv "
        "--model-file model.skops` (only trusted types are accepted)."
    )
