"""The load bench's floor: the same rig serving a minimal Streamlit app instead of Valence Lab.

``python -m bench floor``. ``bench load`` runs the server and eight headless Chromium sessions on
the same cores. What part of its figures is the rig's own? This bench measures the same rig
with an app that does nothing:

* A minimal multipage app (``FLOOR_APP``): the same five page paths, a sidebar select box, and on
  each page a title and a line of text (``bare``). A second mode adds one Plotly scatter of
  6,000 points to each page (``chart``). Every Valence Lab page draws at least one such chart.
* Alone: each page opened once in a new tab -> ``<mode>_first_open_solo_s``.
* Under load: ``BENCH_LOAD_SESSIONS`` sessions (default 8) each open three pages in a row, a
  new tab (new server session) each, all at once. The settle time is ``bench load``'s:
  navigation to the title drawn and the app stopped running for a second ->
  ``<mode>_page_settle_p50_s``/``p95``.
* A fixed CPU job: a 1-thread XGBoost fit on synthetic data (28k rows, 12 features), in its own
  process, started once the data is built. Timed alone, then under each mode's load (started
  1 s into it) -> ``<mode>_cpu_job_loaded_over_solo``. ``bench load``'s training target is
  loaded <= 3x solo. Here nothing competes with the job but the browsers and a server that
  does no work of its own.

If even the bare app misses a target here, the target measures the rig, not the app.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.bench_load import _spread, open_page
from tests.fakes.browser import (
    free_port,
    launch_options,
    start_streamlit,
    stop_streamlit,
    wait_healthy,
)

ROOT = Path(__file__).resolve().parent.parent
PATHS = ["", "model-lab", "why-valence", "genre-map", "track-lookup"]
OPENS_PER_SESSION = 3
MODES = ("bare", "chart")

FLOOR_APP = """
import os

import streamlit as st

CHART = os.environ.get("FLOOR_MODE") == "chart"
NAMES = ["Explore", "Model lab", "Why valence", "Genre map", "Track lookup"]


def make(name):
    def page():
        st.title(name)
        st.write("A minimal page: what any Streamlit page open costs in this rig.")
        if CHART:
            import numpy as np
            import plotly.express as px

            rng = np.random.default_rng(0)
            x, y = rng.random(6000), rng.random(6000)
            st.plotly_chart(px.scatter(x=x, y=y, title="6,000 points"))

    page.__name__ = name.replace(" ", "_").lower()
    url = name.replace(" ", "-").lower()
    return st.Page(page, title=name, url_path=url, default=name == NAMES[0])


nav = st.navigation([make(name) for name in NAMES])
with st.sidebar:
    st.selectbox("Dataset", ["one", "two"])
nav.run()
"""

# Waits for a line on stdin after its set-up, so the timed fit starts when the parent says.
CPU_JOB = """
import sys, time
import numpy as np
from xgboost import XGBRegressor
rng = np.random.default_rng(0)
X = rng.random((28_000, 12))
y = X @ rng.random(12) + 0.1 * rng.standard_normal(28_000)
model = XGBRegressor(n_estimators=450, max_depth=6, n_jobs=1, tree_method="hist")
model.fit(X[:2000], y[:2000])  # first-call set-up, untimed
print("ready", flush=True)
sys.stdin.readline()
t0 = time.perf_counter()
model.fit(X, y)
print(round(time.perf_counter() - t0, 3), flush=True)
"""


class CpuJob:
    """The fixed CPU job in a child process: :meth:`start` it after the child is ready."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CPU_JOB],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.proc.stdout is not None and self.proc.stdin is not None
        if self.proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the CPU job did not start")

    def start(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("go\n")
        self.proc.stdin.flush()

    def seconds(self) -> float:
        assert self.proc.stdout is not None
        took = float(self.proc.stdout.readline())
        self.proc.wait(timeout=60)
        return took


async def _open(context: Any, url: str, settles: list[float], errors: list[str]) -> None:
    """``bench load``'s page open (a new tab, its settle time into ``settles``), then close it."""
    await (await open_page(context, url, settles, errors)).close()


async def _measure(base: str, n: int) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    out: dict[str, Any] = {}
    async with async_playwright() as p:
        chromium = await p.chromium.launch(**launch_options())
        context = await chromium.new_context(viewport={"width": 1400, "height": 900})
        errors: list[str] = []
        await _open(context, f"{base}/", [], errors)  # the server's first session, the caches
        solo: list[float] = []
        for path in PATHS:
            await _open(context, f"{base}/{path}", solo, errors)
        out["first_open_solo_s"] = [round(t, 2) for t in solo]
        settles: list[float] = []

        async def session(i: int) -> None:
            for k in range(OPENS_PER_SESSION):
                path = PATHS[(i + k) % len(PATHS)]
                await _open(context, f"{base}/{path}", settles, errors)  # errors counted

        job = await asyncio.to_thread(CpuJob)

        async def cpu_job() -> float:
            await asyncio.sleep(1.0)
            job.start()
            return await asyncio.to_thread(job.seconds)

        t0 = time.perf_counter()
        *_, loaded = await asyncio.gather(*(session(i) for i in range(n)), cpu_job())
        out["load_phase_s"] = round(time.perf_counter() - t0, 1)
        out["cpu_job_loaded_s"] = loaded
        out["page_opens"] = len(settles)
        out["errors"] = errors
        if settles:
            out |= _spread("page_settle", settles)
        await context.close()
        await chromium.close()
    return out


def _serve(mode: str, n: int, tmp: Path) -> dict[str, Any]:
    app = tmp / "floor_app.py"
    app.write_text(FLOOR_APP)
    env = {**os.environ, "FLOOR_MODE": mode, "PYTHONUNBUFFERED": "1"}
    port = free_port()
    with (tmp / f"{mode}.log").open("w") as log:
        server = start_streamlit(
            port, log, env, "--server.fileWatcherType", "none", script=str(app)
        )
        base = f"http://127.0.0.1:{port}"
        try:
            if not wait_healthy(base, 60):
                raise RuntimeError("the streamlit server did not start")
            return asyncio.run(_measure(base, n))
        finally:
            stop_streamlit(server)


def run(ctx: dict) -> dict:
    n = int(os.environ.get("BENCH_LOAD_SESSIONS", "3" if ctx.get("quick") else "8"))
    out: dict[str, Any] = {"sessions": n, "cpus": os.cpu_count()}
    solo = []
    for _ in range(3):
        job = CpuJob()
        job.start()
        solo.append(job.seconds())
    out["cpu_job_solo_s"] = solo
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as tmp:
        for mode in MODES:
            got = _serve(mode, n, Path(tmp))
            out |= {f"{mode}_{key}": value for key, value in got.items()}
            out[f"{mode}_cpu_job_loaded_over_solo"] = round(
                got["cpu_job_loaded_s"] / statistics.median(solo), 2
            )
    out["targets"] = "bench load's: page_settle_p95_s <= 5; training loaded / solo <= 3"
    return out
