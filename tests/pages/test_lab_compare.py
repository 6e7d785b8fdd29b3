"""Model lab "Compare runs" through AppTest: two runs, their settings diff and overlays."""

from __future__ import annotations

from tests.conftest import SAMPLE
from tests.pages.helpers import app_test, train

PAGE = "app_pages/model_lab.py"


def test_two_runs_are_compared():
    at = app_test(PAGE, 180, dataset=SAMPLE)
    at.selectbox(key="lab_model").set_value("tree").run()
    train(at)
    assert "Train at least two models" in " ".join(c.value for c in at.caption)
    at.slider(key="lab_tree_max_depth").set_value(3).run()
    at.select_slider(key="lab_folds").set_value(3).run()
    train(at)
    assert not at.exception
    picked = at.multiselect(key="lab_compare_runs").value
    assert picked == ["run 1: tree", "run 2: tree"]
    diff = next(d.value for d in at.dataframe if "setting" in d.value)
    assert set(diff["setting"]) == {"folds", "param: max_depth"}
    assert diff.set_index("setting").loc["param: max_depth", "run 2: tree"] == "3"
    keys = [c.proto.id for c in at.get("plotly_chart")]
    # metric and predicted vs actual; a tree is fitted in one step: a note, not an empty chart
    assert sum("lab_cmp" in k for k in keys) == 2
    assert "No learning curves" in " ".join(c.value for c in at.caption)
    at.multiselect(key="lab_compare_runs").set_value(["run 1: tree"]).run()
    assert "Pick two or more runs." in " ".join(i.value for i in at.info)
