"""core.progress: the one progress type and its helpers."""

from __future__ import annotations

import pytest

from core.progress import Progress, relabelled, reporter


def test_counted_progress_fraction_is_clamped_and_unknown_totals_read_zero():
    assert Progress("fit", 30, 120, "round").fraction == pytest.approx(0.25)
    assert Progress("fit", 130, 120, "round").fraction == 1.0
    assert Progress("download", 4096, None, "bytes").fraction == 0.0
    assert Progress("fit", 0, 0).fraction == 1.0  # nothing planned: done


def test_share_carries_fraction_and_message():
    p = Progress.share("recipe", 0.4, "fitting OLS")
    assert (p.phase, p.fraction, p.message, p.unit) == (
        "recipe",
        pytest.approx(0.4),
        "fitting OLS",
        "",
    )


def test_relabelled_forwards_under_a_new_phase_and_keeps_the_values():
    seen: list[Progress] = []
    forward = relabelled(seen.append, "cv")
    forward(Progress("fit", 3, 10, "round", "mae", 0.2, 0.25))
    assert seen == [Progress("cv", 3, 10, "round", "mae", 0.2, 0.25)]
    assert relabelled(None, "cv") is None


def test_reporter_never_returns_none():
    reporter(None)(Progress("x", 1, 2))  # does nothing, raises nothing
    seen: list[Progress] = []
    reporter(seen.append)(Progress("x", 1, 2))
    assert len(seen) == 1
