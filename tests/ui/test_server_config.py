"""The server's Streamlit options that the app's speed and safety rely on."""

from __future__ import annotations

import tomllib

from tests.conftest import ROOT


def _config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_no_full_garbage_collection_after_every_script_run():
    # Streamlit's default gc.collect(2) after each run cost ~0.15 s of GIL per page open here
    assert _config()["runner"]["postScriptGC"] is False


def test_visitors_see_no_tracebacks_or_developer_toolbar():
    client = _config()["client"]
    assert client["showErrorDetails"] == "none"
    assert client["toolbarMode"] == "viewer"
