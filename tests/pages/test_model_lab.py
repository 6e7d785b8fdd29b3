import pytest
from streamlit.testing.v1 import AppTest

from core.modelling import models
from tests.conftest import ROOT, SAMPLE

PAGE = "app_pages/model_lab.py"


def _lab(query: dict | None = None) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    at.selectbox(key="dataset").set_value(SAMPLE)
    at.run()
    at.switch_page(PAGE)
    if query:
        at.query_params.update(query)
    at.run()
    assert not at.exception
    return at


def _finish(at: AppTest) -> None:
    if "lab_job" in at.session_state:
        entry = at.session_state["lab_job"]
        assert entry["job"].wait(120)
    at.run()
    assert not at.exception


def _board(at: AppTest) -> list:
    if "lab_leaderboard" not in at.session_state:
        return []
    return at.session_state["lab_leaderboard"]


def test_train_small_models_grows_the_leaderboard():
    at = _lab()
    assert "Broad genre group (10 groups)" in at.selectbox(key="lab_task").options  # HF genres
    at.selectbox(key="lab_model").set_value("rf").run()
    at.slider(key="lab_rf_n_estimators").set_value(20).run()
    at.button(key="lab_train").click().run()
    _finish(at)
    assert len(_board(at)) == 1
    assert {m.label for m in at.metric} >= {"MAE", "RMSE", "R²"}
    active = at.session_state["lab_active_model"]
    assert active.model_id == "rf" and active.params["n_estimators"] == 20
    assert at.session_state["lab_active_source"] == SAMPLE

    at.selectbox(key="lab_task").set_value("genre").run()
    at.selectbox(key="lab_model").set_value("linear").run()
    at.button(key="lab_train").click().run()
    _finish(at)
    assert len(_board(at)) == 2
    assert "Accuracy" in {m.label for m in at.metric}
    # the valence run is kept and one click away; the genre view ranks by accuracy
    picker = at.segmented_control(key="lab_board_task")
    assert picker.value == "genre" and set(picker.options) == {"genre (1)", "valence (1)"}
    board = next(d.value for d in at.dataframe if "run" in d.value)
    assert list(board.columns[:3]) == ["run", "model", "accuracy"]
    assert any(c.startswith("param: ") for c in board.columns) and "params" not in board
    at.segmented_control(key="lab_board_task").set_value("valence").run()
    board = next(d.value for d in at.dataframe if "run" in d.value)
    assert board["run"].tolist() == [1] and list(board.columns[2:5]) == ["mae", "rmse", "r2"]
    assert "Best run highlighted: #1" in " ".join(c.value for c in at.caption)
    assert any(d.label == "Download leaderboard (CSV)" for d in at.get("download_button"))


def test_stop_button_keeps_a_partial_model():
    at = _lab()
    at.selectbox(key="lab_model").set_value("mlp").run()
    at.select_slider(key="lab_mlp_hidden_layers").set_value("256-128").run()
    at.select_slider(key="lab_mlp_batch_size").set_value("64").run()
    at.slider(key="lab_mlp_max_epochs").set_value(300).run()
    at.slider(key="lab_mlp_patience").set_value(0).run()
    at.button(key="lab_train").click().run()
    assert not at.exception
    assert at.get("progress"), "progress must show while the model trains"
    at.button(key="lab_stop").click().run()
    _finish(at)
    row = _board(at)[-1]
    assert row["stopped"] is True
    warnings = " ".join(w.value for w in at.warning)
    assert "Stopped after" in warnings and "partial model" in warnings


def test_bad_url_params_fall_back_with_a_notice():
    at = _lab(
        {"lab_model": "xgboost", "lab_xgboost_max_depth": "0", "lab_xgboost_learning_rate": "0"}
    )
    notes = " ".join(w.value for w in at.warning)
    assert "Max depth" in notes and "Learning rate" in notes
    shipped = models.default_params("xgboost")["learning_rate"]
    assert at.select_slider(key="lab_xgboost_learning_rate").value == shipped
    assert not at.error


@pytest.mark.parametrize("model", ["xgboost", "knn"])
def test_reset_to_defaults(model):
    at = _lab()
    at.selectbox(key="lab_model").set_value(model).run()
    key = f"lab_{model}_max_depth" if model == "xgboost" else "lab_knn_weights"
    widget = at.slider(key=key) if model == "xgboost" else at.select_slider(key=key)
    default = widget.value
    widget.set_value(3 if model == "xgboost" else "distance").run()
    at.button(key="lab_reset").click().run()
    widget = at.slider(key=key) if model == "xgboost" else at.select_slider(key=key)
    assert widget.value == default and not at.exception


def test_auto_tune_puts_the_best_params_into_the_sliders():
    at = _lab()
    at.selectbox(key="lab_model").set_value("tree").run()
    at.select_slider(key="lab_tune_n").set_value(3).run()
    plan = " ".join(c.value for c in at.caption if "settings," in c.value)
    assert plan.startswith("3 settings, 5 fits (3 on"), plan  # said before it starts
    at.button(key="lab_tune").click().run()
    _finish(at)
    tuned = at.session_state["lab_tune_result"]
    done = " ".join(s.value for s in at.success)
    assert "tried 3 settings in 5 of 5 planned fits" in done, done  # the same numbers
    best = tuned["best_params"]
    assert at.slider(key="lab_tree_max_depth").value == best["max_depth"]
    assert at.select_slider(key="lab_tree_min_samples_leaf").value == best["min_samples_leaf"]
    assert any("Auto-tune" in s.value for s in at.success)


def test_engineered_inputs_and_what_the_dataset_lacks():
    at = _lab()
    at.selectbox(key="lab_features").set_value("engineered").run()
    assert not at.exception
    captions = " ".join(c.value for c in at.caption)
    assert "title length" in captions and "stacked TF-IDF text score" in captions
    info = " ".join(i.value for i in at.info)
    assert "multi-hot of every playlist subgenre" in info and "release month" in info
    assert at.selectbox(key="lab_target").options == [
        "None (learn valence as it is)",
        "Logit (learn log(v / (1 - v)), predictions mapped back to 0-1)",
    ]
    at.selectbox(key="lab_task").set_value("genre").run()
    assert at.selectbox(key="lab_target_off").disabled


def test_blend_trains_with_logit_target_and_lists_its_members():
    at = _lab()  # widgets, not query params: the page's share link rewrites those on a rerun
    at.selectbox(key="lab_model").set_value("blend").run()
    at.selectbox(key="lab_target").set_value("logit").run()
    at.slider(key="lab_blend_lightgbm_weight").set_value(0.6).run()
    at.slider(key="lab_blend_max_rounds").set_value(60).run()
    at.button(key="lab_train").click().run()
    assert at.session_state["lab_job"]["job"].wait(600)  # two boosters on 5,849 tracks
    _finish(at)
    row = _board(at)[-1]
    assert row["model"] == "blend" and row["target"] == "logit"
    captions = " ".join(c.value for c in at.caption)
    assert (
        "Blend of:" in captions and "lightgbm × 0.60" in captions and "catboost × 0.40" in captions
    )
    active = at.session_state["lab_active_model"]
    assert active.target_transform == "logit" and active.estimator.members == [
        "lightgbm",
        "catboost",
    ]


def test_catboost_trains_on_the_page_and_draws_its_curve():
    at = _lab()
    at.selectbox(key="lab_model").set_value("catboost").run()
    at.slider(key="lab_catboost_n_estimators").set_value(100).run()
    at.button(key="lab_train").click().run()
    _finish(at)  # a quick fit may already be recorded in the click's own run
    assert not at.exception
    assert _board(at)[-1]["model"] == "catboost"
    active = at.session_state["lab_active_model"]
    assert type(active.estimator).__name__ == "CatBoostRegressor"


def test_training_logs_no_widget_state_warning():
    """The leaderboard's task picker follows the page without Streamlit's state warning."""
    import logging

    seen: list[str] = []

    class Grab(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(record.getMessage())

    policies = logging.getLogger("streamlit.elements.lib.policies")
    grab = Grab(level=logging.WARNING)
    policies.addHandler(grab)
    try:
        at = _lab()
        at.selectbox(key="lab_model").set_value("linear").run()
        at.button(key="lab_train").click().run()
        _finish(at)
        at.selectbox(key="lab_task").set_value("genre").run()
        at.button(key="lab_train").click().run()
        _finish(at)
    finally:
        policies.removeHandler(grab)
    assert len(_board(at)) == 2
    assert at.segmented_control(key="lab_board_task").value == "genre"
    assert not [m for m in seen if "lab_board_task" in m], seen


def test_only_the_open_result_tab_is_built_and_every_tab_opens():
    # every rerun of the lab re-sent every tab's charts and the browser drew them all, hidden
    at = _lab()
    assert at.selectbox(key="lab_model").value == "xgboost"
    at.button(key="lab_train").click().run()
    _finish(at)

    def shown() -> tuple[set[str], set[str]]:
        charts = {k for c in at.get("plotly_chart") for k in _RESULT_CHARTS if k in c.proto.id}
        return charts, {d.label for d in at.get("download_button")}

    charts, downloads = shown()
    assert charts == {"lab_curve"} and "Model (skops)" not in downloads
    at.session_state["lab_result_tab"] = "Predictions"
    at.run()
    assert not at.exception and shown()[0] == {"lab_pva", "lab_resid"}
    at.session_state["lab_result_tab"] = "Errors by genre"
    at.run()
    table = next(d.value for d in at.dataframe if "mean_valence" in d.value)
    assert set(table["group"]) <= set(at.session_state["lab_result"]["result"].predictions.genre)
    at.session_state["lab_result_tab"] = "Importances"
    at.run()
    assert shown()[0] == {"lab_importances"}
    at.session_state["lab_result_tab"] = "Download"
    at.run()
    charts, downloads = shown()
    assert not charts and {"Model (skops)", "Model card (JSON)"} <= downloads
    assert len(_board(at)) == 1  # opening tabs trains nothing


_RESULT_CHARTS = ("lab_curve", "lab_pva", "lab_resid", "lab_importances")
