"""The precomputed parts: how each artefact is built, stored, loaded and timed (:data:`PARTS`)."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from core.catalog.data import Catalog
from core.progress import Progress, ProgressFn
from core.warm.store import (
    CRITERIA,
    FEATURE_SET,
    PHASE,
    SEED,
    SHAP_ROWS,
    UMAP_MIN_DIST,
    UMAP_NEIGHBORS,
    UMAP_SAMPLE,
    Files,
    WarmError,
    frame_bytes,
    json_bytes,
    read_frame,
    root,
    sha,
)


# --------------------------------------------------------------------------- parts
def say(report: ProgressFn, fraction: float, message: str) -> None:
    """Report a building part's progress under the precompute phase."""
    report(Progress.share(PHASE, fraction, message))


def _default_model(catalog: Catalog, task: str) -> Any:
    """The default model of a task, from disk (built first when missing)."""
    from core.warm.artefacts import build, load  # they look parts up in PARTS, defined below

    model = load(catalog, f"{task}_model")
    if model is None:
        build(catalog, [f"{task}_model"])
        model = load(catalog, f"{task}_model")
    if model is None:
        raise WarmError(f"The default {task} model could not be built.")
    return model


def _build_model(task: str) -> Callable[[Catalog, ProgressFn], tuple[Files, dict]]:
    def build_model(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
        from core.modelling import export, models

        say(report, 0.05, f"Training the default XGBoost {task} model…")
        fit = (
            models.fit_default_valence_model
            if task == "valence"
            else models.fit_default_genre_model
        )
        model = fit(catalog.df, FEATURE_SET, SEED)
        return {"model.skops": export.dump_model(model)}, {"task": task}

    return build_model


def _load_model(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.modelling import export

    return export.load_model(files["model.skops"])


def _build_shap(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import shapley

    model = _default_model(catalog, "valence")
    say(report, 0.2, f"Explaining {min(SHAP_ROWS, len(catalog.df)):,} tracks with SHAP…")
    result = shapley.shap_values(model, catalog.df, max_rows=SHAP_ROWS, seed=SEED)
    frame = pd.concat(
        [
            result.values.add_prefix("shap:"),
            result.data.add_prefix("x:"),
            pd.DataFrame({"prediction": result.prediction}, index=result.values.index),
        ],
        axis=1,
    )
    frame.insert(0, "row", np.asarray(result.values.index))
    meta = {
        "base_value": float(result.base_value),
        "method": result.method,
        "n_explained": int(result.n_explained),
        "output": result.output,
        "class_name": result.class_name,
        "features": result.feature_names,
        "data_columns": list(result.data.columns),
    }
    return {"shap.parquet": frame_bytes(frame)}, meta


def _load_shap(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.explain.shapley import ShapResult

    frame = read_frame(files["shap.parquet"])
    index = pd.Index(frame["row"].to_numpy())
    values = frame[[f"shap:{c}" for c in meta["features"]]].set_axis(meta["features"], axis=1)
    values.index = index
    x = frame[[f"x:{c}" for c in meta["data_columns"]]].set_axis(meta["data_columns"], axis=1)
    x.index = index
    return ShapResult(
        values=values,
        base_value=float(meta["base_value"]),
        data=x,
        prediction=frame["prediction"].to_numpy(float),
        method=meta["method"],
        n_explained=int(meta["n_explained"]),
        output=meta["output"],
        class_name=meta["class_name"],
    )


def _design(catalog: Catalog) -> tuple[pd.DataFrame, pd.Series]:
    from core.explain import inference

    X, y, _ = inference.design(catalog.df, FEATURE_SET)
    if len(X) <= X.shape[1] + 1:
        raise WarmError("Too few complete rows for OLS on the audio features.")
    return X, y


def _build_ols(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import inference

    say(report, 0.1, "Fitting OLS on the audio features…")
    table, fit = inference.ols_table(*_design(catalog))
    return {"table.parquet": frame_bytes(table)}, {"fit": fit}


def _load_ols(catalog: Catalog, files: Files, meta: dict) -> Any:
    return read_frame(files["table.parquet"]), dict(meta["fit"])


def _build_selection(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import inference

    X, y = _design(catalog)
    files: Files = {}
    meta: dict[str, Any] = {}
    for i, crit in enumerate(CRITERIA):
        say(report, i / len(CRITERIA), f"Best-subset selection by {crit}…")
        sel = inference.select(X, y, crit)
        files[f"{crit}.parquet"] = frame_bytes(sel.by_size)
        meta[crit] = {
            "best_subset": sel.best_subset,
            "forward": sel.forward,
            "backward": sel.backward,
            "n_fits": int(sel.n_fits),
        }
    return files, meta


def _load_selection(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.explain.inference import Selection

    out = {}
    for crit in CRITERIA:
        by_size = read_frame(files[f"{crit}.parquet"])
        if "features" in by_size:
            by_size["features"] = by_size["features"].map(list)
        out[crit] = Selection(
            criterion=crit,
            best_subset=list(meta[crit]["best_subset"]),
            forward=list(meta[crit]["forward"]),
            backward=list(meta[crit]["backward"]),
            by_size=by_size,
            n_fits=int(meta[crit]["n_fits"]),
        )
    return out


def _build_permutation(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import agreement

    model = _default_model(catalog, "valence")
    say(report, 0.2, "Permutation importance of the default model…")
    series = agreement.permutation_importance(model, catalog.df, seed=SEED)
    return {}, {"importance": {str(k): float(v) for k, v in series.items()}}


def _load_permutation(catalog: Catalog, files: Files, meta: dict) -> Any:
    return pd.Series(meta["importance"], dtype="float64")


def umap_settings(catalog: Catalog) -> dict[str, Any]:
    """The Genre map's opening UMAP settings for a catalog (features, sample, neighbours…)."""
    from core.genremap import projection

    n = len(catalog.df)
    return {
        "features": tuple(projection.default_features(catalog.df)),
        "n_neighbors": min(UMAP_NEIGHBORS, max(2, min(UMAP_SAMPLE, n) - 1)),
        "min_dist": UMAP_MIN_DIST,
        "sample_size": None if n <= UMAP_SAMPLE else UMAP_SAMPLE,
        "seed": SEED,
    }


def _umap_key(catalog: Catalog) -> str:
    from core.genremap import projection

    s = umap_settings(catalog)
    return projection.umap_cache_key(
        catalog.source_id,
        catalog.checksum,
        s["features"],
        s["n_neighbors"],
        s["min_dist"],
        s["sample_size"],
        s["seed"],
    )


def _build_umap(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.genremap import projection

    s = umap_settings(catalog)
    projection.umap_layout(
        catalog.df,
        s["features"],
        n_neighbors=s["n_neighbors"],
        min_dist=s["min_dist"],
        sample_size=s["sample_size"],
        seed=s["seed"],
        source_id=catalog.source_id,
        checksum=catalog.checksum,
        on_progress=report,
    )
    key = _umap_key(catalog)
    blob = projection.umap_cache_path(key).read_bytes()
    return {}, {"key": key, "sha256": sha(blob)}


def _load_umap(catalog: Catalog, files: Files, meta: dict) -> Any:
    from core.genremap import projection

    path = projection.umap_cache_path(meta["key"])
    if not path.is_file() or sha(path.read_bytes()) != meta["sha256"]:
        return None
    return projection.load_cached_layout(meta["key"])


def _build_recipe(catalog: Catalog, report: ProgressFn) -> tuple[Files, dict]:
    from core.explain import recipe

    result = recipe.evaluate(catalog.df, FEATURE_SET, seed=SEED, on_progress=report)
    return {"recipe.json": json_bytes(result)}, {}


def _load_recipe(catalog: Catalog, files: Files, meta: dict) -> Any:
    return json.loads(files["recipe.json"])


def _needs_valence(catalog: Catalog) -> str | None:
    df = catalog.df
    if "valence" not in df or df["valence"].notna().sum() < 20:
        return "fewer than 20 tracks with valence"
    return None


def _needs_genres(catalog: Catalog) -> str | None:
    return None if len(catalog.genres) >= 2 else "fewer than two genres"


def _needs_rows(catalog: Catalog) -> str | None:
    return None if len(catalog.df) >= 10 else "fewer than 10 tracks"


@dataclass(frozen=True)
class Part:
    """One precomputed artefact: how to build, load and time it, and when it applies."""

    name: str
    title: str
    build: Callable[[Catalog, ProgressFn], tuple[Files, dict]]
    load: Callable[[Catalog, Files, dict], Any]
    seconds: Callable[[int], float]  # rough wall time on 2 idle cores for n tracks
    applies: Callable[[Catalog], str | None] = _needs_valence  # None, or why not
    needs: tuple[str, ...] = ()


def _umap_seconds(n: int) -> float:
    from core.genremap import projection

    return projection.estimate_umap_seconds(min(n, UMAP_SAMPLE))


# Seconds per track below were measured on the 28k TidyTuesday catalog on 2 idle cores.
PARTS: dict[str, Part] = {
    p.name: p
    for p in (
        Part(
            "valence_model",
            "the default valence model",
            _build_model("valence"),
            _load_model,
            lambda n: 0.3 + 4.5e-5 * n,
        ),
        Part(
            "shap", "SHAP values", _build_shap, _load_shap, lambda n: 1.5, needs=("valence_model",)
        ),
        Part("ols", "the OLS table", _build_ols, _load_ols, lambda n: 0.3 + 1e-5 * n),
        Part(
            "selection",
            "best-subset selection",
            _build_selection,
            _load_selection,
            lambda n: 0.5 + 2e-5 * n,
        ),
        Part(
            "permutation",
            "permutation importance",
            _build_permutation,
            _load_permutation,
            lambda n: 2.0,
            needs=("valence_model",),
        ),
        Part(
            "umap", "the UMAP layout", _build_umap, _load_umap, _umap_seconds, applies=_needs_rows
        ),
        Part(
            "recipe", "the valence recipe", _build_recipe, _load_recipe, lambda n: 1.0 + 3.3e-4 * n
        ),
        Part(
            "genre_model",
            "the default genre model",
            _build_model("genre"),
            _load_model,
            lambda n: 1.0 + 2.5e-4 * n,
            applies=_needs_genres,
        ),
    )
}


def estimate_seconds(catalog: Catalog, part: str) -> float:
    """Rough wall time of building ``part`` for ``catalog`` on 2 idle cores."""
    n = len(catalog.df)
    seconds = PARTS[part].seconds(n)
    if part == "genre_model":  # one tree per class and round
        seconds *= max(1.0, len(catalog.genres) / 6)
    return seconds


def measured_seconds(catalog: Catalog, part: str) -> float:
    """:func:`estimate_seconds` scaled by how fast this machine built ``part`` before.

    Every stored build records its rows and wall seconds; the median ratio of those to the
    idle-machine model is this machine's pace (1.0 when nothing was built here yet). Used to
    say how long a session's own build (an upload's default model) will take.
    """
    ratios = []
    for path in root().glob(f"*/{part}.manifest.json"):
        try:
            entry = json.loads(path.read_text())
            rows, seconds = int(entry["rows"]), float(entry["seconds"])
        except (OSError, ValueError, KeyError, TypeError):
            continue
        if rows > 0 and seconds > 0:
            ratios.append(seconds / PARTS[part].seconds(rows))
    pace = float(np.median(ratios)) if ratios else 1.0
    return estimate_seconds(catalog, part) * pace
