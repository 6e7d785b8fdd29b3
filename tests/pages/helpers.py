"""Shared AppTest helpers for page tests."""

from __future__ import annotations

from collections.abc import Iterator

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def app_test(page: str | None = None, timeout: float = 120) -> AppTest:
    """A fresh AppTest of app.py, run once (and switched to ``page`` if given)."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def render_explore_tab(at: AppTest, tab: str) -> None:
    """Show Explore's ``tab``; it must not raise, and draws a chart unless it is the table."""
    at.session_state["exp_tab"] = tab
    at.run()
    assert not at.exception
    if tab != "Table":
        assert len(at.get("plotly_chart")) >= 1


def each_distribution_kind(at: AppTest) -> Iterator[str]:
    """Explore's Distributions tab drawn as a box, a violin and a histogram (none raises)."""
    at.session_state["exp_tab"] = "Distributions"
    at.run()
    for kind in ("Box", "Violin", "Histogram"):
        at.button_group(key="exp_dist_kind").set_value(kind).run()
        assert not at.exception, kind
        yield kind


def texts(at: AppTest) -> str:
    """Everything a user would read in messages and captions, as one string."""
    parts = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown"):
        parts += [str(e.value) for e in at.get(kind)]
    return "\n".join(parts)
