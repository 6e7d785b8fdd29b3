"""Shared AppTest helpers for page tests."""

from __future__ import annotations

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


def texts(at: AppTest) -> str:
    """Everything a user would read in messages and captions, as one string."""
    parts = []
    for kind in ("error", "warning", "info", "success", "caption", "markdown"):
        parts += [str(e.value) for e in at.get(kind)]
    return "\n".join(parts)
