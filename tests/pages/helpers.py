"""Shared AppTest helpers for page tests."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from streamlit.testing.v1 import AppTest

from tests.conftest import ROOT


def app_test(
    page: str | None = None,
    timeout: float = 120,
    *,
    query: dict | None = None,
    state: dict | None = None,
    upload: Any = None,
    dataset: str | None = None,
) -> AppTest:
    """A fresh AppTest of app.py, run once (and switched to ``page`` if given).

    Before the first run: ``query``, the link's parameters; ``state``, session state;
    ``upload``, a ``Catalog`` the session has uploaded and works on. After it: ``dataset``, a
    source picked in the sidebar.
    """
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=timeout)
    at.query_params.update(query or {})
    for key, value in (state or {}).items():
        at.session_state[key] = value
    if upload is not None:
        at.session_state["upload_catalog"] = upload
        at.session_state["dataset"] = upload.source_id
    at.run()
    if dataset is not None:
        at.selectbox(key="dataset").set_value(dataset).run()
    if page is not None:
        at.switch_page(page)
        at.run()
    return at


def upload_file(at: AppTest, name: str, payload: bytes) -> AppTest:
    """Upload ``payload`` as the CSV ``name`` in the sidebar; the app must not raise."""
    at.file_uploader(key="upload_file").set_value((name, payload, "text/csv")).run()
    assert not at.exception
    return at


def train(at: AppTest) -> None:
    """Press the Model lab's Train and wait for its background job; the app must not raise."""
    at.button(key="lab_train").click().run()
    if "lab_job" in at.session_state:
        assert at.session_state["lab_job"]["job"].wait(180)
    at.run()
    assert not at.exception


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
