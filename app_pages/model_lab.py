"""Model lab: train and tune models that predict valence and genre, watch them learn, compare."""

import streamlit as st

from core.modelling import features, models, splits, tasks
from core.modelling.experiment import RunConfig, run_experiment
from core.modelling.params import ParamError
from core.modelling.tuning import auto_tune
from core.safety import escape_markdown
from ui import lab, lab_inputs
from ui.catalog import require_catalog
from ui.lab_compare import render as compare_runs
from ui.lab_results import show_result
from ui.widgets import choose

st.title("Model lab")
st.caption(
    "How well can valence (and genre) be predicted from audio features, and by what? "
    "Splits are grouped by artist so no artist is on both sides."
)
catalog = require_catalog()
df = catalog.df

task_options = tasks.available_tasks(df)
c1, c2, c3 = st.columns(3)
linked = {"bind": "query-params"}
task = choose(c1.selectbox, "Task", tasks.TASKS, options=task_options, key="lab_task", **linked)
regression = tasks.is_regression(task)
model_labels = {m: spec.label for m, spec in models.REGISTRY.items()}
model_id = choose(c2.selectbox, "Model", model_labels, key="lab_model", **linked)
feature_set = choose(c3.selectbox, "Features", features.FEATURE_SETS, key="lab_features", **linked)
c4, c5, c6, c7 = st.columns(4)
split = choose(c4.selectbox, "Split", splits.SPLITS, key="lab_split", **linked)
folds = c5.select_slider(
    "Cross-validation folds (0 = holdout only)", [0, 3, 5, 10], key="lab_folds", bind="query-params"
)
seed = int(c6.number_input("Seed", 0, 10_000, 0, key="lab_seed", bind="query-params"))
target = lab_inputs.target_select(c7, regression)

spec = models.get_spec(model_id)
space = spec.params_for(regression)
lab_inputs.apply_pending(model_id, space)
lab_inputs.show_inputs(df, feature_set, task, features.input_columns(df, feature_set, task))
if spec.note:
    st.caption(spec.note)
link_notes = lab_inputs.url_notices(model_id, space)
if link_notes:  # one notice for a link with many bad values
    st.warning("  \n".join(link_notes))

params: dict = {}
with st.expander(f"Hyperparameters of {spec.label}", expanded=bool(space)):
    if space:
        params = lab_inputs.param_widgets(model_id, space)
        st.button(
            "Reset to defaults",
            key="lab_reset",
            on_click=lab_inputs.reset_params,
            args=(model_id, space),
            icon=":material/restart_alt:",
        )
    else:
        st.caption("This baseline has no hyperparameters.")

problem = None
try:
    params = models.check_params(model_id, regression, params)
except ParamError as exc:
    problem = exc.problems
    st.error(
        "These hyperparameters cannot be used: "
        + "; ".join(escape_markdown(p, None) for p in exc.problems)
    )

small_classes = tasks.class_size_problem(df, task, split, int(folds))
if small_classes:  # caught before training: a class on one side of the split breaks models
    st.error(escape_markdown(small_classes, None))
entry = st.session_state.get(lab.JOB_KEY)
busy = entry is not None and entry["job"].running
b1, b2, b3 = st.columns([1, 1, 2])
train = b1.button(
    "Train",
    key="lab_train",
    type="primary",
    disabled=busy or problem is not None or bool(small_classes),
    icon=":material/model_training:",
)
n_trials = b3.select_slider(
    "Auto-tune: settings to try", [3, 6, 9, 18, 27], value=9, key="lab_tune_n"
)
b3.caption(lab.tune_estimate(model_id, task, int(n_trials), len(df)))
tune = b2.button(
    "Auto-tune",
    key="lab_tune",
    disabled=busy or not space or bool(small_classes),
    help="Random search with successive halving on the training part only; the best "
    "values go back into the sliders.",
)

if train:
    config = RunConfig(
        task, model_id, params, feature_set, split, folds=int(folds), seed=seed, target=target
    )
    lab.start_job(
        lambda on_progress, should_stop: run_experiment(df, config, on_progress, should_stop),
        f"train-{model_id}",
        "train",
        {"label": f"Training {spec.label}", "source": catalog.source_id},
    )
elif tune:
    lab.start_job(
        lambda on_progress, should_stop: auto_tune(
            df,
            task,
            model_id,
            feature_set,
            int(n_trials),
            seed,
            on_progress=on_progress,
            should_stop=should_stop,
            target_transform=target,
        ),
        f"tune-{model_id}",
        "tune",
        {"label": f"Auto-tuning {spec.label}", "model_id": model_id, "task": task},
    )

lab.follow_job()
lab.tune_summary(model_id)

result_entry = st.session_state.get(lab.RESULT_KEY)
if result_entry is not None:
    show_result(result_entry)
    if result_entry["result"].config.task == task:
        st.caption("This model is now used by the other pages for this dataset and task.")

st.subheader("Leaderboard (this session)")
lab.leaderboard(task)
st.subheader("Compare runs")
compare_runs(task)
