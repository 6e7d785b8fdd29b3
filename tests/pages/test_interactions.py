"""The Interactions tab of Why valence?: matrix, strongest pairs, one pair's plot."""

from __future__ import annotations

from tests.pages.helpers import app_test, texts


def test_interaction_matrix_and_a_pair():
    at = app_test("app_pages/why_valence.py", timeout=300)
    at.session_state["why_tab"] = "Interactions"
    at.session_state["why_inter_rows"] = 50
    at.run()
    assert not at.exception
    assert "exact TreeSHAP interaction values (XGBoost native) on 50 rows" in texts(at)
    pairs = next(d.value for d in at.dataframe if "strength" in d.value)
    assert len(pairs) == 5 and pairs["strength"].is_monotonic_decreasing
    top = pairs.iloc[0]
    assert at.selectbox(key="why_inter_a").value == top["a"]
    assert at.selectbox(key="why_inter_b").value == top["b"]
    matrix = next(c.proto for c in at.get("plotly_chart") if "why_inter_matrix" in c.proto.id)
    assert list(matrix.selection_mode) and '"name":"cells"' in matrix.spec  # a click picks a cell
    at.selectbox(key="why_inter_b").set_value(top["a"]).run()
    assert not at.exception
    assert f"Main effect of {top['a']}" in str(at.get("plotly_chart")[-1].proto.spec)


def test_rows_and_the_picked_cell_outlive_another_tab():
    at = app_test("app_pages/why_valence.py", timeout=300)
    at.session_state["why_tab"] = "Interactions"
    at.run()
    at.segmented_control(key="why_inter_rows").set_value(50).run()
    pairs = next(d.value for d in at.dataframe if "strength" in d.value)
    top = pairs.iloc[0]
    at.selectbox(key="why_inter_b").set_value(top["a"]).run()
    for tab in ("Drivers", "Interactions"):
        at.session_state["why_tab"] = tab
        at.run()
    assert not at.exception
    assert at.segmented_control(key="why_inter_rows").value == 50
    assert at.selectbox(key="why_inter_b").value == top["a"]
    assert at.query_params["why_inter_rows"] == "50"
