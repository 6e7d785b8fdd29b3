"""What-if update time on the 28k TidyTuesday catalog (issue 14 target: < 300 ms per change).

Two figures: the work one slider change triggers (prediction, one-row SHAP, neighbours and the
waterfall figure) with the default XGBoost model, and the same change driven through the page
with AppTest (a whole-page rerun, so an upper bound for the browser, where only the tab's
fragment reruns).
"""

from __future__ import annotations

import time

import numpy as np

TIDY = "tidytuesday-spotify-songs"
PAGE = "app_pages/why_valence.py"


def _stats(times: list[float]) -> dict:
    arr = np.asarray(times) * 1000
    return {
        "n": len(arr),
        "p50_ms": round(float(np.median(arr)), 1),
        "p95_ms": round(float(np.percentile(arr, 95)), 1),
        "max_ms": round(float(arr.max()), 1),
    }


def run(ctx: dict) -> dict:
    from core.catalog import data
    from core.charts.explain import plot_waterfall
    from core.explain import whatif
    from core.lookup.results import fit_neighbours
    from core.modelling.models import fit_default_valence_model

    n_changes = 10 if ctx.get("quick") else 40
    cat = data.load_catalog(TIDY, allow_download=False)
    df = cat.df
    model = fit_default_valence_model(df)
    index = fit_neighbours(df)
    knob_list = whatif.knobs(df, model)
    scorer = whatif.Scorer(model)
    rng = np.random.default_rng(0)
    row = df.iloc[int(rng.integers(len(df)))]
    start = whatif.baseline(df, knob_list, row)
    values = dict(start)
    core_times = []
    for _ in range(n_changes):
        knob = knob_list[int(rng.integers(len(knob_list)))]
        values[knob.name] = knob.clamp(rng.uniform(knob.lo, knob.hi))
        t0 = time.perf_counter()
        out = whatif.evaluate(model, values, start, df, index, base_row=row, scorer=scorer)
        plot_waterfall(out.shap, 0).to_json()
        core_times.append(time.perf_counter() - t0)
    result = {"catalog_rows": len(df), "knobs": len(knob_list), "core_update": _stats(core_times)}

    from core.explain.interactions import interaction_values

    t0 = time.perf_counter()
    interaction_values(model, df, max_rows=100)
    result["interaction_values_100_rows_s"] = round(time.perf_counter() - t0, 2)

    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(ctx["root"] / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(PAGE)
    at.query_params["why_tab"] = "What-if"
    at.run()
    page_times = []
    for i in range(max(5, n_changes // 4)):
        t0 = time.perf_counter()
        at.slider(key="wi_k_energy").set_value(round(0.1 + 0.8 * (i % 5) / 4, 2)).run()
        page_times.append(time.perf_counter() - t0)
    result["apptest_page_rerun"] = _stats(page_times)
    result["apptest_exception"] = bool(at.exception)
    result["target_ms"] = 300
    return result
