"""Why valence?: exact SHAP of the default XGBoost model, OLS and best-subset selection on the
28k catalog, the recipe's cross-validated accuracy and cost, and the page's first render with a
cached model. Each part runs in a fresh process."""

from __future__ import annotations

import tempfile

from bench.common import render_page_code, run_child

TIDY = "tidytuesday-spotify-songs"

_SHAP = """
import time
from bench.common import timed
from core.catalog import data
from core.explain import shapley
from core.modelling import models
df = data.load_catalog({tidy!r}, allow_download=False).df
out = {{"rows": len(df)}}
t = time.perf_counter(); model = models.fit_default_valence_model(df)
out["default_xgboost_fit_s"] = round(time.perf_counter() - t, 2)
for n in (1000, 2000):
    t = time.perf_counter(); r = shapley.shap_values(model, df, max_rows=n)
    out[f"shap_{{n}}_rows_first_call_s"] = round(time.perf_counter() - t, 3)
    best, _ = timed(lambda: shapley.shap_values(model, df, max_rows=n), repeat=3)
    out[f"shap_{{n}}_rows_best_of_3_s"] = round(best, 3)
out["shap_method"] = r.method
out["shap_rows_per_s"] = round(2000 / out["shap_2000_rows_best_of_3_s"])
t = time.perf_counter(); shapley.shap_values(model, df.iloc[[0]], max_rows=1)
out["shap_one_track_s"] = round(time.perf_counter() - t, 4)
"""

_INFERENCE = """
import time
from core.catalog import data
from core.explain import inference
df = data.load_catalog({tidy!r}, allow_download=False).df
out = {{}}
X, y, _ = inference.design(df, "context")
t = time.perf_counter(); inference.ols_table(X, y)
out["ols_statsmodels_first_call_s"] = round(time.perf_counter() - t, 3)
for cols in (list(X.columns[:12]), list(X.columns)):
    t = time.perf_counter(); sel = inference.select(X[cols], y, "adj_r2")
    k = len(cols)
    out[f"best_subset_{{k}}_features_s"] = round(time.perf_counter() - t, 3)
    out[f"best_subset_{{k}}_features_fits"] = sel.n_fits
out["rows"] = len(X)
out["features_12"] = list(X.columns[:12])
"""

_RECIPE = """
import time
from core.catalog import data
from core.explain import recipe
df = data.load_catalog({tidy!r}, allow_download=False).df
t = time.perf_counter()
rep = recipe.evaluate(df, "audio", seed=0, black_box={black_box})
out = {{"wall_s": round(time.perf_counter() - t, 2)}}
for part in ("recipe", "ols", "black_box", "gain_kept", "interaction", "n_tracks", "folds"):
    out[part] = rep[part]
"""

_PAGE = """
import time
from streamlit.testing.v1 import AppTest
out = {{}}
{render}
t = time.perf_counter(); render({{}})
out["warmup_trains_default_model_s"] = round(time.perf_counter() - t, 2)
out["first_render_drivers_cached_s"], out["rerun_drivers_s"] = render({{}})
out["first_render_drivers_2000_rows_shap_cold_s"], _ = render({{"why_rows": "2000"}})
out["first_render_statistics_cold_s"], _ = render({{"why_tab": "Statistics"}})
out["first_render_statistics_cached_s"], _ = render({{"why_tab": "Statistics"}})
out["first_render_agreement_cold_s"], _ = render({{"why_tab": "Agreement"}})
out["first_render_one_track_s"], _ = render({{"why_tab": "One track"}})
"""


def run(ctx: dict) -> dict:
    quick = bool(ctx.get("quick"))
    env = {"VALENCE_LAB_CACHE_DIR": tempfile.mkdtemp(prefix="bench-explain-")}
    result: dict = {
        "targets": "shap 2000 rows < 3 s; page first render (cached model) < 2 s; "
        "best subset 12 features < 10 s; recipe gain_kept >= 0.6"
    }
    result["shap"] = run_child(_SHAP.format(tidy=TIDY), env=env)
    result["inference"] = run_child(_INFERENCE.format(tidy=TIDY), env=env)
    code = _RECIPE.format(tidy=TIDY, black_box=not quick)
    result["recipe"] = run_child(code, env=env, timeout=1500)
    render = render_page_code("app_pages/why_valence.py", 600)
    result["page"] = run_child(_PAGE.format(render=render), env=env, timeout=1500)
    return result
