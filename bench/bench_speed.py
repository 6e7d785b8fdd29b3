"""Shared-machine speed (issue 11, items 2-5): cleaning vs read_csv, lean imports, CPU gate.

``python -m bench --only speed`` prints:
* ``cleaning``: cold load (CSV -> clean catalog -> Parquet) over ``pd.read_csv`` of the same
  file, TidyTuesday and a synthetic 1M-row catalog (target <= 3x);
* ``imports``: a fresh process to Explore rendered over an empty Streamlit app (target <= 1.5x),
  and the floor under that ratio: two minimal apps that draw what every Explore open draws, a
  small pandas table (``table``) and a table beside one Plotly chart (``table_chart``);
* ``gate``: the default XGBoost fit alone and two at once, through the gate (``fit_model``) and
  ungated (two raw ``n_jobs=2`` fits, what the code did before), in one process;
* ``curve``: ``fit_model`` with the curve scored every round vs every k-th round.
Every figure is the best of a few repeats on whatever machine runs it.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from pathlib import Path

from bench.common import ROOT, run_child, synthetic_catalog_csv

TIDY = "tidytuesday-spotify-songs"

CLEAN_CODE = """
import os, tempfile, time
import pandas as pd
from core.catalog import data, sources
path = sources.resolve_source_file({source!r}, allow_download=False)
def best(fn, n):
    wall = cpu = float('inf')
    for _ in range(n):
        t0, c0 = time.perf_counter(), time.process_time()
        fn()
        wall, cpu = min(wall, time.perf_counter() - t0), min(cpu, time.process_time() - c0)
        data.wait_for_cache_writes()  # the Parquet copy is written after load_catalog returns
    return wall, cpu
read_csv = best(lambda: pd.read_csv(path), {repeat})
def cold():
    os.environ['VALENCE_LAB_CACHE_DIR'] = tempfile.mkdtemp()
    data.load_catalog({source!r}, allow_download=False)
cold_s = best(cold, {repeat})
out = {{'read_csv_s': round(read_csv[0], 3), 'cold_load_s': round(cold_s[0], 3),
        'ratio': round(cold_s[0] / read_csv[0], 2), 'read_csv_cpu_s': round(read_csv[1], 3),
        'cold_load_cpu_s': round(cold_s[1], 3), 'cpu_ratio': round(cold_s[1] / read_csv[1], 2)}}
"""

EMPTY_APP = "import streamlit as st\nst.write('')\n"
# The floor of any page that shows a pandas table (and a Plotly chart): nothing of the app's own
FLOOR_APPS = {
    "table": "import pandas as pd\nimport streamlit as st\nst.dataframe(pd.DataFrame({'a': [1, 2]}))\n",
    "table_chart": (
        "import pandas as pd\nimport plotly.express as px\nimport streamlit as st\n"
        "df = pd.DataFrame({'a': [1, 2], 'b': [3, 4]})\n"
        "st.dataframe(df)\nst.plotly_chart(px.scatter(df, x='a', y='b'))\n"
    ),
}
RENDER_CODE = """
import time
t0 = time.perf_counter()
from streamlit.testing.v1 import AppTest
at = AppTest.from_file({app!r}, default_timeout=300)
at.run()
assert not at.exception, at.exception
out = {{'render_s': round(time.perf_counter() - t0, 3)}}
"""


def _cleaning(ctx: dict) -> dict:
    out: dict = {}
    repeat = 5
    out["tidytuesday_32k"] = run_child(CLEAN_CODE.format(source=TIDY, repeat=repeat))
    if ctx["quick"]:
        return out
    from core.catalog import data

    base = data.load_catalog(TIDY, allow_download=False).df
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp)
        synthetic_catalog_csv(base, 1_000_000, src / "synthetic_1000000.csv")
        env = {"VALENCE_LAB_DATA_DIR": str(src)}
        code = CLEAN_CODE.format(source="local:synthetic_1000000.csv", repeat=1)
        out["synthetic_1m"] = run_child(code, env=env)
    return out


def _imports(cache: str) -> dict:
    # Imports and the first render only: without VALENCE_LAB_WARM=off every timed process would
    # also start the server's start-up warmer (training defaults, preloading xgboost) in a
    # background thread, which a warm server has finished long before a visitor arrives.
    env = {"VALENCE_LAB_CACHE_DIR": cache, "VALENCE_LAB_WARM": "off"}
    run_child(RENDER_CODE.format(app=str(ROOT / "app.py")), env=env)  # fill the Parquet cache
    out: dict = {}
    with tempfile.TemporaryDirectory() as tmp:
        empty = Path(tmp) / "empty_app.py"
        empty.write_text(EMPTY_APP)

        # wall time of a fresh interpreter: imports + first script run
        def wall(app: Path, env: dict[str, str]) -> float:
            best = float("inf")
            for _ in range(3):
                t0 = time.perf_counter()
                run_child(RENDER_CODE.format(app=str(app)), env=env)
                best = min(best, time.perf_counter() - t0)
            return best

        # As the environment runs Python, then with bytecode written and reused, as a server
        # does after its first start (PYTHONDONTWRITEBYTECODE set, as on some CI and sandboxes,
        # makes every fresh process compile the app's ~40 modules again). That bytecode goes
        # to a temporary folder, not into the tree; the first of the three runs writes it.
        cached = {"PYTHONDONTWRITEBYTECODE": "", "PYTHONPYCACHEPREFIX": str(Path(tmp) / "pyc")}
        for suffix, extra in (("", {}), ("_bytecode", cached)):
            empty_s = wall(empty, env | extra)
            explore_s = wall(ROOT / "app.py", env | extra)
            out |= {
                f"empty_app_cold_process{suffix}_s": round(empty_s, 3),
                f"explore_cold_process{suffix}_s": round(explore_s, 3),
                f"ratio{suffix}": round(explore_s / empty_s, 2),
            }
            for name, code in FLOOR_APPS.items():
                app = Path(tmp) / f"{name}_app.py"
                app.write_text(code)
                floor_s = wall(app, env | extra)
                out |= {
                    f"{name}_app_cold_process{suffix}_s": round(floor_s, 3),
                    f"{name}_app_ratio{suffix}": round(floor_s / empty_s, 2),
                }
    out["environment_writes_bytecode"] = not os.environ.get("PYTHONDONTWRITEBYTECODE")
    return out


def _gate(quick: bool) -> dict:
    import numpy as np

    from core import compute
    from core.catalog import data
    from core.modelling import features, models, tasks, training

    df = data.load_catalog(TIDY, allow_download=False).df
    target = tasks.make_target(df, "valence")
    rows, y = target.rows, target.y
    params = {"early_stopping_rounds": 0} if not quick else {"n_estimators": 100}

    def gated() -> float:
        t0 = time.perf_counter()
        training.fit_model(rows, y, "xgboost", "valence", params)
        return time.perf_counter() - t0

    cols = features.input_columns(rows, "audio", "valence")
    X = features.build_matrix(rows, cols, features.categorical_levels(rows, cols))
    raw = {**models.default_params("xgboost"), **params}

    def ungated() -> float:
        est = models.make_estimator("xgboost", True, raw, 0, n_jobs=models.N_JOBS)
        t0 = time.perf_counter()
        est.fit(X, np.asarray(y, float))
        return time.perf_counter() - t0

    def together(fn) -> float:
        walls: list[float] = []
        t0 = time.perf_counter()
        threads = [threading.Thread(target=lambda: walls.append(fn())) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        return time.perf_counter() - t0

    def in_thread(fn) -> float:
        # A server runs every fit in a script or job thread that ends afterwards. A fit in a
        # thread while another live thread keeps an idle OpenMP pool (e.g. the main thread
        # after a fit) is ~2x slower: libgomp counts all pools' threads and, with more than
        # the CPUs, stops spinning at barriers. So solo fits also run in fresh threads here.
        walls: list[float] = []
        worker = threading.Thread(target=lambda: walls.append(fn()))
        worker.start()
        worker.join()
        return walls[0]

    def best(fn, n: int = 2) -> float:
        return min(in_thread(fn) for _ in range(n))

    out = {
        "cores": compute.free_cores(),
        "gated_solo_s": round(best(gated), 3),
        "gated_two_at_once_s": round(best(lambda: together(gated)), 3),
        "ungated_solo_s": round(best(ungated), 3),
        "ungated_two_at_once_s": round(best(lambda: together(ungated)), 3),
        "note": "gated = fit_model through core.compute (threads from free cores, queue); "
        "ungated = raw XGBRegressor(n_jobs=2) fits as before the gate; two_at_once = wall "
        "time until both of two concurrent fits in one process finish; every fit runs in a "
        "fresh thread, as in the server",
    }
    # the paired case: one core kept busy by another process during the fit
    import subprocess
    import sys

    burner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)
        out["gated_solo_one_core_busy_s"] = round(best(gated), 3)
        out["ungated_solo_one_core_busy_s"] = round(best(ungated), 3)
    finally:
        burner.kill()
        burner.wait()
    out["gated_two_over_solo"] = round(out["gated_two_at_once_s"] / out["gated_solo_s"], 2)
    out["ungated_two_over_solo"] = round(out["ungated_two_at_once_s"] / out["ungated_solo_s"], 2)
    return out


def _curve(quick: bool) -> dict:
    from core.catalog import data
    from core.modelling import tasks, training

    df = data.load_catalog(TIDY, allow_download=False).df
    target = tasks.make_target(df, "valence")
    params = {"early_stopping_rounds": 0} if not quick else {"n_estimators": 200}

    def fit() -> tuple[float, int]:
        best, points = float("inf"), 0
        for _ in range(2):
            t0 = time.perf_counter()
            res = training.fit_model(target.rows, target.y, "xgboost", "valence", params)
            best, points = min(best, time.perf_counter() - t0), len(res.history)
        return best, points

    sampled_s, sampled_n = fit()
    limit = training.MAX_CURVE_POINTS
    training.MAX_CURVE_POINTS = 10**9
    try:
        every_s, every_n = fit()
    finally:
        training.MAX_CURVE_POINTS = limit
    return {
        "every_round_s": round(every_s, 3),
        "every_round_points": every_n,
        "sampled_s": round(sampled_s, 3),
        "sampled_points": sampled_n,
        "speedup": round(every_s / sampled_s, 2),
    }


def run(ctx: dict) -> dict:
    out: dict = {"load_average_at_start": [round(x, 2) for x in os.getloadavg()]}
    with tempfile.TemporaryDirectory() as cache:
        out["imports"] = _imports(cache)
    out["curve"] = _curve(ctx["quick"])
    # a fresh process: the curve's fits above left an OpenMP pool on this main thread, and a
    # fit in another thread beside a live idle pool runs ~2x slower (see _gate)
    out["gate"] = run_child(f"from bench.bench_speed import _gate\nout = _gate({ctx['quick']!r})")
    out["cleaning"] = _cleaning(ctx)
    out["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    return out
