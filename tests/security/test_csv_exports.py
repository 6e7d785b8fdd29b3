"""Finding 2: every CSV the app or CLI writes neutralises formula cells; numbers stay numbers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import streamlit
from streamlit.testing.v1 import AppTest

from core.catalog import data
from core.lookup.results import enriched_csv
from core.safety import FORMULA_PREFIXES, csv_bytes, neutralise_formulas, write_csv
from tests.conftest import ROOT
from tests.security.hostile import FORMULAS, cells, formula_cells, hostile_tracks


def test_csv_bytes_prefixes_every_trigger_and_keeps_numbers() -> None:
    frame = pd.DataFrame(
        {
            "name": [*FORMULAS, "plain", None],
            "cat": pd.Categorical(["=a", "b", "+c", "d", "-e", "f", "g", "h"]),
            "string": pd.array(["@x", "y", None, "=z", "-1", "ok", "\uff1dSUM(1)", "n"], "string"),
            "number": [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, -7.25, np.nan],
            "count": np.arange(-4, 4),
        }
    )
    out = csv_bytes(frame)
    assert formula_cells(out) == []
    parsed = pd.read_csv(pd.io.common.BytesIO(out))
    assert parsed["number"].tolist()[:7] == [-1.5, 2.0, -3.0, 4.0, 5.0, 6.0, -7.25]
    assert parsed["count"].tolist() == list(range(-4, 4))
    assert parsed["name"].tolist()[:6] == ["'" + f for f in FORMULAS[:4]] + ["'\t=1+1", "'\r=1+1"]
    assert parsed["string"].iloc[4] == "'-1"  # text that looks numeric is still text
    assert parsed["name"].iloc[6] == "plain" and pd.isna(parsed["name"].iloc[7])
    assert set(FORMULA_PREFIXES) >= {"=", "+", "-", "@", "\t", "\r"}


def test_column_names_and_write_csv(tmp_path: Path) -> None:
    frame = pd.DataFrame({"=bad": ["=1"], "ok": [1]})
    write_csv(frame, tmp_path / "x.csv")
    assert formula_cells((tmp_path / "x.csv").read_text()) == []
    assert list(neutralise_formulas(frame).columns) == ["'=bad", "ok"]
    assert frame.iloc[0, 0] == "=1"  # the input is not modified


def test_enriched_lookup_csv(tmp_path: Path) -> None:
    table = hostile_tracks(12)[["track_id", "track_name", "artists", "valence"]]
    user = pd.DataFrame({"track_id": table["track_id"], "my note": ["=WEBSERVICE(1)"] * 12})
    out = enriched_csv(table, user)
    assert formula_cells(out) == []
    assert "'=WEBSERVICE(1)" in out.decode()


@pytest.fixture
def captured_downloads(monkeypatch: pytest.MonkeyPatch) -> dict:
    """The data of every ``st.download_button`` the pages create, by key."""
    seen: dict = {}
    original = streamlit.download_button

    def spy(label, data, *args, **kwargs):
        seen[kwargs.get("key") or label] = data
        return original(label, data, *args, **kwargs)

    monkeypatch.setattr(streamlit, "download_button", spy)
    return seen


def _as_bytes(value) -> bytes:
    value = value() if callable(value) else value
    return value.encode() if isinstance(value, str) else bytes(value)


def _hostile_app(page: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    upload = data.load_upload(hostile_tracks().to_csv(index=False).encode(), "=cmd.csv")
    at.session_state["upload_catalog"] = upload
    at.session_state["dataset"] = upload.source_id
    at.run()
    at.switch_page(page)
    return at


def test_explore_table_download(captured_downloads) -> None:
    at = _hostile_app("app_pages/explore.py")
    at.run()  # the tabs exist before one is picked
    at.session_state["exp_tab"] = "Table"
    at.run()
    assert not at.exception
    out = _as_bytes(captured_downloads["exp_download"])
    assert len(cells(out)) > 150  # every cleaned track
    assert formula_cells(out) == []
    assert "'=HYPERLINK(" in out.decode()


def test_track_lookup_enriched_csv(captured_downloads) -> None:
    at = _hostile_app("app_pages/track_lookup.py")
    at.run()
    ids = hostile_tracks()["track_id"].head(4).tolist()
    at.text_area(key="look_ids").set_value("\n".join(ids))
    at.button(key="look_paste_go").click()
    at.run()
    assert not at.exception
    out = _as_bytes(captured_downloads["look_download"])
    assert len(cells(out)) == 5 and formula_cells(out) == []


def test_leaderboard_csv(captured_downloads) -> None:
    at = _hostile_app("app_pages/model_lab.py")
    at.session_state["lab_leaderboard"] = [
        {
            "run": 1,
            "model": "=cmd|' /C calc'!A0",
            "task": "valence",
            "params": '{"max_depth": 3}',
            "mae": 0.2,
            "source": "@x",
        }
    ]
    at.run()
    assert not at.exception
    out = _as_bytes(captured_downloads["lab_board_csv"])
    assert formula_cells(out) == [] and "0.2" in out.decode()


def test_cli_predict_out(tmp_path: Path) -> None:
    csv = tmp_path / "tracks.csv"
    hostile_tracks().to_csv(csv, index=False)
    model = tmp_path / "m.skops"
    ev = [
        sys.executable,
        "-m",
        "core",
        "evaluate",
        "--data",
        str(csv),
        "--model",
        "linear",
        "--save-model",
        str(model),
    ]
    assert subprocess.run(ev, cwd=ROOT, capture_output=True, timeout=300).returncode == 0
    out = tmp_path / "pred.csv"
    pr = [
        sys.executable,
        "-m",
        "core",
        "predict",
        "--data",
        str(csv),
        "--model-file",
        str(model),
        "--out",
        str(out),
    ]
    proc = subprocess.run(pr, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    text = out.read_text()
    assert formula_cells(text) == [] and "'=HYPERLINK(" in text
    assert pd.read_csv(out)["predicted_valence"].between(0, 1).all()
