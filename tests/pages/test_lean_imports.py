"""Explore's cold start pays only for what it shows: heavy libraries load where they are used."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.conftest import ROOT

HEAVY = (
    "scipy.cluster",
    "sklearn",
    "xgboost",
    "shap",
    "umap",
    "statsmodels",
    "numba",
    "plotly.express",  # 0.2-0.4 s: box, violin, heatmap and scatter import it when drawn
)

SCRIPT = """
import json, sys
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=120)
at.run()
assert not at.exception, at.exception
for tab in {tabs!r}:
    at.session_state["exp_tab"] = tab
    at.run()
    assert not at.exception, (tab, at.exception)
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {roots!r}
                        or m in {heavy!r})))
"""


def _loaded_after(tabs: list[str]) -> list[str]:
    code = SCRIPT.format(
        app=str(ROOT / "app.py"),
        tabs=tabs,
        heavy=list(HEAVY),
        roots=[h.split(".")[0] for h in HEAVY if h != "scipy.cluster"],
    )
    proc = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_explore_first_render_imports_no_heavy_library():
    loaded = _loaded_after([])
    assert not [m for m in loaded if m.startswith(HEAVY)], loaded


def test_the_genre_means_tab_loads_scipy_cluster_only_when_opened():
    loaded = _loaded_after(["Distributions", "Correlations", "Scatter", "Genre means"])
    assert "scipy.cluster" in loaded  # the tab that orders its heatmap by similarity
    assert not [m for m in loaded if m.startswith(("sklearn", "xgboost", "shap", "umap"))]
