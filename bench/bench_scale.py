"""Catalogs of millions of tracks: out-of-core loading, Explore on DuckDB, training on Dask.

``python -m bench --only scale`` (or ``python -m bench scale``) on synthetic resamples of the
TidyTuesday catalog at 1M and 10M rows (``--quick``: 200k only). Per size, in fresh processes:
cold load (CSV -> cleaned Parquet) and warm load with peak RSS; Explore's first render and a
filter change through AppTest on the warm Parquet catalog, with that process's peak RSS. At 1M:
XGBoost fit locally vs on a ``LocalCluster`` of 1 and 2 worker processes. On TidyTuesday:
8-trial auto-tune locally vs on the cluster, and the local vs Dask MAE. The generated files go
to ``VALENCE_LAB_SCALE_DIR`` (default: a temporary folder) and are deleted afterwards unless
that variable is set.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from bench.common import run_child

TIDY = "tidytuesday-spotify-songs"
CHUNK = 1_000_000
JITTERED = ("danceability", "energy", "speechiness", "acousticness", "liveness", "valence")
DASK_FIT_REPS = 3  # rounds of local / 1 worker / 2 workers at the first size (~15 s a fit at 1M)

LOAD_CODE = """
import time
from core.catalog import data
t0 = time.perf_counter()
cat = data.load_catalog({source!r}, allow_download=False)
cold = time.perf_counter() - t0
out = {{'cold_load_s': round(cold, 2), 'tracks': cat.n_tracks, 'out_of_core': cat.is_large,
        'rows_read': cat.report.rows_read}}
"""

WARM_CODE = """
import time
from core.catalog import data
t0 = time.perf_counter()
cat = data.load_catalog({source!r}, allow_download=False)
out = {{'warm_load_s': round(time.perf_counter() - t0, 2), 'in_memory_rows': len(cat.df)}}
"""

EXPLORE_CODE = """
import time
from streamlit.testing.v1 import AppTest
from ui.catalog import load_public_catalog
t0 = time.perf_counter()
load_public_catalog({source!r})  # the server's shared catalog cache, warm (a visitor's view)
warm = time.perf_counter() - t0
at = AppTest.from_file('app.py', default_timeout=300)
at.session_state['dataset'] = {source!r}
t0 = time.perf_counter(); at.run()  # Explore is the default page
first = time.perf_counter() - t0
import os
load = os.getloadavg()[0]
assert not at.exception, at.exception
tracks = next(m.value for m in at.metric if m.label == 'Tracks')
t0 = time.perf_counter(); at.multiselect(key='exp_genres').set_value(['rock', 'latin']).run()
genre = time.perf_counter() - t0
assert not at.exception, at.exception
t0 = time.perf_counter(); at.slider(key='exp_pop').set_value((30, 90)).run()
pop = time.perf_counter() - t0
t0 = time.perf_counter(); at.session_state['exp_tab'] = 'Correlations'; at.run()
tab = time.perf_counter() - t0
assert not at.exception, at.exception
# a second visitor: a new session on the same server process (imports and shared caches warm)
at2 = AppTest.from_file('app.py', default_timeout=300)
at2.session_state['dataset'] = {source!r}
t0 = time.perf_counter(); at2.run()
second = time.perf_counter() - t0
assert not at2.exception, at2.exception
out = {{'catalog_into_server_s': round(warm, 2), 'explore_first_render_s': round(first, 3),
        'explore_new_session_render_s': round(second, 3),
        'explore_filter_change_s': round(max(genre, pop), 3),
        'genre_filter_s': round(genre, 3), 'popularity_filter_s': round(pop, 3),
        'tab_switch_correlations_s': round(tab, 3), 'tracks_shown': tracks,
        'machine_load_avg_1m': round(load, 1),
        'filtered_tracks': next(m.value for m in at.metric if m.label == 'Tracks')}}
"""

DASK_FIT_CODE = """
import statistics, time
from core.catalog import data
from core.modelling import distributed
from core.modelling.experiment import RunConfig, run_experiment
df = data.load_catalog({source!r}, allow_download=False).df
cfg = RunConfig(params={{'early_stopping_rounds': 0}})
out = {{'rows': len(df), 'reps': {reps}}}
fits = {{'local': [], 'dask_1w': [], 'dask_2w': []}}
maes = {{}}
# interleaved: this host's speed drifts by 20 % within minutes, so each configuration runs
# once per round and the medians are compared
for rep in range({reps}):
    with distributed.use_engine('local'):
        res = run_experiment(df, cfg)
    fits['local'].append(round(res.fit.fit_seconds, 2)); maes['local'] = res.metrics['mae']
    for workers in (1, 2):
        with distributed.use_engine('dask', workers=workers):
            distributed.active_client().wait_for_workers(workers)
            res = run_experiment(df, cfg)
        fits[f'dask_{{workers}}w'].append(round(res.fit.fit_seconds, 2))
        maes[f'dask_{{workers}}w'] = res.metrics['mae']
for name, runs in fits.items():
    out[f'xgboost_fit_{{name}}_runs_s'] = runs
    out[f'xgboost_fit_{{name}}_s'] = round(statistics.median(runs), 2)
    out[f'mae_{{name}}'] = maes[name]
for workers in (1, 2):
    out[f'dask_{{workers}}w_over_local'] = round(
        out[f'xgboost_fit_dask_{{workers}}w_s'] / out['xgboost_fit_local_s'], 2)
"""

TUNE_CODE = """
import time
from core.catalog import data
from core.modelling import distributed
from core.modelling.experiment import RunConfig, run_experiment
from core.modelling.tuning import auto_tune
df = data.load_catalog({source!r}, allow_download=False).df
out = {{}}
t0 = time.perf_counter(); res = run_experiment(df, RunConfig())
out['fit_local_s'] = round(time.perf_counter() - t0, 2); out['mae_local'] = res.metrics['mae']
t0 = time.perf_counter(); tuned = auto_tune(df, 'valence', 'xgboost', n_candidates=8)
out['autotune_8_local_s'] = round(time.perf_counter() - t0, 2)
out['autotune_best_local'] = tuned['best_score']
for workers in (1, 2):
    with distributed.use_engine('dask', workers=workers):
        distributed.active_client().wait_for_workers(workers)
        t0 = time.perf_counter(); res = run_experiment(df, RunConfig())
        out[f'fit_dask_{{workers}}w_s'] = round(time.perf_counter() - t0, 2)
        out[f'mae_dask_{{workers}}w'] = res.metrics['mae']
        t0 = time.perf_counter(); tuned = auto_tune(df, 'valence', 'xgboost', n_candidates=8)
        out[f'autotune_8_dask_{{workers}}w_s'] = round(time.perf_counter() - t0, 2)
        out[f'autotune_best_dask_{{workers}}w'] = tuned['best_score']
out['mae_abs_diff_dask_2w'] = abs(out['mae_dask_2w'] - out['mae_local'])
"""


def write_synthetic(base: pd.DataFrame, n_rows: int, path: Path, seed: int = 0) -> Path:
    """Write ``n_rows`` tracks resampled from ``base`` with fresh ids and jittered features.

    Up to 1M rows pandas writes them; above, DuckDB replicates a 1M-row file with new ids,
    artists and jitter per copy (fast enough for 10M rows on 2 cores).
    """
    first = min(n_rows, CHUNK)
    one = path if n_rows <= CHUNK else path.with_name(path.stem + ".base.csv")
    rng = np.random.default_rng(seed)
    df = base.iloc[rng.integers(0, len(base), first)].reset_index(drop=True)
    alphabet = np.array(list("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"))
    df["track_id"] = ["".join(r) for r in alphabet[rng.integers(0, 62, size=(first, 22))]]
    df["artists"] = df["artists"].astype(str) + " #" + (np.arange(first) % 50_000).astype(str)
    for col in JITTERED:
        df[col] = np.clip(df[col] + rng.normal(0, 0.01, first), 0, 1).round(4)
    df["tempo"] = (df["tempo"] + rng.normal(0, 0.5, first)).round(3)
    df.drop(columns=["primary_artist", "genres"], errors="ignore").to_csv(one, index=False)
    if n_rows <= CHUNK:
        return path
    import duckdb

    con = duckdb.connect()
    cols = [c for c in pd.read_csv(one, nrows=0).columns]
    copies = -(-n_rows // CHUNK)
    jitter = {c: f"least(1, greatest(0, round({c} + (CAST(hash(k, _i, '{c}') % 2001 AS INTEGER) - 1000) "
                 f"/ 100000.0, 4)))" for c in JITTERED}  # fmt: skip
    exprs = []
    for c in cols:
        if c == "track_id":
            exprs.append("CASE WHEN k = 0 THEN track_id ELSE substr(translate(to_base64(unhex("
                         "md5(track_id || k::VARCHAR))), '+/=', 'xyz'), 1, 22) END AS track_id")  # fmt: skip
        elif c == "artists":
            exprs.append("artists || CASE WHEN k = 0 THEN '' ELSE '~' || (k % 20) END AS artists")
        elif c in jitter:
            exprs.append(f"CASE WHEN k = 0 THEN {c} ELSE {jitter[c]} END AS {c}")
        else:
            exprs.append(f'"{c}"')
    con.execute(
        f"COPY (SELECT {', '.join(exprs)} FROM (SELECT *, row_number() OVER () AS _i "
        f"FROM read_csv('{one}', all_varchar = false)) CROSS JOIN range({copies}) r(k) "
        f"LIMIT {n_rows}) TO '{path}' (HEADER, DELIMITER ',')"
    )
    con.close()
    one.unlink()
    return path


def _size(n: int, base: pd.DataFrame, root: Path) -> dict:
    src, cache = root / f"src_{n}", root / f"cache_{n}"
    src.mkdir(exist_ok=True)
    name = f"synthetic_{n}.csv"
    path = src / name
    out: dict = {}
    if not path.is_file():
        t0 = time.perf_counter()
        write_synthetic(base, n, path)
        out["generate_s"] = round(time.perf_counter() - t0, 1)
    out["csv_mb"] = round(path.stat().st_size / 2**20, 1)
    env = {"VALENCE_LAB_DATA_DIR": str(src), "VALENCE_LAB_CACHE_DIR": str(cache)}
    source = f"local:{name}"
    for name, code in (("load", LOAD_CODE), ("warm", WARM_CODE), ("explore", EXPLORE_CODE)):
        # Explore as on a deployed server: its defaults were precomputed at deploy, so no
        # background warmer trains models beside the timed reruns
        extra = {"VALENCE_LAB_WARM": "off"} if name == "explore" else {}
        out[name] = run_child(code.format(source=source), env={**env, **extra}, timeout=3600)
        print(json.dumps({f"{n}:{name}": out[name]}), file=sys.stderr, flush=True)
    parquet = max(
        (cache / "catalog").glob("*.parquet"), key=lambda p: p.stat().st_size, default=None
    )
    out["parquet_mb"] = round(parquet.stat().st_size / 2**20, 1) if parquet else None
    return out


def _dask_fit(n: int, root: Path) -> dict:
    env = {"VALENCE_LAB_DATA_DIR": str(root / f"src_{n}"),
           "VALENCE_LAB_CACHE_DIR": str(root / f"cache_{n}")}  # fmt: skip
    code = DASK_FIT_CODE.format(source=f"local:synthetic_{n}.csv", reps=DASK_FIT_REPS)
    return run_child(code, env=env, timeout=3600)


def run(ctx: dict) -> dict:
    from core.catalog import data

    sizes = [200_000] if ctx["quick"] else [1_000_000, 10_000_000]
    keep = os.environ.get("VALENCE_LAB_SCALE_DIR")
    root = Path(keep) if keep else Path(tempfile.mkdtemp(prefix="valence-scale-"))
    root.mkdir(parents=True, exist_ok=True)
    base = data.load_catalog(TIDY, allow_download=False).df
    out: dict = {"sizes": sizes}
    try:
        for n in sizes:
            tag = f"{n // 1_000_000}m" if n >= 1_000_000 else f"{n // 1000}k"
            res = _size(n, base, root)
            out[f"synthetic_{tag}"] = res
            out[f"rss_peak_mb_{tag}"] = res["explore"]["peak_rss_mb"]
            out[f"explore_first_render_s_{tag}"] = res["explore"]["explore_first_render_s"]
            out[f"explore_filter_change_s_{tag}"] = res["explore"]["explore_filter_change_s"]
            out[f"explore_new_session_s_{tag}"] = res["explore"]["explore_new_session_render_s"]
            out[f"cold_load_s_{tag}"] = res["load"]["cold_load_s"]
            out[f"cold_load_rss_mb_{tag}"] = res["load"]["peak_rss_mb"]
            out[f"warm_load_s_{tag}"] = res["warm"]["warm_load_s"]
            out[f"warm_load_rss_mb_{tag}"] = res["warm"]["peak_rss_mb"]
            print(json.dumps({tag: res}), file=sys.stderr, flush=True)  # partial results
        out["tidytuesday_dask"] = run_child(TUNE_CODE.format(source=TIDY), timeout=3600)
        print(json.dumps(out["tidytuesday_dask"]), file=sys.stderr, flush=True)
        out[f"xgboost_fit_{sizes[0]:_}_rows"] = _dask_fit(sizes[0], root)
    finally:
        if not keep:
            shutil.rmtree(root, ignore_errors=True)
    out["note"] = (
        "fresh process per figure; rss = that process's peak resident memory; Explore timings "
        "via AppTest (server script time, no browser) with the catalog already in the server's "
        "cache; out-of-core above VALENCE_LAB_DUCKDB_ROWS (default 2,000,000)"
    )
    return out
