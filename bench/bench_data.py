"""Catalog loading (cold CSV parse, warm Parquet), Explore first render, and a 1M-row catalog."""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from bench.common import ROOT, run_child, synthetic_catalog_csv

TIDY = "tidytuesday-spotify-songs"

LOAD_CODE = """
import time
from core.catalog import data
t0 = time.perf_counter()
cat = data.load_catalog({source!r}, allow_download=False)
cold = time.perf_counter() - t0
t0 = time.perf_counter()
cat = data.load_catalog({source!r}, allow_download=False)
warm = time.perf_counter() - t0
out = {{'rows_read': cat.report.rows_read, 'tracks': len(cat.df), 'cold_load_s': round(cold, 3),
        'warm_load_s': round(warm, 3), 'frame_mb': round(cat.df.memory_usage(deep=True).sum() / 2**20, 1)}}
"""

RENDER_CODE = """
import time
from streamlit.testing.v1 import AppTest
at = AppTest.from_file('app.py', default_timeout=300)
t0 = time.perf_counter(); at.run(); first = time.perf_counter() - t0
assert not at.exception, at.exception
t0 = time.perf_counter(); at.run(); second = time.perf_counter() - t0
# A new session on a warm server (imports done, catalog in the shared cache): what a visitor sees.
at2 = AppTest.from_file('app.py', default_timeout=300)
t0 = time.perf_counter(); at2.run(); new_session = time.perf_counter() - t0
times = {{}}
for tab in ['Correlations', 'Genre means', 'Scatter', 'Over time', 'Table', 'Distributions']:
    at.session_state['exp_tab'] = tab
    t0 = time.perf_counter(); at.run(); times[tab] = round(time.perf_counter() - t0, 3)
    assert not at.exception, (tab, at.exception)
at.multiselect(key='exp_genres').set_value({genres!r})
t0 = time.perf_counter(); at.run(); filt = time.perf_counter() - t0
out = {{'explore_first_render_cold_process_s': round(first, 3),
        'explore_first_render_new_session_s': round(new_session, 3), 'explore_rerun_s': round(second, 3),
        'tab_switch_s': times, 'genre_filter_change_s': round(filt, 3)}}
"""


def _explore(data_dir: str, cache: str, genres: list[str]) -> dict:
    env = {"VALENCE_LAB_DATA_DIR": data_dir, "VALENCE_LAB_CACHE_DIR": cache}
    return run_child(RENDER_CODE.format(genres=genres), env=env)


def run(ctx: dict) -> dict:
    from core.catalog import data

    shared = os.environ["VALENCE_LAB_DATA_DIR"]
    out: dict = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {"VALENCE_LAB_CACHE_DIR": cache}
        out["tidytuesday_32k"] = run_child(LOAD_CODE.format(source=TIDY), env=env)
        # Explore first render with the catalog already cached on disk (fresh process).
        out["explore_tidytuesday"] = _explore(shared, cache, ["rock", "latin"])

    base = data.load_catalog(TIDY, allow_download=False).df
    sizes = [114_000, 1_000_000] if not ctx["quick"] else [114_000]
    for n in sizes:
        with tempfile.TemporaryDirectory() as tmp:
            tmp_path = Path(tmp)
            src = tmp_path / "src"
            src.mkdir()
            t0 = time.perf_counter()
            synthetic_catalog_csv(base, n, src / f"synthetic_{n}.csv")
            gen = time.perf_counter() - t0
            env = {"VALENCE_LAB_DATA_DIR": str(src), "VALENCE_LAB_CACHE_DIR": str(tmp_path / "c")}
            res = run_child(LOAD_CODE.format(source=f"local:synthetic_{n}.csv"), env=env)
            res["csv_mb"] = round((src / f"synthetic_{n}.csv").stat().st_size / 2**20, 1)
            res["generate_s"] = round(gen, 1)
            if n == 114_000:
                res["explore"] = _explore(str(src), str(tmp_path / "c"), ["rock", "latin"])
            out[f"synthetic_{n}"] = res
    out["note"] = (
        "cold = CSV parse + cleaning + Parquet write in a fresh process; warm = Parquet read; "
        "peak_rss_mb = that process's peak resident memory; Explore timings via AppTest "
        f"(server-side script time, no browser) from {ROOT.name}/app.py"
    )
    return out
