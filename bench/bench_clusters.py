"""Genre map: UMAP cold (incl. numba JIT) / warm / cached, clustering at 5k, 28k and 114k rows,
and the page's first render with a cached layout. Each part runs in a fresh process."""

from __future__ import annotations

import tempfile

from bench.common import render_page_code, run_child

TIDY = "tidytuesday-spotify-songs"

_UMAP = """
import os, time
t0 = time.perf_counter()
from core.catalog import data
from core.genremap import projection
cat = data.load_catalog({tidy!r}, allow_download=False)
feats = projection.default_features(cat.df)
out = {{"rows": len(cat.df), "features": len(feats)}}
def layout(**kw):
    t = time.perf_counter()
    lay = projection.umap_layout(cat.df, feats, source_id=cat.source_id, checksum=cat.checksum, **kw)
    return round(time.perf_counter() - t, 2), lay
t = time.perf_counter()
import umap
out["import_umap_s"] = round(time.perf_counter() - t, 2)
out["umap_full_cold_incl_jit_s"], lay = layout(sample_size=None)
out["umap_full_warm_s"], _ = layout(sample_size=None, min_dist=0.25)
out["umap_full_cached_load_s"], again = layout(sample_size=None)
assert again.from_cache
out["umap_5k_warm_s"], _ = layout(sample_size=5000)
out["estimate_full_cold_s"] = round(projection.UMAP_JIT_SECONDS + len(cat.df) * projection.UMAP_SECONDS_PER_ROW, 1)
"""

_CLUSTERS = """
import time
import numpy as np
from core.catalog import data
from core.catalog.sampling import sample_rows
from core.genremap import projection, clusters
cat = data.load_catalog({tidy!r}, allow_download=False)
feats = projection.default_features(cat.df)
out = {{}}
def timed(name, fn):
    t = time.perf_counter(); result = fn(); out[name] = round(time.perf_counter() - t, 3); return result
for label, size in (("5k", 5000), ("28k", None)):
    df = sample_rows(cat.df, size, 0, keep_order=True)
    sc = timed(f"{{label}}_standardise_s", lambda: projection.standardise(df, feats))
    X, genres = sc.X, df["genre"].astype(str).to_numpy()
    timed(f"{{label}}_pca_s", lambda: projection.fit_pca(sc))
    timed(f"{{label}}_kmeans_sweep_2_15_s", lambda: clusters.kmeans_sweep(X, range(2, 16)))
    timed(f"{{label}}_gmm_sweep_1_12_full_s", lambda: clusters.gmm_sweep(X, range(1, 13), "full"))
    km = timed(f"{{label}}_kmeans_k6_s", lambda: clusters.fit_kmeans(X, 6))
    gmm = timed(f"{{label}}_gmm_6_full_s", lambda: clusters.fit_gmm(X, 6, "full"))
    knn = timed(f"{{label}}_knn_cv_s", lambda: clusters.knn_genre_cv(X, genres, df["primary_artist"].astype(str).to_numpy()))
    table = timed(f"{{label}}_agreement_table_s", lambda: clusters.agreement_table(X, genres, {{"KMeans": km, "GMM": gmm, "k-NN": knn}}))
    out[f"{{label}}_ari"] = {{r["method"]: round(r["ari"], 3) for _, r in table.iterrows()}}
    out[f"{{label}}_nmi"] = {{r["method"]: round(r["nmi"], 3) for _, r in table.iterrows()}}
# 114k-sized synthetic catalog: the TidyTuesday rows resampled with jitter
rng = np.random.default_rng(0)
big = cat.df.iloc[rng.integers(0, len(cat.df), {big})].reset_index(drop=True)
big[feats] = big[feats].to_numpy() * (1 + rng.normal(0, 0.01, (len(big), len(feats))))
sc = timed("big_standardise_s", lambda: projection.standardise(big, feats))
out["big_rows"] = len(big)
timed("big_minibatch_kmeans_k6_s", lambda: clusters.fit_kmeans(sc.X, 6))
timed("big_gmm_6_full_fit_on_5k_predict_all_s", lambda: clusters.fit_gmm(sc.X, 6, "full"))
timed("big_kmeans_sweep_2_15_s", lambda: clusters.kmeans_sweep(sc.X, range(2, 16)))
if {big_umap}:
    t = time.perf_counter()
    projection.compute_umap(sc.X[:5000], 15, 0.1, 0)  # JIT warm-up
    out["big_umap_jit_warmup_s"] = round(time.perf_counter() - t, 2)
    timed("big_umap_full_incl_nndescent_jit_s", lambda: projection.compute_umap(sc.X, 15, 0.1, 0))
    out["big_umap_estimate_s"] = round(projection.estimate_umap_seconds(len(sc.X)), 1)
"""

_PAGE = """
import time
import streamlit as st
from streamlit.testing.v1 import AppTest
from core.catalog import data
from core.genremap import projection
from ui import genre_map as gm
cat = data.load_catalog({tidy!r}, allow_download=False)
feats = projection.default_features(cat.df)
t = time.perf_counter()
projection.umap_layout(cat.df, feats, sample_size=5000, seed=gm.SEED, source_id=cat.source_id, checksum=cat.checksum)
out = {{"precompute_umap_5k_s_(0_if_already_on_disk)": round(time.perf_counter() - t, 2)}}
{render}
render({{}})  # warms the catalog and imports
out["first_render_pca_s"], out["rerun_pca_s"] = render({{}})
out["first_render_umap_cached_layout_s"], out["rerun_umap_s"] = render({{"map_projection": "UMAP"}})
out["first_render_agreement_s"], out["rerun_agreement_s"] = render({{"map_section": "Agreement"}})
out["first_render_clusters_s"], out["rerun_clusters_s"] = render({{"map_section": "Clusters"}})
"""


def run(ctx: dict) -> dict:
    quick = bool(ctx.get("quick"))
    cache = tempfile.mkdtemp(prefix="bench-clusters-")
    env = {"VALENCE_LAB_CACHE_DIR": cache}
    result: dict = {"note": "each part in a fresh process; UMAP cold includes numba compilation"}
    result["umap"] = run_child(_UMAP.format(tidy=TIDY), env=env, timeout=1500)
    big = 20_000 if quick else 114_000
    code = _CLUSTERS.format(tidy=TIDY, big=big, big_umap=not quick)
    result["clusters"] = run_child(code, env=env, timeout=1500)
    # cold in-memory caches: only the disk layout and the catalog are warm
    render = render_page_code("app_pages/genre_map.py", 300, clear="st.cache_data.clear()")
    result["page"] = run_child(_PAGE.format(tidy=TIDY, render=render), env=env, timeout=900)
    return result
