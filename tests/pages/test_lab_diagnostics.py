"""Model lab diagnostics through AppTest: a genre run shows ROC/PR/calibration and cell examples."""

from __future__ import annotations

from core.modelling import diagnostics
from tests.conftest import SAMPLE
from tests.pages.helpers import app_test, train

PAGE = "app_pages/model_lab.py"


def test_a_genre_run_shows_its_diagnostics_and_confusion_cells():
    at = app_test(PAGE, 180, dataset=SAMPLE)
    at.selectbox(key="lab_task").set_value("genre").run()
    at.selectbox(key="lab_model").set_value("linear").run()
    train(at)
    at.session_state["lab_result_tab"] = "Predictions"  # the diagnostics' tab
    at.run()
    result = at.session_state["lab_result"]["result"]
    metrics = {m.label: m.value for m in at.metric}
    _, roc = diagnostics.roc_curves(result.predictions["actual"], result.proba)
    assert metrics["Macro ROC AUC (one-vs-rest)"] == f"{roc['auc'].mean():.3f}"
    assert 0.6 < roc["auc"].mean() <= 1.0  # six genres from audio: far better than chance
    ece = diagnostics.calibration(result.predictions["actual"], result.proba)[1]
    assert metrics["Expected calibration error"] == f"{ece:.3f}"
    worst = diagnostics.most_confused(result.predictions)
    chart = next(c.proto for c in at.get("plotly_chart") if "lab_confusion" in c.proto.id)
    assert list(chart.selection_mode) and '"name":"cells"' in chart.spec  # a click picks a cell
    assert at.selectbox(key="lab_cell_actual").value == worst[0]
    assert at.selectbox(key="lab_cell_pred").value == worst[1]
    cell = next(d.value for d in at.dataframe if "p_predicted" in d.value)
    assert (cell["actual"] == worst[0]).all() and (cell["predicted"] == worst[1]).all()
    assert cell["p_predicted"].is_monotonic_decreasing
    at.selectbox(key="lab_cell_pred").set_value(worst[0]).run()  # the diagonal: right answers
    assert not at.exception
    cell = next(d.value for d in at.dataframe if "p_predicted" in d.value)
    assert (cell["predicted"] == worst[0]).all()
    for tab in ("Importances", "Predictions"):  # away and back: the pick is still there
        at.session_state["lab_result_tab"] = tab
        at.run()
    assert not at.exception
    assert at.selectbox(key="lab_cell_pred").value == worst[0]
