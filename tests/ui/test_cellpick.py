"""ui.cellpick: a click sets both pickers once; a later pick is not undone; kept while hidden."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

OPTIONS = ["pop", "rock", "rap"]


def _script() -> None:
    import streamlit as st

    from ui import cellpick

    options = ["pop", "rock", "rap"]
    keys = ("t_row", "t_col")
    if not st.session_state.get("shown", True):  # in a tab that is not open: nothing drawn
        return
    # AppTest cannot click a Plotly chart: the click arrives as the cell picked_cell returned
    cellpick.apply_click(st.session_state.get("fake_click"), keys, "t_seen")
    cellpick.seed(
        keys, (options, options), st.session_state.get("default", ("pop", "rock")), "t_seen"
    )
    st.selectbox("row", options, key="t_row")
    st.selectbox("column", options, key="t_col")


def _values(at: AppTest) -> tuple[str, str]:
    return at.selectbox(key="t_row").value, at.selectbox(key="t_col").value


def test_default_then_click_then_a_pick_that_the_stale_click_does_not_undo():
    at = AppTest.from_function(_script)
    at.run()
    assert not at.exception and not at.warning  # no "default value and Session State" warning
    assert _values(at) == ("pop", "rock")
    at.session_state["fake_click"] = ("rap", "pop")
    at.run()
    assert _values(at) == ("rap", "pop")
    at.selectbox(key="t_col").set_value("rap").run()  # the chart still reports the old click
    assert _values(at) == ("rap", "rap")
    at.session_state["fake_click"] = None  # a second click on the same cell deselects it
    at.run()
    assert _values(at) == ("rap", "rap")
    at.session_state["fake_click"] = ("rap", "pop")  # clicked again: applied again
    at.run()
    assert _values(at) == ("rap", "pop")
    assert not at.exception and not at.warning


def test_a_new_default_cell_resets_the_pickers():
    at = AppTest.from_function(_script)
    at.run()
    at.selectbox(key="t_row").set_value("rock").run()
    at.run()
    assert _values(at) == ("rock", "rock")  # the user's pick survives reruns
    at.session_state["default"] = ("rap", "pop")  # a new run or matrix
    at.run()
    assert _values(at) == ("rap", "pop")


def test_a_pick_survives_the_pickers_being_hidden_for_a_run():
    # in a lazy tab, the pickers are not drawn while another tab is open, and Streamlit drops
    # their state: returning to the tab showed the default cell again, not the user's pick
    at = AppTest.from_function(_script)
    at.run()
    at.selectbox(key="t_row").set_value("rap").run()
    at.session_state["shown"] = False
    at.run()
    at.run()
    at.session_state["shown"] = True
    at.run()
    assert _values(at) == ("rap", "rock")
    at.session_state["default"] = ("rock", "rap")  # a new run still resets them
    at.run()
    assert _values(at) == ("rock", "rap")
    assert not at.exception and not at.warning
