"""Model lab UI helpers: the background job, its live panel, the leaderboard.

Per-user state lives in ``st.session_state`` under ``lab_*`` keys; ``core`` does the work.
Hyperparameter and other input widgets are in ``ui.lab_inputs``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import streamlit as st

from core.charts import models as charts
from core.eta import format_seconds, time_left
from core.jobs import Job
from core.modelling import export, metrics
from core.modelling.experiment import RunResult
from core.modelling.leaderboard import (
    best_run,
    board_tasks,
    describe_plan,
    leaderboard_frame,
    tune_plan,
)
from core.safety import escape_markdown
from ui import keys
from ui.lab_compare import remember
from ui.progress import describe
from ui.widgets import csv_download

JOB_KEY = keys.LAB_JOB
BOARD_KEY = keys.LAB_LEADERBOARD
RESULT_KEY = keys.LAB_RESULT
PENDING_KEY = keys.LAB_PENDING_PARAMS
TUNE_KEY = keys.LAB_TUNE_RESULT


def session_liveness() -> Callable[[], bool] | None:
    """A check that this browser session is still connected (None outside a real server).

    Streamlit marks a session inactive as soon as its websocket closes (tab closed, browser
    gone); a reconnect within the job's grace period keeps the job running.
    """
    from streamlit import runtime
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    if ctx is None or not runtime.exists():
        return None
    instance, session_id = runtime.get_instance(), ctx.session_id
    return lambda: instance.is_active_session(session_id)


def start_job(work: Any, label: str, kind: str, meta: dict[str, Any]) -> Job:
    """Start a background job and remember it (with what it was for) in the session.

    At most one job runs per session: while one runs, it is returned instead of a new one. The
    job stops by itself once the session has been gone for a few seconds.
    """
    entry = st.session_state.get(JOB_KEY)
    if entry is not None and entry["job"].running:
        return entry["job"]
    job = Job(work, label, alive=session_liveness()).start()
    st.session_state[JOB_KEY] = {"job": job, "kind": kind, "meta": meta}
    return job


def stop_job() -> None:
    """Stop button callback."""
    entry = st.session_state.get(JOB_KEY)
    if entry is not None:
        entry["job"].stop()


@st.fragment(run_every=0.5)
def live_panel() -> None:
    """Progress, live curve and Stop button of the running job; reruns the page when it ends."""
    entry = st.session_state.get(JOB_KEY)
    if entry is None:
        return
    job: Job = entry["job"]
    if not job.running:
        st.rerun()
    latest, points = job.snapshot()
    frac = latest.fraction if latest else 0.0
    text = describe(latest)
    left = time_left(frac, job.elapsed)
    clock = f"{job.elapsed:.1f} s" + (f", about {format_seconds(left)} left" if left else "")
    st.progress(frac, text=f"{entry['meta'].get('label', '')} — {text} · {clock}")
    curve = [p for p in points if p.phase == "fit"]
    if curve and entry["kind"] == "train":
        hist = pd.DataFrame(
            {
                "step": [p.step for p in curve],
                "train": [p.train for p in curve],
                "validation": [p.validation for p in curve],
            }
        )
        st.plotly_chart(
            charts.plot_learning_curve(hist, curve[-1].metric, curve[-1].unit), key="lab_live_curve"
        )
    st.button(
        "Stop",
        key="lab_stop",
        on_click=stop_job,
        disabled=job.stop_requested,
        icon=":material/stop_circle:",
    )
    if job.stop_requested:
        st.caption("Stopping after the current step…")


def follow_job() -> None:
    """Show the running job live; when it has finished, record its run or its tuning result."""
    entry = st.session_state.get(JOB_KEY)
    if entry is None:
        return
    job = entry["job"]
    job.wait(0.5)  # quick jobs finish before the first paint
    if job.running:
        live_panel()
        return
    st.session_state.pop(JOB_KEY)
    if job.error:
        st.error(f"Training failed: {escape_markdown(job.error, None)}")
    elif entry["kind"] == "train":
        record_run(job.result, entry["meta"]["source"], job.elapsed)
    else:
        st.session_state[TUNE_KEY] = {
            **job.result,
            "meta": entry["meta"],
            "stopped": job.stop_requested,
        }
        st.session_state[PENDING_KEY] = job.result["best_params"]
        st.rerun()


def tune_summary(model_id: str) -> None:
    """The latest auto-tune of this model: what it tried and that the sliders hold the best."""
    tuned = st.session_state.get(TUNE_KEY)
    if tuned is None or tuned["meta"]["model_id"] != model_id:
        return
    score = tuned["best_score"]
    st.success(
        f"Auto-tune {'(stopped early) ' if tuned['stopped'] else ''}tried "
        f"{tuned.get('n_settings', 0)} settings in {tuned.get('n_fits', 0)} of "
        f"{tuned.get('planned_fits', 0)} planned fits; best validation {tuned['metric']} "
        + (f"{score:.4f}" if score is not None else "n/a")
        + ". The sliders now hold the best values: press Train to evaluate them on the "
        "test split."
    )
    with st.expander("Auto-tune trials"):
        st.dataframe(tuned["trials"], hide_index=True)


def record_run(result: RunResult, source_id: str, seconds: float) -> dict[str, Any]:
    """Add a finished run to the leaderboard; store its model for the other pages."""
    board = st.session_state.setdefault(BOARD_KEY, [])
    cfg = result.config
    row: dict[str, Any] = {
        "run": len(board) + 1,
        "model": cfg.model_id,
        "task": cfg.task,
        "features": cfg.feature_set,
        "target": cfg.target,
        "split": cfg.split,
        "params": json.dumps(result.model.params),
        **{k: round(v, 4) for k, v in result.metrics.items()},
        "fit_s": round(result.fit.fit_seconds, 2),
        "wall_s": round(seconds, 2),
        "steps": f"{result.fit.steps_done}/{result.fit.steps_planned} {result.fit.unit}",
        "stopped": result.stopped,
        "source": source_id,
        "time": time.strftime("%H:%M:%S"),
    }
    if result.cv:
        metric = metrics.primary_metric(not result.model.is_classifier)
        row[f"cv_{metric}"] = f"{result.cv[metric]:.4f} ± {result.cv[metric + '_sd']:.4f}"
    if result.comparison:
        metric = metrics.primary_metric(not result.model.is_classifier)
        row[f"grouped_{metric}"] = round(result.comparison[metric], 4)
    board.append(row)
    remember(row["run"], result)  # a summary for "Compare runs"
    card = export.model_card(
        result.model, {"source": source_id, "split": cfg.split, "seed": cfg.seed, "run": row["run"]}
    )
    st.session_state[RESULT_KEY] = {
        "result": result,
        "card": card,
        "run": row["run"],
        "model_bytes": export.dump_model(result.model),
    }
    st.session_state[keys.ACTIVE_MODEL] = result.model
    st.session_state[keys.ACTIVE_SOURCE] = source_id
    return row


def leaderboard(task: str) -> None:
    """Every task's runs are kept; one task at a time, best first and highlighted, sortable."""
    runs = st.session_state.get(BOARD_KEY, [])
    if not runs:
        st.caption("No runs yet: train a model and it appears here.")
        return
    done = board_tasks(runs)
    options = list(dict.fromkeys([task, *done]))
    if st.session_state.get(keys.LAB_BOARD_FOR) != task:  # the view follows the page's task
        st.session_state[keys.LAB_BOARD_FOR] = task
        st.session_state[keys.LAB_BOARD_TASK] = task
    shown = st.segmented_control(
        "Runs of task",
        options,
        # a default beside a value set through session state makes Streamlit log a warning
        default=None if keys.LAB_BOARD_TASK in st.session_state else task,
        key=keys.LAB_BOARD_TASK,
        format_func=lambda t: f"{t} ({sum(r['task'] == t for r in runs)})",
    )
    frame, metric = leaderboard_frame(runs, shown or task)
    if frame.empty:
        st.caption(f"No runs for {shown or task} yet; runs of other tasks are kept above.")
        return
    best = best_run(frame, metric)
    styled = frame.style.apply(
        lambda row: [
            "background-color: rgba(29, 185, 84, 0.18)" if row["run"] == best else "" for _ in row
        ],
        axis=1,
    )
    formats = {c: "{:.4f}" for c in frame if c in metrics.LABELS}
    st.dataframe(
        styled.format(formats, na_rep=""),
        hide_index=True,
        width="stretch",
        column_config={
            metric: st.column_config.NumberColumn(
                f"{metrics.LABELS.get(metric, metric)} (ranked by)", format="%.4f"
            )
        },
    )
    st.caption(
        f"Best run highlighted: #{best}, ranked by {metrics.LABELS.get(metric, metric)} "
        f"({'lower' if metric in metrics.LOWER_IS_BETTER else 'higher'} is better). "
        "Click a column header to sort; parameters are the `param:` columns."
    )
    name = f"valence_lab_leaderboard_{shown or task}.csv"
    csv_download("Download leaderboard (CSV)", frame, name, key="lab_board_csv")


def tune_estimate(model_id: str, task: str, n_settings: int, n_rows: int) -> str:
    """What an auto-tune will do, and how long it should take at this session's last fit speed."""
    runs = [
        r
        for r in st.session_state.get(BOARD_KEY, [])
        if r["model"] == model_id and r["task"] == task and not r.get("stopped")
    ]
    per_fit = float(runs[-1]["fit_s"]) if runs else None
    plan = tune_plan(n_settings, int(n_rows * 0.64))  # the fit part of the training part
    text = describe_plan(plan, per_fit)
    if per_fit is None:
        text += " · train once for a time estimate"
    return text
