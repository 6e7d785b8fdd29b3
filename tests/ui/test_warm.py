"""ui.warm: what a visitor reads while a precomputed part is not ready."""

from __future__ import annotations

from core.warm import PartState
from ui.warm import describe, start_enabled


def test_waiting_line_says_step_elapsed_and_time_left():
    line = describe(PartState("building", "Fitting [x](http://e.vil)", 0.5, 12.0, 30.0), "SHAP")
    assert "12 s so far" in line and "about 30 s left" in line and "SHAP" in line
    assert "[x](http" not in line  # step text is escaped
    busy = describe(PartState("building", "Training", 0.05, 40.0, None, 2.0), "the model")
    assert "40 s so far" in busy and "longer than the usual 2 s" in busy
    queued = describe(PartState("queued", remaining_s=45.0, ahead=2), "the recipe")
    assert "after 2 steps already under way" in queued and "about 45 s left" in queued


def test_start_up_precomputing_switch(monkeypatch):
    monkeypatch.setenv("VALENCE_LAB_WARM", "off")
    assert not start_enabled()
    monkeypatch.setenv("VALENCE_LAB_WARM", "1")
    assert start_enabled()
